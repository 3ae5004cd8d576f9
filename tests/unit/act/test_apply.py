"""apply_plan against the fake swarm: order, whole-spec updates, IDs, waves, partial failures."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from composeswarm.act.apply import DEFAULT_PARALLEL, ApplyResult, Refs, apply_plan
from composeswarm.errors import PartialDeployError, RolloutFailed
from composeswarm.plan.changes import Change, FieldChange, Plan
from tests.support.fake_swarm import FakeSwarm, bind_names


def svc(name: str, image: str = "local/busybox:1", nets: tuple[str, ...] = ("s_default",), **task: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Labels": {"com.docker.stack.namespace": "s", "com.docker.stack.image": image},
        "TaskTemplate": {
            "ContainerSpec": {"Image": image},
            "Networks": [{"Target": n} for n in nets],
            **task,
        },
    }


def live_svc(name: str, version: int = 7, force: int = 0) -> dict[str, Any]:
    spec = svc(name)
    if force:
        spec["TaskTemplate"]["ForceUpdate"] = force
    return {"ID": f"live-{name}", "Version": {"Index": version}, "Spec": spec}


NET = Change("network", "s_default", "create", desired={"Driver": "overlay", "Labels": {"com.docker.stack.namespace": "s"}})
SECRET = Change("secret", "s_pw", "create", desired={"Labels": {}, "Data": b"x"})
ROTATION = Change("secret", "s_pw_ab12", "replace", (FieldChange("name", "s_pw", "s_pw_ab12"),),
                  desired={"Name": "s_pw_ab12", "Labels": {}, "Data": b"n"})
CONFIG = Change("config", "s_conf", "create", desired={"Labels": {}, "Data": b"y"})


def run(changes: list[Change], gw: FakeSwarm | None = None, **kw: Any) -> tuple[FakeSwarm, Any]:
    gw = gw or FakeSwarm()
    result = apply_plan(Plan("s", tuple(changes)), gw, bind=bind_names, **kw)
    return gw, result


@pytest.mark.parametrize(
    ("changes", "calls", "applied"),
    [
        pytest.param([], [], [], id="no changes, no calls"),
        pytest.param(
            [Change("service", "s_web", "create", desired=svc("s_web")), CONFIG, SECRET, NET],
            ["create network s_default", "create secret s_pw", "create config s_conf", "create service s_web"],
            ["create network s_default", "create secret s_pw", "create config s_conf", "create service s_web"],
            id="networks, secrets, configs, then services",
        ),
        pytest.param(
            [Change("service", "s_old", "remove", live=live_svc("s_old")),
             Change("secret", "s_pw_v1", "remove", live={"ID": "sec1"}),
             Change("service", "s_web", "update", desired=svc("s_web"), live=live_svc("s_web"))],
            ["remove service s_old", "update service s_web", "remove secret s_pw_v1"],
            ["remove service s_old", "update service s_web", "remove secret s_pw_v1"],
            id="pruned services first, old secret versions after the services move off them",
        ),
        pytest.param(
            [ROTATION,
             Change("secret", "s_pw", "remove", live={"ID": "old"}, part_of="s_pw_ab12")],
            ["create secret s_pw_ab12", "remove secret s_pw"],
            ["replace secret s_pw_ab12", "remove secret s_pw"],
            id="rotated secret: new version created, old one removed last",
        ),
        pytest.param(
            [Change("service", "s_web", "replace", desired=svc("s_web"), live=live_svc("s_web"))],
            ["remove service s_web", "create service s_web"],
            ["replace service s_web"],
            id="replace removes then creates",
        ),
    ],
)
def test_call_order(changes: list[Change], calls: list[str], applied: list[str]) -> None:
    gw, result = run(changes, refs=Refs(networks={"s_default": "n1"}))
    assert gw.calls == calls
    assert [s.describe() for s in result.applied] == applied


def test_update_sends_the_plans_whole_spec_with_live_version() -> None:
    """What the engine owns (ForceUpdate, a pinned image) is the plan's to keep; apply sends its spec as it is."""
    desired = svc("s_web", image="local/busybox:2", ForceUpdate=3)
    gw, result = run(
        [Change("service", "s_web", "update", desired=desired, live=live_svc("s_web", version=42, force=5))],
        refs=Refs(networks={"s_default": "net-id"}),
    )
    spec, version, auth = gw.sent["update service s_web"]
    expected = svc("s_web", image="local/busybox:2", nets=("net-id",), ForceUpdate=3)
    assert (spec, version, auth) == (expected, 42, None)
    assert desired["TaskTemplate"]["Networks"] == [{"Target": "s_default"}]  # the plan is not mutated
    assert result.service_ids == {"s_web": "live-s_web"}


