"""act.lock: the deploy lock held in the swarm, its pure decisions and its calls, against the fake swarm."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from composeswarm.act.deploy import DeployOptions, deploy
from composeswarm.act.lock import (
    Holder,
    LockOptions,
    acquire,
    expiry,
    find_lock,
    hold_lock,
    lock_spec,
    me,
    read_lock,
    stamp,
    unlock,
)
from composeswarm.engine.live import LiveStack
from composeswarm.errors import EngineError
from composeswarm.ops.remove import remove_stack
from tests.support.fake_swarm import Clock, FakeSwarm

if TYPE_CHECKING:
    from composeswarm.engine.gateway import Engine

WALL = 1_800_000_000.0  # 2027-01-15T08:00:00Z
OTHER = Holder(host="ci-7", pid=4242, user="runner", started="2027-01-15T07:59:50Z", refreshed="2027-01-15T07:59:55Z",
               machine="boot/pid:[1]")


def held_by(holder: Holder, stack: str = "st") -> FakeSwarm:
    """A strict swarm whose lock of `stack` another run holds."""
    return FakeSwarm(strict=True, configs=[{"ID": "lock1", "Version": {"Index": 7}, "Spec": lock_spec(stack, holder)}])


class Seen:
    """What the callbacks were told."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def options(self, timeout: float, **kwargs: Any) -> LockOptions:
        return LockOptions(
            timeout=timeout, on_wait=lambda s, h: self.lines.append(f"wait {s} {h.describe()}"),
            on_takeover=lambda s, h, why: self.lines.append(f"takeover {s} {h.describe()}: {why}"), **kwargs,
        )


def take(swarm: FakeSwarm, opts: LockOptions, clock: Clock | None = None, alive: bool = True) -> Any:
    clock = clock or Clock(now=0.0)
    return acquire(swarm, "st", opts, clock=clock, sleep=clock.sleep, wall=lambda: WALL + clock.now,
                   alive=lambda pid: alive)


@pytest.mark.parametrize(
    ("holder", "machine", "alive", "why"),
    [
        pytest.param(OTHER, "here", True, None, id="refreshed 5s ago"),
        pytest.param(dataclasses.replace(OTHER, refreshed="2027-01-15T07:59:00Z"), "here", True, None,
                     id="refreshed exactly 60s ago"),
        pytest.param(dataclasses.replace(OTHER, refreshed="2027-01-15T07:58:59Z"), "here", True,
                     "not refreshed since 2027-01-15T07:58:59Z (more than 60s)", id="refreshed 61s ago"),
        pytest.param(dataclasses.replace(OTHER, refreshed=""), "here", True, "it has no refresh time",
                     id="no refresh label (made by hand)"),
        pytest.param(OTHER, "boot/pid:[1]", False, "its process 4242 on this machine is gone", id="holder here, gone"),
        pytest.param(OTHER, "boot/pid:[1]", True, None, id="holder here, alive"),
        pytest.param(OTHER, "other/pid:[1]", False, None, id="same pid elsewhere: never checked"),
        pytest.param(OTHER, "", False, None, id="machine unknown: never checked"),
    ],
)
def test_expiry(holder: Holder, machine: str, alive: bool, why: str | None) -> None:
    assert expiry(holder, WALL, 60.0, machine=machine, alive=lambda pid: alive) == why


def test_labels_round_trip_and_the_name_is_exact() -> None:
    configs = [{"ID": "x", "Spec": {"Name": "st_composeswarm-lock-other"}},
               {"ID": "lock1", "Version": {"Index": 7}, "Spec": lock_spec("st", OTHER)}]
    assert find_lock(configs, "st") == dataclasses.replace(OTHER, ident="lock1", version=7)
    assert find_lock(configs[:1], "st") is None
    assert lock_spec("st", OTHER)["Name"] == "st_composeswarm-lock"
    assert "com.docker.stack.namespace" not in lock_spec("st", OTHER)["Labels"]  # never part of the stack


def test_acquire_on_a_free_stack_is_one_create_and_a_read_of_its_version() -> None:
    swarm = FakeSwarm(strict=True)
    lock = take(swarm, Seen().options(10))
    assert swarm.calls == ["create config st_composeswarm-lock", "list configs name=st_composeswarm-lock"]
    assert (lock.holder.ident, lock.holder.started) == ("id-st_composeswarm-lock", stamp(WALL))
    assert read_lock(swarm, "st") == dataclasses.replace(me(WALL), ident="id-st_composeswarm-lock", version=1)


def test_lock_timeout_0_fails_at_once_naming_the_holder() -> None:
    swarm, seen, clock = held_by(OTHER), Seen(), Clock(now=0.0)
    with pytest.raises(EngineError) as caught:
        take(swarm, seen.options(0), clock)
    assert str(caught.value) == (
        "the deploy lock of st is held by ci-7 (pid 4242) since 2027-01-15T07:59:50Z (user runner); "
        'if that run is gone, "composeswarm unlock st" removes the lock'
    )
    assert (clock.now, seen.lines) == (0.0, [])
    assert swarm.calls_of("remove") == []


