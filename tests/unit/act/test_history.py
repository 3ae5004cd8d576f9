"""act.history: a revision's project loads back through the loader; its versions must still be in the swarm."""

from __future__ import annotations

import pytest

from composeswarm.act.history import (
    check_limit,
    check_versions_kept,
    load_revision,
    pinned_digests,
)
from composeswarm.convert.stack import convert_project
from composeswarm.errors import EngineError, InputError
from composeswarm.plan.rotation import DIGEST_LABEL
from tests.unit.act.test_revisions import rev

PROJECT = {
    "version": "3.8",
    "services": {"web": {"image": "local/busybox:1", "environment": {"PRICE": "$5"}, "secrets": [{"source": "db"}]}},
    "secrets": {"db": {"file": "/nowhere/db.txt"}},
}


def test_the_recorded_project_loads_back_without_its_files_and_without_interpolating_again() -> None:
    project, _ = load_revision(rev(1, project=PROJECT))
    assert project.services["web"]["environment"] == {"PRICE": "$5"}
    desired = convert_project(project, "st", read_files=False)
    assert desired.secrets["st_db"]["Data"] is None
    assert pinned_digests(rev(1)) == {"st_db": "d" * 64}


def test_a_version_no_longer_in_the_swarm_is_named() -> None:
    live = [{"ID": "s", "Spec": {"Name": "st_db", "Labels": {DIGEST_LABEL: "e" * 64}}}]
    with pytest.raises(EngineError) as err:
        check_versions_kept(rev(2), live, [])
    assert str(err.value) == (
        "revision 2 used versions no longer in the swarm (their content is not stored): secret st_db (sha256 dddddddddddd)"
    )
    check_versions_kept(rev(2), [{"ID": "s", "Spec": {"Name": "st_db_x", "Labels": {DIGEST_LABEL: "d" * 64}}}], [])


def test_history_limit_is_at_least_one() -> None:
    with pytest.raises(InputError) as err:
        check_limit(0)
    assert str(err.value) == "--history-limit must be at least 1, got 0"
