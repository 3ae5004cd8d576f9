"""act.watcher: Watcher and Waiter against the fake swarm's scripted polls and a fake clock: calls,
outcomes, errors."""

from __future__ import annotations

import pytest

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
from composeswarm.act.watcher import Waiter, Watcher, raise_for
from composeswarm.errors import (
    EngineError,
    EngineUnreachable,
    RolloutFailed,
    RolloutTimeout,
    RolloutUnknown,
)
from tests.support.fake_swarm import Clock, FakeSwarm, Snapshot, node, service, task

PENDING = "no suitable node (scheduling constraints not satisfied on 1 node)"


def watcher(gw: FakeSwarm, clock: Clock, events: list[Event] | None = None, **kwargs: object) -> Watcher:
    """A watcher on the fake clock; polls spaced by `interval` alone unless `max_rate` is given."""
    sink = events.append if events is not None else None
    kwargs.setdefault("max_rate", 1000.0)
    return Watcher(gw, on_event=sink, clock=clock, sleep=clock.sleep, **kwargs)  # type: ignore[arg-type]


def states(outcomes: dict[str, Outcome]) -> dict[str, tuple[str, str]]:
    return {name: (o.state, o.reason) for name, o in outcomes.items()}


@pytest.mark.parametrize(
    ("update_state", "per_poll", "polls"),
    [
        # converged at the first poll (0 s); the next is made when the settle ends (1.0 s)
        pytest.param(None, ["list services", "list tasks up-to-date"], 2, id="created: two calls"),
        pytest.param("completed", ["list services", "list tasks up-to-date"], 2, id="update completed: two calls"),
        # the update completes at the second poll (0.5 s), stable at the third (1.5 s)
        pytest.param("updating", ["list services", "list tasks up-to-date", "list tasks"], 3,
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
        # running since after the poll that saw it starting (at 10:00:02 by the engine's clock)
        Snapshot([svc], [task("s_w", created="2026-11-29T10:00:02Z", since="2026-11-29T10:00:02.4Z")]),
    ])
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, settle=1.0, interval=0.5).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    # running at 0 s: the next poll, when its settle would end (1.0 s), finds it failed and starting;
    # running again at the poll of 1.5 s (since 1.4 s by the engine's clock), stable at 2.4 s
    assert outcomes["s_w"].elapsed == pytest.approx(2.4)
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


AWAY = ("list services: cannot reach the Docker engine at unix:///x/docker.sock (from DOCKER_HOST): "
        "connection refused (a socket nobody listens on: is dockerd running?)")


def test_the_wait_goes_on_while_the_engine_is_away() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_w")], [task("s_w")])],
                   refuse={"list services id=id-s_w": EngineUnreachable(AWAY)}, refuse_times={"list services id=id-s_w": 3})
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, settle=0, interval=0.5).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    # told once when it went, once when it came back; the polls slowed down meanwhile (1, 2, 2 s)
    assert [e for e in events if isinstance(e, (EngineLost, EngineBack))] == [EngineLost(AWAY), EngineBack(5.0)]


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(EngineUnreachable(AWAY), id="unreachable"),
        pytest.param(EngineError("list services: rpc error: The swarm does not have a leader", status=503),
                     id="no leader (503)"),
    ],
)
def test_away_until_the_deadline_the_outcome_is_unknown(error: EngineError) -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_w")], [task("s_w", state="starting")])])
    clock = Clock()
    w = watcher(gw, clock, interval=0.5)
    first = w.wait(["id-s_w"], clock.now + 1)  # a poll that answered: the service is waited for
    assert states(first) == {"s_w": ("timed_out", "0/1 running")}
    gw.refuse["list services id=id-s_w"] = error
    outcomes = w.wait(["id-s_w"], clock.now + 10)
    assert states(outcomes) == {"id-s_w": ("unknown", f"{error}, for the last 10 s")}
    with pytest.raises(RolloutUnknown) as caught:
        raise_for(outcomes.values(), 10)
    assert str(caught.value) == (
        f"the outcome of the rollout is unknown after 10 s ({error}, for the last 10 s); "
        "run the same command again to converge"
    )
    assert caught.value.exit_code == 1


def test_an_error_that_will_not_pass_ends_the_wait() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_w")], [task("s_w")])], refuse={"list services id=id-s_w": "bad filter"})
    clock = Clock()
    with pytest.raises(EngineError, match="bad filter"):
        watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert clock.now == 100.0


EXIT3 = "task: non-zero exit (3)"
NEW_USER = [task("s_app", 1, "failed", "shutdown", err=EXIT3, ident="t1", created="2026-11-29T10:00:01Z"),
            task("s_app", 1, "failed", "shutdown", err=EXIT3, ident="t2", created="2026-11-29T10:00:07Z")]
LOG = [f"line {i}" for i in range(30)] + ["connecting with DB_PASSWORD=hunter22", "FATAL: config missing DB_URL"]


