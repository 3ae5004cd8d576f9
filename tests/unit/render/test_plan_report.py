"""render_plan: the text people read and the JSON programs read, with sensitive values masked."""

from __future__ import annotations

import json

import pytest

from composeswarm.plan.changes import Change, FieldChange, Plan
from composeswarm.plan.placement import Placement
from composeswarm.plan.sensitive import reveal
from composeswarm.render.plan_report import notes_text, render_plan

ROTATED = "st_db_pw_3f2a9c1b7e"

PLAN = Plan(
    stack="st",
    changes=(
        Change("network", "st_default", "create", desired={"Name": "st_default"}),
        Change(
            "secret",
            ROTATED,
            "replace",
            (FieldChange("name", "st_db_pw", ROTATED), FieldChange("content", "(old content)", "(new content)")),
            desired={"Name": ROTATED, "Data": b"hunter2"},
            reason="content changed",
        ),
        Change(
            "service",
            "st_web",
            "update",
            (
                FieldChange("deploy.replicas", 2, 4),
                FieldChange("environment.DB_PASSWORD", "old-pw", "new-pw", sensitive=True),
                FieldChange("environment.MODE", None, "fast lane"),
                FieldChange("secrets[0].source", "st_db_pw", ROTATED),
            ),
        ),
        Change("service", "st_worker", "replace", (FieldChange("deploy.mode", "replicated", "global"),), reason="the mode cannot change in place"),
        Change("service", "st_old", "remove", reason="not in the file"),
        Change("secret", "st_db_pw", "remove", part_of=ROTATED, reason="old version"),
    ),
    unchanged=(("config", "st_conf"), ("service", "st_api")),
)

TEXT = """\
Stack st:
    + network st_default
  -/+ secret st_db_pw -> st_db_pw_3f2a9c1b7e (content changed; the old version is removed once services use the new one)
      name: st_db_pw -> st_db_pw_3f2a9c1b7e
      content: (old content) -> (new content)
    ~ service st_web
      deploy.replicas: 2 -> 4
      environment.DB_PASSWORD: (sensitive) -> (sensitive)
      environment.MODE: (none) -> "fast lane"
      secrets[0].source: st_db_pw -> st_db_pw_3f2a9c1b7e
  -/+ service st_worker (the mode cannot change in place)
      deploy.mode: replicated -> global
    - service st_old (not in the file)
Plan: 1 to create, 1 to update, 2 to replace, 1 to remove, 2 unchanged.
"""


def test_text() -> None:
    assert render_plan(PLAN, "text", colour=False) == TEXT


def test_text_without_changes() -> None:
    plan = Plan(stack="st", unchanged=(("service", "st_web"),))
    assert render_plan(plan, "text", colour=False) == (
        "No changes: stack st is as the files describe it.\n"
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to remove, 1 unchanged.\n"
    )


def test_colour_wraps_each_headline() -> None:
    plan = Plan(stack="st", changes=(Change("service", "st_web", "create"), Change("service", "st_old", "remove")))
    lines = render_plan(plan, "text", colour=True).splitlines()
    assert lines[1:3] == ["  \x1b[32m  + service st_web\x1b[0m", "  \x1b[31m  - service st_old\x1b[0m"]


