"""act.watcher: Watcher and Waiter against the fake swarm's scripted polls and a fake clock: calls,
outcomes, errors."""

from __future__ import annotations

import pytest

from composeswarm.errors import RolloutFailed, RolloutTimeout
from composeswarm.act.assess import Event, NodeLost, Outcome, Progress, TaskFailure
from composeswarm.act.watcher import Waiter, Watcher, raise_for
from tests.support.fake_swarm import Clock, FakeSwarm, Snapshot, node, service, task

PENDING = "no suitable node (scheduling constraints not satisfied on 1 node)"


def watcher(gw: FakeSwarm, clock: Clock, events: list[Event] | None = None, **kwargs: object) -> Watcher:
    sink = events.append if events is not None else None
    return Watcher(gw, on_event=sink, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def states(outcomes: dict[str, Outcome]) -> dict[str, tuple[str, str]]:
    return {name: (o.state, o.reason) for name, o in outcomes.items()}


@pytest.mark.parametrize(
    ("update_state", "per_poll", "polls"),
    [
        # converged at the first poll (0 s), stable for `settle` at the third (1.0 s)
        pytest.param(None, ["list services", "list tasks up-to-date"], 3, id="created: two calls"),
        pytest.param("completed", ["list services", "list tasks up-to-date"], 3, id="update completed: two calls"),
        # the update completes at the second poll (0.5 s), stable at the fourth (1.5 s)
        pytest.param("updating", ["list services", "list tasks up-to-date", "list tasks"], 4,
                     id="update in flight: three calls"),
    ],
)
def test_calls_per_poll_do_not_grow_with_the_services(
    update_state: str | None, per_poll: list[str], polls: int
) -> None:
    names = [f"s_{i}" for i in range(5)]
    first = [service(n, update_state=update_state) for n in names]
    done = [service(n, update_state="completed" if update_state else None) for n in names]
    gw = FakeSwarm(snapshots=[Snapshot(first, [task(n) for n in names]), Snapshot(done, [task(n) for n in names])])
    clock = Clock()
    outcomes = watcher(gw, clock, settle=1.0, interval=0.5).wait([f"id-{n}" for n in names], clock.now + 60)
    ids = ",".join(f"id-{n}" for n in names)
    words = {"list services": f"list services id={ids}", "list tasks up-to-date": f"list tasks service={ids} up-to-date",
             "list tasks": f"list tasks service={ids}"}
    poll = [words[w] for w in per_poll]
    quiet = [words["list services"], words["list tasks up-to-date"]]
    assert gw.calls == poll + ["list nodes"] + quiet * (polls - 1)
    assert states(outcomes) == {n: ("converged", "1/1 running") for n in names}


def test_only_open_services_are_polled() -> None:
    gw = FakeSwarm(snapshots=[
        Snapshot([service("s_a"), service("s_b")], [task("s_a"), task("s_b", state="starting")]),
        Snapshot([service("s_a"), service("s_b")], [task("s_a"), task("s_b")]),
    ])
    clock = Clock()
    watcher(gw, clock, settle=0).wait(["id-s_a", "id-s_b"], clock.now + 60)
    assert [c for c in gw.calls if c.startswith("list services")] == [
        "list services id=id-s_a,id-s_b",
        "list services id=id-s_b",
    ]


def test_converged_only_after_settling() -> None:
    """A task that runs for a moment and then fails is not "converged"."""
    svc = service("s_w")
    running = task("s_w", created="2026-11-29T10:00:01Z")
    gw = FakeSwarm(snapshots=[
        Snapshot([svc], [running]),
        Snapshot([svc], [task("s_w", state="failed", desired="shutdown", err="task: non-zero exit (1)"),
                         task("s_w", state="starting", created="2026-11-29T10:00:02Z")]),
        Snapshot([svc], [task("s_w", created="2026-11-29T10:00:02Z")]),
    ])
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, settle=1.0, interval=0.5).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    assert outcomes["s_w"].elapsed == 2.0  # converged at 1.0 s, stable at 2.0 s
    failures = [e for e in events if isinstance(e, TaskFailure)]
    assert [(f.task, f.error) for f in failures] == [("s_w.1", "task: non-zero exit (1)")]


def test_task_failures_are_reported_once() -> None:
    failed = task("s_w", state="failed", desired="shutdown", err="task: non-zero exit (1)", ident="t1")
    gw = FakeSwarm(snapshots=[Snapshot([service("s_w")], [failed, task("s_w", state="starting")])])
    clock = Clock()
    events: list[Event] = []
    watcher(gw, clock, events).wait(["id-s_w"], clock.now + 2)
    assert [e.task_id for e in events if isinstance(e, TaskFailure)] == ["t1"]


def test_timeout_names_what_each_service_waits_for() -> None:
    gw = FakeSwarm(snapshots=[Snapshot(
        [service("s_web"), service("s_db")],
        [task("s_web", state="pending", err=PENDING), task("s_db")],
    )])
    clock = Clock()
    w = watcher(gw, clock, settle=0)
    outcomes = w.wait(["id-s_web", "id-s_db"], clock.now + 10)
    assert states(outcomes) == {
        "s_web": ("timed_out", f"0/1 running; s_web.1 pending: {PENDING}"),
        "s_db": ("converged", "1/1 running"),
    }
    assert clock.now == 110.0
    with pytest.raises(RolloutTimeout) as caught:
        raise_for(outcomes.values(), 10)
    assert str(caught.value) == f"timed out after 10 s waiting for s_web (0/1 running; s_web.1 pending: {PENDING})"
    assert caught.value.exit_code == 4


