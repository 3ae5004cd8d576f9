"""render.metrics: one deploy -> a CollectorRegistry (pure), the textfile written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from composeswarm.act.apply import ApplyResult, Step
from composeswarm.act.events import Outcome
from composeswarm.act.deploy import DeployResult
from composeswarm.errors import PartialDeployError, RolloutFailed, RolloutTimeout
from composeswarm.plan.changes import Change, Plan
from composeswarm.render.metrics import DeployRecord, build_registry, deploy_outcome, write_textfile

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

ROTATION = Plan("s", (
    Change("secret", "s_pw_81db67b6a5", "replace"),
    Change("service", "s_web", "update"),
    Change("service", "s_new", "create"),
    Change("secret", "s_pw", "remove", part_of="s_pw_81db67b6a5"),
))
STEPS = [Step("secret", "s_pw_81db67b6a5", "replace", "1"), Step("service", "s_web", "update", "2"),
         Step("service", "s_new", "create", "3"), Step("secret", "s_pw", "remove", "4", "old version")]


def samples(text: str) -> Samples:
    """Every sample of an exposition text, by name and sorted labels."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def exported(record: DeployRecord) -> Samples:
    return samples(generate_latest(build_registry(record)).decode())


def outcome(service: str, state: str, elapsed: float) -> Outcome:
    return Outcome(service, "id-" + service, state, "", elapsed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "error", "expected"),
    [
        pytest.param(DeployResult("s", ROTATION, ApplyResult("s", STEPS)), None, "deployed", id="changes applied"),
        pytest.param(DeployResult("s", Plan("s"), None), None, "noop", id="nothing to change"),
        pytest.param(DeployResult("s", ROTATION, ApplyResult("s", STEPS)), RolloutFailed("x"), "rollout_failed",
                     id="rollout failed"),
        pytest.param(DeployResult("s", ROTATION, ApplyResult("s", STEPS)), RolloutTimeout("x"), "timed_out",
                     id="timed out"),
        pytest.param(DeployResult("s", ROTATION, ApplyResult("s", STEPS[:1])), PartialDeployError("refused", [], []),
                     "failed", id="a call refused"),
        pytest.param(None, KeyboardInterrupt(), "interrupted", id="ctrl-c"),
        pytest.param(None, OSError("x"), "failed", id="before the plan"),
    ],
)
def test_deploy_outcome(result: DeployResult | None, error: BaseException | None, expected: str) -> None:
    assert deploy_outcome(result, error) == expected


def test_a_deploy_with_changes_and_a_rollback() -> None:
    record = DeployRecord(
        stack="s", outcome="rollout_failed", seconds=42.5, finished_at=1_700_000_000.0, plan=ROTATION,
        applied=STEPS, reads=17, writes=4,
        rollout=[outcome("s_new", "converged", 3.25), outcome("s_web", "rolled_back", 20.0),
                 outcome("s_db", "abandoned", 1.0)],
    )
    got = exported(record)
    st = (("stack", "s"),)
    assert got[("composeswarm_deploy_duration_seconds_count", (("outcome", "rollout_failed"), *st))] == 1
    assert got[("composeswarm_deploy_duration_seconds_sum", (("outcome", "rollout_failed"), *st))] == 42.5
    assert got[("composeswarm_deploy_duration_seconds_bucket", (("le", "30.0"), ("outcome", "rollout_failed"), *st))] == 0
    assert got[("composeswarm_deploy_duration_seconds_bucket", (("le", "60.0"), ("outcome", "rollout_failed"), *st))] == 1
    assert got[("composeswarm_deploy_noop", st)] == 0
    # the rotation's removal of the old version is part of its replace, as the plan counts it
    changed = {(dict(k[1])["action"], dict(k[1])["kind"]): v for k, v in got.items()
               if k[0] == "composeswarm_deploy_changes_planned" and v}
    assert changed == {("replace", "secret"): 1, ("update", "service"): 1, ("create", "service"): 1}
    applied = {(dict(k[1])["action"], dict(k[1])["kind"]): v for k, v in got.items()
               if k[0] == "composeswarm_deploy_changes_applied" and v}
    assert applied == changed
    assert len([k for k in got if k[0] == "composeswarm_deploy_changes_planned"]) == 16  # zeros too
    assert got[("composeswarm_deploy_api_calls", (*st, ("type", "read")))] == 17
    assert got[("composeswarm_deploy_api_calls", (*st, ("type", "write")))] == 4
    # a failed deploy leaves the last success alone: it has no sample here
    assert not [k for k in got if k[0] == "composeswarm_deploy_last_success_timestamp_seconds"]
    rollout = {(dict(k[1])["service"], dict(k[1])["outcome"]) for k, v in got.items()
               if k[0] == "composeswarm_rollout_outcome" and v == 1}
    assert rollout == {("s_new", "converged"), ("s_web", "rolled_back")}  # abandoned: no verdict, no sample
    assert len([k for k in got if k[0] == "composeswarm_rollout_outcome"]) == 10
    assert got[("composeswarm_rollout_duration_seconds", (("service", "s_new"), *st))] == 3.25
    assert got[("composeswarm_rollout_duration_seconds", (("service", "s_web"), *st))] == 20.0


