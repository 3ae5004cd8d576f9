"""act.saved: what makes a saved plan stale, named one line each; the file it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from composeswarm.act.saved import read_saved, stale
from composeswarm.errors import InputError

CHECKS = {
    "files": {"/w/compose.yml": "a" * 64},
    "project": "p1",
    "contents": {"secrets": {"st_db": "d1"}, "configs": {}},
    "versions": {"service st_web": 10, "secret st_db": 3, "network st_default": 0},
    "fingerprint": ["update service st_web: deploy.replicas"],
}


@pytest.mark.parametrize(("now", "expected"), [
    pytest.param({}, [], id="unchanged"),
    pytest.param({"versions": {"service st_web": 12, "secret st_db": 3, "network st_default": 0}},
                 ["service st_web changed since the plan (version 10 -> 12)"], id="scaled"),
    pytest.param({"versions": {"secret st_db": 3, "network st_default": 0, "service st_new": 1}},
                 ["service st_new was created since the plan", "service st_web was removed since the plan"], id="created and removed"),
    pytest.param({"files": {"/w/compose.yml": "b" * 64}}, ["file /w/compose.yml changed since the plan"], id="file"),
    pytest.param({"contents": {"secrets": {"st_db": "d2"}, "configs": {}}},
                 ["the content of secret st_db changed since the plan"], id="secret content"),
    pytest.param({"project": "p2"}, ["the resolved project changed since the plan (variables or env_file)"], id="variables"),
    pytest.param({"fingerprint": []}, ["planning again gives another plan"], id="another plan"),
])
def test_stale(now: dict, expected: list[str]) -> None:
    assert stale(CHECKS, {**CHECKS, **now}) == expected


def test_a_file_that_is_not_a_saved_plan(tmp_path: Path) -> None:
    path = tmp_path / "x.plan"
    path.write_text('{"stack": "st"}')
    with pytest.raises(InputError) as err:
        read_saved(str(path))
    assert str(err.value) == f"{path} is not a saved plan of this composeswarm (made by `plan --out`)"