def test_a_failure_stops_the_wait_for_the_others() -> None:
    rolled = service("s_web", update_state="rollback_completed", update_message="rollback completed")
    gw = FakeSwarm(snapshots=[Snapshot([rolled, service("s_db")], [task("s_web"), task("s_db", state="starting")])])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_web", "id-s_db"], clock.now + 60)
    assert states(outcomes) == {
        "s_web": ("rolled_back", "update rolled back: rollback completed"),
        "s_db": ("abandoned", "not waited for: another service failed"),
    }
    with pytest.raises(RolloutFailed) as caught:
        raise_for(outcomes.values(), 60)
    assert str(caught.value) == "rollout failed: s_web: update rolled back: rollback completed"
    assert caught.value.exit_code == 3


def test_a_removed_service_fails() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([], [])])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_gone"], clock.now + 60)
    assert states(outcomes) == {"id-s_gone": ("removed", "the service was removed while it was watched")}
    assert gw.calls == ["list services id=id-s_gone"]


def test_ctrl_c_leaves_the_services_and_says_where_they_were() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_web", replicas=2)], [task("s_web", 1), task("s_web", 2, "starting")])])
    clock = Clock(interrupt_at=101.0)
    events: list[Event] = []
    with pytest.raises(KeyboardInterrupt):
        watcher(gw, clock, events, interval=0.5).wait(["id-s_web"], clock.now + 60)
    outcome = events[-1]
    assert isinstance(outcome, Outcome)
    assert (outcome.service, outcome.state, outcome.reason) == ("s_web", "interrupted", "left as it is: 1/2 running")


def test_progress_events_carry_counts_and_update_state() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_web", replicas=4, update_state="updating")],
                               [task("s_web", i) for i in (1, 2)] + [task("s_web", 3, "ready")])])
    clock = Clock()
    events: list[Event] = []
    watcher(gw, clock, events).wait(["id-s_web"], clock.now)
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress == [Progress("s_web", "id-s_web", "replicated", 2, 4, "running", "updating", "", 0.0)]


def test_waiter_keeps_one_deadline_across_waves() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_a"), service("s_b")],
                               [task("s_a"), task("s_b", state="pending", err=PENDING)])])
    clock = Clock()
    wait = Waiter(watcher(gw, clock, settle=3.0, interval=1.0), timeout=5)
    wait(["id-s_a"])  # converges after settling 3 s
    assert clock.now == 103.0
    with pytest.raises(RolloutTimeout) as caught:
        wait(["id-s_b"])
    assert clock.now == 105.0  # the second wave gets what is left of the 5 s, not 5 s more
    assert str(caught.value) == f"timed out after 5 s waiting for s_b (0/1 running; s_b.1 pending: {PENDING})"
    assert states(wait.outcomes) == {
        "s_a": ("converged", "1/1 running"),
        "s_b": ("timed_out", f"0/1 running; s_b.1 pending: {PENDING}"),
    }


def test_the_rollback_cause_is_kept_until_the_rollback_completes() -> None:
    cause = "update rolled back due to failure or early termination of task t-bad"
    bad = task("s_web", 1, "failed", "shutdown", err="task: non-zero exit (1)", ident="t-bad")
    gw = FakeSwarm(snapshots=[
        Snapshot([service("s_web", update_state="rollback_started", update_message=cause)], [task("s_web")],
                 [bad, task("s_web")]),
        Snapshot([service("s_web", update_state="rollback_completed", update_message="rollback completed")],
                 [task("s_web")], [bad, task("s_web")]),
    ])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_web"], clock.now + 60)
    assert states(outcomes) == {"s_web": ("rolled_back", f'{cause} (s_web.1 failed: "task: non-zero exit (1)")')}


def test_a_lost_node_is_named_once_with_its_tasks() -> None:
    svc = service("s_web", replicas=2)
    gw = FakeSwarm(
        snapshots=[
            Snapshot([svc], [task("s_web", 1, node="n1"), task("s_web", 2, node="n2")]),
            Snapshot([svc], [task("s_web", 1, node="n1"), task("s_web", 2, node="n2", desired="shutdown"),
                             task("s_web", 2, node="n1", created="2026-11-29T10:00:05Z")]),
        ],
        nodes=[node("n1", "vm1"), node("n2", "vm2", state="down")],
    )
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, settle=1.0, interval=0.5).wait(["id-s_web"], clock.now + 60)
    assert [e for e in events if isinstance(e, NodeLost)] == [NodeLost("s_web", "vm2", "n2", "down", ("s_web.2",))]
    assert states(outcomes) == {"s_web": ("converged", "2/2 running")}


def test_nodes_are_read_again_after_node_interval() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_web")], [task("s_web", state="starting")])])
    clock = Clock()
    watcher(gw, clock, settle=0, interval=1.0, node_interval=2.0).wait(["id-s_web"], clock.now + 5)
    assert gw.calls.count("list nodes") == 3  # at 0, 2 and 4 s of the 5 s
