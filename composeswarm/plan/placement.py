"""Where a service's tasks can go: swarm's scheduling filters over the nodes, read once, as a verdict (pure).

swarmkit's scheduler (manager/scheduler/filter.go) gives a task to a node that passes every filter, in
this order: the node is ready and active (not down, drained or paused); it matches every constraint; it
runs one of the image's platforms (`Placement.Platforms`, when the deploy resolved them); it has the
reserved CPUs and memory. A node then takes at most `max_replicas_per_node` tasks of the service, as many
as its resources hold, and one per published host-mode port.

Constraints, as swarmkit's manager/constraint parses and matches them: `KEY == VALUE` or `KEY != VALUE`;
the keys node.id, node.hostname, node.ip (an address or a CIDR), node.role, node.platform.os,
node.platform.arch and the prefixes node.labels. and engine.labels. are matched in any case, a label's
own name exactly; values compare case-insensitively (`node.role == MANAGER` matches); a missing label,
hostname or platform is "", which no `==` matches and every `!=` does; an unknown key matches no node.
The engine reports `x86_64` and `aarch64`, so `node.platform.arch == amd64` matches no Linux PC (as in
swarm); only the platform filter treats them as `amd64` and `arm64`.

Resources are held against each node's whole capacity: the API reports what a node has, not what the
tasks already on it reserved, so this check never warns about a task swarm can place, and a node that
is nearly full may still leave one pending ("no suitable node" in the rollout, as before).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from composeswarm.dockerrules.units import format_cpus
from composeswarm.engine.live import LiveNode
from composeswarm.load.refusals import constraint_problem
from composeswarm.plan.changes import Plan

Json = dict[str, Any]

_NODE_LABELS = "node.labels."
_ENGINE_LABELS = "engine.labels."
_ARCH_ALIASES = {"x86_64": "amd64", "aarch64": "arm64"}  # swarmkit's PlatformFilter normalises these
# why a node takes no task, by its state (when not ready) or its availability (when ready)
_UNAVAILABLE = {"down": "down", "disconnected": "disconnected", "unknown": "in an unknown state",
                "drain": "drained", "pause": "paused"}  # fmt: skip
_UNLIMITED = 1 << 62


@dataclass(frozen=True, slots=True)
class Constraint:
    """One parsed placement constraint."""

    key: str
    equal: bool  # `==` (else `!=`)
    value: str

    def __str__(self) -> str:
        return f"{self.key} {'==' if self.equal else '!='} {self.value}"


@dataclass(frozen=True, slots=True)
class Placement:
    """Whether a service's replicas can all be placed on the nodes read, and why not."""

    mode: str  # replicated, global, replicated-job, global-job
    nodes: int  # the nodes read
    nodes_matching: int  # nodes that take at least one of its tasks
    replicas: int | None  # the tasks wanted at once (None: global, one per matching node)
    placeable: int  # how many of them the matching nodes take
    reasons: tuple[str, ...] = ()  # why nodes are left out, then what limits the tasks per node

    @property
    def unplaced(self) -> int:
        """Replicas no node can take (0 for a global service)."""
        return 0 if self.replicas is None else max(0, self.replicas - self.placeable)

    @property
    def warns(self) -> bool:
        """Worth a warning: replicas left pending, a global service on no node, a job that cannot start."""
        if self.replicas is None:
            return self.nodes_matching == 0
        if self.mode == "replicated-job":  # tasks beyond the room run once earlier ones complete
            return self.replicas > 0 and self.placeable == 0
        return self.unplaced > 0

    def line(self, service: str) -> str:
        """`shop_db: 2 of 3 replicas cannot be placed: 1 node matches node.labels.db == true, max 1 per node`."""
        if self.replicas is None:
            text = f"{service}: global service runs on {self.nodes_matching} of {_count(self.nodes, 'node')}"
        elif self.unplaced or self.warns:
            text = f"{service}: {self.unplaced or self.replicas} of {self.replicas} replicas cannot be placed"
        else:
            text = f"{service}: all {self.replicas} replicas can be placed"
        return text + (": " + ", ".join(self.reasons) if self.reasons else "")

    def as_json(self) -> Json:
        """The plan JSON's `placement` object (docs/plan-json.md)."""
        return {"nodes_matching": self.nodes_matching, "replicas": self.replicas, "placeable": self.placeable,
                "reasons": list(self.reasons)}


