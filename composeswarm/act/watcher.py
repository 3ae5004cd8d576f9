"""Follow rollouts until every service converged, failed, was rolled back, or the time ran out.

One poll costs two or three calls whatever the number of services: the services by ID, their
up-to-date tasks (the tasks of the current spec: swarm's own `_up-to-date` filter, which `docker
stack deploy --detach=false` uses too) and, while an update of one of them is in flight, paused or
rolling back, all their tasks (failed tasks of a version swarm rolled back are no longer up to date,
and their errors are what the user needs to see). Nodes are read once, and again when a task names
a node not seen before or when the last read is `node_interval` seconds old, so that a node that
goes down is seen (and named with its tasks: a `NodeLost` event). Each snapshot is judged by
`act.assess`; converged must still hold `settle` seconds after the tasks counted entered `running`, by
the engine's own task timestamps turned into local time with a lower bound of the engine clock's
offset (`act.settle`: a task running for seconds already resolves at the first poll, a skewed engine
clock changes nothing), or after the first poll that saw it converged when the timestamps are not
usable or an update was seen in flight (its completion has no such timestamp). The polls
are spaced so that the engine gets at most `max_rate` calls a second on average whatever N: a poll of
k calls is followed by the next one no sooner than max(`interval`, k / `max_rate`) seconds after it
began (a poll of two calls every 0.5 s at 4 calls/s). When every service still open is converged and
only waits out its settle, the next poll is made when the last settle ends, not before: a poll sooner
cannot resolve them, and one a little later would add up to a whole gap. Nothing here prints:
progress goes to `on_event` as data (render.progress draws it).

An engine that stops answering (restarting, a dropped connection, a leader election's 5xx) does not end
the wait: the reads are tried again (engine.retry), then the polls go on, slower, until it answers or
the deadline passes; then the outcome is "unknown" (RolloutUnknown, exit 1). A service that failed
gets the last lines of its failed task's log (`failure_logs`, masked by `mask`) as a FailureLogs event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from composeswarm.act.assess import Assessment, assess, lost_nodes
from composeswarm.act.events import (
    EngineBack, EngineLost, Event, FailureLogs, Outcome, OutcomeState, Progress, TaskFailure,
)
from composeswarm.act.settle import EngineClocks
from composeswarm.dockerrules.modes import mode_name
from composeswarm.dockerrules.timestamps import parse_time
from composeswarm.engine.retry import transient
from composeswarm.errors import EngineError, RolloutFailed, RolloutTimeout, RolloutUnknown
from composeswarm.load.dependson import Condition

Json = dict[str, Any]


class Gateway(Protocol):
    """The three engine reads the watcher needs (composeswarm.engine.gateway.Engine has them)."""

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_nodes(self) -> list[Json]: ...

    def task_log_lines(self, ident: str, tail: int) -> list[str]: ...

_ALLOCATOR_SLACK = timedelta(seconds=1)
LOST_POLL_CAP = 2.0  # seconds between polls, at most, while the engine does not answer
# Engine calls a second while waiting, on average, at most: a manager serves many clients (issue 14's
# bound is 5/s; 4 leaves room for a poll's last calls at the end of a short wait).
MAX_CALLS_PER_SECOND = 4.0


# --- the loop ------------------------------------------------------------------------------------------


@dataclass
class _Track:
    service_id: str
    started: float
    name: str = ""
    anchor: datetime | None = None
    unchanged: bool = False
    converged_since: float | None = None
    updating: bool = False  # an update seen in flight: the settle counts from the first poll after it
    rollback_cause: str = ""
    seen_failures: set[str] = field(default_factory=set)
    lost: set[str] = field(default_factory=set)  # IDs of the lost nodes already reported
    last: Progress | None = None


class Watcher:
    """Polls the engine for a set of services until each one is resolved; reports through on_event."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        conditions: Mapping[str, Condition] | None = None,
        on_event: Callable[[Event], None] | None = None,
        interval: float = 0.3,
        max_rate: float = MAX_CALLS_PER_SECOND,
        settle: float = 1.0,
        max_failures: int = 3,
        node_interval: float = 2.0,
        failure_logs: int = 20,
        mask: Callable[[str], str] = lambda text: text,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.gateway = gateway
        self.conditions = dict(conditions or {})
        self.on_event = on_event or (lambda event: None)
        self.interval = interval
        self.max_rate = max_rate
        self.settle = settle
        self.max_failures = max_failures
        self.node_interval = node_interval
        self.clock = clock
        self.sleep = sleep
        self.failure_logs = failure_logs
        self.mask = mask
        self.polls = 0
        self.calls = 0  # engine calls made, for the spacing of the polls
        self._nodes: dict[str, Json] | None = None
        self._nodes_read = 0.0
        self._clocks = EngineClocks()  # the engine clocks' offsets, from below: see act.settle
        self._settles_at: float | None = None  # set by each poll: see wait

    def wait(self, service_ids: Sequence[str], deadline: float, *, unchanged: bool = False) -> dict[str, Outcome]:
        """Watch the services (all at once) until each is resolved or `deadline` (clock time) passes.

        `unchanged`: services this deploy did not touch; only task failures from now on count.
        """
        start = self.clock()
        # the engine's clock is the host's on a local swarm; elsewhere a skew only moves the line
        anchor = datetime.now(timezone.utc) if unchanged else None
        tracks = {
            sid: _Track(service_id=sid, started=start, anchor=anchor, unchanged=unchanged)
            for sid in dict.fromkeys(service_ids)
        }
        outcomes: dict[str, Outcome] = {}
        lost: tuple[float, str] | None = None  # since when the engine has not answered, and why
        misses = 0
        try:
            while True:
                began, calls = self.clock(), self.calls
                try:
                    self._poll(tracks, outcomes)
                except EngineError as exc:
                    if not transient(exc):
                        raise
                    if lost is None:
                        lost = (self.clock(), str(exc))
                        self.on_event(EngineLost(str(exc)))
                    else:
                        lost = (lost[0], str(exc))
                    misses += 1
                    now = self.clock()
                    if now >= deadline:
                        reason = f"{lost[1]}, for the last {now - lost[0]:.0f} s"
                        for sid in [s for s in tracks if s not in outcomes]:
                            self._resolve(tracks[sid], outcomes, "unknown", reason)
                        break
                    self.sleep(max(0.0, min(LOST_POLL_CAP, self.interval * 2**misses, deadline - now)))
                    continue
                if lost is not None:
                    self.on_event(EngineBack(self.clock() - lost[0]))
                    lost, misses = None, 0
                if any(o.failed for o in outcomes.values()):
                    for sid in [s for s in tracks if s not in outcomes]:
                        self._resolve(tracks[sid], outcomes, "abandoned", "not waited for: another service failed")
                if len(outcomes) == len(tracks):
                    break
                now = self.clock()
                if now >= deadline:
                    for sid in [s for s in tracks if s not in outcomes]:
                        self._resolve(tracks[sid], outcomes, "timed_out", _waiting_for(tracks[sid].last))
                    break
                gap = max(self.interval, (self.calls - calls) / self.max_rate)
                # when every open service only waits out its settle, a poll before the last settle ends
                # cannot resolve them: poll when it ends (the rate still holds)
                next_at = began + gap if self._settles_at is None else max(began + gap, self._settles_at)
                self.sleep(max(0.0, min(next_at - now, deadline - now)))
        except KeyboardInterrupt:
            for sid in [s for s in tracks if s not in outcomes]:
                self._resolve(tracks[sid], outcomes, "interrupted", "left as it is: " + _waiting_for(tracks[sid].last))
            raise
        return {tracks[sid].name or sid: outcomes[sid] for sid in tracks}

    def _poll(self, tracks: dict[str, _Track], outcomes: dict[str, Outcome]) -> None:
        self._settles_at = None
        open_ids = [sid for sid in tracks if sid not in outcomes]
        self.polls += 1
        self.calls += 1
        services = {s["ID"]: s for s in self.gateway.list_services({"id": open_ids}) if s.get("ID") in open_ids}
        for sid in open_ids:
            if sid not in services:
                self._resolve(tracks[sid], outcomes, "removed", "the service was removed while it was watched")
        ids = [sid for sid in open_ids if sid in services]
        if not ids:
            return
        for sid in ids:  # named before the next reads: an engine gone after this one leaves names to report
            tracks[sid].name = services[sid].get("Spec", {}).get("Name", sid)
        try:
            self.calls += 1
            current = self.gateway.list_tasks({"service": ids, "_up-to-date": ["true"]})
            # Outside updates every task of this rollout is up to date: one task list is enough.
            updating = any(_update_state(services[sid]) not in (None, "completed") for sid in ids)
            self.calls += updating
            history = self.gateway.list_tasks({"service": ids}) if updating else current
        except EngineError as exc:
            if exc.status == 404:  # a service went away between the calls: the next poll says which
                return
            raise
        nodes = self._nodes_for(history)
        now = self.clock()
        settling: list[float] = []  # when each converged service's settle ends
        unsettled = False  # a service left open for another reason than its settle
        self._clocks.polled(history, now)  # `history` holds the current tasks too
        for sid in ids:
            service, track = services[sid], tracks[sid]
            self._clocks.created_before(service, track.started)
            if track.anchor is None:
                track.anchor = _anchor(service)
            update = service.get("UpdateStatus") or {}
            track.updating = track.updating or update.get("State") not in (None, "completed")
            if update.get("State") == "rollback_started" and update.get("Message"):
                track.rollback_cause = str(update["Message"])
            verdict = assess(
                service,
                [t for t in current if t.get("ServiceID") == sid],
                [t for t in history if t.get("ServiceID") == sid],
                nodes,
                condition=self.conditions.get(track.name),
                anchor=track.anchor,
                max_failures=self.max_failures,
                rollback_cause=track.rollback_cause,
                unchanged=track.unchanged,
            )
            for failure in verdict.failures:
                if failure.task_id not in track.seen_failures:
                    track.seen_failures.add(failure.task_id)
                    self.on_event(failure)
            lost = lost_nodes(track.name, [t for t in history if t.get("ServiceID") == sid], nodes)
            for event in lost:
                if event.node_id not in track.lost:
                    self.on_event(event)
            track.lost = {event.node_id for event in lost}  # a node back up and lost again is named again
            progress = Progress(
                service=track.name,
                service_id=sid,
                mode=mode_name(service.get("Spec") or {}),
                done=verdict.done,
                desired=verdict.desired,
                unit=verdict.unit,
                update_state=update.get("State"),
                note=verdict.note,
                elapsed=now - track.started,
            )
            track.last = progress
            self.on_event(progress)
            if verdict.verdict == "converged":
                if track.converged_since is None:
                    track.converged_since = now
                since = None if track.updating else self._clocks.started(verdict.counted, nodes)
                since = track.converged_since if since is None else since
                if verdict.unit == "complete" or now - since >= self.settle:
                    self._resolve(track, outcomes, "converged", _converged_reason(progress))
                else:
                    settling.append(since + self.settle)
            else:
                unsettled = unsettled or verdict.verdict == "waiting"
                track.converged_since = None
                if verdict.verdict != "waiting":
                    self._failure_logs(track.name, verdict)
                    self._resolve(track, outcomes, verdict.verdict, verdict.reason)
        self._settles_at = max(settling) if settling and not unsettled else None

    def _failure_logs(self, name: str, verdict: Assessment) -> None:
        """The last lines of the log of the task the failure is judged by, masked, as an event."""
        task = _judged_by(verdict)
        if self.failure_logs <= 0 or task is None:
            return
        try:
            self.calls += 1
            lines = self.gateway.task_log_lines(task.task_id, self.failure_logs)
        except EngineError as exc:
            self.on_event(FailureLogs(name, task.task, task.task_id, (), error=self.mask(str(exc))))
            return
        self.on_event(FailureLogs(name, task.task, task.task_id, tuple(self.mask(line) for line in lines)))

    def _nodes_for(self, tasks: Sequence[Json]) -> dict[str, Json]:
        wanted = {str(t.get("NodeID")) for t in tasks if t.get("NodeID")}
        now = self.clock()
        if self._nodes is None or not wanted <= set(self._nodes) or now - self._nodes_read >= self.node_interval:
            self.calls += 1
            self._nodes = {str(n["ID"]): n for n in self.gateway.list_nodes()}
            self._nodes_read = now
        return self._nodes

    def _resolve(self, track: _Track, outcomes: dict[str, Outcome], state: OutcomeState, reason: str) -> None:
        elapsed = self.clock() - track.started
        progress = replace(track.last, elapsed=elapsed) if track.last is not None else None
        outcome = Outcome(track.name or track.service_id, track.service_id, state, reason, elapsed, progress)
        outcomes[track.service_id] = outcome
        self.on_event(outcome)


