"""Rollout progress: live lines on a terminal, timestamped lines on a pipe or in CI, a final report.

`ProgressRenderer` is the `on_event` of composeswarm.act.watcher (events are act.assess types). On a terminal it draws one line per
service with rich (tasks done/desired, update state, elapsed, what it waits for); elsewhere it
prints one plain line per change of state. Failed tasks are printed as they happen, with the error
text exactly as `docker service ps --no-trunc` shows it. Used as a context manager, it prints the
final report (each service's outcome) when the block ends, whether or not it raised.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import IO, Any

from composeswarm.act.events import (

    EngineBack,

    EngineLost,

    Event,

    FailureLogs,

    NodeLost,

    Outcome,

    Progress,

    TaskFailure,

)
from composeswarm.errors import MAX_LINE, escape_unsafe, shorten

LABELS = {
    "converged": "converged",
    "rolled_back": "rolled back",
    "paused": "paused",
    "failing": "failing",
    "removed": "removed",
    "timed_out": "timed out",
    "interrupted": "interrupted",
    "abandoned": "not waited for",
    "unknown": "unknown",
    "not_started": "not started",
}
_STYLE = {"converged": "green", "timed_out": "yellow", "interrupted": "yellow", "abandoned": "dim", "not_started": "dim"}


def is_plain(stream: IO[str]) -> bool:
    """Plain lines unless the stream is a terminal outside CI."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        return True
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def progress_text(progress: Progress) -> str:
    """`2/4 running, update updating; cs_web.3 pending: no suitable node (...)`."""
    return progress.summary(spaced=True)


def failure_text(failure: TaskFailure) -> str:
    """`cs_web: task cs_web.1 (ID) on vm failed: "task: non-zero exit (1)"`."""
    node = f" on {failure.node}" if failure.node else ""
    return f'{failure.service}: task {failure.task} ({failure.task_id}){node} {failure.state}: "{failure.error}"'


def node_lost_text(lost: NodeLost) -> str:
    """`cs_web: node n3 is down, with tasks cs_web.2, cs_web.4`."""
    tasks = ", ".join(lost.tasks)
    return f"{lost.service}: node {lost.node} is {lost.state}, with task{'s' if len(lost.tasks) > 1 else ''} {tasks}"


def failure_logs_lines(logs: FailureLogs) -> list[str]:
    """`cs_app: the last 2 lines of the log of task cs_app.1 (ID):` and the lines, indented (escaped, cut)."""
    head = f"{logs.service}: "
    if logs.error:
        return [head + f"the log of task {logs.task} ({logs.task_id}) could not be read: {logs.error}"]
    if not logs.lines:
        return [head + f"the log of task {logs.task} ({logs.task_id}) is empty"]
    count = "the last line" if len(logs.lines) == 1 else f"the last {len(logs.lines)} lines"
    return [head + f"{count} of the log of task {logs.task} ({logs.task_id}):"] + [
        "  | " + shorten(escape_unsafe(line), MAX_LINE) for line in logs.lines
    ]


def engine_text(event: EngineLost | EngineBack) -> str:
    """`engine: list services: cannot reach ...; waiting until it answers` / `engine: answers again after 4.2 s`."""
    if isinstance(event, EngineLost):
        return f"engine: {event.reason}; waiting until it answers again"
    return f"engine: answers again after {event.away:.1f} s"


def outcome_text(outcome: Outcome) -> str:
    """`cs_web: converged (4/4 running) after 12.3 s`."""
    label = LABELS.get(outcome.state, outcome.state)
    return f"{outcome.service}: {label} ({outcome.reason}) after {outcome.elapsed:.1f} s"


def report_lines(outcomes: Sequence[Outcome], not_started: Iterable[str] = ()) -> list[str]:
    """The final report: a count per outcome, then one line per service."""
    rows = [(o.service, LABELS.get(o.state, o.state), o.reason, f"{o.elapsed:.1f} s") for o in outcomes]
    rows += [(name, LABELS["not_started"], "not deployed: an earlier wave did not converge", "") for name in not_started]
    if not rows:
        return []
    counts: dict[str, int] = {}
    for _, label, _, _ in rows:
        counts[label] = counts.get(label, 0) + 1
    lines = ["rollout: " + ", ".join(f"{n} {label}" for label, n in counts.items())]
    width_name = max(len(r[0]) for r in rows)
    width_label = max(len(r[1]) for r in rows)
    for name, label, reason, elapsed in rows:
        line = f"  {name:<{width_name}}  {label:<{width_label}}  {reason}"
        if elapsed:
            line += f"  ({elapsed})"
        lines.append(line.rstrip())
    return lines


