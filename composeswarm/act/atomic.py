"""`deploy --atomic`: put the stack back as it was before a deploy whose rollout failed or timed out.

What this deploy did is read from its plan and the calls it made (`ApplyResult.applied`): a service
it updated gets the spec it had before (the plan's live spec, sent whole with the current version);
a service it created is removed, one it removed (--prune) or replaced is created again from its old
spec; the secret, config and network versions it created are removed once no restored service uses
them. Then the restored services are waited for. Returns what was undone, one line each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from composeswarm.errors import EngineError

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.plan.changes import Change

Json = dict[str, Any]
_RETRY_EVERY = 0.5


def undo(deployment: Deployment, *, timeout: float, wait: Callable[[Deployment, list[str], float], list[str]] | None = None) -> list[str]:
    """Undo what `deployment` applied; what was put back, and what could not be, one line each.

    `wait` waits for the restored services (IDs, deadline) and says which did not converge (default: the watcher).
    """
    engine, applied = deployment.engine, deployment.result.applied
    if applied is None:
        return []
    done = {(s.kind, s.name, s.action): s.ident for s in applied.applied}
    lines: list[str] = []
    waits: list[str] = []
    changes = [c for c in deployment.result.plan.changes if c.kind == "service"]
    for change in changes:
        try:
            line, ident = _undo_service(engine, change, done)
        except EngineError as exc:
            lines.append(f"could not restore service {change.name}: {exc}")
            continue
        if line:
            lines.append(line)
        if ident:
            waits.append(ident)
    deadline = time.monotonic() + timeout
    for kind in ("secret", "config", "network"):
        for (step_kind, name, action), ident in sorted(done.items()):
            if step_kind != kind or action not in ("create", "replace") or not ident:
                continue
            lines.append(_remove_created(engine, kind, name, ident, deadline))
    if waits:
        lines.extend((wait or _wait)(deployment, waits, deadline))
    return lines


def _undo_service(engine: Any, change: Change, done: dict[tuple[str, str, str], str]) -> tuple[str, str]:
    """(what was done, the ID to wait for) for one service change of the plan."""
    name = change.name
    old = (change.live or {}).get("Spec")
    replaced = done.get(("service", name, "replace"))  # removed, then created anew
    created = done.get(("service", name, "create")) or replaced
    removed = ("service", name, "remove") in done or replaced is not None
    if change.action == "update" and ("service", name, "update") in done and old is not None:
        ident = str((change.live or {}).get("ID"))
        current = engine.inspect_service(ident)
        if current.get("Spec") == old:
            return f"service {name} was already back to its previous spec", ident
        engine.update_service(ident, int(current["Version"]["Index"]), old)
        return f"restored service {name} to its previous spec", ident
    if created is not None:
        engine.remove_service(created, name)
        line = f"removed service {name}, which this deploy created"
        if not removed or old is None:
            return line, ""
    if removed and old is not None:
        ident, _ = engine.create_service(old)
        return f"created service {name} again from its previous spec", ident
    return "", ""


def _remove_created(engine: Any, kind: str, name: str, ident: str, deadline: float) -> str:
    """Remove a secret, config or network this deploy created (tasks may hold it for a moment)."""
    remover = {"secret": engine.remove_secret, "config": engine.remove_config, "network": engine.remove_network}[kind]
    while True:
        try:
            remover(ident, name)
            return f"removed {kind} {name}, which this deploy created"
        except EngineError as exc:
            if exc.status == 404:
                return f"removed {kind} {name}, which this deploy created"
            if "in use" not in str(exc) or time.monotonic() > deadline:
                return f"could not remove {kind} {name}: {exc}"
        time.sleep(_RETRY_EVERY)


def _wait(deployment: Deployment, ids: list[str], deadline: float) -> list[str]:
    """Wait for the restored services; a line for each that did not converge."""
    from composeswarm.act.watcher import Watcher

    watcher = Watcher(deployment.engine)
    outcomes = watcher.wait(ids, deadline)
    return [f"service {o.service} did not converge after the undo: {o.reason}" for o in outcomes.values() if o.state != "converged"]