def _judged_by(verdict: Assessment) -> TaskFailure | None:
    """The failed task the reason names (by ID or by task name), else the last one that failed."""
    for failure in reversed(verdict.failures):
        if failure.task_id in verdict.reason or f"task {failure.task} " in verdict.reason:
            return failure
    return verdict.failures[-1] if verdict.failures else None


def _anchor(service: Json) -> datetime | None:
    """Since when failed tasks are this rollout's: the service's creation, or its last update.

    Failures before an update are not this rollout's. Swarm's allocator writes the service again just
    after its first tasks are made (UpdatedAt moves by a few milliseconds), so a service never
    updated (no PreviousSpec) counts from its creation, an updated one from a little before UpdatedAt.
    """
    if not service.get("PreviousSpec"):
        return parse_time(str(service.get("CreatedAt") or service.get("UpdatedAt") or ""))
    updated = parse_time(str(service.get("UpdatedAt") or ""))
    return updated - _ALLOCATOR_SLACK if updated is not None else None


def _update_state(service: Json) -> str | None:
    state = (service.get("UpdateStatus") or {}).get("State")
    return None if state is None else str(state)


def _converged_reason(progress: Progress) -> str:
    return f"{progress.done}/{progress.desired} {progress.unit}"


def _waiting_for(progress: Progress | None) -> str:
    return "no state read yet" if progress is None else progress.summary()