def outcomes_json(outcomes: Iterable[Outcome]) -> list[dict[str, Any]]:
    """Outcomes as JSON-ready mappings (for `-o json`)."""
    out = []
    for o in outcomes:
        item: dict[str, Any] = {"service": o.service, "id": o.service_id, "outcome": o.state, "reason": o.reason,
                                "elapsed": round(o.elapsed, 3)}
        if o.progress is not None:
            item.update(done=o.progress.done, desired=o.progress.desired, unit=o.progress.unit,
                        update_state=o.progress.update_state)
        out.append(item)
    return out


class ProgressRenderer:
    """The watcher's `on_event`: live lines on a terminal, plain lines elsewhere, and a final report."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        plain: bool | None = None,
        waves: Sequence[Sequence[str]] = (),
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.plain = is_plain(self.stream) if plain is None else plain
        self.waves = [list(w) for w in waves]  # the deploy's waves, to name what a failure left out
        self.now = now
        self.progress: dict[str, Progress] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.failure_logs: dict[str, FailureLogs] = {}
        self._said: dict[str, str] = {}
        self._live: Any = None

    # --- the event sink ---------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """Take one watcher event."""
        if isinstance(event, Progress):
            self.progress[event.service] = event
            line = f"{event.service}: {progress_text(event)}"
            # Plain output: one line per change (the elapsed time is not part of the comparison).
            if self.plain and event.service not in self.outcomes and self._said.get(event.service) != line:
                self._said[event.service] = line
                self._print(line)
        elif isinstance(event, TaskFailure):
            self._print(failure_text(event))
        elif isinstance(event, NodeLost):
            self._print(node_lost_text(event))
        elif isinstance(event, FailureLogs):
            self.failure_logs[event.service] = event
            for line in failure_logs_lines(event):
                self._print(line)
        elif isinstance(event, (EngineLost, EngineBack)):
            self._print(engine_text(event))
        else:
            self.outcomes[event.service] = event
            if self.plain:
                self._print(outcome_text(event))
        if self._live is not None:
            self._live.update(self._table(), refresh=True)

    def echo(self, text: str, stream: IO[str] | None = None) -> None:
        """A line of the deploy's own (`Creating service s_web`) to `stream` (stdout), above the live lines."""
        out = stream if stream is not None else sys.stdout
        isatty = getattr(out, "isatty", None)
        if self._live is not None and isatty is not None and isatty():
            # the same screen: printed through the live display, which redraws itself below
            self._live.console.print(text, markup=False, highlight=False)
        else:
            out.write(text + "\n")
            out.flush()

    def _print(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            stamp = self.now().strftime("%H:%M:%S")
            self.stream.write(f"{stamp} {text}\n")
            self.stream.flush()

    # --- the terminal view ------------------------------------------------------------------------

    def _table(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 2))
        for _ in range(4):
            grid.add_column()
        for name in dict.fromkeys([*self.progress, *self.outcomes]):
            outcome = self.outcomes.get(name)
            progress = outcome.progress if outcome is not None and outcome.progress else self.progress.get(name)
            text = progress_text(progress) if progress is not None else ""
            elapsed = outcome.elapsed if outcome is not None else (progress.elapsed if progress else 0.0)
            if outcome is not None:
                label = LABELS.get(outcome.state, outcome.state)
                status = Text(label, style=_STYLE.get(outcome.state, "red bold"))
                if outcome.state != "converged":
                    text = outcome.reason
            else:
                status = Text("…", style="cyan")
            grid.add_row(Text(name, style="bold"), status, Text(text), Text(f"{elapsed:5.1f} s", style="dim"))
        return grid

    # --- context manager: live display while the block runs, final report at the end ------------

    def __enter__(self) -> ProgressRenderer:
        if not self.plain:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream, force_terminal=True)
            # stdout stays stdout (`echo` routes the deploy's lines): redirected into this stderr
            # console, `deploy > file` on a terminal would lose them
            self._live = Live(
                self._table(), console=console, auto_refresh=False, transient=True,
                redirect_stdout=False, redirect_stderr=False,
            )
            self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, exc, tb)
            self._live = None
        self.report()

    def ordered(self) -> list[Outcome]:
        """The outcomes wave by wave, then by name (the order services resolved in is a race)."""
        wave_of = {name: i for i, wave in enumerate(self.waves) for name in wave}
        return sorted(self.outcomes.values(), key=lambda o: (wave_of.get(o.service, len(self.waves)), o.service))

    def report(self) -> None:
        """Print the final report (nothing when no service was watched)."""
        for line in report_lines(self.ordered(), self.not_started()):
            self.stream.write(line + "\n")
        self.stream.flush()

    def not_started(self) -> list[str]:
        """Services of the waves after the last one watched, when the wait stopped early."""
        if all(o.state == "converged" for o in self.outcomes.values()):
            return []
        reached = max((i for i, wave in enumerate(self.waves) if any(n in self.outcomes for n in wave)), default=-1)
        return [name for wave in self.waves[reached + 1 :] for name in wave]