def test_a_wait_that_runs_out_names_the_holder_once() -> None:
    swarm, seen, clock = held_by(OTHER), Seen(), Clock(now=0.0)
    with pytest.raises(EngineError, match=r"gave up after 3s"):
        take(swarm, seen.options(3), clock)
    assert (clock.now, seen.lines) == (3.0, ["wait st ci-7 (pid 4242) since 2027-01-15T07:59:50Z"])


def test_a_wait_ends_when_the_holder_releases() -> None:
    swarm, seen = held_by(OTHER), Seen()

    class Releasing(Clock):
        def sleep(self, seconds: float) -> None:
            super().sleep(seconds)
            if self.now >= 2:
                swarm.configs.clear()  # the other run is done

    lock = take(swarm, seen.options(30), Releasing(now=0.0))
    assert lock.holder.host == me(WALL).host
    assert seen.lines == ["wait st ci-7 (pid 4242) since 2027-01-15T07:59:50Z"]
    assert swarm.calls_of("create") == ["create config st_composeswarm-lock"] * 3


def test_a_stale_lock_is_taken_over_saying_so() -> None:
    stale = dataclasses.replace(OTHER, refreshed="2027-01-15T07:50:00Z")
    swarm, seen = held_by(stale), Seen()
    lock = take(swarm, seen.options(0))
    assert seen.lines == [
        "takeover st ci-7 (pid 4242) since 2027-01-15T07:59:50Z: not refreshed since 2027-01-15T07:50:00Z (more than 60s)"
    ]
    assert swarm.calls_of("create", "remove") == [
        "create config st_composeswarm-lock", "remove config st_composeswarm-lock", "create config st_composeswarm-lock",
    ]
    assert [c["ID"] for c in swarm.configs] == [lock.holder.ident]


def test_refresh_writes_a_new_time_and_release_removes_only_its_own_lock() -> None:
    swarm, clock = FakeSwarm(strict=True), Clock(now=0.0)
    lock = take(swarm, Seen().options(0), clock)
    clock.now = 12.0
    lock.refresh()
    assert read_lock(swarm, "st").refreshed == stamp(WALL + 12)  # type: ignore[union-attr]
    assert lock.holder.version == 2
    # another run took the lock over meanwhile: this one's refresh finds it gone, its release leaves the new one
    swarm.configs[:] = [{"ID": "theirs", "Version": {"Index": 1}, "Spec": lock_spec("st", OTHER)}]
    lock.refresh()
    lock.release()
    assert (lock.lost, [c["ID"] for c in swarm.configs]) == (True, ["theirs"])


@pytest.mark.parametrize("error", [EngineError("refused"), KeyboardInterrupt()], ids=["failure", "ctrl-c"])
def test_hold_lock_releases_on_failure_and_ctrl_c(error: BaseException) -> None:
    swarm = FakeSwarm(strict=True)
    with pytest.raises(type(error)):
        with hold_lock(swarm, "st", Seen().options(0, refresh_every=3600)):
            assert read_lock(swarm, "st") is not None
            raise error
    assert (swarm.configs, swarm.calls_of("remove")) == ([], ["remove config st_composeswarm-lock"])


def test_a_release_the_engine_cannot_take_leaves_the_blocks_own_error() -> None:
    """The engine gone away: the wait's error says so; the lock left behind is taken over by the rerun."""
    from composeswarm.errors import EngineUnreachable, RolloutUnknown

    swarm = FakeSwarm(strict=True)
    swarm.refuse["remove config st_composeswarm-lock"] = EngineUnreachable("remove config: cannot reach the engine")
    with pytest.raises(RolloutUnknown, match="the outcome of the rollout is unknown"):
        with hold_lock(swarm, "st", Seen().options(0, refresh_every=3600)):
            raise RolloutUnknown("the outcome of the rollout is unknown")
    with pytest.raises(EngineUnreachable):  # a block that went well: the failed release is the error
        with hold_lock(FakeSwarm(strict=True, refuse=dict(swarm.refuse)), "st", Seen().options(0, refresh_every=3600)):
            pass


def test_unlock() -> None:
    swarm = held_by(OTHER)
    assert unlock(swarm, "st").host == "ci-7"
    assert swarm.configs == []
    with pytest.raises(EngineError, match="^no deploy lock of st is held$"):
        unlock(swarm, "st")


def _files(tmp_path: Path) -> list[str]:
    path = tmp_path / "compose.yml"
    path.write_text('version: "3.8"\nservices:\n  web:\n    image: nginx:1.25\n', encoding="utf-8")
    return [str(path)]


