"""A service update refused as out of sequence: read the service again, plan it again, send that once.

swarm refuses an update sent with a version index that is no longer the service's: someone ran
`docker service update` or `scale` between composeswarm's read and its write. Sending the old spec
with the new index would silently undo what they did without saying so; instead the service is read
again and planned again, the new difference is reported as a warning, and that is sent, once. A second
refusal is an error: something keeps changing the service, and a loop would only race it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from composeswarm.errors import EngineError
from composeswarm.plan.changes import Change

Json = dict[str, Any]
# Plan one service again against a fresh read of it (name, live service): its change, or None when
# the engine now holds what the files describe.
Replan = Callable[[str, Json], "Change | None"]
# The engine's words (a 500) for an update whose version is no longer the service's.
OUT_OF_SEQUENCE = "update out of sequence"


class Updater(Protocol):
    """The two engine calls a retry makes."""

    def inspect_service(self, ident: str) -> Json: ...
    def update_service(
        self, ident: str, version: int, spec: Json, registry_auth: str | None = None
    ) -> list[str]: ...


def out_of_sequence(exc: EngineError) -> bool:
    """True when the engine refused an update because the service changed after it was read."""
    return OUT_OF_SEQUENCE in str(exc)


def update_again(
    engine: Updater, name: str, ident: str, replan: Replan, bound: Callable[[Change], Json], auth: str | None
) -> tuple[str, list[str]]:
    """Re-read, re-plan and send the update once more; (the step's note, warnings). EngineError on a second conflict."""
    what = f"update service {name}"
    fresh = engine.inspect_service(ident)
    again = replan(name, fresh)
    told = f"service {name} was changed by someone else after this deploy read it; read again"
    if again is None:
        return "as the files describe after a re-read", [f"{told}, it is as the files describe: nothing sent"]
    if again.action != "update":
        raise EngineError(f"{what}: changed by someone else after it was read, it now needs a {again.action}")
    version = int((fresh.get("Version") or {}).get("Index", 0))
    try:
        warnings = engine.update_service(ident, version, bound(again), auth)
    except EngineError as exc:
        if not out_of_sequence(exc):
            raise
        raise EngineError(
            f"{what}: changed by someone else again while this deploy was updating it (update out of sequence "
            "twice); run the deploy again once nobody else is changing the service",
            status=exc.status,
        ) from exc
    difference = describe_difference(again)
    return f"re-read: {difference}", [f"{told} and updated it: {difference}", *warnings]


def describe_difference(change: Change) -> str:
    """`deploy.replicas: 3 -> 1, ...`: the fields that differ, masked where the plan masks them."""

    def shown(value: Any, sensitive: bool) -> str:
        if value is None:
            return "(none)"
        if sensitive:
            return "(sensitive)"
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    return ", ".join(f"{f.path}: {shown(f.before, f.sensitive)} -> {shown(f.after, f.sensitive)}" for f in change.fields)
