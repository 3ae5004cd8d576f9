"""The reads behind `ls`, `services` and `ps`: a few list calls, turned into rows (`ops.rows`)."""

from __future__ import annotations

from typing import Protocol

from composeswarm.dockerrules.stacknames import stack_filter
from composeswarm.engine.live import Json
from composeswarm.errors import EngineError
from composeswarm.ops.rows import ServiceRow, StackSummary, TaskRow, node_names, service_rows, stack_summaries, task_rows


class Reader(Protocol):
    """The engine reads these commands need (composeswarm.engine.gateway.Engine has them)."""

    def list_stacks_services(self) -> list[Json]: ...

    def list_services_status(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...

    def list_nodes(self) -> list[Json]: ...


def list_stacks(gateway: Reader) -> list[StackSummary]:
    """Every stack (by the namespace label, whichever tool made it) with its service count."""
    return stack_summaries(gateway.list_stacks_services())


def list_stack_services(gateway: Reader, stack: str) -> list[ServiceRow]:
    """The services of `stack` with their running/desired counts; EngineError when it has none."""
    live = gateway.list_services_status(stack_filter(stack))
    if not live:
        raise EngineError(f"nothing found in stack: {stack}")
    return service_rows(live)


def list_stack_tasks(gateway: Reader, stack: str, all_tasks: bool) -> list[TaskRow]:
    """The tasks of `stack` (with the ones they replaced when `all_tasks`); EngineError when it has none."""
    label = stack_filter(stack)
    tasks = gateway.list_tasks(label)
    if not tasks:
        raise EngineError(f"nothing found in stack: {stack}")
    names = {str(s["ID"]): str(s["Spec"]["Name"]) for s in gateway.list_services(label)}
    return task_rows(tasks, names, node_names(gateway.list_nodes()), all_tasks)
