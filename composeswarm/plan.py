"""The plan: desired specs against live state, as data. Printing and applying are its two consumers.

`make_plan(desired, live, ...)` compares like with like (engine defaults, unordered lists, units,
the pinned digest against the stack image label) and lists what must change; `render.plan` prints a
Plan and `apply.apply_plan` carries it out. Nothing here talks to the engine or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["service", "network", "secret", "config"]
Action = Literal["create", "update", "replace", "remove"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field: `path` in compose words where there is one (`deploy.replicas`)."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False  # value must be masked unless --show-sensitive


@dataclass(frozen=True, slots=True)
class Change:
    """One object to create, update, replace or remove."""

    kind: Kind
    name: str  # the engine name, e.g. mystack_web
    action: Action
    fields: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] | None = None  # the whole spec to send (create/update/replace)
    live: dict[str, Any] | None = None  # the live object, with ID and Version (update/replace/remove)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every change for one stack, in apply order, plus what is already as desired."""

    stack: str
    changes: tuple[Change, ...] = ()
    unchanged: tuple[tuple[Kind, str], ...] = ()
    external_networks: tuple[str, ...] = ()  # must exist before services are created
    notes: tuple[str, ...] = field(default=())  # things the user should know (not changes)

    @property
    def has_changes(self) -> bool:
        """True when applying would make any write call."""
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        """Counts per action, plus unchanged."""
        counts = {"create": 0, "update": 0, "replace": 0, "remove": 0}
        for change in self.changes:
            counts[change.action] += 1
        counts["unchanged"] = len(self.unchanged)
        return counts
