"""What a watched rollout reports, as data: the events the watcher hands to `on_event` (render.progress
draws them) and how each service's wait ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

OutcomeState = Literal[
    "converged", "rolled_back", "paused", "failing", "removed", "timed_out", "interrupted", "abandoned", "unknown"
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

    def summary(self, spaced: bool = False) -> str:
        """`2/4 running, update updating; <note>` (`spaced`: the update state in words, `rollback started`)."""
        desired = "?" if self.desired is None else str(self.desired)
        text = f"{self.done}/{desired} {self.unit}"
        if self.update_state:
            text += f", update {self.update_state.replace('_', ' ') if spaced else self.update_state}"
        if self.note:
            text += f"; {self.note}"
        return text


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
class NodeLost:
    """A node that went down (or lost its manager) while it held live tasks of a watched service."""

    service: str
    node: str  # hostname when known, else the node ID
    node_id: str
    state: str  # the node's state as the manager sees it: down or disconnected
    tasks: tuple[str, ...]  # the names of the tasks on it, as `_task_name` writes them


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


@dataclass(frozen=True, slots=True)
class FailureLogs:
    """The last lines of the log of the task a failed service is judged by (masked), or why none."""

    service: str
    task: str
    task_id: str
    lines: tuple[str, ...]
    error: str = ""  # the log could not be read: why


@dataclass(frozen=True, slots=True)
class EngineLost:
    """The engine stopped answering during the wait; the wait goes on until it answers or the time is up."""

    reason: str


@dataclass(frozen=True, slots=True)
class EngineBack:
    """The engine answers again after `away` seconds."""

    away: float


Event = Progress | TaskFailure | NodeLost | Outcome | FailureLogs | EngineLost | EngineBack
