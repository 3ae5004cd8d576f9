"""Engine lists -> rows for `ls`, `services` and `ps`: pure functions, no engine, no printing.

The rules are the docker CLI's (docker/cli `cli/command/stack`, `service/formatter.go`,
`task/print.go`): stacks are found by the `com.docker.stack.namespace` label on services; task names
are `<service>.<slot>`, or `<service>.<node id>` for slot-less (global) tasks; tasks of one name are
listed newest first, and the older ones are the history that `ps --all` shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from composeswarm.dockerrules.modes import listed_mode
from composeswarm.dockerrules.stacknames import LABEL_NAMESPACE
from composeswarm.dockerrules.timestamps import parse_time_ns


Json = dict[str, Any]

# Task states in lifecycle order (swarmkit); anything after "running" is terminal.
TASK_STATES = (
    "new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting",
    "running", "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StackSummary:
    """One stack and how many services carry its label."""

    name: str
    services: int


@dataclass(frozen=True, slots=True)
class Port:
    """A published port of a service or a task."""

    published: int
    target: int
    protocol: str
    mode: str  # "ingress" or "host"


@dataclass(frozen=True, slots=True)
class ServiceRow:
    """One line of `services`: the service with its mode, replica counts, image and ports."""

    id: str
    name: str
    mode: str  # replicated, global, replicated job, global job
    running: int
    desired: int
    completed: int
    total_completions: int | None  # jobs only
    max_per_node: int  # 0: no limit (replicated services only)
    image: str  # as the spec has it (digest and all)
    ports: tuple[Port, ...]


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One line of `ps`: a task with its name, node, states and error."""

    id: str
    name: str  # stack_web.1 or stack_web.<node id>
    service: str
    slot: int
    image: str
    node_id: str
    node: str  # the node's hostname, or its ID when unknown
    desired_state: str
    state: str
    state_time_ns: int  # when the task entered `state` (ns since the epoch; 0 when unknown)
    error: str
    ports: tuple[Port, ...]
    history: bool  # an older task of the same name: shown only with --all, indented


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key comparing runs of digits as numbers (`web.2` before `web.10`), like sortorder.NaturalLess."""
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def stack_summaries(services: list[Json]) -> list[StackSummary]:
    """Stacks found on services' namespace labels, with service counts, in natural name order."""
    counts: dict[str, int] = {}
    for svc in services:
        name = ((svc.get("Spec") or {}).get("Labels") or {}).get(LABEL_NAMESPACE)
        if name is None:
            continue
        counts[name] = counts.get(name, 0) + 1
    return [StackSummary(n, counts[n]) for n in sorted(counts, key=natural_key)]


def service_rows(services: list[Json]) -> list[ServiceRow]:
    """Rows for `services`, in natural name order; counts come from ServiceStatus (list with status=true)."""
    rows = []
    for svc in services:
        spec = svc.get("Spec") or {}
        status = svc.get("ServiceStatus") or {}
        mode = listed_mode(spec)
        modes = spec.get("Mode") or {}
        desired = int(status.get("DesiredTasks") or 0)
        completed = int(status.get("CompletedTasks") or 0)
        total: int | None = None
        if mode == "replicated job":
            total = int((modes.get("ReplicatedJob") or {}).get("TotalCompletions") or 0)
        elif mode == "global job":
            # desired counts only the tasks still to complete (docker/cli does the same sum)
            total = desired + completed
        placement = (spec.get("TaskTemplate") or {}).get("Placement") or {}
        max_per_node = int(placement.get("MaxReplicas") or 0) if mode == "replicated" else 0
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        endpoint_ports = (svc.get("Endpoint") or {}).get("Ports")
        if endpoint_ports is None:
            endpoint_ports = (spec.get("EndpointSpec") or {}).get("Ports")
        rows.append(
            ServiceRow(
                id=str(svc.get("ID", "")),
                name=str(spec.get("Name", "")),
                mode=mode,
                running=int(status.get("RunningTasks") or 0),
                desired=desired,
                completed=completed,
                total_completions=total,
                max_per_node=max_per_node,
                image=str(container.get("Image", "")),
                ports=_ports(endpoint_ports),
            )
        )
    return sorted(rows, key=lambda r: natural_key(r.name))


