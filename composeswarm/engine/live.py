"""What the engine holds, as the plan reads it: plain Engine API JSON, no SDK (the plan imports this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass
class LiveStack:
    """Everything the engine holds for one stack, read with one list call per kind."""

    stack: str
    services: list[Json] = field(default_factory=list)
    networks: list[Json] = field(default_factory=list)
    secrets: list[Json] = field(default_factory=list)
    configs: list[Json] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the engine has nothing labelled with this stack."""
        return not (self.services or self.networks or self.secrets or self.configs)


@dataclass(frozen=True)
class LiveNode:
    """One swarm node as scheduling sees it: who it is, whether it takes tasks, what it has."""

    id: str
    hostname: str
    role: str = "worker"  # the role asked for (Spec.Role): "manager" or "worker"
    availability: str = "active"  # active, pause, drain
    state: str = "ready"  # ready, down, disconnected, unknown
    addr: str = ""  # the address it is reached at (Status.Addr)
    labels: dict[str, str] = field(default_factory=dict)  # node labels (docker node update --label-add)
    engine_labels: dict[str, str] = field(default_factory=dict)  # the daemon's --label values
    os: str = ""
    arch: str = ""  # as the engine reports it: x86_64, aarch64, ...
    nano_cpus: int = 0  # 0: not reported
    memory_bytes: int = 0  # 0: not reported
    engine_version: str = ""
    name: str = ""  # the node's spec name when set (docker shows it in place of the hostname)


def node_from_json(node: Json) -> LiveNode:
    """A node as GET /nodes returns it, in the shape the plan and the node view read."""
    spec = node.get("Spec") or {}
    desc = node.get("Description") or {}
    platform = desc.get("Platform") or {}
    resources = desc.get("Resources") or {}
    engine = desc.get("Engine") or {}
    status = node.get("Status") or {}
    return LiveNode(
        id=str(node.get("ID") or ""),
        hostname=str(desc.get("Hostname") or ""),
        role=str(spec.get("Role") or "worker"),
        availability=str(spec.get("Availability") or "active"),
        state=str(status.get("State") or "unknown"),
        addr=str(status.get("Addr") or ""),
        labels={str(k): str(v) for k, v in (spec.get("Labels") or {}).items()},
        engine_labels={str(k): str(v) for k, v in (engine.get("Labels") or {}).items()},
        os=str(platform.get("OS") or ""),
        arch=str(platform.get("Architecture") or ""),
        nano_cpus=int(resources.get("NanoCPUs") or 0),
        memory_bytes=int(resources.get("MemoryBytes") or 0),
        engine_version=str(engine.get("EngineVersion") or ""),
        name=str(spec.get("Name") or ""),
    )
