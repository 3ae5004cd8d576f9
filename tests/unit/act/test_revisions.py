"""act.revisions: the record's shape (round trip, compression), what to prune, the store's calls."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from composeswarm.act.revisions import (
    CONVERGED,
    DETACHED,
    FAILED,
    INTERRUPTED,
    ROLLED_BACK,
    TIMED_OUT,
    Revision,
    decode,
    find_commit,
    kept_versions,
    last_converged,
    list_revisions,
    outcome_of,
    revision_name,
    revision_spec,
    split_retained,
    store,
    versions_to_prune,
)
from composeswarm.errors import (
    EngineError,
    PartialDeployError,
    RolloutFailed,
    RolloutTimeout,
)
from tests.support.fake_swarm import FakeSwarm


def rev(number: int, outcome: str = CONVERGED, uses: tuple[str, ...] = (), **kw: object) -> Revision:
    base = Revision(stack="st", number=number, time="2026-12-02T01:00:00Z", user="ci", host="vm", commit="abc",
                    version="0.1.0", outcome=outcome, summary={"create": 1}, changes=("+ service st_web",),
                    project={"version": "3.8", "services": {"web": {"image": "local/busybox:1"}}},
                    digests={"secrets": {"st_db": "d" * 64}, "configs": {}}, uses=uses)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _listed(spec: dict) -> dict:
    """A config as GET /configs shows it: Data in base64."""
    return {"ID": "id1", "Spec": dict(spec, Data=base64.b64encode(spec["Data"]).decode())}


def test_a_record_reads_back_as_it_was_written() -> None:
    original = rev(3, uses=("st_db",), rollback_of=1)
    spec, compressed = revision_spec(original)
    assert (spec["Name"], compressed) == ("st_composeswarm-rev-3", False)
    assert spec["Labels"] == {"io.composeswarm.revision": "3", "io.composeswarm.revision.outcome": "converged",
                              "io.composeswarm.revision.time": "2026-12-02T01:00:00Z"}
    assert "com.docker.stack.namespace" not in spec["Labels"]  # never part of the stack's content
    assert decode("st", _listed(spec)) == dataclasses.replace(original, ident="id1")


def test_a_record_over_the_engine_limit_is_compressed_and_says_so() -> None:
    big = rev(1, project={"version": "3.8", "services": {f"s{i}": {"image": "local/busybox:1", "command": ["x" * 100]}
                                                             for i in range(5000)}})
    spec, compressed = revision_spec(big)
    assert compressed and spec["Labels"]["io.composeswarm.revision.encoding"] == "gzip+base64"
    assert len(spec["Data"]) < 500_000
    back = decode("st", _listed(spec))
    assert back is not None and back.project == big.project and back.compressed


@pytest.mark.parametrize("name", ["st_composeswarm-rev-x", "st2_composeswarm-rev-1", "st_composeswarm-lock", "st_composeswarm-rev-"])
def test_other_configs_are_no_revisions(name: str) -> None:
    assert decode("st", {"ID": "x", "Spec": {"Name": name, "Data": ""}}) is None


def test_retained_and_pruned() -> None:
    retained, pruned = split_retained([rev(1), rev(2), rev(3)], 2)
    assert ([r.number for r in retained], [r.number for r in pruned]) == ([3, 2], [1])


def test_versions_only_pruned_revisions_used_go_unless_a_service_uses_them() -> None:
    pruned = [rev(1, uses=("st_db", "st_conf")), rev(2, uses=("st_db_aaa", "st_conf"))]
    retained = [rev(3, uses=("st_db_bbb", "st_conf"))]
    assert versions_to_prune(pruned, retained, in_use={"st_db_aaa"}) == ["st_db"]
    assert kept_versions(retained) == {"st_db_bbb", "st_conf"}


def test_last_converged_before_the_current() -> None:
    revisions = [rev(1), rev(2, FAILED), rev(3), rev(4, TIMED_OUT)]
    assert last_converged(revisions).number == 3  # type: ignore[union-attr]
    assert last_converged([rev(1), rev(2)]).number == 1  # type: ignore[union-attr]
    assert last_converged([rev(1)]) is None


@pytest.mark.parametrize(("error", "detached", "outcome"), [
    pytest.param(None, False, CONVERGED, id="waited"),
    pytest.param(None, True, DETACHED, id="detached"),
    pytest.param(RolloutTimeout("timed out"), False, TIMED_OUT, id="timeout"),
    pytest.param(RolloutFailed("rollout failed: st_web: update rolled back"), False, ROLLED_BACK, id="rolled back"),
    pytest.param(RolloutFailed("rollout failed: st_web: update paused"), False, FAILED, id="paused"),
    pytest.param(PartialDeployError("refused"), False, FAILED, id="refused"),
    pytest.param(KeyboardInterrupt(), False, INTERRUPTED, id="ctrl-c"),
])
def test_outcome(error: BaseException | None, detached: bool, outcome: str) -> None:
    assert outcome_of(error, detached=detached) == outcome


def test_commit_from_ci_variables_first(tmp_path: object) -> None:
    assert find_commit([], {"GITHUB_SHA": "g1", "CI_COMMIT_SHA": "c1"}) == "g1"
    assert find_commit([], {"CI_COMMIT_SHA": "c1"}) == "c1"
    assert find_commit([f"{tmp_path}/compose.yml"], {}) == ""  # no git work tree there


def test_store_takes_the_next_number_and_prunes_revisions_and_their_versions() -> None:
    swarm = FakeSwarm(strict=True)
    existing = []
    for n, uses in ((1, ("st_db",)), (2, ("st_db_bbb",))):
        spec, _ = revision_spec(rev(n, uses=uses))
        existing.append(dataclasses.replace(rev(n, uses=uses), ident=swarm.create_config(spec)))
    swarm.secrets = [{"ID": "s1", "Spec": {"Name": "st_db"}}, {"ID": "s2", "Spec": {"Name": "st_db_bbb"}}]
    stored, gone = store(swarm, rev(0, uses=("st_db_bbb",)), existing, 2, in_use=set(),
                         live_objects={"st_db": ("secret", "s1"), "st_db_bbb": ("secret", "s2")})
    assert stored.number == 3
    assert gone == [revision_name("st", 1), "secret st_db"]
    assert [r.number for r in list_revisions(swarm, "st")] == [2, 3]
    assert [s["Spec"]["Name"] for s in swarm.secrets] == ["st_db_bbb"]


def test_store_skips_a_number_another_run_took() -> None:
    swarm = FakeSwarm(strict=True)
    swarm.create_config(revision_spec(rev(1))[0])
    stored, _ = store(swarm, rev(1), [], 10, in_use=set(), live_objects={})
    assert stored.number == 2


def test_history_json_shape() -> None:
    assert json.loads(json.dumps(rev(2, rollback_of=1).to_json())) == {
        "revision": 2, "time": "2026-12-02T01:00:00Z", "user": "ci", "host": "vm", "commit": "abc", "version": "0.1.0",
        "outcome": "converged", "rollback_of": 1, "summary": {"create": 1}, "changes": ["+ service st_web"], "undone": [],
    }


def test_a_revision_that_is_not_kept_is_named_with_the_ones_that_are() -> None:
    from composeswarm.act.revisions import get_revision

    swarm = FakeSwarm()
    swarm.create_config(revision_spec(rev(4))[0])
    with pytest.raises(EngineError) as err:
        get_revision(swarm, "st", 1)
    assert str(err.value) == "stack st has no revision 1 (kept: 4)"
