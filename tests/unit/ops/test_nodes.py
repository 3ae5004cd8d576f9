"""ops.nodes: every node with the tasks on it, read with three list calls from the fake swarm."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import EngineError
from composeswarm.ops.nodes import node_view
from tests.support.fake_swarm import FakeSwarm, node, service, task


def nodes() -> list[dict[str, Any]]:
    worker = node("n2", "wrk1")
    manager = dict(node("n1", "mgr1"), Spec={"Role": "manager", "Availability": "active", "Labels": {"db": "true"}})
    return [worker, manager, node("n3", "wrk10"), node("n4", "wrk2")]


def stacked(svc: dict[str, Any], stack: str = "st") -> dict[str, Any]:
    svc["Spec"]["Labels"] = {"com.docker.stack.namespace": stack}
    return svc


def test_tasks_by_node_managers_first_then_by_name() -> None:
    fake = FakeSwarm(
        services=[stacked(service("st_web")), stacked(service("st_agent", mode="global"))],
        tasks=[
            task("st_web", 1, node="n2"),
            task("st_web", 2, "pending", node=""),
            task("st_web", 3, "shutdown", "shutdown", node="n1"),  # scaled away: history
            task("st_web", 1, "failed", "shutdown", created="2026-11-29T09:00:00Z", node="n1"),  # replaced
            task("st_agent", None, node="n1"),
            task("st_agent", None, "starting", node="n3"),
        ],
        nodes=nodes(),
    )
    view = node_view(fake, "st")
    assert [(n.node.hostname, [(t.name, t.state) for t in n.tasks]) for n in view.nodes] == [
        ("mgr1", [("st_agent.n1", "running")]),
        ("wrk1", [("st_web.1", "running")]),
        ("wrk2", []),
        ("wrk10", [("st_agent.n3", "starting")]),
    ]
    assert [(t.name, t.state) for t in view.unassigned] == [("st_web.2", "pending")]
    assert fake.calls == [
        "list services label=com.docker.stack.namespace=st", "list nodes", "list tasks label=com.docker.stack.namespace=st",
    ]


def test_without_a_stack_every_stacks_tasks() -> None:
    fake = FakeSwarm(services=[], tasks=[], nodes=nodes())
    view = node_view(fake)
    assert (view.stack, len(view.nodes)) == (None, 4)
    assert fake.calls[0] == "list services label=com.docker.stack.namespace"


def test_unknown_stack() -> None:
    with pytest.raises(EngineError) as info:
        node_view(FakeSwarm(), "nope")
    assert str(info.value) == "nothing found in stack: nope"
