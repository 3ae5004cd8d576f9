"""Fakes for the watcher: engine objects shaped like the Engine API's, a scripted gateway, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]
T0 = "2026-11-29T10:00:00Z"  # when the fake services were last updated (the watcher's anchor)


def service(
    name: str,
    *,
    replicas: int = 1,
    mode: str = "replicated",
    restart: str | None = None,
    max_attempts: int | None = None,
    update_state: str | None = None,
    update_message: str = "",
    failure_action: str | None = None,
    iteration: int = 0,
    total: int = 1,
    updated: str = T0,
) -> Json:
    """A service as GET /services shows it."""
    modes = {
        "replicated": {"Replicated": {"Replicas": replicas}},
        "global": {"Global": {}},
        "replicated-job": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": total}},
        "global-job": {"GlobalJob": {}},
    }
    template: Json = {"ContainerSpec": {"Image": "local/busybox:1"}}
    if restart is not None or max_attempts is not None:
        policy: Json = {}
        if restart is not None:
            policy["Condition"] = restart
        if max_attempts is not None:
            policy["MaxAttempts"] = max_attempts
        template["RestartPolicy"] = policy
    spec: Json = {"Name": name, "TaskTemplate": template, "Mode": modes[mode]}
    if failure_action is not None:
        spec["UpdateConfig"] = {"FailureAction": failure_action}
    out: Json = {"ID": f"id-{name}", "CreatedAt": T0, "UpdatedAt": updated, "Spec": spec}
    if update_state is not None:
        out["UpdateStatus"] = {"State": update_state, "Message": update_message}
    if mode.endswith("job"):
        out["JobStatus"] = {"JobIteration": {"Index": iteration} if iteration else {}}
    return out


def task(
    svc: str,
    slot: int | None = 1,
    state: str = "running",
    desired: str = "running",
    *,
    err: str | None = None,
    created: str = "2026-11-29T10:00:01Z",
    node: str = "n1",
    iteration: int | None = None,
    ident: str | None = None,
) -> Json:
    """A task as GET /tasks shows it (Slot left out for global tasks, as the engine does)."""
    status: Json = {"State": state, "Timestamp": created, "Message": state}
    if err is not None:
        status["Err"] = err
    out: Json = {
        "ID": ident or f"t-{svc}-{slot}-{state}-{created[-4:-1]}",
        "ServiceID": f"id-{svc}",
        "NodeID": node,
        "CreatedAt": created,
        "DesiredState": desired,
        "Status": status,
    }
    if slot is not None:
        out["Slot"] = slot
    if iteration is not None:
        out["JobIteration"] = {"Index": iteration} if iteration else {}
    return out


def node(ident: str = "n1", hostname: str = "vm", state: str = "ready") -> Json:
    """A node as GET /nodes shows it."""
    return {"ID": ident, "Description": {"Hostname": hostname}, "Status": {"State": state}}


@dataclass
class Snapshot:
    """What the engine holds at one poll; `history` defaults to the current tasks."""

    services: list[Json]
    current: list[Json]
    history: list[Json] | None = None


@dataclass
class FakeGateway:
    """Answers poll i from snapshots[i] (the last one repeats); records every call it gets."""

    snapshots: list[Snapshot]
    nodes: list[Json] = field(default_factory=lambda: [node()])
    calls: list[str] = field(default_factory=list)
    index: int = -1

    def _snap(self) -> Snapshot:
        return self.snapshots[min(self.index, len(self.snapshots) - 1)]

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]:
        self.index += 1
        ids = (filters or {}).get("id", [])
        self.calls.append("list services id=" + ",".join(ids))
        return [s for s in self._snap().services if any(s["ID"].startswith(i) for i in ids)]

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]:
        filters = filters or {}
        ids = filters.get("service", [])
        up_to_date = "_up-to-date" in filters
        self.calls.append("list tasks service=" + ",".join(ids) + (" up-to-date" if up_to_date else ""))
        snap = self._snap()
        tasks = snap.current if up_to_date or snap.history is None else snap.history
        return [t for t in tasks if t["ServiceID"] in ids]

    def list_nodes(self) -> list[Json]:
        self.calls.append("list nodes")
        return self.nodes


@dataclass
class Clock:
    """A clock that moves only when the watcher sleeps; `interrupt_at` raises Ctrl-C in a sleep."""

    now: float = 100.0
    interrupt_at: float | None = None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.interrupt_at is not None and self.now >= self.interrupt_at:
            raise KeyboardInterrupt