# --- the hook apply calls after each wave, and the errors it raises ---------------------------------


class Waiter:
    """`wait(service_ids)` for apply_plan: one deadline across all waves; raises on failure or timeout."""

    def __init__(self, watcher: Watcher, timeout: float) -> None:
        self.watcher = watcher
        self.timeout = timeout
        self.deadline: float | None = None
        self.outcomes: dict[str, Outcome] = {}

    def start(self) -> None:
        """Start the clock (the first wait starts it otherwise)."""
        if self.deadline is None:
            self.deadline = self.watcher.clock() + self.timeout

    def __call__(self, service_ids: list[str], *, unchanged: bool = False) -> None:
        """Wait for one wave (or a wave's unchanged dependencies); RolloutFailed or RolloutTimeout when it does not converge."""
        self.start()
        assert self.deadline is not None
        outcomes = self.watcher.wait(service_ids, self.deadline, unchanged=unchanged)
        self.outcomes.update(outcomes)
        raise_for(outcomes.values(), self.timeout)


def raise_for(outcomes: Iterable[Outcome], timeout: float) -> None:
    """RolloutFailed when any service failed (exit 3), else RolloutUnknown when the engine stayed away
    until the deadline (exit 1), else RolloutTimeout when any timed out (exit 4)."""
    outcomes = list(outcomes)
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise RolloutFailed("rollout failed: " + "; ".join(f"{o.service}: {o.reason}" for o in failed))
    unknown = [o for o in outcomes if o.state == "unknown"]
    if unknown:
        raise RolloutUnknown(
            f"the outcome of the rollout is unknown after {timeout:g} s ({unknown[0].reason}); "
            "run the same command again to converge"
        )
    late = [o for o in outcomes if o.state == "timed_out"]
    if late:
        raise RolloutTimeout(
            f"timed out after {timeout:g} s waiting for "
            + "; ".join(f"{o.service} ({o.reason})" for o in late)
        )


def wait_converged(
    gateway: Gateway,
    service_ids: Sequence[str],
    *,
    timeout: float,
    conditions: Mapping[str, Condition] | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> dict[str, Outcome]:
    """Watch services until all are resolved or `timeout` seconds pass; service name -> Outcome."""
    watcher = Watcher(gateway, conditions=conditions, on_event=on_event)
    return watcher.wait(service_ids, watcher.clock() + timeout)
