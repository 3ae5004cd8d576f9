"""The one fake swarm of the unit tests: engine objects in memory, every gateway call recorded.

`FakeSwarm` has the methods of `composeswarm.engine.gateway.Engine` that the stages call (apply,
resolve, deploy's checks, the watcher, logs, rm). It answers reads from what it holds, or, given
`snapshots`, from one scripted snapshot per poll; an update with a version that is not the held
service's is refused as out of sequence, as swarm does. It records each call under the name the Engine
gives it in its errors, list calls with their filters ("create service s_web", "inspect network n",
"list tasks service=id-a up-to-date"), so a refused call fails with the text the Engine would give.
It imports no Docker SDK.

The builders make objects shaped as the Engine API returns them; `Clock` is time that moves only
when the code under test sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from composeswarm.errors import EngineError

Json = dict[str, Any]
Filters = dict[str, list[str]]
T0 = "2026-11-29T10:00:00Z"  # when the fake services were last updated (the watcher's anchor)


# --- engine objects ---------------------------------------------------------------------------------


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
    since: str | None = None,
) -> Json:
    """A task as GET /tasks shows it (Slot left out for global tasks, as the engine does); `since`: when
    it entered `state` (Status.Timestamp, `created` unless given; "" leaves it out)."""
    status: Json = {"State": state, "Timestamp": created if since is None else since, "Message": state}
    if since == "":
        del status["Timestamp"]
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


def named(name: str) -> Json:
    """A secret or a config as GET /secrets or /configs lists it (ID `id-<name>`)."""
    return {"ID": f"id-{name}", "Spec": {"Name": name}}


def bind_names(spec: Json, networks: dict[str, str], secrets: dict[str, str], configs: dict[str, str]) -> Json:
    """Network targets, secret and config references from names to IDs (KeyError when unknown)."""
    task = spec.setdefault("TaskTemplate", {})
    for net in task.get("Networks") or []:
        net["Target"] = networks[net["Target"]]
    container = task.get("ContainerSpec") or {}
    for ref in container.get("Secrets") or []:
        ref["SecretID"] = secrets[ref["SecretName"]]
    for ref in container.get("Configs") or []:
        ref["ConfigID"] = configs[ref["ConfigName"]]
    return spec


# --- time -------------------------------------------------------------------------------------------


@dataclass
class Clock:
    """A clock that moves only when the code sleeps; `interrupt_at` raises Ctrl-C in a sleep."""

    now: float = 100.0
    interrupt_at: float | None = None

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.interrupt_at is not None and self.now >= self.interrupt_at:
            raise KeyboardInterrupt


# --- the swarm --------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What the engine holds at one poll; `history` (old tasks too) defaults to the current tasks."""

    services: list[Json]
    current: list[Json]
    history: list[Json] | None = None


