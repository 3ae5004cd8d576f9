"""`extends` (Compose Specification): compose-go's merge rules on the normalised service, bases in
other files (paths relative to them), chains, cycles and errors; 3.x files and --strict refuse it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.load.extends import merge_service
from tests.support.files import errors, load


@pytest.mark.parametrize(
    ("base", "over", "merged"),
    [
        pytest.param({"command": ["a", "b"]}, {"command": ["c"]}, {"command": ["c"]}, id="command replaced"),
        pytest.param({"environment": {"A": "1", "B": "2"}}, {"environment": {"B": "3"}},
                     {"environment": {"A": "1", "B": "3"}}, id="environment merged by name"),
        pytest.param({"dns": ["1.1.1.1", "8.8.8.8"]}, {"dns": ["8.8.8.8", "9.9.9.9"]},
                     {"dns": ["1.1.1.1", "8.8.8.8", "9.9.9.9"]}, id="dns appended once each"),
        pytest.param({"ports": [{"target": 80, "published": 8080, "protocol": "tcp"},
                                {"target": 90, "published": 9090, "protocol": "tcp"}]},
                     {"ports": [{"target": 80, "published": 8080, "protocol": "tcp", "mode": "host"},
                                {"target": 70, "published": 7070, "protocol": "tcp"}]},
                     {"ports": [{"target": 80, "published": 8080, "protocol": "tcp", "mode": "host"},
                                {"target": 90, "published": 9090, "protocol": "tcp"},
                                {"target": 70, "published": 7070, "protocol": "tcp"}]},
                     id="ports by address: the later one in the earlier's place"),
        pytest.param({"volumes": [{"type": "bind", "source": "/a", "target": "/data"},
                                  {"type": "volume", "source": "v", "target": "/v"}]},
                     {"volumes": [{"type": "bind", "source": "/b", "target": "/data"}]},
                     {"volumes": [{"type": "bind", "source": "/b", "target": "/data"},
                                  {"type": "volume", "source": "v", "target": "/v"}]}, id="volumes by target"),
        pytest.param({"secrets": [{"source": "s1"}]}, {"secrets": [{"source": "s2", "target": "/run/secrets/s1"}]},
                     {"secrets": [{"source": "s2", "target": "/run/secrets/s1"}]},
                     id="secrets by target (/run/secrets/SOURCE when none)"),
        pytest.param({"secrets": [{"source": "s1"}]}, {"secrets": [{"source": "s2", "target": "s1"}]},
                     {"secrets": [{"source": "s1"}, {"source": "s2", "target": "s1"}]},
                     id="a relative target is another key, as in compose-go"),
        pytest.param({"deploy": {"replicas": 2, "labels": {"a": "1"}, "resources": {"limits": {"memory": "10M"}}}},
                     {"deploy": {"replicas": 3, "resources": {"limits": {"cpus": "0.5"}}}},
                     {"deploy": {"replicas": 3, "labels": {"a": "1"},
                                 "resources": {"limits": {"cpus": "0.5", "memory": "10M"}}}}, id="deploy deep-merged"),
        pytest.param({"healthcheck": {"test": ["CMD", "a"], "interval": "5s"}}, {"healthcheck": {"test": ["CMD", "b"]}},
                     {"healthcheck": {"test": ["CMD", "b"], "interval": "5s"}}, id="healthcheck.test replaced"),
        pytest.param({"logging": {"driver": "json-file", "options": {"a": "1"}}},
                     {"logging": {"driver": "syslog", "options": {"b": "2"}}},
                     {"logging": {"driver": "syslog", "options": {"b": "2"}}}, id="logging: another driver replaces"),
        pytest.param({"logging": {"driver": "json-file", "options": {"a": "1"}}}, {"logging": {"options": {"b": "2"}}},
                     {"logging": {"driver": "json-file", "options": {"a": "1", "b": "2"}}}, id="logging: same driver merges"),
        pytest.param({"networks": {"front": None}}, {"networks": {"back": {"aliases": ["b"]}}},
                     {"networks": {"front": None, "back": {"aliases": ["b"]}}}, id="networks merged by name"),
        pytest.param({"depends_on": ["db"]}, {"depends_on": {"cache": {"condition": "service_healthy"}}},
                     {"depends_on": {"db": {"condition": "service_started"}, "cache": {"condition": "service_healthy"}}},
                     id="depends_on inherited and merged (compose-go)"),
        pytest.param({"image": "a", "user": "x"}, {"image": "b"}, {"image": "b", "user": "x"}, id="scalars replaced"),
    ],
)
def test_merge_rules(base: dict[str, Any], over: dict[str, Any], merged: dict[str, Any]) -> None:
    assert merge_service(base, over) == merged


BASE = """\
services:
  base:
    image: busybox:${TAG}
    command: [sleep, "1"]
    environment: {A: "1", B: "2"}
    volumes: [./data:/data]
    profiles: [extra]
