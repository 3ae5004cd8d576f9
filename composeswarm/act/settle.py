"""Since when a converged service has been so, in local clock time, from the engine's own task timestamps.

The settle (converged must still hold `settle` seconds later) counts from when the tasks that make the
service converged entered their state (`Status.Timestamp`, the latest of them), not from the first
poll that saw them so: a task already running for seconds resolves at once. Engine timestamps are
never compared with the local clock directly (an engine over ssh or TLS may be skewed by hours):
each clock's offset (engine time minus local clock time) is estimated from below, by facts of the
form "this engine instant came before that local instant":

- every watched service was created before the wait began: `CreatedAt` minus the wait's start
  (the leader's clock, which stamps writes; UpdatedAt is no such fact: swarm moves it later, when
  the allocator or the updater writes the service again);
- every task state read in a poll was entered before the poll returned: its `Status.Timestamp`
  minus the poll's local time (the clock of the node whose agent stamped it).

A lower bound of the offset puts each converted instant no earlier than it really was, so the settle
never ends before a true one would; the bound from the poll itself keeps it no later than the first
poll that saw the service converged (today's rule). Agents stamp the states from `accepted` on with
their node's clock, managers the earlier ones with theirs, so bounds are kept per node and only agent
states count; the writes' bound holds for the leader's node (or a swarm's only node). Where a
timestamp is missing or unparsable, `started` says None and the caller falls back to its first poll.
Clocks are taken as steady over one wait (an engine clock stepped back during it is not caught).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from composeswarm.dockerrules.timestamps import parse_time_ns

Json = dict[str, Any]

# task states that the agent on the task's node stamps (the managers stamp new .. assigned)
AGENT_STATES = frozenset({"accepted", "preparing", "ready", "starting", "running", "complete"})
_LEADER = ""  # the key of the writes' bound until it is known which node leads


class EngineClocks:
    """Lower bounds of (engine time - local time), one per node clock, from what the watcher reads."""

    def __init__(self) -> None:
        self._ref: int | None = None  # engine ns that engine seconds count from (keeps the floats small)
        self._low: dict[str, float] = {}

    def created_before(self, service: Json, local: float) -> None:
        """`service` existed at local time `local` (it was created before the wait began)."""
        at = self._seconds(service.get("CreatedAt"))
        if at is not None:
            self._raise(_LEADER, at - local)

    def polled(self, tasks: Iterable[Json], local: float) -> None:
        """The tasks were read in a poll that returned by local time `local`."""
        for task in tasks:
            status = task.get("Status") or {}
            node = str(task.get("NodeID") or "")
            if node and status.get("State") in AGENT_STATES:
                at = self._seconds(status.get("Timestamp"))
                if at is not None:
                    self._raise(node, at - local)

    def started(self, tasks: Iterable[Json], nodes: Mapping[str, Json]) -> float | None:
        """The local time by which every one of `tasks` had entered its state, converted so that it is
        never earlier than the true one; None when a timestamp is missing, unparsable or not convertible."""
        latest: float | None = None
        leader = _leader(nodes)
        for task in tasks:
            status = task.get("Status") or {}
            node = str(task.get("NodeID") or "")
            at = self._seconds(status.get("Timestamp"))
            bounds = [self._low[k] for k in (node, _LEADER if node and node == leader else None) if k in self._low]
            if at is None or not node or status.get("State") not in AGENT_STATES or not bounds:
                return None
            local = at - max(bounds)
            latest = local if latest is None else max(latest, local)
        return latest

    def _raise(self, key: str, low: float) -> None:
        if key not in self._low or low > self._low[key]:
            self._low[key] = low

    def _seconds(self, text: object) -> float | None:
        try:
            ns = parse_time_ns(str(text or ""))
        except ValueError:
            return None
        if ns == 0:
            return None
        if self._ref is None:
            self._ref = ns
        return (ns - self._ref) / 1e9


def _leader(nodes: Mapping[str, Json]) -> str | None:
    """The node that stamps writes: the leading manager, or a swarm's only node."""
    for ident, node in nodes.items():
        if (node.get("ManagerStatus") or {}).get("Leader"):
            return ident
    return next(iter(nodes)) if len(nodes) == 1 else None