def test_a_noop_deploy_is_counted_as_such() -> None:
    got = exported(DeployRecord(stack="s", outcome="noop", seconds=0.8, finished_at=1_700_000_000.0,
                                plan=Plan("s"), reads=9))
    st = (("stack", "s"),)
    assert got[("composeswarm_deploy_noop", st)] == 1
    assert got[("composeswarm_deploy_duration_seconds_count", (("outcome", "noop"), *st))] == 1
    assert got[("composeswarm_deploy_last_success_timestamp_seconds", st)] == 1_700_000_000.0
    assert sum(v for k, v in got.items() if k[0].startswith("composeswarm_deploy_changes_")) == 0
    assert got[("composeswarm_deploy_api_calls", (*st, ("type", "write")))] == 0
    assert not [k for k in got if k[0].startswith("composeswarm_rollout_")]


def test_every_metric_has_a_help_text() -> None:
    record = DeployRecord(stack="s", outcome="deployed", seconds=1.0, finished_at=1.0, plan=ROTATION, applied=STEPS,
                          rollout=[outcome("s_web", "converged", 2.0)])
    families = list(build_registry(record).collect())
    assert len(families) == 8
    assert all(f.documentation for f in families), [f.name for f in families if not f.documentation]


def test_textfile_is_replaced_and_keeps_the_last_success(tmp_path: Path) -> None:
    path = tmp_path / "composeswarm_s.prom"
    ok = DeployRecord(stack="s", outcome="deployed", seconds=1.0, finished_at=1_700_000_000.0, plan=ROTATION,
                      applied=STEPS, rollout=[outcome("s_web", "converged", 2.0)])
    write_textfile(build_registry(ok), str(path))
    failed = DeployRecord(stack="s", outcome="failed", seconds=2.0, finished_at=1_700_000_100.0)
    write_textfile(build_registry(failed), str(path))
    got = samples(path.read_text())
    st = (("stack", "s"),)
    # the families this deploy has are its own; the last success is the earlier deploy's
    assert got[("composeswarm_deploy_duration_seconds_count", (("outcome", "failed"), *st))] == 1
    assert [k for k in got if k[0].startswith("composeswarm_deploy_duration_seconds")
            and ("outcome", "deployed") in k[1]] == []  # none kept: _created is a family of its own in the text
    assert got[("composeswarm_deploy_last_success_timestamp_seconds", st)] == 1_700_000_000.0
    assert got[("composeswarm_rollout_outcome", (("outcome", "converged"), ("service", "s_web"), *st))] == 1
    assert os.listdir(tmp_path) == ["composeswarm_s.prom"]  # no temporary file left


def test_a_previous_file_that_is_not_ours_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "m.prom"
    path.write_text("this is { not a metrics file\n")
    write_textfile(build_registry(DeployRecord(stack="s", outcome="noop", seconds=1.0, finished_at=5.0)), str(path))
    assert samples(path.read_text())[("composeswarm_deploy_noop", (("stack", "s"),))] == 1