"""


def test_extends_another_file_resolves_paths_against_it(tmp_path: Path) -> None:
    compose = ("services:\n  web:\n    extends: {service: base, file: lib/base.yml}\n    environment: [B=3]\n"
               "  job:\n    extends: web\n    command: [\"true\"]\n")
    project = load(tmp_path, {"compose.yaml": compose, "lib/base.yml": BASE}, environ={"TAG": "1.36"},
                   profiles=["extra"])
    web = project.services["web"]
    assert web["image"] == "busybox:1.36"
    assert web["environment"] == {"A": "1", "B": "3"}
    assert web["volumes"] == [{"type": "bind", "source": str(tmp_path / "lib" / "data"), "target": "/data"}]
    assert project.services["job"]["command"] == ["true"]
    assert project.services["job"]["environment"] == {"A": "1", "B": "3"}
    assert sorted(project.services) == ["job", "web"]  # the base file's other services stay out
    # the profiles are inherited: without --profile extra, both are left out
    project = load(tmp_path, {}, environ={"TAG": "1"})
    assert project.left_out == ("job", "web")


def test_an_inherited_key_is_positioned_in_the_base_file(tmp_path: Path) -> None:
    compose = "services:\n  web:\n    extends: {service: base, file: base.yml}\n"
    base = "services:\n  base:\n    image: 'bad image'\n"
    assert errors(tmp_path, {"compose.yaml": compose, "base.yml": base}) == [
        'base.yml:3:5: services.web.image: invalid image reference "bad image": invalid reference format',
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"compose.yaml": "services:\n  web:\n    extends: {service: bse, file: base.yml}\n",
                      "base.yml": "services:\n  base:\n    image: x\n"},
                     ['compose.yaml:3:15: services.web.extends.service: service "bse" not found in base.yml'],
                     id="unknown service in another file"),
        pytest.param({"compose.yaml": "services:\n  web:\n    image: x\n    extends: wbe\n"},
                     ['compose.yaml:4:5: services.web.extends: service "wbe" not found in compose.yaml'],
                     id="unknown service in the same file"),
        pytest.param({"compose.yaml": "services:\n  web:\n    extends: {service: base, file: nope.yml}\n"},
                     ["compose.yaml:3:30: services.web.extends.file: cannot read nope.yml: No such file or directory"],
                     id="missing file"),
        pytest.param({"compose.yaml": "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n"},
                     ["compose.yaml:4:5: services.a.extends: extends cycle: a (compose.yaml) -> b (compose.yaml) -> "
                      "a (compose.yaml)"], id="cycle"),
        pytest.param({"compose.yaml": "services:\n  a:\n    extends: {service: b, file: o.yml}\n",
                      "o.yml": "services:\n  b:\n    extends: {service: a, file: compose.yaml}\n"},
                     ["compose.yaml:3:5: services.a.extends: extends cycle: a (compose.yaml) -> b (o.yml) -> "
                      "a (compose.yaml)"], id="cycle across files"),
        pytest.param({"compose.yaml": "services:\n  web:\n    extends: {servce: base}\n"},
                     ["compose.yaml:3:5: services.web.extends: unknown key 'servce' in extends; use service and file"],
                     id="bad key"),
    ],
)
def test_errors(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    assert errors(tmp_path, files) == expected


def test_refused_in_a_3x_file_and_with_strict(tmp_path: Path) -> None:
    text = "services:\n  base:\n    image: x\n  web:\n    extends: base\n"
    refusal = ("services.web.extends: 'extends' is not supported by docker stack deploy: support for `extends` is "
               "not implemented yet")
    assert errors(tmp_path, {"compose.yaml": 'version: "3.8"\n' + text}) == ["compose.yaml:6:5: " + refusal]
    assert errors(tmp_path, {"compose.yaml": text}, spec=False) == ["compose.yaml:5:5: " + refusal]
