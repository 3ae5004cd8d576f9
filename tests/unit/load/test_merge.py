"""Several -f files merge as `docker stack deploy -c a -c b` merges them (docker/cli loader/merge.go).

tests/data/merge/expected.json is what `composeswarm config` printed for base.yml + override.yml,
checked equal (units normalised) to `docker stack config -c base.yml -c override.yml` of docker 28.2:
ports keyed by published port (unpublished ones collapse), volumes by target, secrets by source,
aliases replaced, driver changes replace logging, replicas 0 overrides, lists appended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composeswarm.load.project import load_project
from composeswarm.load.merge import merge_service

DATA = Path(__file__).resolve().parents[2] / "data" / "merge"


def test_merge_matches_docker() -> None:
    project, _ = load_project(["base.yml", "override.yml"], cwd=str(DATA), environ={})
    got = json.loads(json.dumps(project.to_dict()).replace(str(DATA), "<dir>"))
    assert got == json.loads((DATA / "expected.json").read_text())


@pytest.mark.parametrize(
    ("base", "override", "expected"),
    [
        pytest.param({"command": ["a"]}, {"command": []}, {"command": ["a"]}, id="empty command keeps base"),
        pytest.param({"privileged": True}, {"privileged": False}, {"privileged": True}, id="false does not override"),
        pytest.param({"deploy": {"replicas": 3}}, {"deploy": {"replicas": 0}}, {"deploy": {"replicas": 0}},
                     id="replicas 0 overrides"),
        pytest.param({"init": True, "stop_grace_period": "10s", "healthcheck": {"retries": 3, "interval": "5s"}},
                     {"init": False, "stop_grace_period": "0s", "healthcheck": {"retries": 0, "interval": "0s"}},
                     {"healthcheck": {"retries": 0, "interval": "5s"}, "init": True, "stop_grace_period": "10s"},
                     id="zero values do not override except uint64 pointers"),
        pytest.param({"environment": {"A": "1"}}, {"environment": {"A": None, "B": "2"}},
                     {"environment": {"A": "1", "B": "2"}}, id="null does not override"),
        pytest.param({"ports": [{"target": 1}, {"target": 2}]}, {"ports": [{"target": 3}]},
                     {"ports": [{"target": 3}]}, id="unpublished ports collapse"),
        pytest.param({"ports": [{"target": 1, "published": 9}, {"target": 2, "published": 5}, {"target": 3},
                                {"target": 4}]},
                     {"image": "y"},
                     {"image": "y", "ports": [{"target": 4}, {"target": 2, "published": 5},
                                              {"target": 1, "published": 9}]},
                     id="base ports re-keyed and sorted even when the override has none"),
        pytest.param({"logging": {"driver": "a", "options": {"x": "1"}}}, {"logging": {"options": {"y": "2"}}},
                     {"logging": {"driver": "a", "options": {"x": "1", "y": "2"}}}, id="logging options merge"),
        pytest.param({"logging": {"driver": "a", "options": {"x": "1"}}}, {"logging": {"driver": "b"}},
                     {"logging": {"driver": "b"}}, id="logging driver change replaces"),
        pytest.param({"networks": {"n": {"aliases": ["x"], "ipv4_address": "1"}}}, {"networks": {"n": {}}},
                     {"networks": {"n": {"ipv4_address": "1"}}}, id="aliases replaced"),
        pytest.param({"networks": {"n": None}}, {"networks": {"m": None}}, {"networks": {"m": None, "n": None}},
                     id="networks added"),
    ],
)
def test_merge_service(base: dict[str, Any], override: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merge_service(base, override) == expected
