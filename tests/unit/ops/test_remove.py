"""`rm`: docker's removal order, and the wait for networks that stopping tasks still use."""

from __future__ import annotations

from typing import Any

from composeswarm.engine.gateway import LiveStack
from composeswarm.errors import EngineError
from composeswarm.ops.remove import RemoveEvent, remove_stack


class FakeEngine:
    """A stack in memory; a network stays "in use" for `busy_for` removal attempts."""

    def __init__(self, live: LiveStack, busy_for: int = 0, tasks: list[str] | None = None,
                 refuse: dict[str, EngineError] | None = None, listed_for: int = 0) -> None:
        self.live = live
        self.listed_for = listed_for  # inspect calls that still find the removed network
        self.busy_for = busy_for
        self.tasks = tasks or []  # states of the stack's tasks, per list call: consumed one by one
        self.refuse = refuse or {}
        self.calls: list[str] = []

    def read_stack(self, stack: str) -> LiveStack:
        return self.live

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        state = self.tasks.pop(0) if self.tasks else "shutdown"
        return [{"Status": {"State": state}}]

    def _remove(self, kind: str, name: str | None) -> None:
        self.calls.append(f"{kind} {name}")
        if name in self.refuse:
            raise self.refuse[name]
        if kind == "network" and self.busy_for > 0:
            self.busy_for -= 1
            raise EngineError(f"remove network {name}: rpc error: network {name} is in use by task abc", status=400)

    def remove_service(self, ident: str, name: str | None = None) -> None:
        self._remove("service", name)

    def remove_secret(self, ident: str, name: str | None = None) -> None:
        self._remove("secret", name)

    def remove_config(self, ident: str, name: str | None = None) -> None:
        self._remove("config", name)

    def remove_network(self, ident: str, name: str | None = None) -> None:
        self._remove("network", name)

    def inspect_network(self, ident: str) -> dict[str, Any] | None:
        self.calls.append(f"inspect network {ident}")
        if self.listed_for > 0:
            self.listed_for -= 1
            return {"Id": ident}
        return None


class Clock:
    """A fake monotonic clock that `sleep` advances."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _stack() -> LiveStack:
    return LiveStack(
        stack="st",
        services=[{"ID": "2", "Spec": {"Name": "st_web"}}, {"ID": "1", "Spec": {"Name": "st_db"}}],
        networks=[{"Id": "n", "Name": "st_default"}],
        secrets=[{"ID": "s", "Spec": {"Name": "st_token"}}],
        configs=[{"ID": "c", "Spec": {"Name": "st_conf"}}],
    )


def _run(engine: FakeEngine, wait: bool = True, timeout: float = 60.0) -> tuple[list[str], Clock, str | None]:
    """Remove the stack with a fake clock: (event lines, clock, error message or None)."""
    events: list[RemoveEvent] = []
    clock = Clock()
    error = None
    try:
        remove_stack(engine, "st", wait=wait, timeout=timeout, interval=0.5, on_event=events.append,
                     clock=clock, sleep=clock.sleep)
    except EngineError as exc:
        error = str(exc)
    return [f"{e.action} {e.kind} {e.name}" for e in events], clock, error


def test_order_as_docker() -> None:
    engine = FakeEngine(_stack())
    events, _, error = _run(engine)
    assert error is None
    assert engine.calls == ["service st_db", "service st_web", "secret st_token", "config st_conf", "network st_default",
                            "inspect network n"]
    assert events == ["remove service st_db", "remove service st_web", "remove secret st_token",
                      "remove config st_conf", "remove network st_default"]


def test_network_in_use_is_retried_until_the_tasks_are_gone() -> None:
    engine = FakeEngine(_stack(), busy_for=3)
    events, clock, error = _run(engine)
    assert error is None
    assert engine.calls.count("network st_default") == 4
    assert events[-2:] == ["wait tasks st", "gone network st_default"]
    assert clock.now == 1.5


def test_network_still_in_use_after_the_timeout() -> None:
    engine = FakeEngine(_stack(), busy_for=1000)
    _, _, error = _run(engine, timeout=5.0)
    assert error == (
        "failed to remove some resources from stack st: network st_default: still in use after 5s: "
        "remove network st_default: rpc error: network st_default is in use by task abc"
    )


def test_detach_tries_once() -> None:
    engine = FakeEngine(_stack(), busy_for=1)
    _, _, error = _run(engine, wait=False)
    assert engine.calls.count("network st_default") == 1
    assert error == (
        "failed to remove some resources from stack st: network st_default: "
        "remove network st_default: rpc error: network st_default is in use by task abc"
    )


def test_waits_until_the_engine_no_longer_lists_the_network() -> None:
    engine = FakeEngine(_stack(), listed_for=2)
    _, clock, error = _run(engine)
    assert (engine.calls[-3:], clock.now, error) == (["inspect network n"] * 3, 1.0, None)


def test_detach_does_not_wait_for_the_network_to_leave() -> None:
    engine = FakeEngine(_stack(), listed_for=2)
    _, clock, error = _run(engine, wait=False)
    assert (engine.calls[-1], clock.now, error) == ("network st_default", 0.0, None)


def test_waits_for_running_tasks_without_networks() -> None:
    live = LiveStack(stack="st", services=[{"ID": "1", "Spec": {"Name": "st_web"}}])
    engine = FakeEngine(live, tasks=["running", "running", "shutdown"])
    _, clock, error = _run(engine)
    assert (clock.now, error) == (1.0, None)


def test_gone_already_is_fine_and_other_errors_are_reported() -> None:
    engine = FakeEngine(_stack(), refuse={
        "st_db": EngineError("remove service st_db: no such service", status=404),
        "st_token": EngineError("remove secret st_token: permission denied", status=403),
    })
    events, _, error = _run(engine)
    assert error == (
        "failed to remove some resources from stack st: secret st_token: remove secret st_token: permission denied"
    )
    assert "failed secret st_token" in events


def test_nothing_found() -> None:
    assert _run(FakeEngine(LiveStack(stack="st")))[2] == "nothing found in stack: st"
