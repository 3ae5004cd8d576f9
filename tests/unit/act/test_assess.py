"""act.assess (in act/watcher.py until it is split off): one service, one snapshot -> converged,
waiting or one of the failures, and why."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.act.assess import assess, lost_nodes
from composeswarm.dockerrules.timestamps import parse_time
from tests.support.fake_swarm import T0, node, service, task

Json = dict[str, Any]
NODES = {"n1": node("n1", "vm"), "n2": node("n2", "vm2"), "n3": node("n3", "vm3", state="down")}
ANCHOR = parse_time(T0)
BEFORE = "2026-11-29T09:59:59.5Z"  # a task from before the service last changed


@pytest.mark.parametrize(
    ("svc", "current", "history", "condition", "expected"),
    [
        pytest.param(
            service("s_web", replicas=2),
            [task("s_web", 1), task("s_web", 2)],
            None, None,
            ("converged", "", 2, 2, "running", ""),
            id="replicated: all running",
        ),
        pytest.param(
            service("s_web", replicas=2),
            [task("s_web", 1),
             task("s_web", 2, "pending", err="no suitable node (scheduling constraints not satisfied on 1 node)")],
            None, None,
            ("waiting", "", 1, 2, "running",
             "s_web.2 pending: no suitable node (scheduling constraints not satisfied on 1 node)"),
            id="replicated: one pending, with the scheduler's reason",
        ),
        pytest.param(
            service("s_web", replicas=2),
            [task("s_web", 1, "shutdown", "shutdown"), task("s_web", 1, "running"), task("s_web", 2, "starting")],
            None, None,
            ("waiting", "", 1, 2, "running", ""),
            id="replicated: one task per slot, the replacement counts",
        ),
        pytest.param(
            service("s_web", replicas=1),
            [task("s_web", 1, "running", "shutdown")],
            None, None,
            ("waiting", "", 0, 1, "running", ""),
            id="replicated: a running task told to shut down does not count",
        ),
        pytest.param(
            service("s_web", replicas=1),
            [task("s_web", 1, "running", node="n3")],
            None, None,
            ("waiting", "", 0, 1, "running", "node vm3 is down with s_web.1"),
            id="replicated: tasks on a down node do not count, the node is named",
        ),
        pytest.param(
            service("s_m", replicas=2, restart="none"),
            [task("s_m", 1, "complete", "shutdown"), task("s_m", 2, "complete", "shutdown")],
            None, None,
            ("converged", "", 2, 2, "complete", ""),
            id="restart none: complete",
        ),
        pytest.param(
            service("s_m", replicas=2, restart="none"),
            [task("s_m", 1, "complete", "shutdown"), task("s_m", 2, "running")],
            None, None,
            ("waiting", "", 1, 2, "complete", ""),
            id="restart none: running is not done",
        ),
        pytest.param(
            service("s_m", restart="none"),
            [task("s_m", 1, "failed", "shutdown", err="task: non-zero exit (1)")],
            None, None,
            ("failing", 'task s_m.1 failed with "task: non-zero exit (1)" (restart condition none)', 0, 1,
             "complete", ""),
            id="restart none: one failure is final",
        ),
        pytest.param(
            service("s_w", restart="on-failure"),
            [task("s_w", 1, "complete", "shutdown")],
            None, None,
            ("converged", "", 1, 1, "running", ""),
            id="on-failure: a task that exited 0 stays done",
        ),
        pytest.param(
            service("s_w", restart="on-failure"),
            [task("s_w", 1, "running")],
            None, "service_completed_successfully",
            ("waiting", "", 0, 1, "complete", ""),
            id="completed condition: running is not enough",
        ),
        pytest.param(
            service("s_w", restart="on-failure"),
            [task("s_w", 1, "complete", "shutdown")],
            None, "service_completed_successfully",
            ("converged", "", 1, 1, "complete", ""),
            id="completed condition: complete",
        ),
        pytest.param(
            service("s_w", restart="on-failure", max_attempts=1),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created="2026-11-29T10:00:01Z"),
             task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created="2026-11-29T10:00:03Z")],
            None, None,
            ("failing",
             'task s_w.1 failed 2 times, the last one with "task: non-zero exit (2)", and swarm starts no other (restart max_attempts 1)',
             0, 1, "running", ""),
            id="on-failure: max attempts used up",
        ),
        pytest.param(
            service("s_w"),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created=f"2026-11-29T10:00:0{i}Z")
             for i in (1, 3, 5)] + [task("s_w", 1, "starting", created="2026-11-29T10:00:07Z")],
            None, None,
            ("failing",
             'tasks keep failing: 3 tasks of the current version failed, the last one with "task: non-zero exit (2)"',
             0, 1, "running", ""),
            id="restart any: three failures",
        ),
        pytest.param(
            service("s_w"),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created="2026-11-29T10:00:03Z"),
             task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (3)", created="2026-11-29T10:00:03.5Z"),
             task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", created="2026-11-29T10:00:01Z")],
            None, None,
            ("failing",
             'tasks keep failing: 3 tasks of the current version failed, the last one with "task: non-zero exit (3)"',
             0, 1, "running", ""),
            id="the last failure by time, not by text",
        ),
        pytest.param(
            service("s_w"),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created=BEFORE),
             task("s_w", 1, "rejected", "shutdown", err="No such image: x", created=BEFORE),
             task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (2)", created="2026-11-29T10:00:01Z"),
             task("s_w", 1, "running", created="2026-11-29T10:00:03Z")],
            None, None,
            ("converged", "", 1, 1, "running", ""),
            id="failures from before the change do not count",
        ),
        pytest.param(
            service("s_w", update_state="updating"),
            [task("s_w", 1)],
            None, None,
            ("waiting", "", 1, 1, "running", ""),
            id="update in flight: not converged yet",
        ),
        pytest.param(
            service("s_w", update_state="updating"),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", created=f"2026-11-29T10:00:0{i}Z")
             for i in (1, 3, 5)],
            None, None,
            ("waiting", "", 0, 1, "running", ""),
            id="update in flight: swarm's failure action decides",
        ),
        pytest.param(
            service("s_w", update_state="updating", failure_action="continue"),
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", created=f"2026-11-29T10:00:0{i}Z")
             for i in (1, 3, 5)],
            None, None,
            ("failing",
             'tasks keep failing: 3 tasks of the current version failed, the last one with "task: non-zero exit (1)"',
             0, 1, "running", ""),
            id="update with failure_action continue: our count decides",
        ),
        pytest.param(
            service("s_w", update_state="completed"),
            [task("s_w", 1)],
            None, None,
            ("converged", "", 1, 1, "running", ""),
            id="update completed",
        ),
        pytest.param(
            service("s_w", update_state="paused",
                    update_message="update paused due to failure or early termination of task t-bad"),
            [task("s_w", 1)],
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", ident="t-bad")],
            None,
            ("paused",
             'update paused: update paused due to failure or early termination of task t-bad '
             '(s_w.1 failed: "task: non-zero exit (1)")',
             1, 1, "running", ""),
            id="update paused, with the failed task's error",
        ),
        pytest.param(
            service("s_w", update_state="rollback_started",
                    update_message="update rolled back due to failure or early termination of task t-bad"),
            [task("s_w", 1)],
            None, None,
            ("waiting", "", 1, 1, "running", ""),
            id="rollback in flight: watch it finish",
        ),
        pytest.param(
            service("s_w", update_state="rollback_completed", update_message="rollback completed"),
            [task("s_w", 1)],
            None, None,
            ("rolled_back", "update rolled back: rollback completed", 1, 1, "running", ""),
            id="rolled back",
        ),
        pytest.param(
            service("s_w", update_state="rollback_paused", update_message="rollback paused due to failure"),
            [task("s_w", 1)],
            None, None,
            ("paused", "rollback paused: rollback paused due to failure", 1, 1, "running", ""),
            id="rollback paused",
        ),
        pytest.param(
            service("s_g", mode="global"),
            [task("s_g", None, node="n1"), task("s_g", None, "starting", node="n2"), task("s_g", None, node="n3")],
            None, None,
            ("waiting", "", 1, 2, "running", "node vm3 is down with s_g.n3"),
            id="global: one task per live node",
        ),
        pytest.param(
            service("s_g", mode="global"),
            [],
            None, None,
            ("waiting", "", 0, None, "running", ""),
            id="global: no tasks yet",
        ),
        pytest.param(
            service("s_j", mode="replicated-job", total=3, iteration=2),
            [task("s_j", 0, "complete", "complete", iteration=1), task("s_j", 0, "complete", "complete", iteration=2),
             task("s_j", 1, "complete", "complete", iteration=2), task("s_j", 2, "running", "complete", iteration=2)],
            None, None,
            ("waiting", "", 2, 3, "complete", ""),
            id="replicated job: earlier iterations do not count",
        ),
        pytest.param(
            service("s_j", mode="replicated-job", total=2),
            [task("s_j", 0, "complete", "complete", iteration=0), task("s_j", 1, "complete", "complete", iteration=0)],
            None, None,
            ("converged", "", 2, 2, "complete", ""),
            id="replicated job: complete",
        ),
        pytest.param(
            service("s_gj", mode="global-job"),
            [task("s_gj", None, "complete", "complete", node="n1", iteration=0),
             task("s_gj", None, "complete", "complete", node="n2", iteration=0)],
            None, None,
            ("converged", "", 2, 2, "complete", ""),
            id="global job: complete on every node",
        ),
    ],
)
def test_assess(
    svc: Json, current: list[Json], history: list[Json] | None, condition: Any, expected: tuple[Any, ...]
) -> None:
    got = assess(
        svc, current, history if history is not None else current, NODES, condition=condition, anchor=ANCHOR
    )
    assert (got.verdict, got.reason, got.done, got.desired, got.unit, got.note) == expected


@pytest.mark.parametrize(
    ("cause", "history", "expected"),
    [
        pytest.param(
            "update rolled back due to failure or early termination of task t-bad",
            [task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", ident="t-bad"), task("s_w", 1)],
            'update rolled back due to failure or early termination of task t-bad '
            '(s_w.1 failed: "task: non-zero exit (1)")',
            id="the cause seen while rolling back names the task",
        ),
        pytest.param(
            "",
            [task("s_w", 2, "failed", "shutdown", err="task: non-zero exit (3)", ident="t-x"), task("s_w", 1)],
            'update rolled back: rollback completed (last failed task: s_w.2 failed: "task: non-zero exit (3)")',
            id="no cause seen: the last failed task",
        ),
    ],
)
def test_assess_rolled_back_says_why(cause: str, history: list[Json], expected: str) -> None:
    svc = service("s_w", update_state="rollback_completed", update_message="rollback completed")
    got = assess(svc, [task("s_w", 1)], history, NODES, anchor=ANCHOR, rollback_cause=cause)
    assert (got.verdict, got.reason) == ("rolled_back", expected)


def test_assess_lists_failures_of_rolled_back_versions() -> None:
    """Failed tasks no longer up to date (swarm rolled their version back) are still reported."""
    svc = service("s_w", update_state="rollback_completed", update_message="rollback completed")
    failed = task("s_w", 1, "failed", "shutdown", err="task: non-zero exit (1)", node="n2", ident="t-new")
    got = assess(svc, [task("s_w", 1)], [failed, task("s_w", 1)], NODES, anchor=ANCHOR)
    assert [(f.task, f.task_id, f.node, f.state, f.error) for f in got.failures] == [
        ("s_w.1", "t-new", "vm2", "failed", "task: non-zero exit (1)")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-11-29T11:16:39.142735443Z", "2026-11-29T11:16:39.142735+00:00", id="nanoseconds"),
        pytest.param("2026-11-29T11:16:39.1Z", "2026-11-29T11:16:39.100000+00:00", id="trailing zeros trimmed"),
        pytest.param("2026-11-29T11:16:39Z", "2026-11-29T11:16:39+00:00", id="whole seconds"),
        pytest.param("2026-11-29T12:16:39.5+01:00", "2026-11-29T12:16:39.500000+01:00", id="offset"),
    ],
)
def test_parse_time(text: str, expected: str) -> None:
    parsed = parse_time(text)
    assert parsed is not None and parsed.isoformat() == expected


def test_parse_time_orders_trimmed_fractions() -> None:
    """.1 s is before .14 s, though the text sorts the other way ('Z' > '4')."""
    early, late = parse_time("2026-11-29T11:16:39.1Z"), parse_time("2026-11-29T11:16:39.14Z")
    assert early is not None and late is not None and early < late


@pytest.mark.parametrize(
    ("unchanged", "verdict"),
    [
        pytest.param(False, "rolled_back", id="changed by this deploy: a failure"),
        pytest.param(True, "converged", id="unchanged: an earlier rollback is history"),
    ],
)
def test_assess_a_finished_rollback_of_an_unchanged_service(unchanged: bool, verdict: str) -> None:
    svc = service("s_db", update_state="rollback_completed", update_message="rollback completed")
    assert assess(svc, [task("s_db")], [task("s_db")], NODES, unchanged=unchanged).verdict == verdict


@pytest.mark.parametrize(
    ("tasks", "expected"),
    [
        pytest.param([task("s_web", 1, node="n1"), task("s_web", 2, node="n2")], [], id="every node up: none lost"),
        pytest.param(
            [task("s_web", 1, node="n1"), task("s_web", 4, node="n3"), task("s_web", 2, node="n3", desired="shutdown")],
            [("vm3", "n3", "down", ("s_web.2", "s_web.4"))],
            id="a down node with two tasks, by slot",
        ),
        pytest.param(
            [task("s_web", 3, node="n3", desired="shutdown"), task("s_web", 3, "ready", "shutdown", node="n3")],
            [("vm3", "n3", "down", ("s_web.3",))],
            id="an old and a new task of one slot: named once",
        ),
        pytest.param(
            [task("s_web", 2, "shutdown", "shutdown", node="n3"), task("s_web", 3, "failed", "shutdown", node="n3")],
            [],
            id="tasks that had stopped on the down node are not lost",
        ),
        pytest.param([task("s_web", None, node="n3")], [("vm3", "n3", "down", ("s_web.n3",))], id="global task"),
    ],
)
def test_lost_nodes(tasks: list[Json], expected: list[tuple[str, str, str, tuple[str, ...]]]) -> None:
    lost = lost_nodes("s_web", tasks, NODES)
    assert [(n.node, n.node_id, n.state, n.tasks) for n in lost] == expected


def _windowed(svc: Json, seconds: int) -> Json:
    """The service with a restart window (the engine stores nanoseconds)."""
    svc["Spec"]["TaskTemplate"]["RestartPolicy"]["Window"] = seconds * 10**9
    return svc


EXIT3 = "task: non-zero exit (3)"


@pytest.mark.parametrize(
    ("svc", "current", "expected"),
    [
        pytest.param(
            service("s_w", restart="on-failure", max_attempts=1),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:01Z"),
             task("s_w", 1, "failed", "running", err=EXIT3, created="2026-11-29T10:00:07Z")],
            ("failing", f'task s_w.1 failed 2 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 1)"),
            id="the issue's new user: max_attempts 1, two failures, before swarm marked the last one",
        ),
        pytest.param(
            service("s_w", restart="on-failure", max_attempts=1),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:01Z"),
             task("s_w", 1, "ready", "ready", created="2026-11-29T10:00:02Z")],
            ("waiting", ""),
            id="max_attempts 1, one failure: swarm made a replacement",
        ),
        pytest.param(
            service("s_w", restart="any", max_attempts=2),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created=f"2026-11-29T10:00:0{i}Z") for i in (1, 3)]
            + [task("s_w", 1, "complete", "shutdown", created="2026-11-29T10:00:05Z"),
               task("s_w", 1, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:07Z")],
            ("failing", f'task s_w.1 failed 3 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 2)"),
            id="condition any with max_attempts: a slot left without a task",
        ),
        pytest.param(
            _windowed(service("s_w", restart="on-failure", max_attempts=1), 10),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created=f"2026-11-29T10:00:0{i}Z") for i in (1, 3)]
            + [task("s_w", 1, "starting", "running", created="2026-11-29T10:00:05Z")],
            ("waiting", ""),
            id="a window: more failures than attempts, and swarm still restarts",
        ),
        pytest.param(
            _windowed(service("s_w", restart="on-failure", max_attempts=1), 10),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created=f"2026-11-29T10:00:0{i}Z") for i in (1, 3, 5)],
            ("failing", f'task s_w.1 failed 3 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 1)"),
            id="a window: the slot left without a task",
        ),
        pytest.param(
            service("s_w", replicas=3, restart="on-failure", max_attempts=1),
            [task("s_w", s, "failed", "shutdown", err=EXIT3, created=f"2026-11-29T10:00:0{s}Z") for s in (1, 2, 3)]
            + [task("s_w", s, "failed", "shutdown", err=EXIT3, created=f"2026-11-29T10:00:0{s + 3}Z") for s in (1, 2, 3)],
            ("failing", f'task s_w.1 failed 2 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 1)"),
            id="three replicas, every slot failed with no attempts left",
        ),
        pytest.param(
            service("s_w", replicas=2, restart="on-failure", max_attempts=1),
            [task("s_w", 1, "running", created="2026-11-29T10:00:01Z"),
             task("s_w", 2, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:01Z"),
             task("s_w", 2, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:07Z")],
            ("failing", f'task s_w.2 failed 2 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 1)"),
            id="one slot of two can never run again: it never converges",
        ),
        pytest.param(
            service("s_g", mode="global", restart="on-failure", max_attempts=1),
            [task("s_g", None, "failed", "shutdown", err=EXIT3, node="n1", created="2026-11-29T10:00:01Z"),
             task("s_g", None, "failed", "shutdown", err=EXIT3, node="n1", created="2026-11-29T10:00:07Z"),
             task("s_g", None, "running", node="n2")],
            ("failing", f'task s_g.n1 failed 2 times, the last one with "{EXIT3}", and swarm starts no other '
                        "(restart max_attempts 1)"),
            id="global: per node",
        ),
        pytest.param(
            service("s_w", restart="on-failure"),
            [task("s_w", 1, "failed", "shutdown", err=EXIT3, created="2026-11-29T10:00:01Z")],
            ("waiting", ""),
            id="no max_attempts: swarm restarts for ever (the count of failures decides)",
        ),
    ],
)
def test_assess_a_failure_that_cannot_heal_fails_at_once(svc: Json, current: list[Json], expected: tuple[str, str]) -> None:
    got = assess(svc, current, current, NODES, anchor=ANCHOR)
    assert (got.verdict, got.reason) == expected
