"""Engine JSON as `ls`, `services` and `ps` read it (services with their status, tasks with their
ports), for the tests of ops.rows and of the tables render makes of the rows."""

from __future__ import annotations

from typing import Any

LABEL = "com.docker.stack.namespace"
T0 = "2026-11-29T11:14:08.79398882Z"
T0_NS = 1795950848_793988820


def svc(name: str, stack: str | None = "st", mode: dict[str, Any] | None = None, status: dict[str, int] | None = None,
        ports: list[dict[str, Any]] | None = None, image: str = "local/busybox:1", placement: dict[str, Any] | None = None,
        ident: str | None = None) -> dict[str, Any]:
    """A service as GET /services?status=true returns it."""
    labels = {LABEL: stack} if stack is not None else {}
    spec: dict[str, Any] = {
        "Name": name,
        "Labels": labels,
        "Mode": mode if mode is not None else {"Replicated": {"Replicas": 1}},
        "TaskTemplate": {"ContainerSpec": {"Image": image}, "Placement": placement or {}},
    }
    out: dict[str, Any] = {"ID": ident or f"id{name}".ljust(25, "x"), "Spec": spec}
    if status is not None:
        out["ServiceStatus"] = status
    if ports is not None:
        out["Endpoint"] = {"Ports": ports}
    return out


def task(ident: str, service: str, slot: int, created: str, state: str = "running", desired: str = "running",
         node: str = "n1", err: str = "", ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A task as GET /tasks returns it."""
    return {
        "ID": ident,
        "ServiceID": service,
        "Slot": slot,
        "NodeID": node,
        "CreatedAt": created,
        "DesiredState": desired,
        "Spec": {"ContainerSpec": {"Image": "local/busybox:1@sha256:" + "a" * 64}},
        "Status": {"State": state, "Timestamp": created, "Err": err, "PortStatus": {"Ports": ports} if ports else {}},
    }
