"""The words of a deploy: docker's progress lines, the final line, JSON, partial failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composeswarm.act.apply import ApplyResult, Step
from composeswarm.act.deploy import DeployResult
from composeswarm.errors import PartialDeployError
from composeswarm.plan.changes import Change, Plan
from composeswarm.plan.placement import Placement
from composeswarm.render.deploy_report import (
    deploy_json, deploy_text, notes_text, partial_json, partial_text, step_line, summary_text,
)
from composeswarm.act.events import FailureLogs, Outcome, Progress


@pytest.mark.parametrize(
    ("step", "line"),
    [
        pytest.param(Step("network", "s_default", "create", "n1"), "Creating network s_default", id="network"),
        pytest.param(Step("secret", "s_pw", "create", "x"), "Creating secret s_pw", id="secret"),
        pytest.param(Step("config", "s_c", "update", "x"), "Updating config s_c", id="config update"),
        pytest.param(Step("service", "s_web", "create", "abc"), "Creating service s_web", id="service create"),
        pytest.param(Step("service", "s_web", "update", "abc"), "Updating service s_web (id: abc)", id="service update"),
        pytest.param(Step("service", "s_web", "replace", "abc"), "Replacing service s_web", id="service replace"),
        pytest.param(Step("service", "s_old", "remove", "abc"), "Removing service s_old", id="prune"),
    ],
)
def test_step_lines(step: Step, line: str) -> None:
    assert step_line(step) == line


def result(steps: list[Step], applied: bool = True, warnings: list[str] | None = None) -> DeployResult:
    changes = tuple(
        Change(s.kind, s.name, s.action, part_of="s_x" if s.note == "old version" else None)  # type: ignore[arg-type]
        for s in steps
    )
    plan = Plan("s", changes, unchanged=(("network", "s_default"), ("service", "s_db")))
    return DeployResult("s", plan, ApplyResult("s", steps) if applied else None, warnings=warnings or [])


@pytest.mark.parametrize(
    ("steps", "text"),
    [
        pytest.param(
            [Step("service", "s_new", "create", "1"), Step("service", "s_web", "update", "2"),
             Step("service", "s_old", "remove", "3")],
            "Creating service s_new\nUpdating service s_web (id: 2)\nRemoving service s_old\n"
            "Stack s deployed: 1 created, 1 updated, 0 replaced, 1 removed, 2 unchanged\n",
            id="create, update, prune",
        ),
        pytest.param(
            [Step("secret", "s_pw_81db67b6a5", "replace", "1", "new version of s_pw"),
             Step("service", "s_web", "update", "2"), Step("secret", "s_pw", "remove", "3", "old version")],
            "Creating secret s_pw_81db67b6a5 (new version of s_pw)\nUpdating service s_web (id: 2)\n"
            "Removing secret s_pw (old version)\n"
            "Stack s deployed: 0 created, 1 updated, 1 replaced, 0 removed, 2 unchanged\n",
            id="secret rotation counts once",
        ),
    ],
)
def test_text_of_a_deploy(steps: list[Step], text: str) -> None:
    assert deploy_text(result(steps)) == text


@pytest.mark.parametrize("applied", [pytest.param(False, id="nothing applied"), pytest.param(True, id="empty apply")])
def test_text_when_up_to_date(applied: bool) -> None:
    assert deploy_text(result([], applied)) == "Stack s is up to date: nothing to change\n"


ROLLED_BACK = Outcome("s_web", "2", "rolled_back", "update rolled back", 8.25,
                      Progress("s_web", "2", "replicated", 1, 2, "running", "rollback_completed", "", 8.25))
ROLLED_BACK_JSON = {"service": "s_web", "id": "2", "outcome": "rolled_back", "reason": "update rolled back",
                    "elapsed": 8.25, "done": 1, "desired": 2, "unit": "running", "update_state": "rollback_completed"}


LOGS = FailureLogs("s_web", "s_web.1", "t1", ("starting", "FATAL: config missing DB_URL"))


@pytest.mark.parametrize(
    ("rollout", "error", "logs", "extra"),
    [
        pytest.param((), None, (), {"rollout": []}, id="detached: nothing watched: no failure_logs"),
        pytest.param((ROLLED_BACK,), "rollout failed: s_web: update rolled back", (LOGS,),
                     {"rollout": [ROLLED_BACK_JSON], "error": "rollout failed: s_web: update rolled back",
                      "failure_logs": {"s_web": ["starting", "FATAL: config missing DB_URL"]}},
                     id="exit 3: the calls, the outcomes, the failed task's log and the error"),
    ],
)
def test_json_of_a_deploy(
    rollout: tuple[Outcome, ...], error: str | None, logs: tuple[FailureLogs, ...], extra: dict[str, Any]
) -> None:
    doc = json.loads(deploy_json(result([Step("service", "s_web", "update", "2")], warnings=["w\n"]), rollout, error, logs))
    assert doc == {"stack": "s", "applied": [{"kind": "service", "name": "s_web", "action": "update", "id": "2"}],
                   "warnings": ["w\n"], **extra}


def test_summary_is_the_last_line_of_the_text() -> None:
    steps = [Step("service", "s_web", "update", "2")]
    assert summary_text(result(steps)) == deploy_text(result(steps)).splitlines(keepends=True)[-1] == (
        "Stack s deployed: 0 created, 1 updated, 0 replaced, 0 removed, 2 unchanged\n"
    )


def test_partial_failure_views() -> None:
    err = PartialDeployError("create service s_bad: refused", ["create network s_default"], ["create service s_bad"])
    assert partial_text(err) == (
        "error: create service s_bad: refused\napplied: create network s_default\n"
        "not applied: create service s_bad\nrun the same command again to converge\n"
    )
    assert json.loads(partial_json("s", err)) == {
        "stack": "s", "error": "create service s_bad: refused",
        "applied": ["create network s_default"], "not_applied": ["create service s_bad"], "rollout": [],
    }
    nothing = PartialDeployError("create network s_default: refused", [], ["create network s_default"])
    assert partial_text(nothing).splitlines()[1] == "applied: nothing"


def test_placement_warnings_of_a_deploy() -> None:
    short = Placement("replicated", 1, 1, 3, 1, ("1 node", "max 1 per node"))
    plan = Plan("s", changes=(Change("service", "s_db", "create", desired={}, placement=short),
                              Change("service", "s_web", "create", desired={}, placement=Placement("replicated", 1, 1, 1, 1))))
    res = DeployResult(stack="s", plan=plan, applied=None, warnings=["w\n"])
    assert json.loads(deploy_json(res))["warnings"] == ["w\n", "s_db: 2 of 3 replicas cannot be placed: 1 node, max 1 per node"]
    assert notes_text(res) == "warning: s_db: 2 of 3 replicas cannot be placed: 1 node, max 1 per node\n"