@pytest.mark.parametrize(
    ("failure_logs", "expected_logs", "expected_reads"),
    [
        pytest.param(20, [FailureLogs("s_app", "s_app.1", "t2", tuple(LOG[-20:-2]) + (
            "connecting with DB_PASSWORD=(sensitive)", "FATAL: config missing DB_URL"))],
            ["read logs of task t2 tail=20"], id="the last 20 lines of the last failed task, masked"),
        pytest.param(2, [FailureLogs("s_app", "s_app.1", "t2", (
            "connecting with DB_PASSWORD=(sensitive)", "FATAL: config missing DB_URL"))],
            ["read logs of task t2 tail=2"], id="--failure-logs 2"),
        pytest.param(0, [], [], id="--failure-logs 0: not even read"),
    ],
)
def test_a_failure_that_cannot_heal_ends_at_once_with_the_task_log(
    failure_logs: int, expected_logs: list[FailureLogs], expected_reads: list[str]
) -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_app", restart="on-failure", max_attempts=1)], NEW_USER)],
                   task_logs={"t2": LOG, "t1": ["older"]})
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, failure_logs=failure_logs,
                       mask=lambda text: text.replace("hunter22", "(sensitive)")).wait(["id-s_app"], clock.now + 60)
    assert states(outcomes) == {"s_app": ("failing", f'task s_app.1 failed 2 times, the last one with "{EXIT3}", '
                                                     "and swarm starts no other (restart max_attempts 1)")}
    assert clock.now == 100.0  # at the first poll, not at the deadline
    assert [e for e in events if isinstance(e, FailureLogs)] == expected_logs
    assert gw.calls_of("read") == expected_reads
    assert isinstance(events[-1], Outcome)  # the log comes before the outcome


def test_a_log_that_cannot_be_read_is_said_so() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_app", restart="on-failure", max_attempts=1)], NEW_USER)],
                   refuse={"read logs of task t2 tail=20": "no such task: t2"})
    clock = Clock()
    events: list[Event] = []
    watcher(gw, clock, events).wait(["id-s_app"], clock.now + 60)
    assert [e for e in events if isinstance(e, FailureLogs)] == [
        FailureLogs("s_app", "s_app.1", "t2", (), error="read logs of task t2 tail=20: no such task: t2")
    ]


def test_a_new_service_counts_failures_from_its_creation() -> None:
    """Swarm's allocator writes a new service again just after its first task is made: UpdatedAt is later."""
    svc = service("s_app", restart="on-failure", max_attempts=1, updated="2026-11-29T10:00:00.5Z")
    first = task("s_app", 1, "failed", "shutdown", err=EXIT3, ident="t1", created="2026-11-29T10:00:00.2Z")
    second = task("s_app", 1, "failed", "running", err=EXIT3, ident="t2", created="2026-11-29T10:00:07Z")
    gw = FakeSwarm(snapshots=[Snapshot([svc], [first, second])])
    clock = Clock()
    events: list[Event] = []
    outcomes = watcher(gw, clock, events, failure_logs=0).wait(["id-s_app"], clock.now + 60)
    assert states(outcomes)["s_app"][0] == "failing"
    assert [e.task_id for e in events if isinstance(e, TaskFailure)] == ["t1", "t2"]


def test_an_engine_gone_between_the_reads_of_a_poll_leaves_the_names() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([service("s_w")], [task("s_w", state="starting")])],
                   refuse={"list tasks service=id-s_w up-to-date": EngineUnreachable(AWAY)})
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 3)
    assert list(outcomes) == ["s_w"] and outcomes["s_w"].state == "unknown"


class TimedSwarm(FakeSwarm):
    """The fake swarm, noting the fake clock's time of every call."""

    def __init__(self, clock: Clock, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.times: list[float] = []

    def _call(self, call: str, sent: object = None, *, write: bool = False) -> None:
        self.times.append(self.clock.now)
        super()._call(call, sent, write=write)


@pytest.mark.parametrize(("update_state", "per_poll"), [
    pytest.param(None, 2, id="creation: two calls a poll"),
    pytest.param("updating", 3, id="update in flight: three calls a poll"),
])
def test_polls_are_spaced_to_keep_under_the_call_rate(update_state: str | None, per_poll: int) -> None:
    clock = Clock()
    names = [f"s_{i}" for i in range(40)]
    gw = TimedSwarm(clock, snapshots=[Snapshot([service(n, update_state=update_state) for n in names],
                                               [task(n, state="pending", err=PENDING) for n in names])])
    w = Watcher(gw, clock=clock, sleep=clock.sleep, interval=0.3, max_rate=4.0, node_interval=2.0)
    w.wait([f"id-{n}" for n in names], clock.now + 20)
    starts = [t for t, c in zip(gw.times, gw.calls) if c.startswith("list services")]
    per = [sum(1 for t in gw.times if a <= t < b) for a, b in zip(starts, starts[1:])]
    gaps = [round(b - a, 6) for a, b in zip(starts, starts[1:])]
    # each poll waits for its own calls' share of the rate: k calls, k / 4 s (never less than the interval);
    # the deadline cuts the last gap short
    assert gaps[:-1] == [max(0.3, k / 4.0) for k in per][:-1]
    assert gaps[-1] <= max(0.3, per[-1] / 4.0)
    assert set(per) == {per_poll, per_poll + 1}  # + 1: the nodes, read every 2 s
    assert len(gw.calls) <= 4.0 * 20 + 2 * (per_poll + 1)  # the deadline cuts the last gap short: one poll more


def test_a_fast_interval_is_kept_when_the_rate_allows_it() -> None:
    clock = Clock()
    gw = TimedSwarm(clock, snapshots=[Snapshot([service("s_a")], [task("s_a", state="pending", err=PENDING)])])
    Watcher(gw, clock=clock, sleep=clock.sleep, interval=0.3, max_rate=100.0).wait(["id-s_a"], clock.now + 3.1)
    starts = [t for t, c in zip(gw.times, gw.calls) if c.startswith("list services")]
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [0.3] * 10 + [0.1]  # the last: the deadline
