"""Follow rollouts until every service converged, failed, was rolled back, or the time ran out.

One poll costs two or three calls whatever the number of services: the services by ID, their
up-to-date tasks (the tasks of the current spec: swarm's own `_up-to-date` filter, which `docker
stack deploy --detach=false` uses too) and, while an update of one of them is in flight, paused or
rolling back, all their tasks (failed tasks of a version swarm rolled back are no longer up to date,
and their errors are what the user needs to see). Nodes are read once, and again when a task names
a node not seen before.

Converged: every desired task running (or complete, for one-shot services: jobs, restart condition
none, or a dependency asked to complete), still so after `settle` seconds, and no update in flight
(UpdateStatus absent or completed). Swarm reports a task with a healthcheck `running` only once
the check passed (it stays `starting` until then), so `service_healthy` asks nothing more. Failed: the update paused, swarm rolled it back (failure_action:
rollback counts as a failure: the file's version is not what runs), or tasks of the current version
keep failing. Nothing here prints: progress goes to `on_event` as data (render.progress draws it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal, Protocol

from composeswarm.dockerrules.modes import mode_name
from composeswarm.dockerrules.timestamps import parse_time
from composeswarm.errors import EngineError, RolloutFailed, RolloutTimeout
from composeswarm.load.dependson import Condition

Json = dict[str, Any]

# Task states in the order swarm moves through them (docker/cli's progress ranks, same facts).
_RANK = {
    state: rank
    for rank, state in enumerate(
        (
            "new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting",
            "running", "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
        ),
        start=1,
    )
}
_TERMINAL = _RANK["complete"]  # this rank and above: the task will not run again
_FAILED = ("failed", "rejected")

OutcomeState = Literal[
    "converged", "rolled_back", "paused", "failing", "removed", "timed_out", "interrupted", "abandoned"
]
FAILURES: tuple[OutcomeState, ...] = ("rolled_back", "paused", "failing", "removed")
Verdict = Literal["waiting", "converged", "rolled_back", "paused", "failing"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where one service stands at one poll."""

    service: str
    service_id: str
    mode: str  # replicated, global, replicated-job, global-job
    done: int  # tasks running (or complete, when unit is "complete")
    desired: int | None  # None while a global service has no tasks yet
    unit: Literal["running", "complete"]
    update_state: str | None  # UpdateStatus.State, None when no update ran
    note: str  # what it waits for ('' when nothing to say)
    elapsed: float  # seconds since the watch of this service started


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """One task that failed or was rejected, as `docker service ps --no-trunc` shows it."""

    service: str
    task: str  # the task name docker shows: <service>.<slot> or <service>.<node ID>
    task_id: str
    node: str  # hostname when known, else the node ID ('' when never scheduled)
    state: str
    error: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the wait for one service ended."""

    service: str
    service_id: str
    state: OutcomeState
    reason: str
    elapsed: float
    progress: Progress | None = None

    @property
    def failed(self) -> bool:
        """True for the outcomes that make a deploy fail with exit 3."""
        return self.state in FAILURES


Event = Progress | TaskFailure | Outcome


class Gateway(Protocol):
    """The three engine reads the watcher needs (composeswarm.engine.gateway.Engine has them)."""

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_nodes(self) -> list[Json]: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    """What one poll says about one service (pure result of `assess`)."""

    verdict: Verdict
    reason: str
    done: int
    desired: int | None
    unit: Literal["running", "complete"]
    note: str
    failures: tuple[TaskFailure, ...]  # failed tasks since the anchor, current and rolled-back versions


# --- the pure part: one service, one snapshot ---------------------------------------------------------


def assess(
    service: Json,
    current: Sequence[Json],
    history: Sequence[Json],
    nodes: Mapping[str, Json],
    *,
    condition: Condition | None = None,
    anchor: datetime | None = None,
    max_failures: int = 3,
    rollback_cause: str = "",
    unchanged: bool = False,
) -> Assessment:
    """Judge one service from its up-to-date tasks (`current`) and all its tasks (`history`).

    `rollback_cause` is the UpdateStatus message seen while the rollback ran, if any. `unchanged`:
    this deploy did not touch the service, so a rollback that completed before is history (the spec
    it rolled back to is the one the files ask for), not a failure.
    """
    spec = service.get("Spec", {})
    name = spec.get("Name", service.get("ID", ""))
    mode = mode_name(service.get("Spec") or {})
    restart = (spec.get("TaskTemplate", {}).get("RestartPolicy") or {}).get("Condition") or (
        "on-failure" if mode.endswith("job") else "any"
    )
    one_shot = mode.endswith("job") or restart == "none" or condition == "service_completed_successfully"
    unit: Literal["running", "complete"] = "complete" if one_shot else "running"
    live = [t for t in current if _node_up(t, nodes)]
    if mode.endswith("job"):
        iteration = ((service.get("JobStatus") or {}).get("JobIteration") or {}).get("Index", 0)
        live = [t for t in live if (t.get("JobIteration") or {}).get("Index", 0) == iteration]

    if mode == "replicated-job":
        job = spec["Mode"]["ReplicatedJob"]
        desired: int | None = int(job.get("TotalCompletions", job.get("MaxConcurrent", 1)))
        done = sum(1 for t in live if _state(t) == "complete")
    else:
        chosen = _chosen(live, by_node=mode in ("global", "global-job"))
        if mode == "replicated":
            desired = int((spec.get("Mode", {}).get("Replicated") or {}).get("Replicas", 1))
        else:
            desired = len(chosen) or None
        done = sum(1 for t in chosen.values() if _satisfied(t, one_shot, restart))

    failures = tuple(
        _failure(name, t, nodes) for t in _by_creation(history) if _state(t) in _FAILED and _after(t, anchor)
    )
    note = _note(name, live)
    update = service.get("UpdateStatus") or {}
    state = update.get("State")
    message = update.get("Message") or ""
    if unchanged and state == "rollback_completed":
        state = "completed"

    def result(verdict: Verdict, reason: str = "") -> Assessment:
        return Assessment(verdict, reason, done, desired, unit, note, failures)

    if state == "paused":
        return result("paused", _with_task_error(f"update paused: {message}", message, failures))
    if state == "rollback_paused":
        return result("paused", _with_task_error(f"rollback paused: {message}", message, failures))
    if state == "rollback_completed":
        # "rollback completed" says nothing of why; the rollback_started message named the task
        cause = rollback_cause or message
        text = cause if cause.startswith("update rolled back") else f"update rolled back: {cause}"
        return result("rolled_back", _with_task_error(text, cause, failures, last_if_unnamed=True))
    if state == "rollback_started":
        return result("waiting")  # watch the rollback finish, so the swarm is left in a known state
    failure_action = (spec.get("UpdateConfig") or {}).get("FailureAction") or "pause"
    if state == "updating" and failure_action != "continue":
        # swarm's updater judges failures of tasks it is rolling out; let it pause or roll back
        return result("waiting")
    current_failures = [t for t in _by_creation(live) if _state(t) in _FAILED and _after(t, anchor)]
    exhausted = _exhausted(spec, current_failures, restart)
    if exhausted:
        return result("failing", exhausted)
    if len(current_failures) >= max_failures:
        last = current_failures[-1]
        return result(
            "failing",
            f"tasks keep failing: {len(current_failures)} tasks of the current version failed, "
            f"the last one with {_quoted(last)}",
        )
    if desired is not None and done >= desired and state in (None, "completed"):
        return result("converged")
    return result("waiting")


def _state(task: Json) -> str:
    return str((task.get("Status") or {}).get("State", ""))


def _node_up(task: Json, nodes: Mapping[str, Json]) -> bool:
    node = nodes.get(task.get("NodeID") or "")
    return node is None or (node.get("Status") or {}).get("State") != "down"


def _chosen(tasks: Iterable[Json], *, by_node: bool) -> dict[str, Json]:
    """One task per slot (per node for global services): the lowest desired, then observed, state."""
    out: dict[str, Json] = {}
    for task in tasks:
        key = str(task.get("NodeID", "")) if by_node else str(task.get("Slot", 0))
        rank = (_RANK.get(str(task.get("DesiredState")), 99), _RANK.get(_state(task), 99))
        best = out.get(key)
        if best is None or rank < (_RANK.get(str(best.get("DesiredState")), 99), _RANK.get(_state(best), 99)):
            out[key] = task
    return out


def _satisfied(task: Json, one_shot: bool, restart: str) -> bool:
    state = _state(task)
    if one_shot:
        return state == "complete"
    if state == "running":
        return _RANK.get(str(task.get("DesiredState")), 99) < _TERMINAL
    # restart on-failure leaves a task that exited 0 complete; swarm will not start it again
    return state == "complete" and restart == "on-failure"


def _exhausted(spec: Json, failed: Sequence[Json], restart: str) -> str:
    """Why swarm will not restart a failed task any more ('' while it still will)."""
    if not failed:
        return ""
    if restart == "none":
        return f"task {_task_name(spec.get('Name', ''), failed[-1])} failed with {_quoted(failed[-1])} (restart condition none)"
    attempts = int((spec.get("TaskTemplate", {}).get("RestartPolicy") or {}).get("MaxAttempts") or 0)
    if restart == "on-failure" and attempts > 0:
        per_slot: dict[str, int] = {}
        for task in failed:
            key = str(task.get("Slot", task.get("NodeID", "")))
            per_slot[key] = per_slot.get(key, 0) + 1
            if per_slot[key] > attempts:
                return (
                    f"task {_task_name(spec.get('Name', ''), task)} failed {per_slot[key]} times, "
                    f"the last one with {_quoted(task)} (restart max_attempts {attempts})"
                )
    return ""


def _by_creation(tasks: Iterable[Json]) -> list[Json]:
    """Oldest first (parsed: the engine trims trailing zeros of fractions, so text does not sort)."""
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(tasks, key=lambda t: parse_time(str(t.get("CreatedAt", ""))) or epoch)


def _note(name: str, live: Sequence[Json]) -> str:
    """What holds the service back: the first task not yet running whose status has an error."""
    for task in sorted(live, key=lambda t: (str(t.get("Slot", 0)), str(t.get("NodeID", "")))):
        err = (task.get("Status") or {}).get("Err")
        if err and _RANK.get(_state(task), 99) < _RANK["running"]:
            return f"{_task_name(name, task)} {_state(task)}: {err}"
    return ""


def _failure(service: str, task: Json, nodes: Mapping[str, Json]) -> TaskFailure:
    node_id = str(task.get("NodeID") or "")
    node = nodes.get(node_id) or {}
    hostname = (node.get("Description") or {}).get("Hostname") or node_id
    status = task.get("Status") or {}
    return TaskFailure(
        service=service,
        task=_task_name(service, task),
        task_id=str(task.get("ID", "")),
        node=str(hostname),
        state=_state(task),
        error=str(status.get("Err") or status.get("Message") or ""),
        timestamp=str(status.get("Timestamp", "")),
    )


def _task_name(service: str, task: Json) -> str:
    slot = task.get("Slot") or 0
    return f"{service}.{slot}" if slot else f"{service}.{task.get('NodeID', '')}"


def _quoted(task: Json) -> str:
    status = task.get("Status") or {}
    return f'"{status.get("Err") or status.get("Message") or _state(task)}"'


def _with_task_error(
    reason: str, message: str, failures: Sequence[TaskFailure], last_if_unnamed: bool = False
) -> str:
    """Add the error of the task swarm names in its message ('... of task <id>'), or of the last failure."""
    for failure in failures:
        if failure.task_id and failure.task_id in message:
            return f'{reason} ({failure.task} {failure.state}: "{failure.error}")'
    if last_if_unnamed and failures:
        last = failures[-1]
        return f'{reason} (last failed task: {last.task} {last.state}: "{last.error}")'
    return reason


def _after(task: Json, anchor: datetime | None) -> bool:
    if anchor is None:
        return True
    created = parse_time(str(task.get("CreatedAt", "")))
    return created is None or created >= anchor


# --- the loop ------------------------------------------------------------------------------------------


@dataclass
class _Track:
    service_id: str
    started: float
    name: str = ""
    anchor: datetime | None = None
    unchanged: bool = False
    converged_since: float | None = None
    rollback_cause: str = ""
    seen_failures: set[str] = field(default_factory=set)
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
        settle: float = 1.0,
        max_failures: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.gateway = gateway
        self.conditions = dict(conditions or {})
        self.on_event = on_event or (lambda event: None)
        self.interval = interval
        self.settle = settle
        self.max_failures = max_failures
        self.clock = clock
        self.sleep = sleep
        self.polls = 0
        self._nodes: dict[str, Json] | None = None

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
        try:
            while True:
                self._poll(tracks, outcomes)
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
                self.sleep(max(0.0, min(self.interval, deadline - now)))
        except KeyboardInterrupt:
            for sid in [s for s in tracks if s not in outcomes]:
                self._resolve(tracks[sid], outcomes, "interrupted", "left as it is: " + _waiting_for(tracks[sid].last))
            raise
        return {tracks[sid].name or sid: outcomes[sid] for sid in tracks}

    def _poll(self, tracks: dict[str, _Track], outcomes: dict[str, Outcome]) -> None:
        open_ids = [sid for sid in tracks if sid not in outcomes]
        self.polls += 1
        services = {s["ID"]: s for s in self.gateway.list_services({"id": open_ids}) if s.get("ID") in open_ids}
        for sid in open_ids:
            if sid not in services:
                self._resolve(tracks[sid], outcomes, "removed", "the service was removed while it was watched")
        ids = [sid for sid in open_ids if sid in services]
        if not ids:
            return
        try:
            current = self.gateway.list_tasks({"service": ids, "_up-to-date": ["true"]})
            # Outside updates every task of this rollout is up to date: one task list is enough.
            updating = any(_update_state(services[sid]) not in (None, "completed") for sid in ids)
            history = self.gateway.list_tasks({"service": ids}) if updating else current
        except EngineError as exc:
            if exc.status == 404:  # a service went away between the calls: the next poll says which
                return
            raise
        nodes = self._nodes_for(history)
        now = self.clock()
        for sid in ids:
            service, track = services[sid], tracks[sid]
            track.name = service.get("Spec", {}).get("Name", sid)
            if track.anchor is None:
                # Failures before this update are not this rollout's: count tasks created since the
                # service last changed (UpdatedAt, read right after the create or update call).
                track.anchor = parse_time(str(service.get("UpdatedAt") or service.get("CreatedAt") or ""))
            update = service.get("UpdateStatus") or {}
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
                if verdict.unit == "complete" or now - track.converged_since >= self.settle:
                    self._resolve(track, outcomes, "converged", _converged_reason(progress))
            else:
                track.converged_since = None
                if verdict.verdict != "waiting":
                    self._resolve(track, outcomes, verdict.verdict, verdict.reason)

    def _nodes_for(self, tasks: Sequence[Json]) -> dict[str, Json]:
        wanted = {str(t.get("NodeID")) for t in tasks if t.get("NodeID")}
        if self._nodes is None or not wanted <= set(self._nodes):
            self._nodes = {str(n["ID"]): n for n in self.gateway.list_nodes()}
        return self._nodes

    def _resolve(self, track: _Track, outcomes: dict[str, Outcome], state: OutcomeState, reason: str) -> None:
        elapsed = self.clock() - track.started
        progress = replace(track.last, elapsed=elapsed) if track.last is not None else None
        outcome = Outcome(track.name or track.service_id, track.service_id, state, reason, elapsed, progress)
        outcomes[track.service_id] = outcome
        self.on_event(outcome)


def _update_state(service: Json) -> str | None:
    state = (service.get("UpdateStatus") or {}).get("State")
    return None if state is None else str(state)


def _converged_reason(progress: Progress) -> str:
    return f"{progress.done}/{progress.desired} {progress.unit}"


def _waiting_for(progress: Progress | None) -> str:
    if progress is None:
        return "no state read yet"
    desired = "?" if progress.desired is None else str(progress.desired)
    text = f"{progress.done}/{desired} {progress.unit}"
    if progress.update_state:
        text += f", update {progress.update_state}"
    if progress.note:
        text += f"; {progress.note}"
    return text


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
    """RolloutFailed when any service failed (exit 3), else RolloutTimeout when any timed out (exit 4)."""
    outcomes = list(outcomes)
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise RolloutFailed("rollout failed: " + "; ".join(f"{o.service}: {o.reason}" for o in failed))
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