@dataclass
class FakeSwarm:
    """An engine in memory that records every call; IDs of what it creates are `id-<name>`.

    Reads answer from `services`, `tasks`, `nodes`, `networks`, `secrets` and `configs`, or, when
    `snapshots` is given, services and tasks come from snapshot i at poll i (the last one repeats);
    a poll begins with each `poll_on` call. Tasks are not filtered by label: the fake holds one
    stack's tasks. Writes succeed unless refused, whether or not the object is held.
    """

    services: list[Json] = field(default_factory=list)
    tasks: list[Json] = field(default_factory=list)
    nodes: list[Json] = field(default_factory=lambda: [node()])
    networks: list[Json] = field(default_factory=list)  # as GET /networks shows them: Id, Name, Scope
    secrets: list[Json] = field(default_factory=list)
    configs: list[Json] = field(default_factory=list)
    live: Any = None  # what read_stack returns (a LiveStack)
    snapshots: list[Snapshot] | None = None
    poll_on: str = "list services"
    images: dict[str, Json] = field(default_factory=dict)  # distribution inspect answers, by image
    auth: dict[str, str] = field(default_factory=dict)  # image -> X-Registry-Auth
    frames: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)  # log frames by service ID
    task_logs: dict[str, list[str]] = field(default_factory=dict)  # log lines by task ID
    # call -> the engine's reason (EngineError "<call>: <reason>", status 400), or the EngineError to raise
    refuse: dict[str, str | EngineError] = field(default_factory=dict)
    refuse_times: dict[str, int] = field(default_factory=dict)  # refusals that hold only so many times
    linger: int = 0  # inspects that still find a removed network (until its last endpoint leaves)
    # as the engine: a create of a held name is refused (409), an update or remove of a missing ID too (404)
    strict: bool = False

    calls: list[str] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)  # write call -> what was sent
    asked: list[tuple[str, str | None]] = field(default_factory=list)  # (image, registry auth) per lookup
    inspected: list[str] = field(default_factory=list)  # IDs or names of inspected tasks and networks
    opened: list[tuple[str, bool, str, str | None]] = field(default_factory=list)  # log streams
    release: threading.Event = field(default_factory=threading.Event)  # ends the followed log streams
    index: int = -1  # the current poll
    _gone: dict[str, tuple[Json, int]] = field(default_factory=dict)  # removed network ID -> (it, inspects left)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def holding(cls, live: Any, **kwargs: Any) -> FakeSwarm:
        """A swarm that holds one stack's objects (`live`, a LiveStack), which read_stack returns."""
        return cls(services=list(live.services), networks=list(live.networks), secrets=list(live.secrets),
                   configs=list(live.configs), live=live, **kwargs)

    def calls_of(self, *verbs: str) -> list[str]:
        """The recorded calls that begin with one of `verbs` ("remove", "inspect", ...)."""
        return [c for c in self.calls if c.split(" ", 1)[0] in verbs]

    # --- recording ----------------------------------------------------------------------------------

    def _call(self, call: str, sent: Any = None, *, write: bool = False) -> None:
        """Record a call (and what a write sent); raise the refusal it was told to give."""
        with self._lock:
            if call.startswith(self.poll_on):
                self.index += 1
            self.calls.append(call)
            if write:
                self.sent[call] = sent
            refusal = self.refuse.get(call)
            if refusal is not None and call in self.refuse_times:
                self.refuse_times[call] -= 1
                if self.refuse_times[call] <= 0:
                    del self.refuse[call]
        if isinstance(refusal, EngineError):
            raise refusal
        if refusal is not None:
            raise EngineError(f"{call}: {refusal}", status=400)

    def _snap(self) -> Snapshot:
        assert self.snapshots
        return self.snapshots[max(0, min(self.index, len(self.snapshots) - 1))]

    # --- reading ------------------------------------------------------------------------------------

    def require_manager(self) -> None:
        self._call("require manager")

    def read_stack(self, stack: str) -> Any:
        """The LiveStack given as `live`."""
        self._call(f"read stack {stack}")
        assert self.live is not None, "FakeSwarm.read_stack needs live= (or FakeSwarm.holding)"
        return self.live

    def list_services(self, filters: Filters | None = None) -> list[Json]:
        self._call("list services" + _words(filters))
        held = self._snap().services if self.snapshots is not None else self.services
        return [s for s in held if _matches(s, filters)]

    def list_tasks(self, filters: Filters | None = None) -> list[Json]:
        filters = filters or {}
        self._call("list tasks" + _words(filters))
        if self.snapshots is not None:
            snap = self._snap()
            held = snap.current if "_up-to-date" in filters or snap.history is None else snap.history
        else:
            held = self.tasks
        unknown = set(filters) - {"service", "_up-to-date", "label"}
        assert not unknown, f"FakeSwarm does not know the task filters {sorted(unknown)}"
        ids = filters.get("service")
        return [t for t in held if ids is None or t.get("ServiceID") in ids]

    def list_services_status(self, filters: Filters | None = None) -> list[Json]:
        self._call("list services status" + _words(filters))
        return [s for s in self.services if _matches(s, filters)]

    def list_stacks_services(self) -> list[Json]:
        self._call("list stacks services")
        return [s for s in self.services if _matches(s, {"label": ["com.docker.stack.namespace"]})]

    def list_nodes(self) -> list[Json]:
        self._call("list nodes")
        return self.nodes

    def read_nodes(self) -> list[Any]:
        """The nodes as LiveNodes (Engine.read_nodes: one list call)."""
        from composeswarm.engine.live import node_from_json

        return [node_from_json(n) for n in self.list_nodes()]

    def list_networks(self, names: list[str] | None = None) -> list[Json]:
        self._call("list networks" + _words({"name": names} if names else None))
        return [n for n in self.networks if names is None or any(str(n.get("Name")).startswith(w) for w in names)]

    def list_secrets(self, names: list[str] | None = None) -> list[Json]:
        self._call("list secrets" + _words({"name": names} if names else None))
        return [s for s in self.secrets if _matches(s, {"name": names} if names else None)]

    def list_configs(self, names: list[str] | None = None) -> list[Json]:
        self._call("list configs" + _words({"name": names} if names else None))
        return [c for c in self.configs if _matches(c, {"name": names} if names else None)]

    def inspect_network(self, ident: str) -> Json | None:
        """The network by ID or name; None when it does not exist (as Engine.inspect_network)."""
        self._call(f"inspect network {ident}")
        self.inspected.append(ident)
        for net in self.networks:
            if ident in (net.get("Id"), net.get("Name")):
                return net
        net, left = self._gone.get(ident, ({}, 0))
        if left > 0:
            self._gone[ident] = (net, left - 1)
            return net
        return None

    def inspect_service(self, ident: str) -> Json:
        """The held service by ID or name; EngineError 404 when it does not exist."""
        self._call(f"inspect service {ident}")
        for held in self.services:
            if ident in (held.get("ID"), (held.get("Spec") or {}).get("Name")):
                return held
        raise EngineError(f"inspect service {ident}: service {ident} not found", status=404)

    def inspect_task(self, ident: str) -> Json:
        """The task by ID; EngineError 404 when it does not exist."""
        self._call(f"inspect task {ident}")
        self.inspected.append(ident)
        held = self.tasks if self.snapshots is None else (self._snap().history or self._snap().current)
        for t in held:
            if t.get("ID") == ident:
                return t
        raise EngineError(f"inspect task {ident}: not found", status=404)

    def distribution_inspect(self, image: str, registry_auth: str | None = None) -> Json:
        """The image's digest and platforms from `images`; EngineError 404 for any other image."""
        with self._lock:
            self.asked.append((image, registry_auth))
        self._call(f"resolve image {image}")
        if image not in self.images:
            raise EngineError(f"resolve image {image}: manifest unknown", status=404)
        return self.images[image]

    def registry_auth_for(self, image: str) -> str | None:
        """The header from `auth`; not recorded, as the Engine reads it from the CLI config, not the engine."""
        return self.auth.get(image)

    def service_log_frames(
        self, ident: str, *, follow: bool, tail: str = "all", since: str | None = None
    ) -> Iterator[tuple[int, bytes]]:
        """The service's `frames`; following, then wait (up to 10 s) for `release`."""
        self.opened.append((ident, follow, tail, since))
        self._call(f"read logs of service {ident}")
        yield from self.frames.get(ident, [])
        if follow:
            self.release.wait(10)

    # --- writing ------------------------------------------------------------------------------------

    def task_log_lines(self, ident: str, tail: int) -> list[str]:
        self._call(f"read logs of task {ident} tail={tail}")
        return self.task_logs.get(ident, [])[-tail:]

    def create_network(self, body: Json) -> str:
        self._call(f"create network {body['Name']}", body, write=True)
        self.networks.append(dict(body, Id=f"id-{body['Name']}"))
        return f"id-{body['Name']}"

    def remove_network(self, ident: str, name: str | None = None) -> None:
        self._call(f"remove network {name or ident}", ident, write=True)
        for net in [n for n in self.networks if n.get("Id") == ident]:
            self.networks.remove(net)
            self._gone[ident] = (net, self.linger)

    def create_secret(self, spec: Json) -> str:
        return self._create("secret", self.secrets, spec)

    def update_secret(self, ident: str, version: int, spec: Json) -> None:
        self._update("secret", self.secrets, ident, version, spec)

    def remove_secret(self, ident: str, name: str | None = None) -> None:
        self._remove("secret", self.secrets, ident, name)

    def create_config(self, spec: Json) -> str:
        return self._create("config", self.configs, spec)

    def update_config(self, ident: str, version: int, spec: Json) -> None:
        self._update("config", self.configs, ident, version, spec)

    def remove_config(self, ident: str, name: str | None = None) -> None:
        self._remove("config", self.configs, ident, name)

    def create_service(self, spec: Json, registry_auth: str | None = None) -> tuple[str, list[str]]:
        self._call(f"create service {spec['Name']}", (spec, None, registry_auth), write=True)
        self.services.append({"ID": f"id-{spec['Name']}", "Version": {"Index": 1}, "Spec": spec})
        return f"id-{spec['Name']}", []

    def update_service(self, ident: str, version: int, spec: Json, registry_auth: str | None = None) -> list[str]:
        """Replace the held spec; swarm's out-of-sequence refusal when `version` is not the held one."""
        call = f"update service {spec['Name']}"
        self._call(call, (spec, version, registry_auth), write=True)
        for held in self.services:
            if held.get("ID") != ident:
                continue
            if "Version" in held and held["Version"].get("Index") != version:  # changed since it was read
                raise EngineError(f"{call}: rpc error: code = Unknown desc = update out of sequence", status=500)
            held.update(Spec=spec, Version={"Index": version + 1})
        return []

    def remove_service(self, ident: str, name: str | None = None) -> None:
        self._remove("service", self.services, ident, name)

    def _create(self, kind: str, held: list[Json], spec: Json) -> str:
        self._call(f"create {kind} {spec['Name']}", spec, write=True)
        if self.strict and any((o.get("Spec") or {}).get("Name") == spec["Name"] for o in held):
            raise EngineError(f"create {kind} {spec['Name']}: {kind} {spec['Name']} already exists", status=409)
        held.append({"ID": f"id-{spec['Name']}", "Version": {"Index": 1}, "Spec": spec})
        return f"id-{spec['Name']}"

    def _update(self, kind: str, held: list[Json], ident: str, version: int, spec: Json) -> None:
        self._call(f"update {kind} {spec['Name']}", (ident, version, spec), write=True)
        self._require(kind, held, ident, f"update {kind} {spec['Name']}")
        for obj in held:
            if obj.get("ID") == ident:
                obj.update(Spec=spec, Version={"Index": version + 1})

    def _remove(self, kind: str, held: list[Json], ident: str, name: str | None) -> None:
        self._call(f"remove {kind} {name or ident}", ident, write=True)
        self._require(kind, held, ident, f"remove {kind} {name or ident}")
        held[:] = [obj for obj in held if obj.get("ID") != ident]


    def _require(self, kind: str, held: list[Json], ident: str, call: str) -> None:
        if self.strict and not any(obj.get("ID") == ident for obj in held):
            raise EngineError(f"{call}: {kind} {ident} not found", status=404)


def _words(filters: Filters | None) -> str:
    """Filters as the call names them: ` service=a,b up-to-date` (empty without filters)."""
    out = ""
    for key, values in (filters or {}).items():
        out += " up-to-date" if key == "_up-to-date" else f" {key}={','.join(values)}"
    return out


def _matches(obj: Json, filters: Filters | None) -> bool:
    """Whether a service, secret or config passes the engine's id (prefix), name (prefix) and label filters."""
    spec = obj.get("Spec") or {}
    for key, values in (filters or {}).items():
        if key == "id":
            ok = any(str(obj.get("ID", "")).startswith(v) for v in values)
        elif key == "name":
            ok = any(str(spec.get("Name", "")).startswith(v) for v in values)
        elif key == "label":
            labels = spec.get("Labels") or {}
            ok = all(_has_label(labels, v) for v in values)
        else:
            raise AssertionError(f"FakeSwarm does not know the filter {key!r}")
        if not ok:
            return False
    return True


def _has_label(labels: dict[str, str], wanted: str) -> bool:
    key, eq, value = wanted.partition("=")
    return key in labels and (not eq or labels[key] == value)