def _ports(raw: list[Json] | None) -> tuple[Port, ...]:
    out: list[Port] = []
    for p in raw or []:
        port = Port(
            published=int(p.get("PublishedPort") or 0),
            target=int(p.get("TargetPort") or 0),
            protocol=str(p.get("Protocol") or "tcp"),
            mode=str(p.get("PublishMode") or "ingress"),
        )
        if port not in out:  # the engine repeats host-mode ports in a task's PortStatus
            out.append(port)
    return tuple(out)


def task_rows(
    tasks: list[Json],
    service_names: dict[str, str],
    node_names: dict[str, str],
    include_history: bool = False,
) -> list[TaskRow]:
    """Rows for `ps`: grouped by task name in natural order, newest first; history only when asked."""
    named = []
    for task in tasks:
        service_id = str(task.get("ServiceID", ""))
        service = service_names.get(service_id, service_id)
        slot = int(task.get("Slot") or 0)
        node_id = str(task.get("NodeID") or "")
        name = f"{service}.{slot}" if slot != 0 else f"{service}.{node_id}"
        named.append((name, parse_time_ns(task.get("CreatedAt")), task, service, slot, node_id))
    # newest first within a name, then a stable sort by name keeps that order
    named.sort(key=lambda t: t[1], reverse=True)
    named.sort(key=lambda t: natural_key(t[0]))
    rows = []
    previous = None
    for name, _, task, service, slot, node_id in named:
        history = name == previous
        previous = name
        if history and not include_history:
            continue
        status = task.get("Status") or {}
        container = (task.get("Spec") or {}).get("ContainerSpec") or {}
        rows.append(
            TaskRow(
                id=str(task.get("ID", "")),
                name=name,
                service=service,
                slot=slot,
                image=str(container.get("Image", "")),
                node_id=node_id,
                node=node_names.get(node_id, node_id),
                desired_state=str(task.get("DesiredState", "")),
                state=str(status.get("State", "")),
                state_time_ns=parse_time_ns(status.get("Timestamp")),
                error=str(status.get("Err") or ""),
                ports=_ports((status.get("PortStatus") or {}).get("Ports")),
                history=history,
            )
        )
    return rows


def node_names(nodes: list[Json]) -> dict[str, str]:
    """Node ID -> name as docker resolves it for NODE and log prefixes: spec name, hostname, else the ID."""
    out = {}
    for node in nodes:
        ident = str(node.get("ID", ""))
        name = (node.get("Spec") or {}).get("Name") or (node.get("Description") or {}).get("Hostname") or ident
        out[ident] = str(name)
    return out


def is_terminal(state: str) -> bool:
    """True for task states after running (complete, shutdown, failed, rejected, ...)."""
    return state in TASK_STATES and TASK_STATES.index(state) > TASK_STATES.index("running")


def display_image(image: str) -> str:
    """The image as docker lists it: a tagged reference loses its digest and docker.io prefix."""
    name, _, _digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return image  # untagged: docker prints the reference untouched
    repo, tag = name.rsplit(":", 1)
    if repo != repo.lower():
        return image  # not a valid reference: docker keeps the string as it is
    for prefix in ("docker.io/library/", "index.docker.io/library/"):
        if repo.startswith(prefix) and "/" not in repo[len(prefix):]:
            repo = repo[len(prefix):]
            break
    else:
        for prefix in ("docker.io/", "index.docker.io/"):
            if repo.startswith(prefix):
                repo = repo[len(prefix):]
                break
    return f"{repo}:{tag}"


def now_ns() -> int:
    """The current time in ns since the epoch (a seam for tests)."""
    return int(datetime.now(timezone.utc).timestamp() * 1_000_000_000)
