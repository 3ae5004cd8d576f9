"""ops.listing: the reads behind ls / services / ps, against the one fake swarm."""

from __future__ import annotations

import pytest

from composeswarm.errors import EngineError
from composeswarm.ops.listing import list_stack_services, list_stack_tasks, list_stacks
from tests.support.fake_swarm import FakeSwarm, node, service, task


def labelled(name: str, stack: str) -> dict[str, object]:
    svc = service(name)
    svc["Spec"]["Labels"] = {"com.docker.stack.namespace": stack}
    svc["ServiceStatus"] = {"RunningTasks": 1, "DesiredTasks": 1}
    return svc


def test_stacks_are_counted_by_their_label() -> None:
    swarm = FakeSwarm(services=[labelled("a_web", "a"), labelled("a_db", "a"), labelled("b_web", "b"), service("loose")])
    assert [(s.name, s.services) for s in list_stacks(swarm)] == [("a", 2), ("b", 1)]


def test_services_of_one_stack_only() -> None:
    swarm = FakeSwarm(services=[labelled("a_web", "a"), labelled("b_web", "b")])
    assert [row.name for row in list_stack_services(swarm, "a")] == ["a_web"]
    assert swarm.calls == ["list services status label=com.docker.stack.namespace=a"]


@pytest.mark.parametrize("read", [list_stack_services, lambda g, s: list_stack_tasks(g, s, False)], ids=["services", "ps"])
def test_an_empty_stack_is_one_error(read: object) -> None:
    with pytest.raises(EngineError) as caught:
        read(FakeSwarm(), "gone")  # type: ignore[operator]
    assert str(caught.value) == "nothing found in stack: gone"


def test_tasks_are_named_by_their_service_and_node() -> None:
    swarm = FakeSwarm(services=[labelled("a_web", "a")], tasks=[task("a_web", 1)], nodes=[node("n1", "vm1")])
    rows = list_stack_tasks(swarm, "a", all_tasks=False)
    assert [(row.name, row.node) for row in rows] == [("a_web.1", "vm1")]
