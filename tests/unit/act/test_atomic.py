"""act.atomic: what `deploy --atomic` puts back, from the plan and the calls made, in the fake swarm."""

from __future__ import annotations

from composeswarm.act.apply import ApplyResult, Refs, Step
from composeswarm.act.atomic import undo
from composeswarm.act.deploy import Deployment, DeployOptions, DeployResult
from composeswarm.plan.changes import Change, FieldChange, Plan
from composeswarm.plan.waves import Order
from tests.support.fake_swarm import FakeSwarm

OLD = {"Name": "st_web", "TaskTemplate": {"ContainerSpec": {"Image": "local/busybox:1"}}}
NEW = {"Name": "st_web", "TaskTemplate": {"ContainerSpec": {"Image": "local/busybox:2"}}}


def _deployment(swarm: FakeSwarm, plan: Plan, steps: list[Step]) -> Deployment:
    result = DeployResult(stack="st", plan=plan, applied=ApplyResult(stack="st", applied=steps))
    return Deployment(opts=DeployOptions(stack="st", atomic=True), engine=swarm, refs=Refs(),  # type: ignore[arg-type]
                      order=Order(waves=(), needs={}, conditions={}), result=result)


def test_updated_services_get_their_old_spec_and_what_was_created_is_removed() -> None:
    live = {"ID": "w1", "Version": {"Index": 5}, "Spec": OLD}
    swarm = FakeSwarm(services=[{"ID": "w1", "Version": {"Index": 7}, "Spec": NEW},
                                {"ID": "id-st_new", "Version": {"Index": 1}, "Spec": {"Name": "st_new"}}],
                      secrets=[{"ID": "id-st_pw_abc", "Spec": {"Name": "st_pw_abc"}}])
    plan = Plan("st", changes=(
        Change("secret", "st_pw_abc", "replace", desired={"Name": "st_pw_abc"}),
        Change("service", "st_new", "create", desired={"Name": "st_new"}),
        Change("service", "st_web", "update", (FieldChange("image", "local/busybox:1", "local/busybox:2"),), NEW, live),
    ))
    steps = [Step("secret", "st_pw_abc", "create", "id-st_pw_abc"), Step("service", "st_new", "create", "id-st_new"),
             Step("service", "st_web", "update", "w1")]
    waited: list[list[str]] = []
    lines = undo(_deployment(swarm, plan, steps), timeout=5, wait=lambda d, ids, deadline: waited.append(ids) or [])
    assert lines == [
        "removed service st_new, which this deploy created",
        "restored service st_web to its previous spec",
        "removed secret st_pw_abc, which this deploy created",
    ]
    assert swarm.calls_of("update", "remove") == ["remove service st_new", "update service st_web", "remove secret st_pw_abc"]
    assert swarm.sent["update service st_web"][:2] == (OLD, 7)  # the whole old spec, at the current version
    assert waited == [["w1"]]


def test_nothing_applied_nothing_undone() -> None:
    swarm = FakeSwarm()
    plan = Plan("st", changes=(Change("service", "st_web", "create", desired=NEW),))
    assert undo(_deployment(swarm, plan, []), timeout=5, wait=lambda d, ids, deadline: []) == []
    assert swarm.calls == []
