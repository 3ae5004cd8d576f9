"""convert.stack: convert_project end to end on small projects: the ServiceSpec assembled, names,
labels, errors with positions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from composeswarm.convert.stack import convert_project
from composeswarm.dockerrules.imageref import normalize_image
from composeswarm.errors import InputError, Issue
from composeswarm.errors import Path as Path_
from composeswarm.load.model import Position, Project


def project(services: dict[str, Any], **sections: Any) -> Project:
    return Project(version="3.8", services=services, files=("stack.yml",), **sections)


def test_minimal_service_spec_is_what_docker_sends() -> None:
    desired = convert_project(project({"web": {"image": "redis"}}), "st")
    assert json.dumps(desired.services["st_web"]) == json.dumps({
        "Name": "st_web",
        "Labels": {"com.docker.stack.image": "redis", "com.docker.stack.namespace": "st"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "redis:latest",
                "Labels": {"com.docker.stack.namespace": "st"},
                "Privileges": {"CredentialSpec": None, "SELinuxContext": None, "NoNewPrivileges": False},
            },
            "Resources": {},
            "Placement": {},
            "Networks": [{"Target": "st_default", "Aliases": ["web"]}],
            "ForceUpdate": 0,
        },
        "Mode": {"Replicated": {}},
        "EndpointSpec": {},
    })
    assert list(desired.networks) == ["st_default"]
    assert (desired.external_networks, desired.secrets, desired.configs) == ([], {}, {})


def test_oom_score_adj_is_not_sent() -> None:
    """docker CLI 28.2's loader drops `oom_score_adj` (no mapstructure tag on the field), so it never sends it."""
    spec = convert_project(project({"web": {"image": "app", "oom_score_adj": 100}}), "st").services["st_web"]
    assert "OomScoreAdj" not in spec["TaskTemplate"]["ContainerSpec"]


def test_service_keys_follow_go_field_order() -> None:
    service = {
        "image": "busybox", "command": ["sleep", "1"], "entrypoint": ["/bin/sh"], "hostname": "h",
        "environment": {"A": "1"}, "working_dir": "/w", "user": "u", "init": False, "stop_signal": "SIGINT",
        "tty": True, "stdin_open": True, "read_only": True, "volumes": [{"type": "tmpfs", "target": "/t"}],
        "stop_grace_period": "1s", "healthcheck": {"test": ["NONE"]}, "extra_hosts": ["h:1.1.1.1"], "dns": ["1.1.1.1"],
        "secrets": ["s"], "configs": ["c"], "isolation": "default", "sysctls": {"a": "1"}, "cap_add": ["A"],
        "cap_drop": ["B"], "ulimits": {"n": 1}, "oom_score_adj": 5, "logging": {"driver": "json-file"},
        "restart": "always", "deploy": {"update_config": {}, "rollback_config": {}},
    }
    spec = convert_project(project({"s": service}, secrets={"s": {"external": True}},
                                   configs={"c": {"external": True}}), "st").services["st_s"]
    assert list(spec) == ["Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig", "RollbackConfig", "EndpointSpec"]
    assert list(spec["TaskTemplate"]) == ["ContainerSpec", "Resources", "RestartPolicy", "Placement", "Networks",
                                          "LogDriver", "ForceUpdate"]
    assert list(spec["TaskTemplate"]["ContainerSpec"]) == [
        "Image", "Labels", "Command", "Args", "Hostname", "Env", "Dir", "User", "Privileges", "Init", "StopSignal",
        "TTY", "OpenStdin", "ReadOnly", "Mounts", "StopGracePeriod", "Healthcheck", "Hosts", "DNSConfig", "Secrets",
        "Configs", "Isolation", "Sysctls", "CapabilityAdd", "CapabilityDrop", "Ulimits",
    ]


@pytest.mark.parametrize(
    ("deploy_labels", "expected"),
    [
        pytest.param(None, {"com.docker.stack.image": "app:1", "com.docker.stack.namespace": "st"}, id="stack labels"),
        pytest.param({"com.docker.stack.namespace": "x", "com.docker.stack.image": "y", "a": "b"},
                     {"a": "b", "com.docker.stack.image": "app:1", "com.docker.stack.namespace": "st"},
                     id="stack labels win over user labels"),
    ],
)
def test_service_labels(deploy_labels: Any, expected: dict[str, str]) -> None:
    svc = {"image": "app:1", "deploy": {"labels": deploy_labels}}
    assert convert_project(project({"web": svc}), "st").services["st_web"]["Labels"] == expected


