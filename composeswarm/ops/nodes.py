"""The read behind `nodes [STACK]`: every node with the stack's tasks on it (all stacks' without one).

Three list calls (nodes, tasks, services). A task shown is the newest of its name (`ps` without
`--all`) that swarm still wants to run or has run to completion: tasks told to shut down (replaced,
scaled away, of a removed service) are history, not what is on the node. A task no node took yet
(pending: "no suitable node") is listed apart, as unassigned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from composeswarm.dockerrules.stacknames import LABEL_NAMESPACE, stack_filter
from composeswarm.engine.live import Json, LiveNode, node_from_json
from composeswarm.errors import EngineError
from composeswarm.ops.rows import TaskRow, natural_key, node_names, task_rows

_GONE = ("shutdown", "remove", "orphaned")  # desired states of tasks that are on their way out


class Reader(Protocol):
    """The engine reads the node view needs (composeswarm.engine.gateway.Engine has them)."""

    def list_nodes(self) -> list[Json]: ...

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...


@dataclass(frozen=True)
class NodeTasks:
    """One node and the tasks on it, in name order."""

    node: LiveNode
    tasks: list[TaskRow] = field(default_factory=list)


@dataclass(frozen=True)
class NodeView:
    """The swarm's nodes (managers first, then by name) with the tasks of one stack, or of every stack."""

    stack: str | None
    nodes: list[NodeTasks]
    unassigned: list[TaskRow] = field(default_factory=list)  # tasks no node has taken (yet)


def node_view(gateway: Reader, stack: str | None = None) -> NodeView:
    """Read nodes, tasks and services once; EngineError `nothing found in stack` for a stack with no service."""
    label = stack_filter(stack) if stack is not None else {"label": [LABEL_NAMESPACE]}
    services = gateway.list_services(label)
    if stack is not None and not services:
        raise EngineError(f"nothing found in stack: {stack}")
    raw_nodes = gateway.list_nodes()
    tasks = gateway.list_tasks(label)
    return view_of(raw_nodes, tasks, services, stack)


def view_of(raw_nodes: list[Json], tasks: list[Json], services: list[Json], stack: str | None = None) -> NodeView:
    """The node view of these engine lists (pure)."""
    names = {str(s.get("ID", "")): str((s.get("Spec") or {}).get("Name", "")) for s in services}
    rows = [r for r in task_rows(tasks, names, node_names(raw_nodes)) if r.desired_state not in _GONE]
    nodes = sorted((node_from_json(n) for n in raw_nodes),
                   key=lambda n: (n.role != "manager", natural_key(n.name or n.hostname), n.id))
    by_node: dict[str, list[TaskRow]] = {n.id: [] for n in nodes}
    unassigned: list[TaskRow] = []
    for row in rows:
        by_node.get(row.node_id, unassigned).append(row)
    return NodeView(stack, [NodeTasks(n, by_node[n.id]) for n in nodes], unassigned)
