"""ops.remove: `rm` in docker's removal order, and the wait for networks that stopping tasks still use."""

from __future__ import annotations


from composeswarm.engine.live import LiveStack
from composeswarm.errors import EngineError
from composeswarm.ops.remove import RemoveEvent, remove_stack
from tests.support.fake_swarm import Clock, FakeSwarm, Snapshot


IN_USE = "rpc error: network st_default is in use by task abc"


def swarm(live: LiveStack, busy_for: int = 0, tasks: list[str] | None = None,
          refuse: dict[str, str | EngineError] | None = None, listed_for: int = 0) -> FakeSwarm:
    """The stack in a fake swarm: its network "in use" for `busy_for` removals; the states of its tasks,
    one list call each (then shut down); `listed_for` inspects that still find the removed network."""
    refuse = dict(refuse or {})
    times = {}
    if busy_for:
        refuse["remove network st_default"] = IN_USE
        times["remove network st_default"] = busy_for
    snapshots = [Snapshot([], [{"Status": {"State": s}}]) for s in [*tasks, "shutdown"]] if tasks else None
    return FakeSwarm.holding(live, refuse=refuse, refuse_times=times, snapshots=snapshots, poll_on="list tasks",
                             linger=listed_for)


def _stack() -> LiveStack:
    return LiveStack(
        stack="st",
        services=[{"ID": "2", "Spec": {"Name": "st_web"}}, {"ID": "1", "Spec": {"Name": "st_db"}}],
        networks=[{"Id": "n", "Name": "st_default"}],
        secrets=[{"ID": "s", "Spec": {"Name": "st_token"}}],
        configs=[{"ID": "c", "Spec": {"Name": "st_conf"}}],
    )


def _run(engine: FakeSwarm, wait: bool = True, timeout: float = 60.0) -> tuple[list[str], Clock, str | None]:
    """Remove the stack with a fake clock: (event lines, clock, error message or None)."""
    events: list[RemoveEvent] = []
    clock = Clock(now=0.0)
    error = None
    try:
        remove_stack(engine, "st", wait=wait, timeout=timeout, interval=0.5, on_event=events.append,
                     clock=clock, sleep=clock.sleep)
    except EngineError as exc:
        error = str(exc)
    return [f"{e.action} {e.kind} {e.name}" for e in events], clock, error


def test_order_as_docker() -> None:
    engine = swarm(_stack())
    events, _, error = _run(engine)
    assert error is None
    assert engine.calls_of("remove", "inspect") == [
        "remove service st_db", "remove service st_web", "remove secret st_token", "remove config st_conf",
        "remove network st_default", "inspect network n",
    ]
    assert events == ["remove service st_db", "remove service st_web", "remove secret st_token",
                      "remove config st_conf", "remove network st_default"]


def test_network_in_use_is_retried_until_the_tasks_are_gone() -> None:
    engine = swarm(_stack(), busy_for=3)
    events, clock, error = _run(engine)
    assert error is None
    assert engine.calls.count("remove network st_default") == 4
    assert events[-2:] == ["wait tasks st", "gone network st_default"]
    assert clock.now == 1.5


def test_network_still_in_use_after_the_timeout() -> None:
    engine = swarm(_stack(), busy_for=1000)
    _, _, error = _run(engine, timeout=5.0)
    assert error == (
        "failed to remove some resources from stack st: network st_default: still in use after 5s: "
        "remove network st_default: rpc error: network st_default is in use by task abc"
    )


def test_detach_tries_once() -> None:
    engine = swarm(_stack(), busy_for=1)
    _, _, error = _run(engine, wait=False)
    assert engine.calls.count("remove network st_default") == 1
    assert error == (
        "failed to remove some resources from stack st: network st_default: "
        "remove network st_default: rpc error: network st_default is in use by task abc"
    )


def test_waits_until_the_engine_no_longer_lists_the_network() -> None:
    engine = swarm(_stack(), listed_for=2)
    _, clock, error = _run(engine)
    assert (engine.calls[-3:], clock.now, error) == (["inspect network n"] * 3, 1.0, None)


def test_detach_does_not_wait_for_the_network_to_leave() -> None:
    engine = swarm(_stack(), listed_for=2)
    _, clock, error = _run(engine, wait=False)
    assert (engine.calls[-1], clock.now, error) == ("remove network st_default", 0.0, None)


def test_waits_for_running_tasks_without_networks() -> None:
    live = LiveStack(stack="st", services=[{"ID": "1", "Spec": {"Name": "st_web"}}])
    engine = swarm(live, tasks=["running", "running", "shutdown"])
    _, clock, error = _run(engine)
    assert (clock.now, error) == (1.0, None)


def test_gone_already_is_fine_and_other_errors_are_reported() -> None:
    engine = swarm(_stack(), refuse={
        "remove service st_db": EngineError("remove service st_db: no such service", status=404),
        "remove secret st_token": EngineError("remove secret st_token: permission denied", status=403),
    })
    events, _, error = _run(engine)
    assert error == (
        "failed to remove some resources from stack st: secret st_token: remove secret st_token: permission denied"
    )
    assert "failed secret st_token" in events


def test_nothing_found() -> None:
    assert _run(swarm(LiveStack(stack="st")))[2] == "nothing found in stack: st"


def test_the_stacks_history_goes_with_it_and_no_other_stacks() -> None:
    engine = swarm(_stack())
    engine.configs += [{"ID": "r1", "Spec": {"Name": "st_composeswarm-rev-1"}},
                       {"ID": "r2", "Spec": {"Name": "st_composeswarm-rev-12"}},
                       {"ID": "o", "Spec": {"Name": "st_composeswarm-rev-x"}}]
    events, _, error = _run(engine)
    assert error is None
    assert not [e for e in events if "composeswarm-rev" in e]  # rm prints what docker stack rm prints
    assert engine.calls_of("remove")[:6] == [
        "remove service st_db", "remove service st_web", "remove secret st_token", "remove config st_conf",
        "remove config st_composeswarm-rev-1", "remove config st_composeswarm-rev-12",
    ]
    assert "remove config st_composeswarm-rev-x" not in engine.calls