def check_placement(plan: Plan, nodes: Sequence[LiveNode]) -> Plan:
    """The plan with a placement verdict on each service it creates, updates or replaces."""
    changes = tuple(
        dataclasses.replace(c, placement=place(c.desired, nodes))
        if c.kind == "service" and c.action != "remove" and c.desired is not None and c.part_of is None
        else c
        for c in plan.changes
    )
    return dataclasses.replace(plan, changes=changes)


def place(spec: Json, nodes: Sequence[LiveNode]) -> Placement:
    """Swarm's filters for one service spec over `nodes`: how many nodes take it, how many replicas fit."""
    task = spec.get("TaskTemplate") or {}
    placement = task.get("Placement") or {}
    mode, replicas = _mode(spec.get("Mode") or {})
    pool = list(nodes)
    reasons: list[str] = []

    unavailable: dict[str, int] = {}
    for node in pool:
        why = node.state if node.state != "ready" else node.availability
        if why != "active":
            unavailable[why] = unavailable.get(why, 0) + 1
    for why, word in _UNAVAILABLE.items():
        if why in unavailable:
            reasons.append(f"{_count(unavailable[why], 'node')} {'is' if unavailable[why] == 1 else 'are'} {word}")
    for why in sorted(set(unavailable) - set(_UNAVAILABLE)):
        reasons.append(f"{_count(unavailable[why], 'node')} {'is' if unavailable[why] == 1 else 'are'} {why}")
    pool = [n for n in pool if n.state == "ready" and n.availability == "active"]

    for text in placement.get("Constraints") or []:
        if not pool:
            break
        constraint = parse_constraint(str(text))
        if constraint is None:
            reasons.append(f"constraint {text!r} is invalid")
            pool = []
            break
        kept = [n for n in pool if matches(constraint, n)]
        if len(kept) < len(pool):
            reasons.append(f"{_matching(len(kept), 'matches', 'match')} {constraint}")
        pool = kept

    platforms = placement.get("Platforms") or []
    if pool and platforms:
        kept = [n for n in pool if _runs_platform(platforms, n)]
        if len(kept) < len(pool):
            names = ", ".join(sorted({f"{p.get('OS') or '*'}/{p.get('Architecture') or '*'}" for p in platforms}))
            reasons.append(f"{_matching(len(kept), 'runs', 'run')} the image's platform ({names})")
        pool = kept

    reserved = ((task.get("Resources") or {}).get("Reservations")) or {}
    cpus, memory = int(reserved.get("NanoCPUs") or 0), int(reserved.get("MemoryBytes") or 0)
    cpu_words = f"{format_cpus(cpus)} CPU" + ("" if cpus == 1_000_000_000 else "s")
    for amount, have, what in ((cpus, "nano_cpus", cpu_words), (memory, "memory_bytes", f"{_size(memory)} of memory")):
        if pool and amount:
            kept = [n for n in pool if not getattr(n, have) or getattr(n, have) >= amount]
            if len(kept) < len(pool):
                reasons.append(f"{_matching(len(kept), 'has', 'have')} the {what} reserved")
            pool = kept

    if replicas is None:
        return Placement(mode, len(nodes), len(pool), None, len(pool), tuple(reasons))

    max_per_node = int(placement.get("MaxReplicas") or 0)  # swarmkit's MaxReplicasFilter: jobs too
    host_ports = sorted({int(p["PublishedPort"]) for p in (spec.get("EndpointSpec") or {}).get("Ports") or []
                         if p.get("PublishMode") == "host" and p.get("PublishedPort")})
    limits: list[tuple[str, Any]] = []
    if max_per_node:
        limits.append((f"max {max_per_node} per node", lambda n: max_per_node))
    if host_ports:
        limits.append((f"host-mode port {host_ports[0]} takes 1 per node", lambda n: 1))
    if cpus or memory:
        limits.append(("", lambda n: _room(n, cpus, memory)))
    caps = [min([_UNLIMITED] + [limit(n) for _, limit in limits]) for n in pool]
    placeable = min(replicas, sum(caps))
    if placeable < replicas:
        if not reasons:  # say how many nodes the per-node limits apply to
            reasons.append(_count(len(pool), "node") if pool else "no node")
        for label, limit in limits:
            binding = [n for n, cap in zip(pool, caps) if limit(n) == cap and cap < _UNLIMITED]
            if not binding:
                continue
            if not label:
                room = sum(min(_room(n, cpus, memory), replicas) for n in pool)
                label = f"the reservations fit {_count(room, 'task')} in all"
            reasons.append(label)
    return Placement(mode, len(nodes), len(pool), replicas, placeable, tuple(reasons))