@pytest.mark.parametrize(
    ("configs", "expected"),
    [
        pytest.param({"spec": {"file": "f"}}, "st_spec", id="docker: namespaced config"),
        pytest.param({"spec": {"external": True}}, "spec", id="external config: its key"),
        pytest.param({"spec": {"name": "spec", "file": "f"}}, "spec", id="name equal to the key"),
    ],
)
def test_credential_spec_config_name(configs: dict[str, Any], expected: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("{}")
    svc = {"image": "app", "credential_spec": {"config": "spec"}}
    proj = Project(version="3.8", services={"web": svc}, configs=configs, working_dir=str(tmp_path), files=("stack.yml",))
    container = convert_project(proj, "st").services["st_web"]["TaskTemplate"]["ContainerSpec"]
    assert container["Privileges"]["CredentialSpec"]["Config"] == expected


def test_credential_spec_config_with_other_name_is_not_found() -> None:
    """docker: missing-config-reference (a config whose name: differs from its key is not matched)."""
    svc = {"image": "app", "credential_spec": {"config": "spec"}}
    proj = project({"web": svc}, configs={"spec": {"external": True, "name": "gmsa"}})
    with pytest.raises(InputError) as info:
        convert_project(proj, "st")
    assert str(info.value) == (
        "stack.yml: services.web.credential_spec.config: "
        "invalid credential spec: spec specifies config spec, but no such config can be found"
    )


def test_errors_point_at_the_key_and_are_all_reported(tmp_path: Path) -> None:
    positions: dict[Path_, Position] = {
        ("services", "web", "deploy", "replicas"): Position("stack.yml", 7, 17),
        ("services", "web"): Position("stack.yml", 3, 3),
    }
    proj = Project(
        version="3.8",
        services={
            "web": {"image": "app", "deploy": {"mode": "global", "replicas": 2}},
            "db": {"image": "db", "healthcheck": {"disable": True, "test": ["CMD", "true"]}},
            "api": {},
        },
        secrets={"s": {"file": "missing"}},
        working_dir=str(tmp_path),
        files=("stack.yml",),
        positions=positions,
    )
    with pytest.raises(InputError) as info:
        convert_project(proj, "st")
    assert info.value.issues == [
        Issue("stack.yml", None, None, ("services", "api", "image"), "invalid image reference: no image specified"),
        Issue("stack.yml", None, None, ("services", "db", "healthcheck"), "test and disable can't be set at the same time"),
        Issue("stack.yml", 7, 17, ("services", "web", "deploy", "replicas"),
              "replicas can only be used with replicated or replicated-job mode"),
        Issue("stack.yml", None, None, ("secrets", "s", "file"), f"open {tmp_path}/missing: no such file or directory"),
    ]


def test_undefined_volume_and_network_errors() -> None:
    svc = {"image": "app", "volumes": [{"type": "volume", "source": "data", "target": "/d"}]}
    with pytest.raises(InputError) as info:
        convert_project(project({"web": svc}), "st")
    assert str(info.value) == 'stack.yml: services.web.volumes[0].source: undefined volume "data"'
    with pytest.raises(InputError) as info:
        convert_project(project({"web": {"image": "app", "networks": {"n": None}}}), "st")
    assert str(info.value) == 'stack.yml: services.web.networks.n: undefined network "n"'


@pytest.mark.parametrize(
    ("image", "sent"),
    [
        pytest.param("a" * 64, "a" * 64, id="an image ID is a valid reference for docker 28.2"),
        pytest.param("sha256:" + "b" * 64, "sha256:" + "b" * 64, id="a digest alone"),
        pytest.param("docker.io/library/redis", "redis:latest", id="normalised in the spec"),
    ],
)
def test_image_references_docker_accepts(image: str, sent: str) -> None:
    spec = convert_project(project({"web": {"image": image}}), "st").services["st_web"]
    assert (spec["TaskTemplate"]["ContainerSpec"]["Image"], spec["Labels"]["com.docker.stack.image"]) == (sent, image)


def test_invalid_image_reference() -> None:
    with pytest.raises(InputError) as info:
        convert_project(project({"web": {"image": "Redis:7"}}), "st")
    assert str(info.value) == ("stack.yml: services.web.image: invalid image reference: invalid reference format: "
                               "repository name (library/Redis) must be lowercase")


def test_normalize_image_is_exported() -> None:
    assert normalize_image("busybox") == "busybox:latest"
