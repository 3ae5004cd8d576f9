"""A Plan as data: every change for one stack, in apply order, each with its changed fields.

`plan.builder.make_plan` makes one; `render.plan_report` prints it and `act.apply.apply_plan` carries
it out. What each kind of change asks of the one who applies it is tabled in `plan.builder`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from composeswarm.plan.placement import Placement

Kind = Literal["service", "network", "secret", "config"]
Action = Literal["create", "update", "replace", "remove"]
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field: `path` in compose words where there is one (`deploy.replicas`)."""

    path: str
    before: Any
    after: Any
    sensitive: bool = False  # value must be masked unless --show-sensitive
    # changed outside composeswarm since the last revision (`plan.drift`): the value that revision deployed
    drift: bool = False
    recorded: Any = None


@dataclass(frozen=True, slots=True)
class Change:
    """One object to create, update, replace or remove."""

    kind: Kind
    name: str  # the engine name, e.g. mystack_web
    action: Action
    fields: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] | None = None  # the whole spec to send (create/update/replace)
    live: dict[str, Any] | None = None  # the live object, with ID and Version (update/replace/remove)
    # Set on a step that completes an earlier change (the removal of a rotated secret's old version
    # completes that secret's `replace`): applied in its place, folded into it when shown or counted.
    part_of: str | None = None
    reason: str | None = None  # why a replace or remove, in a few words
    placement: Placement | None = None  # a service's: where its tasks can go (plan.placement.check_placement)


@dataclass(frozen=True, slots=True)
class Plan:
    """Every change for one stack, in apply order, plus what is already as desired."""

    stack: str
    changes: tuple[Change, ...] = ()
    unchanged: tuple[tuple[Kind, str], ...] = ()
    external_networks: tuple[str, ...] = ()  # must exist before services are created
    notes: tuple[str, ...] = field(default=())  # things the user should know (not changes)
    drift_from: int | None = None  # the revision drift is measured from (plan.drift), None when not looked at

    @property
    def has_changes(self) -> bool:
        """True when applying would make any write call."""
        return bool(self.changes)

    def shown(self) -> tuple[Change, ...]:
        """The changes a person reads: steps that complete another change are folded into it."""
        return tuple(c for c in self.changes if c.part_of is None)

    def summary(self) -> dict[str, int]:
        """Counts per action, plus unchanged."""
        counts = {"create": 0, "update": 0, "replace": 0, "remove": 0}
        for change in self.shown():
            counts[change.action] += 1
        counts["unchanged"] = len(self.unchanged)
        return counts


class DesiredLike(Protocol):
    """What make_plan reads from the converter's DesiredStack."""

    @property
    def stack(self) -> str: ...
    @property
    def networks(self) -> Mapping[str, Json]: ...
    @property
    def secrets(self) -> Mapping[str, Json]: ...
    @property
    def configs(self) -> Mapping[str, Json]: ...
    @property
    def services(self) -> Mapping[str, Json]: ...
    @property
    def external_networks(self) -> Iterable[str]: ...