def parse_constraint(text: str) -> Constraint | None:
    """`node.labels.db == true` as swarmkit parses it (the first operator of ==, != found), or None when invalid."""
    if constraint_problem(text) is not None:
        return None
    op = "==" if "==" in text else "!="
    key, _, value = text.partition(op)
    return Constraint(key.strip(), op == "==", value.strip())


def matches(constraint: Constraint, node: LiveNode) -> bool:
    """True when `node` satisfies `constraint`, by swarmkit's NodeMatches."""
    key = constraint.key.lower()
    if key == "node.ip":
        return _ip_matches(constraint, node.addr)
    fields: Mapping[str, str] = {"node.id": node.id, "node.hostname": node.hostname, "node.role": node.role,
                                 "node.platform.os": node.os, "node.platform.arch": node.arch}  # fmt: skip
    if key in fields:
        value = fields[key]
    elif len(key) > len(_NODE_LABELS) and key.startswith(_NODE_LABELS):
        value = node.labels.get(constraint.key[len(_NODE_LABELS):], "")  # the label's own name: exactly
    elif len(key) > len(_ENGINE_LABELS) and key.startswith(_ENGINE_LABELS):
        value = node.engine_labels.get(constraint.key[len(_ENGINE_LABELS):], "")
    else:
        return False  # a key swarm does not know matches no node
    return _fold(value) == _fold(constraint.value) if constraint.equal else _fold(value) != _fold(constraint.value)


def _ip_matches(constraint: Constraint, addr: str) -> bool:
    try:
        node_ip: Any = ipaddress.ip_address(addr)
    except ValueError:
        node_ip = None
    try:
        inside = node_ip is not None and node_ip == ipaddress.ip_address(constraint.value)
    except ValueError:
        try:
            network = ipaddress.ip_network(constraint.value, strict=False)
        except ValueError:
            return False  # neither an address nor a network: swarm rejects the node
        inside = node_ip is not None and node_ip.version == network.version and node_ip in network
    return inside == constraint.equal


def _fold(text: str) -> str:
    # Go's strings.EqualFold: simple case folding (lower() keeps "ß" apart from "SS", as EqualFold does)
    return text.lower()


def _mode(mode: Json) -> tuple[str, int | None]:
    if "Global" in mode:
        return "global", None
    if "GlobalJob" in mode:
        return "global-job", None
    if "ReplicatedJob" in mode:
        job = mode.get("ReplicatedJob") or {}
        concurrent = int(job.get("MaxConcurrent") or 1)
        total = job.get("TotalCompletions")
        return "replicated-job", concurrent if total is None else min(concurrent, int(total))
    replicas = (mode.get("Replicated") or {}).get("Replicas")
    return "replicated", 1 if replicas is None else int(replicas)


def _runs_platform(platforms: Sequence[Json], node: LiveNode) -> bool:
    arch = _ARCH_ALIASES.get(node.arch, node.arch)
    for p in platforms:
        want_arch = str(p.get("Architecture") or "")
        want_arch = _ARCH_ALIASES.get(want_arch, want_arch)
        want_os = str(p.get("OS") or "")
        if (not want_arch or want_arch == arch) and (not want_os or want_os == node.os):
            return True
    return False


def _room(node: LiveNode, cpus: int, memory: int) -> int:
    """Tasks of these reservations the node's capacity holds (a capacity not reported holds any number)."""
    room = _UNLIMITED
    if cpus and node.nano_cpus:
        room = min(room, node.nano_cpus // cpus)
    if memory and node.memory_bytes:
        room = min(room, node.memory_bytes // memory)
    return room


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _matching(n: int, one: str, many: str) -> str:
    """`no node matches`, `1 node matches`, `2 nodes match`."""
    if n == 0:
        return f"no node {one}"
    return f"{_count(n, 'node')} {one if n == 1 else many}"


def _size(size: int) -> str:
    for unit, factor in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            value = size / factor
            return (f"{value:.3g}" if value < 1000 else f"{value:.0f}") + unit
    return f"{size}B"
