"""One service, one snapshot -> where its rollout stands (pure): converged, waiting, paused, rolled
back or failing, with the failed tasks to show.

Converged: every desired task running (or complete, for one-shot services: jobs, restart condition
none, or a dependency asked to complete), and no update in flight (UpdateStatus absent or
completed). Swarm reports a task with a healthcheck `running` only once the check passed (it stays
`starting` until then), so `service_healthy` asks nothing more. Failed: the update paused, swarm
rolled it back (failure_action: rollback counts as a failure: the file's version is not what runs),
or tasks of the current version keep failing. The event types live in `act.events`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from composeswarm.dockerrules.modes import mode_name
from composeswarm.dockerrules.timestamps import parse_time
from composeswarm.act.events import (
    NodeLost,
    TaskFailure,
    Verdict,
)
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
    counted: tuple[Json, ...] = ()  # the tasks counted in `done` (their timestamps start the settle)


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
        counted = [t for t in live if _state(t) == "complete"]
    else:
        chosen = _chosen(live, by_node=mode in ("global", "global-job"))
        if mode == "replicated":
            desired = int((spec.get("Mode", {}).get("Replicated") or {}).get("Replicas", 1))
        else:
            desired = len(chosen) or None
        counted = [t for t in chosen.values() if _satisfied(t, one_shot, restart)]
    done = len(counted)

    failures = tuple(
        _failure(name, t, nodes) for t in _by_creation(history) if _state(t) in _FAILED and _after(t, anchor)
    )
    # what holds the service back: a task not yet running with an error, else tasks on a lost node
    note = _note(name, live) or "; ".join(
        f"node {lost.node} is {lost.state} with {', '.join(lost.tasks)}" for lost in lost_nodes(name, current, nodes)
    )
    update = service.get("UpdateStatus") or {}
    state = update.get("State")
    message = update.get("Message") or ""
    if unchanged and state == "rollback_completed":
        state = "completed"

    def result(verdict: Verdict, reason: str = "") -> Assessment:
        return Assessment(verdict, reason, done, desired, unit, note, failures, tuple(counted))

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
    exhausted = _exhausted(spec, current_failures, restart) or (
        "" if mode.endswith("job") else _dead_slot(spec, [t for t in live if _after(t, anchor)], restart, by_node=mode == "global")
    )
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


_LOST = ("down", "disconnected")


def lost_nodes(service: str, tasks: Iterable[Json], nodes: Mapping[str, Json]) -> tuple[NodeLost, ...]:
    """The lost nodes holding tasks of this service that had not stopped yet, each with those tasks."""
    held: dict[str, list[str]] = {}
    for task in sorted(tasks, key=lambda t: (int(t.get("Slot") or 0), str(t.get("NodeID", "")))):
        node_id = str(task.get("NodeID") or "")
        state = ((nodes.get(node_id) or {}).get("Status") or {}).get("State")
        if state in _LOST and _RANK.get(_state(task), 99) < _TERMINAL:
            names = held.setdefault(node_id, [])
            if _task_name(service, task) not in names:  # an old and a new task of one slot: one name
                names.append(_task_name(service, task))
    out = []
    for node_id, names in held.items():
        node = nodes[node_id]
        hostname = (node.get("Description") or {}).get("Hostname") or node_id
        out.append(NodeLost(service, str(hostname), node_id, str(node["Status"]["State"]), tuple(names)))
    return tuple(out)


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
    policy = spec.get("TaskTemplate", {}).get("RestartPolicy") or {}
    attempts = int(policy.get("MaxAttempts") or 0)
    # counting holds without a window only: with one, swarm counts the restarts inside it (_dead_slot)
    if restart in ("on-failure", "any") and attempts > 0 and not policy.get("Window"):
        per_slot: dict[str, int] = {}
        for task in failed:
            key = str(task.get("Slot", task.get("NodeID", "")))
            per_slot[key] = per_slot.get(key, 0) + 1
            if per_slot[key] > attempts:
                return (
                    f"task {_task_name(spec.get('Name', ''), task)} failed {per_slot[key]} times, "
                    f"the last one with {_quoted(task)}, and swarm starts no other (restart max_attempts {attempts})"
                )
    return ""


def _dead_slot(spec: Json, live: Sequence[Json], restart: str, *, by_node: bool) -> str:
    """A slot swarm will start no task in again, when the restart policy limits the attempts ('' if none).

    Swarm decides in one transaction: the failed task's desired state becomes shutdown and, when the
    policy allows another attempt, a replacement task is created. So a slot whose newest task failed
    and is desired shut down, with no task that may still run, is one swarm gave up on. This holds
    with a restart window too, where counting failures cannot tell.
    """
    policy = spec.get("TaskTemplate", {}).get("RestartPolicy") or {}
    attempts = int(policy.get("MaxAttempts") or 0)
    if restart == "none" or attempts <= 0:
        return ""
    slots: dict[str, list[Json]] = {}
    for task in _by_creation(live):
        slots.setdefault(str(task.get("NodeID", "")) if by_node else str(task.get("Slot", 0)), []).append(task)
    for tasks in slots.values():
        newest = tasks[-1]
        may_run = any(_RANK.get(str(t.get("DesiredState")), 99) <= _RANK["running"] for t in tasks)
        if may_run or _state(newest) not in _FAILED or newest.get("DesiredState") != "shutdown":
            continue
        failed = sum(1 for t in tasks if _state(t) in _FAILED)
        times = "once" if failed == 1 else f"{failed} times"
        return (
            f"task {_task_name(spec.get('Name', ''), newest)} failed {times}, the last one with {_quoted(newest)}, "
            f"and swarm starts no other (restart max_attempts {attempts})"
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
