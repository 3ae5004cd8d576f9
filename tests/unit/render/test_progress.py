"""render.progress: plain lines per change, task errors as docker shows them, the final report."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from composeswarm.render.progress import ProgressRenderer, outcomes_json, report_lines
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

NOON = datetime(2026, 11, 29, 12, 0, 5, tzinfo=timezone.utc)


def progress(done: int, desired: int | None = 2, update: str | None = None, note: str = "", name: str = "s_web",
             elapsed: float = 1.0) -> Progress:
    return Progress(name, f"id-{name}", "replicated", done, desired, "running", update, note, elapsed)


def outcome(state: str, reason: str, name: str = "s_web", elapsed: float = 12.34) -> Outcome:
    return Outcome(name, f"id-{name}", state, reason, elapsed, progress(2))  # type: ignore[arg-type]


FAILURE = TaskFailure("s_web", "s_web.1", "t1", "vm", "failed", "task: non-zero exit (1)", "2026-11-29T12:00:04Z")


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [progress(0), progress(0, elapsed=1.5), progress(1), progress(2), outcome("converged", "2/2 running")],
            [
                "12:00:05 s_web: 0/2 running",
                "12:00:05 s_web: 1/2 running",
                "12:00:05 s_web: 2/2 running",
                "12:00:05 s_web: converged (2/2 running) after 12.3 s",
            ],
            id="one line per change, not per poll",
        ),
        pytest.param(
            [progress(1, update="updating"), progress(1, update="rollback_started"), FAILURE],
            [
                "12:00:05 s_web: 1/2 running, update updating",
                "12:00:05 s_web: 1/2 running, update rollback started",
                '12:00:05 s_web: task s_web.1 (t1) on vm failed: "task: non-zero exit (1)"',
            ],
            id="update states and a failed task",
        ),
        pytest.param(
            [progress(0, 1, note="s_web.1 pending: no suitable node (scheduling constraints not satisfied on 1 node)")],
            ["12:00:05 s_web: 0/1 running; s_web.1 pending: no suitable node (scheduling constraints not satisfied "
             "on 1 node)"],
            id="what it waits for",
        ),
        pytest.param(
            [progress(0, None, name="s_g")],
            ["12:00:05 s_g: 0/? running"],
            id="global service before its tasks exist",
        ),
        pytest.param(
            [NodeLost("s_web", "vm3", "n3", "down", ("s_web.2", "s_web.4")), NodeLost("s_g", "vm3", "n3", "down", ("s_g.n3",))],
            ["12:00:05 s_web: node vm3 is down, with tasks s_web.2, s_web.4", "12:00:05 s_g: node vm3 is down, with task s_g.n3"],
            id="a lost node and its tasks",
        ),
        pytest.param(
            [FailureLogs("s_web", "s_web.1", "t1", ("starting", "FATAL: config missing DB_URL\x1b[2J"))],
            ["12:00:05 s_web: the last 2 lines of the log of task s_web.1 (t1):",
             "12:00:05   | starting",
             "12:00:05   | FATAL: config missing DB_URL\\x1b[2J"],
            id="the failed task's last log lines, escaped",
        ),
        pytest.param(
            [FailureLogs("s_web", "s_web.1", "t1", ("one",)), FailureLogs("s_w", "s_w.1", "t2", ()),
             FailureLogs("s_x", "s_x.1", "t3", (), error="read logs of task t3: no such task")],
            ["12:00:05 s_web: the last line of the log of task s_web.1 (t1):",
             "12:00:05   | one",
             "12:00:05 s_w: the log of task s_w.1 (t2) is empty",
             "12:00:05 s_x: the log of task s_x.1 (t3) could not be read: read logs of task t3: no such task"],
            id="one line, none, unreadable",
        ),
        pytest.param(
            [EngineLost("list services: cannot reach the Docker engine at unix:///x.sock (from DOCKER_HOST): "
                        "no such socket"), EngineBack(4.25)],
            ["12:00:05 engine: list services: cannot reach the Docker engine at unix:///x.sock (from DOCKER_HOST): "
             "no such socket; waiting until it answers again",
             "12:00:05 engine: answers again after 4.2 s"],
            id="the engine away and back",
        ),
    ],
)
def test_plain_lines(events: list[Event], expected: list[str]) -> None:
    out = io.StringIO()
    view = ProgressRenderer(out, plain=True, now=lambda: NOON)
    for event in events:
        view(event)
    assert out.getvalue().splitlines() == expected


def test_report_lines() -> None:
    outcomes = [
        outcome("converged", "1/1 running", name="s_db", elapsed=2.0),
        outcome("rolled_back", "update rolled back: rollback completed", name="s_web"),
    ]
    assert report_lines(outcomes, ["s_api"]) == [
        "rollout: 1 converged, 1 rolled back, 1 not started",
        "  s_db   converged    1/1 running  (2.0 s)",
        "  s_web  rolled back  update rolled back: rollback completed  (12.3 s)",
        "  s_api  not started  not deployed: an earlier wave did not converge",
    ]


@pytest.mark.parametrize(
    ("outcomes", "expected_tail"),
    [
        pytest.param(
            [outcome("converged", "1/1 running", name="s_a")],
            ["rollout: 1 converged", "  s_a  converged  1/1 running  (12.3 s)"],
            id="all converged: later waves are not mentioned",
        ),
        pytest.param(
            [outcome("timed_out", "0/1 running", name="s_a")],
            [
                "rollout: 1 timed out, 2 not started",
                "  s_a  timed out    0/1 running  (12.3 s)",
                "  s_b  not started  not deployed: an earlier wave did not converge",
                "  s_c  not started  not deployed: an earlier wave did not converge",
            ],
            id="a wave stopped: the services of later waves",
        ),
    ],
)
def test_report_at_the_end_of_the_block(outcomes: list[Outcome], expected_tail: list[str]) -> None:
    out = io.StringIO()
    with ProgressRenderer(out, plain=True, waves=[["s_a"], ["s_b"], ["s_c"]], now=lambda: NOON) as view:
        for o in outcomes:
            view(o)
    assert out.getvalue().splitlines()[len(outcomes):] == expected_tail


def test_report_is_printed_when_the_block_raises() -> None:
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with ProgressRenderer(out, plain=True, now=lambda: NOON) as view:
            view(outcome("interrupted", "left as it is: 1/2 running"))
            raise KeyboardInterrupt
    assert out.getvalue().splitlines()[-2:] == [
        "rollout: 1 interrupted",
        "  s_web  interrupted  left as it is: 1/2 running  (12.3 s)",
    ]


def test_live_view_on_a_terminal_ends_with_the_report() -> None:
    out = io.StringIO()
    with ProgressRenderer(out, plain=False, now=lambda: NOON) as view:
        view(progress(1))
        view(FAILURE)
        view(outcome("converged", "2/2 running"))
    text = out.getvalue()
    assert "\x1b[" in text  # drawn with rich
    assert 's_web: task s_web.1 (t1) on vm failed: "task: non-zero exit (1)"' in text
    assert text.endswith("rollout: 1 converged\n  s_web  converged  2/2 running  (12.3 s)\n")


def test_outcomes_json() -> None:
    assert outcomes_json([outcome("converged", "2/2 running")]) == [
        {"service": "s_web", "id": "id-s_web", "outcome": "converged", "reason": "2/2 running", "elapsed": 12.34,
         "done": 2, "desired": 2, "unit": "running", "update_state": None}
    ]


def test_report_lists_services_wave_by_wave_then_by_name() -> None:
    out = io.StringIO()
    with ProgressRenderer(out, plain=True, waves=[["s_db", "s_cache"], ["s_web"]], now=lambda: NOON) as view:
        for name in ("s_web", "s_db", "s_cache"):
            view(outcome("converged", "1/1 running", name=name, elapsed=1.0))
    assert out.getvalue().splitlines()[3:] == [
        "rollout: 3 converged",
        "  s_cache  converged  1/1 running  (1.0 s)",
        "  s_db     converged  1/1 running  (1.0 s)",
        "  s_web    converged  1/1 running  (1.0 s)",
    ]
