"""`config` output as docker stack config prints it: yaml.v3 key order and quoting, the ok line."""

from __future__ import annotations

from composeswarm.load.model import Project
from composeswarm.render.issue_report import _V3Key, ok_line, render_config


def test_yaml_v3_key_order() -> None:
    keys = ["OAUTH2_X", "OAUTH_SAML", "a10", "a9", "a", "B", "b"]
    assert sorted(keys, key=_V3Key) == ["B", "OAUTH_SAML", "OAUTH2_X", "a", "a9", "a10", "b"]


def project(**service: object) -> Project:
    return Project(version="3.13", services={"web": {"image": "x", **service}}, files=("-",))


def test_yaml_output() -> None:
    text = render_config(
        project(
            environment={"b": "yes", "a": "0o17", "c": "{{.Node.ID}}", "d": "01:00", "e": "y", "f": None},
            deploy={"restart_policy": {"window": "120s"}, "resources": {"limits": {"memory": "1G"}}},
        ),
        "yaml",
    )
    assert text == (
        'version: "3.13"\n'
        "services:\n"
        "  web:\n"
        "    image: x\n"
        "    environment:\n"
        '      a: "0o17"\n'
        '      b: "yes"\n'
        "      c: '{{.Node.ID}}'\n"
        '      d: "01:00"\n'
        '      e: "y"\n'
        "      f: null\n"
        "    deploy:\n"
        "      restart_policy:\n"
        "        window: 2m0s\n"
        "      resources:\n"
        "        limits:\n"
        '          memory: "1073741824"\n'
    )


def test_json_output() -> None:
    assert render_config(project(stop_grace_period="90s"), "json") == (
        '{\n  "version": "3.13",\n  "services": {\n    "web": {\n      "image": "x",\n'
        '      "stop_grace_period": "1m30s"\n    }\n  }\n}\n'
    )


def test_ok_line() -> None:
    p = Project(version="3.9", services={"a": {}, "b": {}}, networks={"n": {}}, files=("-",))
    assert ok_line(p, 2) == "ok: <stdin> (compose 3.9): 2 services, 1 network, 2 warnings"


def test_ok_line_of_a_specification_file() -> None:
    p = Project(version="3.13", services={"a": {}}, files=("-",), spec=True)
    assert ok_line(p, 0) == "ok: <stdin> (Compose Specification): 1 service"


def test_config_prints_the_name_first() -> None:
    p = Project(version="3.13", services={"web": {"image": "x"}}, name="shop")
    assert render_config(p, "json") == (
        '{\n  "name": "shop",\n  "version": "3.13",\n  "services": {\n    "web": {\n      "image": "x"\n'
        '    }\n  }\n}\n'
    )
    assert render_config(p, "yaml").startswith("name: shop\nversion: \"3.13\"\n")


def test_zero_values_left_out_as_docker_does() -> None:
    text = render_config(
        project(
            read_only=False, init=False, ulimits={"core": 0},
            deploy={"replicas": 0, "update_config": {"parallelism": 0, "monitor": "0s", "max_failure_ratio": 0},
                    "resources": {"limits": {"pids": 0, "memory": "0"}}},
            healthcheck={"retries": 0, "disable": False},
        ),
        "yaml",
    )
    assert text == (
        'version: "3.13"\n'
        "services:\n"
        "  web:\n"
        "    image: x\n"
        "    init: false\n"
        "    ulimits:\n"
        "      core: {}\n"
        "    deploy:\n"
        "      replicas: 0\n"
        "      update_config:\n"
        "        parallelism: 0\n"
        "      resources:\n"
        "        limits: {}\n"
        "    healthcheck:\n"
        "      retries: 0\n"
    )


def test_ok_line_escapes_file_names() -> None:
    p = Project(version="3.9", services={"a": {}}, files=("/x/a\x1b[31m\u202eb.yml",))
    assert ok_line(p, 0) == "ok: /x/a\\x1b[31m\\u202eb.yml (compose 3.9): 1 service"
