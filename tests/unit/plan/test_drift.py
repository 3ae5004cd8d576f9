"""plan.drift: a field the last revision's project also changes against live drifted; only those with --drift-only."""

from __future__ import annotations

from composeswarm.plan.changes import Change, FieldChange, Plan
from composeswarm.plan.drift import has_drift, mark_drift, only_drift

# the files against live: replicas 5 -> 3 (someone scaled to 5), image 1 -> 2 (the files changed)
PLAN = Plan("st", changes=(Change("service", "st_web", "update", (
    FieldChange("deploy.replicas", 5, 3), FieldChange("image", "local/busybox:1", "local/busybox:2"))),))
# revision 7's project against live: only the replicas differ from what it deployed (3)
RECORDED = Plan("st", changes=(Change("service", "st_web", "update", (FieldChange("deploy.replicas", 5, 3),)),))


def test_fields_changed_outside_are_marked_with_the_revisions_value() -> None:
    marked = mark_drift(PLAN, RECORDED, 7)
    assert marked.drift_from == 7
    assert marked.changes[0].fields == (
        FieldChange("deploy.replicas", 5, 3, drift=True, recorded=3), FieldChange("image", "local/busybox:1", "local/busybox:2"),
    )
    assert has_drift(marked) and not has_drift(PLAN)


def test_no_drift_when_live_is_as_the_revision_left_it() -> None:
    assert mark_drift(PLAN, Plan("st"), 7).changes == PLAN.changes


def test_drift_only_keeps_the_drifted_fields() -> None:
    cut = only_drift(mark_drift(PLAN, RECORDED, 7))
    assert [(c.name, [f.path for f in c.fields]) for c in cut.changes] == [("st_web", ["deploy.replicas"])]
    assert only_drift(PLAN).changes == () and only_drift(PLAN).unchanged == (("service", "st_web"),)
