"""act.watcher with act.settle: the settle counts from when the counted tasks entered `running`, by the
engine's own timestamps, whatever the engine clock's skew; the fake clock starts at 100 when the wait
begins, just after the last write (the service created at 10:00:00 by the engine's clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from composeswarm.act.events import Event, Outcome
from composeswarm.act.watcher import Watcher
from tests.support.fake_swarm import Clock, FakeSwarm, Snapshot, node, service, task


def watcher(gw: FakeSwarm, clock: Clock, events: list[Event] | None = None, **kwargs: object) -> Watcher:
    sink = events.append if events is not None else None
    kwargs.setdefault("max_rate", 1000.0)
    kwargs.setdefault("interval", 0.25)
    return Watcher(gw, on_event=sink, clock=clock, sleep=clock.sleep, settle=1.0, **kwargs)  # type: ignore[arg-type]


def states(outcomes: dict[str, Outcome]) -> dict[str, tuple[str, str]]:
    return {name: (o.state, o.reason) for name, o in outcomes.items()}


def at(seconds: float, skew_hours: int = 0) -> str:
    """An engine timestamp `seconds` after 10:00:00, by an engine clock `skew_hours` off the local one."""
    when = datetime(2026, 11, 29, 10, tzinfo=timezone.utc) + timedelta(hours=skew_hours, seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def created(name: str, seconds: float, skew: int = 0, **kwargs: object) -> dict[str, object]:
    return dict(service(name, **kwargs), CreatedAt=at(seconds, skew))  # type: ignore[arg-type]


SKEWS = [pytest.param(0, id="engine clock = local"), pytest.param(1, id="engine clock +1 h"),
         pytest.param(-1, id="engine clock -1 h")]


@pytest.mark.parametrize("skew", SKEWS)
def test_a_task_running_for_5_s_resolves_at_the_first_poll(skew: int) -> None:
    # s_old was created 10 s before the wait began and runs for 5 s; s_new was the last write
    gw = FakeSwarm(snapshots=[Snapshot(
        [created("s_old", -10, skew), created("s_new", 0, skew)],
        [task("s_old", created=at(-9, skew), since=at(-5, skew)), task("s_new", created=at(0, skew), since=at(0, skew))],
    )])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_old", "id-s_new"], clock.now + 60)
    assert states(outcomes) == {"s_old": ("converged", "1/1 running"), "s_new": ("converged", "1/1 running")}
    assert outcomes["s_old"].elapsed == 0.0  # at the first poll
    assert outcomes["s_new"].elapsed == 1.0  # running since the wait began: a whole settle later


def starting_then_running(skew: int, since: float) -> FakeSwarm:
    """Written at 10:00:00, seen starting at the polls of 0 and 0.25 s, running since `since` from 0.5 s."""
    svc = created("s_w", 0, skew)
    starting = Snapshot([svc], [task("s_w", state="starting", created=at(0, skew), since=at(0, skew))])
    return FakeSwarm(snapshots=[starting, starting, Snapshot([svc], [task("s_w", created=at(0, skew), since=at(since, skew))])])


@pytest.mark.parametrize("skew", SKEWS)
@pytest.mark.parametrize(("since", "resolved"), [
    # first seen converged at 0.5 s (the first poll's rule would resolve at 1.5 s whenever it started); the
    # next poll is made when the settle ends
    pytest.param(0.1, 1.1, id="running since 0.1 s: at 1.1 s"),
    pytest.param(0.4, 1.4, id="running since 0.4 s: at 1.4 s"),
])
def test_a_task_that_just_started_resolves_only_a_settle_later(skew: int, since: float, resolved: float) -> None:
    clock = Clock()
    outcomes = watcher(starting_then_running(skew, since), clock).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    assert outcomes["s_w"].elapsed == pytest.approx(resolved)


@pytest.mark.parametrize("timestamp", [
    pytest.param("", id="no task timestamp"),
    pytest.param("yesterday", id="unparsable task timestamp"),
])
def test_without_usable_timestamps_the_settle_counts_from_the_first_poll(timestamp: str) -> None:
    gw = FakeSwarm(snapshots=[Snapshot([created("s_w", 0)], [task("s_w", created=at(-9), since=timestamp)])])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    assert outcomes["s_w"].elapsed == 1.0


def test_without_a_creation_time_a_running_task_is_not_known_to_be_old() -> None:
    """Only the poll bounds the offset then: the task may have started just before it."""
    svc = service("s_w")
    del svc["CreatedAt"]
    gw = FakeSwarm(snapshots=[Snapshot([svc], [task("s_w", created=at(-9), since=at(-5))])])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert outcomes["s_w"].elapsed == 1.0


def test_on_another_node_the_writes_say_nothing_of_its_clock() -> None:
    """The leader stamps the service, the task's node its task: only the polls bound that node's clock."""
    leader = dict(node("n1", "vm1"), ManagerStatus={"Leader": True})
    gw = FakeSwarm(snapshots=[Snapshot([created("s_w", 0)], [task("s_w", node="n2", created=at(-9), since=at(-5))])],
                   nodes=[leader, node("n2", "vm2")])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert outcomes["s_w"].elapsed == 1.0


def test_on_the_leaders_node_the_writes_bound_its_clock() -> None:
    leader = dict(node("n1", "vm1"), ManagerStatus={"Leader": True})
    gw = FakeSwarm(snapshots=[Snapshot([created("s_w", 0)], [task("s_w", node="n1", created=at(-9), since=at(-5))])],
                   nodes=[leader, node("n2", "vm2")])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert outcomes["s_w"].elapsed == 0.0


def test_a_task_that_dies_inside_the_settle_starts_it_again() -> None:
    svc = created("s_w", 0)
    gw = FakeSwarm(snapshots=[
        Snapshot([svc], [task("s_w", created=at(-3), since=at(-0.5))]),
        Snapshot([svc], [task("s_w", state="failed", desired="shutdown", created=at(-3), since=at(0.2), err="boom"),
                         task("s_w", state="starting", created=at(0.22), since=at(0.23))]),
        Snapshot([svc], [task("s_w", created=at(0.22), since=at(0.4))]),
    ])
    clock = Clock()
    outcomes = watcher(gw, clock, failure_logs=0).wait(["id-s_w"], clock.now + 60)
    assert states(outcomes) == {"s_w": ("converged", "1/1 running")}
    # not at 0.5 s (the first task's settle, when the poll finds it failed): the second's, from 0.4 s
    assert outcomes["s_w"].elapsed == pytest.approx(1.4)


def test_an_update_seen_in_flight_settles_from_the_poll_that_saw_it_done() -> None:
    """The tasks' start says nothing of when swarm's updater completed: today's rule."""
    gw = FakeSwarm(snapshots=[
        Snapshot([created("s_w", 0, update_state="updating")], [task("s_w", created=at(-9), since=at(-5))]),
        Snapshot([created("s_w", 0, update_state="completed")], [task("s_w", created=at(-9), since=at(-5))]),
    ])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_w"], clock.now + 60)
    assert outcomes["s_w"].elapsed == 1.25


def test_a_job_still_resolves_when_complete() -> None:
    gw = FakeSwarm(snapshots=[Snapshot([created("s_job", 0, mode="replicated-job")],
                                       [task("s_job", state="complete", created=at(0), since=at(0.1))])])
    clock = Clock()
    outcomes = watcher(gw, clock).wait(["id-s_job"], clock.now + 60)
    assert states(outcomes) == {"s_job": ("converged", "1/1 complete")} and outcomes["s_job"].elapsed == 0.0
