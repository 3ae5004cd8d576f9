"""act.conflict through apply_plan on the fake swarm: an update refused as out of sequence is read again,
planned again (act.deploy.replanner, the real make_plan), reported and retried once; a second conflict is one error."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest

from composeswarm.act.apply import Refs, apply_plan
from composeswarm.act.deploy import replanner
from composeswarm.convert.stack import DesiredStack
from composeswarm.dockerrules.defaults import as_stored
from composeswarm.engine.live import LiveStack
from composeswarm.errors import EngineError, PartialDeployError
from composeswarm.plan.builder import make_plan
from tests.support.fake_swarm import FakeSwarm, bind_names

Json = dict[str, Any]
OUT_OF_SEQUENCE = EngineError("update service st_web: rpc error: code = Unknown desc = update out of sequence", 500)
TOLD = "service st_web was changed by someone else after this deploy read it; read again"


def spec(replicas: int = 1, foo: str = "2") -> Json:
    """A ServiceSpec as the converter builds it."""
    return {
        "Name": "st_web",
        "Labels": {"com.docker.stack.image": "local/busybox:1", "com.docker.stack.namespace": "st"},
        "TaskTemplate": {
            "ContainerSpec": {"Image": "local/busybox:1", "Env": [f"FOO={foo}"],
                              "Labels": {"com.docker.stack.namespace": "st"}},
            "Networks": [{"Target": "st_default", "Aliases": ["web"]}],
        },
        "Mode": {"Replicated": {"Replicas": replicas}},
        "EndpointSpec": {"Mode": "vip"},
    }


def stored(sent: Json, index: int) -> Json:
    """The service as the engine returns it: defaults filled, network IDs, version `index`."""
    s = as_stored(copy.deepcopy(sent))
    s["TaskTemplate"]["Networks"] = [dict(n, Target="netid1") for n in s["TaskTemplate"]["Networks"]]
    return {"ID": "svc1", "Version": {"Index": index}, "Spec": s}


NET = {"Name": "st_default", "Id": "netid1", "Driver": "overlay", "Labels": {"com.docker.stack.namespace": "st"}}


def deploy_over(held_now: Json, gw: FakeSwarm | None = None, *, replan: bool = True) -> tuple[FakeSwarm, Any]:
    """Plan FOO=1 -> 2 against version 10 (replicas 1) while the swarm holds `held_now`; apply with a replanner."""
    desired = DesiredStack("st", services=cast(Any, {"st_web": spec()}))
    live = LiveStack("st", services=[stored(spec(foo="1"), 10)], networks=[NET])
    gw = gw or FakeSwarm()
    gw.services, gw.networks = [held_now], [NET]
    result = apply_plan(
        make_plan(desired, live), gw, bind=bind_names, refs=Refs(networks={"st_default": "netid1"}),
        replan=replanner(desired, live, prune=False, network_names={}) if replan else None,
    )
    return gw, result


def test_someone_scaled_it_between_read_and_write() -> None:
    gw, result = deploy_over(stored(spec(replicas=3, foo="1"), 11))  # `docker service scale st_web=3` ran
    assert gw.calls == ["update service st_web", "inspect service svc1", "update service st_web"]
    assert result.warnings == [f"{TOLD} and updated it: environment.FOO: 1 -> 2, deploy.replicas: 3 -> 1"]
    assert [(s.describe(), s.note) for s in result.applied] == [
        ("update service st_web", "re-read: environment.FOO: 1 -> 2, deploy.replicas: 3 -> 1"),
    ]
    sent, version, _ = gw.sent["update service st_web"]
    assert version == 11  # the version read again, with the spec planned again
    assert (sent["Mode"], sent["TaskTemplate"]["ContainerSpec"]["Env"]) == ({"Replicated": {"Replicas": 1}}, ["FOO=2"])
    assert gw.services[0]["Version"] == {"Index": 12}


def test_someone_already_made_the_change() -> None:
    gw, result = deploy_over(stored(spec(), 11))
    assert gw.calls == ["update service st_web", "inspect service svc1"]
    assert result.warnings == [f"{TOLD}, it is as the files describe: nothing sent"]


@pytest.mark.parametrize(
    ("refusal", "message", "calls"),
    [
        pytest.param(
            OUT_OF_SEQUENCE,
            "update service st_web: changed by someone else again while this deploy was updating it (update out "
            "of sequence twice); run the deploy again once nobody else is changing the service",
            ["update service st_web", "inspect service svc1", "update service st_web"],
            id="a second conflict is one clear error",
        ),
        pytest.param(
            EngineError("update service st_web: invalid mount config", 400), "update service st_web: invalid mount config",
            ["update service st_web"], id="any other refusal is not retried",
        ),
    ],
)
def test_refusals_that_end_the_deploy(refusal: EngineError, message: str, calls: list[str]) -> None:
    gw = FakeSwarm(refuse={"update service st_web": refusal}, refuse_times={"update service st_web": 2})
    with pytest.raises(PartialDeployError) as info:
        deploy_over(stored(spec(foo="1"), 10), gw)
    assert (str(info.value), info.value.applied, info.value.not_applied) == (message, [], ["update service st_web"])
    assert gw.calls == calls


def test_without_a_replanner_the_refusal_is_the_error() -> None:
    gw = FakeSwarm()
    with pytest.raises(PartialDeployError) as info:
        deploy_over(stored(spec(replicas=3, foo="1"), 11), gw, replan=False)
    assert str(info.value) == "update service st_web: rpc error: code = Unknown desc = update out of sequence"
    assert gw.calls == ["update service st_web"]