def test_ids_of_objects_just_created_are_bound() -> None:
    desired = svc("s_web")
    desired["TaskTemplate"]["ContainerSpec"]["Secrets"] = [{"SecretName": "s_pw"}, {"SecretName": "ext"}]
    gw, _ = run([NET, SECRET, Change("service", "s_web", "create", desired=desired)], refs=Refs(secrets={"ext": "ext-id"}))
    spec = gw.sent["create service s_web"][0]
    assert spec["TaskTemplate"]["Networks"] == [{"Target": "id-s_default"}]
    assert spec["TaskTemplate"]["ContainerSpec"]["Secrets"] == [
        {"SecretName": "s_pw", "SecretID": "id-s_pw"}, {"SecretName": "ext", "SecretID": "ext-id"}
    ]


@pytest.mark.parametrize(
    ("kind", "call"),
    [pytest.param("secret", "update secret s_pw", id="secret"), pytest.param("config", "update config s_pw", id="config")],
)
def test_file_object_update_sends_spec_and_version(kind: str, call: str) -> None:
    change = Change(kind, "s_pw", "update", desired={"Labels": {"a": "b"}, "Data": b"x"},  # type: ignore[arg-type]
                    live={"ID": "sid", "Version": {"Index": 5}})
    gw, _ = run([change])
    assert gw.sent[call] == ("sid", 5, {"Labels": {"a": "b"}, "Data": b"x", "Name": "s_pw"})


def test_registry_auth_is_sent_when_asked() -> None:
    gw = FakeSwarm(auth={"127.0.0.1:5000/app:1": "AUTH"})
    changes = [Change("service", "s_web", "create", desired=svc("s_web", image="127.0.0.1:5000/app:1", nets=()))]
    run(changes, gw, registry_auth=True)
    assert gw.sent["create service s_web"][2] == "AUTH"
    gw2, _ = run(changes)
    assert gw2.sent["create service s_web"][2] is None


def test_waves_in_order_with_wait_after_each() -> None:
    changes = [Change("service", f"s_{n}", "create", desired=svc(f"s_{n}", nets=())) for n in ("db", "api", "web", "cron")]
    waited: list[list[str]] = []
    gw, result = run(changes, waves=[["s_db"], ["s_api", "s_other"], ["s_web"]], wait=waited.append)
    assert waited == [["id-s_db"], ["id-s_api"], ["id-s_web"], ["id-s_cron"]]
    assert [s.name for s in result.applied] == ["s_db", "s_api", "s_web", "s_cron"]
    assert gw.calls == [f"create service s_{n}" for n in ("db", "api", "web", "cron")]


def test_partial_failure_says_what_was_and_was_not_applied() -> None:
    gw = FakeSwarm(refuse={"create service s_bad": "rpc error: code = InvalidArgument desc = bad spec"})
    changes = [NET, Change("service", "s_bad", "create", desired=svc("s_bad")),
               Change("service", "s_good", "create", desired=svc("s_good")),
               Change("service", "s_late", "create", desired=svc("s_late")),
               Change("service", "s_gone", "remove", live=live_svc("s_gone"))]
    with pytest.raises(PartialDeployError) as info:
        run(changes, gw, waves=[["s_bad", "s_good"], ["s_late"]])
    err = info.value
    assert str(err) == "create service s_bad: rpc error: code = InvalidArgument desc = bad spec"
    assert err.applied == ["remove service s_gone", "create network s_default", "create service s_good"]
    assert err.not_applied == ["create service s_bad", "create service s_late"]
    assert "create service s_late" not in gw.calls


def test_failure_in_an_early_stage_stops_before_services() -> None:
    gw = FakeSwarm(refuse={"update secret s_pw": "rpc error: code = InvalidArgument desc = only updates to Labels are allowed"})
    changes = [Change("secret", "s_pw", "update", desired={"Labels": {}, "Data": b"new"}, live={"ID": "x", "Version": {"Index": 1}}),
               CONFIG, Change("service", "s_web", "create", desired=svc("s_web", nets=()))]
    with pytest.raises(PartialDeployError) as info:
        run(changes, gw)
    assert (info.value.applied, info.value.not_applied) == (
        [], ["update secret s_pw", "create config s_conf", "create service s_web"]
    )
    assert gw.calls == ["update secret s_pw"]


