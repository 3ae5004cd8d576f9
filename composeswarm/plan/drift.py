"""Drift: fields of the live stack changed outside composeswarm since its last revision.

`plan` compares three things: the files (what will be), the live stack (what is) and the last
revision (what composeswarm last deployed). The last revision's project, planned against the live
stack, lists the fields that are no longer as composeswarm left them; a change of the plan on such a
field is marked `drift`, with the value the revision deployed. Pure: both plans are handed in.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from composeswarm.plan.changes import Change, FieldChange, Plan


def mark_drift(plan: Plan, recorded: Plan, revision: int) -> Plan:
    """`plan` with each field that `recorded` (the revision's project against live) also changes marked as drift."""
    was: dict[tuple[str, str, str], Any] = {
        (c.kind, c.name, f.path): f.after for c in recorded.changes if c.action == "update" for f in c.fields
    }
    changes = []
    for change in plan.changes:
        fields = tuple(
            dataclasses.replace(f, drift=True, recorded=was[(change.kind, change.name, f.path)])
            if (change.kind, change.name, f.path) in was else f
            for f in change.fields
        )
        changes.append(dataclasses.replace(change, fields=fields))
    return dataclasses.replace(plan, changes=tuple(changes), drift_from=revision)


def only_drift(plan: Plan) -> Plan:
    """The plan cut to its drifted fields (`plan --drift-only`): changes with none are left out."""
    changes: list[Change] = []
    left_out: list[tuple[Any, str]] = []
    for change in plan.changes:
        fields = tuple(f for f in change.fields if f.drift)
        if fields:
            changes.append(dataclasses.replace(change, fields=fields))
        elif change.part_of is None:
            left_out.append((change.kind, change.name))
    return dataclasses.replace(plan, changes=tuple(changes), unchanged=plan.unchanged + tuple(left_out))


def has_drift(plan: Plan) -> bool:
    """True when any field of the plan drifted."""
    return any(f.drift for c in plan.changes for f in c.fields)


__all__ = ["FieldChange", "has_drift", "mark_drift", "only_drift"]
