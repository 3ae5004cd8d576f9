"""Schema validation: versions, messages built from jsonschema's structured fields, the fast path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from composeswarm.load import schema, schemadocs

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def messages(data: dict[str, Any], version: str = "3.13") -> list[str]:
    return [str(i) for i in schema.validate({"version": version, **data}, version, {}, "f.yml")]


def web(**keys: Any) -> dict[str, Any]:
    return {"services": {"web": {"image": "nginx", **keys}}}


@pytest.mark.parametrize(
    ("raw", "version"),
    [
        pytest.param(None, "3.13", id="missing"),
        pytest.param("", "3.13", id="empty"),
        pytest.param("3", "3.13", id="three"),
        pytest.param("3.0", "3.0", id="3.0"),
        pytest.param("3.13", "3.13", id="3.13"),
        pytest.param("3.14", None, id="3.14 was reverted"),
        pytest.param("2.4", None, id="version 2"),
        pytest.param("3.70", None, id="not a version"),
    ],
)
def test_normalize_version(raw: object, version: str | None) -> None:
    assert schemadocs.normalize_version(raw) == version


@pytest.mark.parametrize(
    ("data", "version", "expected"),
    [
        pytest.param(web(deploy={"replica": 2}), "3.13",
                     ["f.yml: services.web.deploy.replica: unknown key 'replica'; did you mean 'replicas'?"],
                     id="near miss"),
        pytest.param(web(ports=[{"target": 80, "host_ip": "1.2.3.4"}]), "3.13",
                     ["f.yml: services.web.ports[0].host_ip: unknown key 'host_ip': host_ip is not supported in "
                      "compose format 3.x; swarm publishes on every address"], id="most specific oneOf branch"),
        pytest.param(web(ports=[{"target": 80}]), "3.1",
                     ['f.yml: services.web.ports[0]: must be a number or a string, not a mapping'],
                     id="long ports need 3.2"),
        pytest.param(web(init=True), "3.6",
                     ["f.yml: services.web.init: unknown key 'init': it needs compose format 3.7 or later "
                      '(set version: "3.7")'], id="key from a later version"),
        pytest.param({"services": {}, "x-defaults": {}}, "3.2",
                     ["f.yml: x-defaults: unknown key 'x-defaults': it needs compose format 3.4 or later "
                      '(set version: "3.4")'], id="extension needs 3.4"),
        pytest.param(web(command=5), "3.13",
                     ['f.yml: services.web.command: must be a string or a list, not an integer 5 (quote it: "5")'], id="type union"),
        pytest.param(web(labels={"a": ["x"]}), "3.13",
                     ["f.yml: services.web.labels.a: must be a string, a number or null, not a list"],
                     id="mapping value"),
        pytest.param(web(cap_add=["A", "A"]), "3.13",
                     ['f.yml: services.web.cap_add: duplicate item "A"; items must be unique'], id="unique"),
        pytest.param(web(oom_score_adj=-2000), "3.13",
                     ["f.yml: services.web.oom_score_adj: must be at least -1000, got -2000"], id="minimum"),
        pytest.param(web(ulimits={"nofile": {"soft": 1}}), "3.13",
                     ["f.yml: services.web.ulimits.nofile: missing required key 'hard'"], id="required"),
        pytest.param(web(deploy={"update_config": {"order": "first"}}), "3.13",
                     ['f.yml: services.web.deploy.update_config.order: must be one of start-first, stop-first; '
                      'got "first"'], id="enum"),
        pytest.param({"services": {"bad name": {"image": "x"}}}, "3.13",
                     ['f.yml: services.bad name: invalid name "bad name": use only letters, digits, ".", "_" and '
                      '"-"'], id="service name"),
        pytest.param({"services": {}, "name": "proj"}, "3.13",
                     ["f.yml: name: unknown key 'name': a project name is a Compose Specification feature; the "
                      "stack name is given on the command line"], id="top-level name"),
        pytest.param(web(stop_grace_period="10"), "3.13",
                     ['f.yml: services.web.stop_grace_period: invalid duration (e.g. 10s, 1m30s): "10"'],
                     id="duration needs a unit"),
    ],
)
def test_messages(data: dict[str, Any], version: str, expected: list[str]) -> None:
    assert messages(data, version) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(web(depends_on={"db": {"condition": "service_healthy"}}), id="depends_on long form"),
        pytest.param(web(depends_on=["db"]), id="depends_on list"),
        pytest.param(web(ports=[80, "8080:80", "127.0.0.1:53:53/udp", {"target": 1, "published": 2}]), id="ports"),
        pytest.param(web(stop_grace_period="1m30.5s"), id="duration"),
        pytest.param(web(ulimits={"nproc": 10, "nofile": {"soft": 1, "hard": 2}}), id="ulimits"),
        pytest.param({"services": {}, "x-anything": {"a": 1}}, id="extension"),
    ],
)
def test_valid(data: dict[str, Any]) -> None:
    assert messages(data) == []


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(web(deploy={"replicas": 1.0}), id="integral float is an integer"),
        pytest.param(web(deploy={"replicas": True}), id="boolean is not an integer"),
        pytest.param(web(cap_add=[1, True]), id="1 and true are different items"),
        pytest.param(web(networks={"front": None}), id="null network"),
        pytest.param(web(ports=["80", "80"]), id="duplicate ports"),
        pytest.param(web(volumes=[{"source": "x"}]), id="volume without type"),
        pytest.param({"services": {"web": None}}, id="null service"),
    ],
)
def test_fast_path_agrees_with_jsonschema(data: dict[str, Any]) -> None:
    from jsonschema import Draft7Validator

    for version in schemadocs.VERSIONS:
        fast = schema._fast(version)
        assert fast is not None
        slow = Draft7Validator(schemadocs.schema_document(version), format_checker=schema._validator(version).format_checker)
        assert fast(data) == slow.is_valid(data), version


def test_schemas_are_generated_from_the_description() -> None:
    root = SCHEMAS.parent
    proc = subprocess.run([sys.executable, "scripts/gen_schemas.py", "--check"], cwd=root, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(
    ("version", "key", "present"),
    [
        pytest.param("3.0", "secrets", False, id="3.0 has no secrets"),
        pytest.param("3.1", "secrets", True, id="3.1 secrets"),
        pytest.param("3.2", "configs", False, id="3.2 has no configs"),
        pytest.param("3.3", "configs", True, id="3.3 configs"),
    ],
)
def test_top_level_keys_per_version(version: str, key: str, present: bool) -> None:
    data = json.loads((SCHEMAS / f"config_schema_v{version}.json").read_text())
    assert (key in data["properties"]) is present


def _mutations(seed: int, count: int) -> list[dict[str, Any]]:
    """Documents derived from tests/data/merge/*.yml by one random edit each (seeded)."""
    import copy
    import random

    from composeswarm.load.yamltree import read_yaml

    data_dir = Path(__file__).resolve().parents[2] / "data" / "merge"
    docs = [read_yaml(p.read_text(), p.name).data for p in sorted(data_dir.glob("*.yml"))]
    values: list[Any] = [None, True, 1, 1.5, "x", "10s", "80:80", [], {}, ["a"], {"a": 1}, [1], -5]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        doc = copy.deepcopy(rng.choice(docs))
        paths: list[tuple[Any, ...]] = []
        stack: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
        while stack:
            path, node = stack.pop()
            if path:
                paths.append(path)
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
            stack.extend((path + (k,), v) for k, v in items)
        path = rng.choice(paths)
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            parent[f"{path[-1]}x"] = parent.pop(path[-1])
        else:
            parent[path[-1]] = rng.choice(values)
        out.append(doc)
    return out


@pytest.mark.parametrize("version", ["3.0", "3.4", "3.13"])
def test_fast_path_agrees_on_random_edits(version: str) -> None:
    from jsonschema import Draft7Validator

    fast = schema._fast(version)
    assert fast is not None
    slow = Draft7Validator(schemadocs.schema_document(version), format_checker=schema._validator(version).format_checker)
    disagree = [doc for doc in _mutations(11, 300) if fast({**doc, "version": version}) !=
                slow.is_valid({**doc, "version": version})]
    assert disagree == []
