"""`rm`: remove a stack as `docker stack rm` does, then wait until its networks are really gone.

Order as docker: services (by name), secrets, configs, networks. A network whose tasks are still
shutting down cannot be removed yet ("network ... is in use by task ..."); docker reports that and
leaves the network behind. Unless detached, removal is retried until the tasks are gone or the
timeout passes. Volumes are never touched. Progress goes to `on_event`; nothing is printed here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from composeswarm.errors import EngineError
from composeswarm.ops.rows import Json, is_terminal
from composeswarm.dockerrules.stacknames import REVISION_INFIX, revision_number, stack_filter

if TYPE_CHECKING:
    from composeswarm.engine.live import LiveStack


class Lock(Protocol):
    """How rm holds the stack's deploy lock (act.lock.LockOptions: ops may not import act)."""

    def hold(self, gateway: RemoveGateway, stack: str) -> AbstractContextManager[object]: ...


class RemoveGateway(Protocol):
    """The engine calls `rm` needs (composeswarm.engine.gateway.Engine has them)."""

    def read_stack(self, stack: str) -> LiveStack: ...
    def list_configs(self, names: list[str] | None = None) -> list[Json]: ...
    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...
    def remove_service(self, ident: str, name: str | None = None) -> None: ...
    def remove_secret(self, ident: str, name: str | None = None) -> None: ...
    def remove_config(self, ident: str, name: str | None = None) -> None: ...
    def remove_network(self, ident: str, name: str | None = None) -> None: ...
    def inspect_network(self, ident: str) -> Json | None: ...


@dataclass(frozen=True, slots=True)
class RemoveEvent:
    """One step of `rm`: action remove|wait|gone|failed, kind service|secret|config|network|tasks."""

    action: str
    kind: str
    name: str
    detail: str = ""


@dataclass
class RemoveResult:
    """What `rm` did: names removed per kind, what failed, how long the wait took."""

    removed: dict[str, list[str]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    waited: float = 0.0


def _in_use(exc: EngineError) -> bool:
    return "in use" in str(exc)


def _not_found(exc: EngineError) -> bool:
    return exc.status == 404


def remove_stack(
    gateway: RemoveGateway,
    stack: str,
    *,
    wait: bool = True,
    timeout: float = 60.0,
    interval: float = 0.5,
    on_event: Callable[[RemoveEvent], None] = lambda e: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    lock: Lock | None = None,
) -> RemoveResult:
    """Remove everything labelled with the stack; EngineError when some of it could not be removed.

    `lock` (the deploy lock) is held from before the read to the end, so no deploy writes the stack meanwhile.
    """
    with lock.hold(gateway, stack) if lock is not None else nullcontext():
        return _remove(gateway, stack, wait=wait, timeout=timeout, interval=interval, on_event=on_event, clock=clock, sleep=sleep)


def _remove(
    gateway: RemoveGateway,
    stack: str,
    *,
    wait: bool,
    timeout: float,
    interval: float,
    on_event: Callable[[RemoveEvent], None],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> RemoveResult:
    live = gateway.read_stack(stack)
    services, secrets, configs, networks = live.services, live.secrets, live.configs, live.networks
    # the stack's history (configs without the stack label: composeswarm's own record) goes with it
    revisions = [c for c in gateway.list_configs([stack + REVISION_INFIX]) if revision_number(stack, _name(c)) is not None]
    if live.is_empty() and not revisions:
        raise EngineError(f"nothing found in stack: {stack}")
    result = RemoveResult()
    start = clock()

    def attempt(kind: str, obj: Json, remover: Callable[[str, str | None], None]) -> EngineError | None:
        name = _name(obj)
        try:
            remover(_id(obj), name)
        except EngineError as exc:
            if _not_found(exc):
                return None  # gone already: what rm wants
            return exc
        result.removed.setdefault(kind, []).append(name)
        return None

    def fail(kind: str, obj: Json, exc: EngineError) -> None:
        result.failed.append(f"{kind} {_name(obj)}: {exc}")
        on_event(RemoveEvent("failed", kind, _name(obj), str(exc)))

    for kind, objs, remover in (
        ("service", services, gateway.remove_service),
        ("secret", secrets, gateway.remove_secret),
        ("config", configs, gateway.remove_config),
    ):
        for obj in sorted(objs, key=_name):
            on_event(RemoveEvent("remove", kind, _name(obj)))
            error = attempt(kind, obj, remover)
            if error is not None:
                fail(kind, obj, error)

    # the history: no line of its own (rm prints what docker stack rm prints), a failure reported all the same
    for obj in sorted(revisions, key=_name):
        try:
            gateway.remove_config(_id(obj), _name(obj))
        except EngineError as exc:
            if not _not_found(exc):
                fail("config", obj, exc)

    pending: list[Json] = []
    for obj in sorted(networks, key=_name):
        on_event(RemoveEvent("remove", "network", _name(obj)))
        error = attempt("network", obj, gateway.remove_network)
        if error is not None and wait and _in_use(error):
            pending.append(obj)
        elif error is not None:
            fail("network", obj, error)

    if wait:
        deadline = start + timeout
        if pending:
            on_event(RemoveEvent("wait", "tasks", stack, "networks in use until its tasks stop"))
        last: dict[str, EngineError] = {}
        while pending and clock() < deadline:
            sleep(interval)
            still = []
            for obj in pending:
                error = attempt("network", obj, gateway.remove_network)
                if error is None:
                    on_event(RemoveEvent("gone", "network", _name(obj)))
                elif _in_use(error):
                    last[_name(obj)] = error
                    still.append(obj)
                else:
                    fail("network", obj, error)
            pending = still
        for obj in pending:
            reason = last.get(_name(obj)) or EngineError("still in use")
            fail("network", obj, EngineError(f"still in use after {timeout:g}s: {reason}"))
        # like `docker stack rm --detach=false`: wait until no task of the stack is still running
        while clock() < deadline and _live_tasks(gateway, stack):
            sleep(interval)
        left = _live_tasks(gateway, stack)
        if left:
            result.failed.append(f"{left} tasks still running after {timeout:g}s")
            on_event(RemoveEvent("failed", "tasks", stack, f"{left} tasks still running after {timeout:g}s"))
        # the engine may still list a removed network until its last local endpoint leaves
        lingering = [n for n in networks if _name(n) in result.removed.get("network", [])]
        while lingering and clock() < deadline:
            lingering = [n for n in lingering if gateway.inspect_network(_id(n)) is not None]
            if lingering:
                sleep(interval)
        for obj in lingering:
            fail("network", obj, EngineError(f"still listed by the engine after {timeout:g}s"))
        result.waited = clock() - start
    if result.failed:
        raise EngineError(f"failed to remove some resources from stack {stack}: " + "; ".join(result.failed))
    return result


def _live_tasks(gateway: RemoveGateway, stack: str) -> int:
    tasks = gateway.list_tasks(stack_filter(stack))
    return sum(1 for t in tasks if not is_terminal(str((t.get("Status") or {}).get("State", ""))))


def _id(obj: Json) -> str:
    return str(obj.get("ID") or obj.get("Id") or "")


def _name(obj: Json) -> str:
    spec = obj.get("Spec") or {}
    return str(spec.get("Name") or obj.get("Name") or obj.get("ID") or obj.get("Id") or "")