@pytest.mark.parametrize(
    ("env", "tty", "coloured"),
    [
        pytest.param({}, True, True, id="terminal"),
        pytest.param({"NO_COLOR": "1"}, True, False, id="NO_COLOR on a terminal"),
        pytest.param({}, False, False, id="pipe"),
    ],
)
def test_colour_by_default_only_on_a_terminal(
    env: dict[str, str], tty: bool, coloured: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("sys.stdout.isatty", lambda: tty)
    plan = Plan(stack="st", changes=(Change("service", "st_web", "create"),))
    assert ("\x1b[" in render_plan(plan, "text")) is coloured


def test_json_shape() -> None:
    assert json.loads(render_plan(PLAN, "json")) == {
        "stack": "st",
        "changes": [
            {"kind": "network", "name": "st_default", "action": "create", "fields": []},
            {
                "kind": "secret",
                "name": ROTATED,
                "action": "replace",
                "fields": [
                    {"path": "name", "before": "st_db_pw", "after": ROTATED},
                    {"path": "content", "before": "(old content)", "after": "(new content)"},
                ],
            },
            {
                "kind": "service",
                "name": "st_web",
                "action": "update",
                "fields": [
                    {"path": "deploy.replicas", "before": 2, "after": 4},
                    {"path": "environment.DB_PASSWORD", "before": "(sensitive)", "after": "(sensitive)"},
                    {"path": "environment.MODE", "before": None, "after": "fast lane"},
                    {"path": "secrets[0].source", "before": "st_db_pw", "after": ROTATED},
                ],
            },
            {
                "kind": "service",
                "name": "st_worker",
                "action": "replace",
                "fields": [{"path": "deploy.mode", "before": "replicated", "after": "global"}],
            },
            {"kind": "service", "name": "st_old", "action": "remove", "fields": []},
        ],
        "summary": {"create": 1, "update": 1, "replace": 2, "remove": 1, "unchanged": 2},
    }


@pytest.mark.parametrize("fmt", [pytest.param("text", id="text"), pytest.param("json", id="json")])
def test_secret_content_never_appears(fmt: str) -> None:
    out = render_plan(PLAN, fmt, colour=False)  # type: ignore[arg-type]
    assert ("hunter2" in out, "old-pw" in out, "new-pw" in out) == (False, False, False)


def test_show_sensitive_reveals_env_values_not_secret_contents() -> None:
    out = render_plan(reveal(PLAN), "text", colour=False)
    assert "      environment.DB_PASSWORD: old-pw -> new-pw\n" in out
    assert "hunter2" not in out


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError) as err:
        render_plan(PLAN, "yaml")  # type: ignore[arg-type]
    assert str(err.value) == "unknown plan format 'yaml': use text, json or markdown"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("local/busybox:2", "local/busybox:2", id="plain word"),
        pytest.param("", '""', id="empty string"),
        pytest.param("2", '"2"', id="string that looks like a number"),
        pytest.param(2, "2", id="number"),
        pytest.param(["sh", "-c", "x"], '["sh", "-c", "x"]', id="list"),
        pytest.param(None, "(none)", id="absent"),
        pytest.param(True, "true", id="bool"),
    ],
)
def test_values(value: object, shown: str) -> None:
    plan = Plan(stack="st", changes=(Change("service", "st_web", "update", (FieldChange("x", value, None),)),))
    assert render_plan(plan, "text", colour=False).splitlines()[2] == f"      x: {shown} -> (none)"


PLACED = Plan(
    stack="shop",
    changes=(
        Change("service", "shop_db", "create", desired={},
               placement=Placement("replicated", 3, 1, 3, 1, ("1 node matches node.labels.db == true", "max 1 per node"))),
        Change("service", "shop_web", "update", desired={}, placement=Placement("replicated", 3, 3, 2, 2)),
        Change("service", "shop_agent", "create", desired={}, placement=Placement("global", 3, 2, None, 2, ("1 node is drained",))),
        Change("service", "shop_old", "remove"),
    ),
)


def test_placement_lines() -> None:
    assert notes_text(PLACED) == (
        "warning: shop_db: 2 of 3 replicas cannot be placed: 1 node matches node.labels.db == true, max 1 per node\n"
        "note: shop_agent: global service runs on 2 of 3 nodes: 1 node is drained\n"
    )


def test_placement_json() -> None:
    doc = json.loads(render_plan(PLACED, "json"))
    assert [(c["name"], c.get("placement")) for c in doc["changes"]] == [
        ("shop_db", {"nodes_matching": 1, "replicas": 3, "placeable": 1,
                     "reasons": ["1 node matches node.labels.db == true", "max 1 per node"]}),
        ("shop_web", {"nodes_matching": 3, "replicas": 2, "placeable": 2, "reasons": []}),
        ("shop_agent", {"nodes_matching": 2, "replicas": None, "placeable": 2, "reasons": ["1 node is drained"]}),
        ("shop_old", None),
    ]


def test_a_drifted_field_says_it_changed_outside_composeswarm() -> None:
    from composeswarm.plan.changes import Change, FieldChange, Plan
    from composeswarm.render.plan_report import plan_json, plan_text

    plan = Plan("st", changes=(Change("service", "st_web", "update", (FieldChange("deploy.replicas", 5, 3, drift=True, recorded=3),)),),
                drift_from=7)
    assert plan_text(plan).splitlines()[2] == "      deploy.replicas: 5 -> 3 (changed outside composeswarm: was 3 at revision 7)"
    assert plan_json(plan)["changes"][0]["fields"] == [{"path": "deploy.replicas", "before": 5, "after": 3, "drift": True, "recorded": 3}]