def test_a_deploy_with_changes_takes_the_lock_reads_again_under_it_and_releases_it_at_the_end(tmp_path: Path) -> None:
    swarm = FakeSwarm(strict=True, live=LiveStack(stack="st"))
    opts = DeployOptions(stack="st", files=_files(tmp_path), resolve_image="never", detach=True)
    deploy(opts, engine=cast("Engine", swarm), lock=Seen().options(0, refresh_every=3600))
    calls = [c for c in swarm.calls if c.split(" ")[0] in ("create", "remove", "read")]
    assert calls == [
        "read stack st", "create config st_composeswarm-lock", "read stack st", "create network st_default",
        "create service st_web", "remove config st_composeswarm-lock",
    ]
    assert swarm.configs == []


def deployed(tmp_path: Path) -> tuple[FakeSwarm, DeployOptions]:
    """A swarm holding the stack of `_files` as a first deploy left it, read back as its live stack."""
    swarm = FakeSwarm(strict=True, live=LiveStack(stack="st"))
    opts = DeployOptions(stack="st", files=_files(tmp_path), resolve_image="never", detach=True)
    deploy(opts, engine=cast("Engine", swarm), lock=Seen().options(0, refresh_every=3600))
    swarm.live = LiveStack(stack="st", services=list(swarm.services), networks=list(swarm.networks))
    swarm.calls.clear()
    return swarm, opts


def test_an_unchanged_redeploy_with_no_lock_held_never_takes_it(tmp_path: Path) -> None:
    swarm, opts = deployed(tmp_path)
    result = deploy(opts, engine=cast("Engine", swarm), lock=Seen().options(0, refresh_every=3600))
    assert not result.plan.has_changes
    assert swarm.calls_of("create", "update", "remove") == []
    assert swarm.calls_of("read") == ["read stack st"]
    assert swarm.calls_of("list") == ["list configs name=st_composeswarm-lock", "list nodes"]  # the lock: one read


def test_an_unchanged_redeploy_waits_for_a_held_lock(tmp_path: Path) -> None:
    """Another run holds the lock: the stack may be half-way through its deploy, so no "no changes" yet."""
    swarm, opts = deployed(tmp_path)
    swarm.configs.append({"ID": "lock1", "Version": {"Index": 7}, "Spec": lock_spec("st", OTHER)})
    with pytest.raises(EngineError, match="^the deploy lock of st is held by ci-7"):
        deploy(opts, engine=cast("Engine", swarm), lock=Seen().options(0))
    assert swarm.calls_of("update", "remove") == []


def test_an_unchanged_redeploy_takes_over_a_killed_runs_lock_and_removes_it(tmp_path: Path) -> None:
    swarm, opts = deployed(tmp_path)
    stale = dataclasses.replace(OTHER, refreshed="2000-01-01T00:00:00Z")
    swarm.configs.append({"ID": "lock1", "Version": {"Index": 7}, "Spec": lock_spec("st", stale)})
    seen = Seen()
    result = deploy(opts, engine=cast("Engine", swarm), lock=seen.options(0, refresh_every=3600))
    assert not result.plan.has_changes
    assert [line.startswith("takeover st ci-7 (pid 4242)") for line in seen.lines] == [True]
    assert swarm.configs == []


def test_deploy_waits_out_no_lock_held_by_another_and_writes_nothing(tmp_path: Path) -> None:
    swarm = held_by(OTHER)
    swarm.live = LiveStack(stack="st")
    opts = DeployOptions(stack="st", files=_files(tmp_path), resolve_image="never", detach=True)
    with pytest.raises(EngineError, match="^the deploy lock of st is held by ci-7"):
        deploy(opts, engine=cast("Engine", swarm), lock=Seen().options(0))
    assert swarm.calls_of("create", "update", "remove", "read") == ["read stack st", "create config st_composeswarm-lock"]


def test_a_dry_run_only_notes_the_lock(tmp_path: Path) -> None:
    swarm = held_by(OTHER)
    swarm.live = LiveStack(stack="st")
    noted: list[str] = []
    opts = DeployOptions(stack="st", files=_files(tmp_path), resolve_image="never", dry_run=True)
    lock = dataclasses.replace(Seen().options(0), on_held=lambda s, h: noted.append(f"{s} {h and h.host}"))
    result = deploy(opts, engine=cast("Engine", swarm), lock=lock)
    assert (result.lock_held and result.lock_held.host, noted) == ("ci-7", ["st ci-7"])
    assert swarm.calls_of("create", "update", "remove") == []


def test_rm_holds_the_lock_and_keeps_no_lock_object(tmp_path: Path) -> None:
    live = LiveStack(stack="st", services=[{"ID": "1", "Spec": {"Name": "st_web"}}])
    swarm = FakeSwarm.holding(live, strict=True)
    remove_stack(swarm, "st", wait=False, lock=Seen().options(0, refresh_every=3600))
    assert swarm.calls_of("create", "remove") == [
        "create config st_composeswarm-lock", "remove service st_web", "remove config st_composeswarm-lock",
    ]
    assert swarm.configs == []