def test_rotation_steps_say_which_version_they_replace() -> None:
    _, result = run([ROTATION, Change("secret", "s_pw", "remove", live={"ID": "old"}, part_of="s_pw_ab12")])
    assert [(s.describe(), s.note) for s in result.applied] == [
        ("replace secret s_pw_ab12", "new version of s_pw"), ("remove secret s_pw", "old version")
    ]


def test_each_step_is_told_as_it_is_made_and_kept_when_a_wait_raises() -> None:
    """Lines come out before the wait of their wave; what was applied survives the wait's error."""
    changes = [NET] + [Change("service", f"s_{n}", "create", desired=svc(f"s_{n}", nets=())) for n in ("db", "a", "b")]
    told: list[str] = []

    def wait(ids: list[str]) -> None:
        told.append(f"wait {','.join(ids)}")
        if "id-s_a" in ids:
            raise RolloutFailed("rollout failed: s_a: update rolled back")

    kept = ApplyResult("s")
    with pytest.raises(RolloutFailed):
        apply_plan(Plan("s", tuple(changes)), FakeSwarm(), bind=bind_names, waves=[["s_db"], ["s_a", "s_b"]],
                   wait=wait, on_step=lambda step: told.append(step.describe()), result=kept)
    assert told == ["create network s_default", "create service s_db", "wait id-s_db",
                    "create service s_a", "create service s_b", "wait id-s_a,id-s_b"]
    assert [s.describe() for s in kept.applied] == told[:2] + told[3:5]


@pytest.mark.parametrize(
    ("changed", "waits"),
    [
        pytest.param(["web"], ["unchanged live-s_api", "live-s_web"], id="only web: its unchanged api first"),
        pytest.param(["api", "web"], ["unchanged live-s_db", "live-s_api", "live-s_web"],
                     id="api and web: db for api; api was just waited for"),
        pytest.param(["db", "web"], ["live-s_db", "unchanged live-s_api", "live-s_web"],
                     id="db and web: api, unchanged, before web"),
        pytest.param(["db"], ["live-s_db"], id="nothing depends on what changed: no extra wait"),
    ],
)
def test_unchanged_dependencies_are_waited_for_before_their_dependents(changed: list[str], waits: list[str]) -> None:
    """web -> api -> db: a wave waits for what it depends on even when this deploy left it as it was."""
    changes = [Change("service", f"s_{n}", "update", desired=svc(f"s_{n}", nets=()), live=live_svc(f"s_{n}"))
               for n in changed]
    waited: list[str] = []

    def wait(ids: list[str], *, unchanged: bool = False) -> None:
        waited.append(("unchanged " if unchanged else "") + ",".join(ids))

    run(changes, waves=[["s_db"], ["s_api"], ["s_web"]], wait=wait, needs={"s_web": ["s_api"], "s_api": ["s_db"]},
        refs=Refs(services={f"s_{n}": f"live-s_{n}" for n in ("db", "api", "web")}))
    assert waited == waits


class SlowSwarm(FakeSwarm):
    """A fake whose service creations take a while, counting how many are in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self._count_lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def create_service(self, spec: dict[str, Any], registry_auth: str | None = None) -> tuple[str, list[str]]:
        with self._count_lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.05)
            return super().create_service(spec, registry_auth)
        finally:
            with self._count_lock:
                self.in_flight -= 1


@pytest.mark.parametrize(("parallel", "most"), [
    pytest.param(1, 1, id="one at a time"),
    pytest.param(3, 3, id="three at once"),
    pytest.param(DEFAULT_PARALLEL, DEFAULT_PARALLEL, id="the default"),
    pytest.param(20, 9, id="more than the wave: the whole wave at once"),
])
def test_parallel_bounds_the_service_calls_in_flight(parallel: int, most: int) -> None:
    changes = [Change("service", f"s_{i}", "create", desired=svc(f"s_{i}", nets=())) for i in range(9)]
    gw, result = run(changes, SlowSwarm(), parallel=parallel)
    assert gw.most_in_flight == most
    assert [s.describe() for s in result.applied] == [f"create service s_{i}" for i in range(9)]


def test_parallel_below_one_is_refused() -> None:
    with pytest.raises(ValueError) as info:
        run([Change("service", "s_a", "create", desired=svc("s_a"))], parallel=0)
    assert str(info.value) == "parallel must be at least 1, got 0"
