"""Checks beyond the schema: references, images, depends_on, secret/config files, ports, deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.load import checks


def issues(data: dict[str, Any], working_dir: str = "/nonexistent") -> list[str]:
    return [str(i) for i in checks.check_project(data, working_dir, {}, "f.yml")]


def project(web: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"services": {"web": {"image": "nginx:1.25", **web}}, **sections}


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        pytest.param("nginx", None, id="short"),
        pytest.param("localhost:5000/team/app:1.2", None, id="registry with port"),
        pytest.param("Registry.Example.com/app", None, id="upper-case domain"),
        pytest.param("busybox@sha256:" + "a" * 64, None, id="digest"),
        pytest.param("", "no image specified", id="empty"),
        pytest.param("Nginx", "invalid reference format: repository name (library/Nginx) must be lowercase", id="upper"),
        pytest.param("nginx:", "invalid reference format", id="empty tag"),
        pytest.param("a b", "invalid reference format", id="space"),
    ],
)
def test_image_problem(image: str, problem: str | None) -> None:
    assert checks.image_problem(image) == problem


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(project({"networks": {"front": None}}),
                     ['f.yml: services.web.networks.front: undefined network "front"; declare it under the '
                      "top-level networks"], id="network"),
        pytest.param(project({"networks": {"default": None}}), [], id="default needs no declaration"),
        pytest.param(project({"volumes": [{"type": "volume", "source": "data", "target": "/d"}]}),
                     ['f.yml: services.web.volumes[0]: undefined volume "data"; declare it under the top-level '
                      "volumes"], id="volume"),
        pytest.param(project({"configs": [{"source": "c"}]}),
                     ['f.yml: services.web.configs[0]: undefined config "c"; declare it under the top-level configs'],
                     id="config"),
        pytest.param(project({"secrets": [{"source": "a", "target": "t"}, {"source": "b", "target": "t"}]},
                             secrets={"a": {"external": True}, "b": {"external": True}}),
                     ['f.yml: services.web.secrets[1]: duplicate secret target "t" (also used by "a")'],
                     id="duplicate target"),
        pytest.param(project({"credential_spec": {"config": "cs"}}),
                     ['f.yml: services.web.credential_spec.config: undefined config "cs"'], id="credential spec"),
        pytest.param(project({"ports": [{"target": 0}]}),
                     ["f.yml: services.web.ports[0].target: target port must be 1-65535, got 0"], id="target 0"),
        pytest.param(project({"ports": [{"target": 80, "published": 65536}]}),
                     ["f.yml: services.web.ports[0].published: published port must be 1-65535, got 65536"],
                     id="published too big"),
        pytest.param(project({"ports": [{"target": 80, "mode": "bridge"}]}),
                     ['f.yml: services.web.ports[0].mode: must be one of ingress, host; got "bridge"'], id="mode"),
        pytest.param(project({"deploy": {"endpoint_mode": "DNSRR"}, "ports": [{"target": 80, "mode": "ingress"},
                                                                           {"target": 81, "mode": "host"}]}),
                     ["f.yml: services.web.deploy.endpoint_mode: dnsrr can't be used with ports in ingress mode "
                      "(ports[0]); publish them with mode: host or use vip"], id="dnsrr with ingress port"),
        pytest.param(project({"deploy": {"mode": "daemon"}}),
                     ['f.yml: services.web.deploy.mode: unknown mode "daemon"; use replicated, global, '
                      "replicated-job or global-job"], id="unknown mode"),
        pytest.param(project({"deploy": {"resources": {"limits": {"cpus": "0.0000000001"}}}}),
                     ['f.yml: services.web.deploy.resources.limits.cpus: invalid number of CPUs "0.0000000001": '
                      "value is too precise"], id="cpus"),
        pytest.param(project({"restart": "sometimes"}),
                     ['f.yml: services.web.restart: invalid restart policy "sometimes"; use no, always, '
                      "unless-stopped or on-failure[:N]"], id="restart"),
        pytest.param(project({"restart": "on-failure:3"}), [], id="restart with count"),
        pytest.param(project({"healthcheck": {"disable": True, "test": ["CMD", "true"]}}),
                     ["f.yml: services.web.healthcheck: test and disable can't be set at the same time"],
                     id="healthcheck"),
        pytest.param(project({"depends_on": ["web"]}),
                     ["f.yml: services.web.depends_on.web: a service cannot depend on itself"], id="self"),
        pytest.param(project({"depends_on": {"db": {"condition": "service_healthy"}}}),
                     ['f.yml: services.web.depends_on.db: depends on undefined service "db"'], id="long form unknown"),
    ],
)
def test_project_checks(data: dict[str, Any], expected: list[str]) -> None:
    assert issues(data) == expected


def test_cycle_reported_once() -> None:
    data = {"services": {name: {"image": "x", "depends_on": [dep]} for name, dep in
                         (("a", "b"), ("b", "c"), ("c", "a"))}}
    assert issues(data) == ["f.yml: services.a.depends_on.b: dependency cycle: a -> b -> c -> a"]


# The engine refuses 0 bytes and 500 KiB (secrets) or 1000 KiB (configs) and more: measured on dockerd 20.10.
@pytest.mark.parametrize(
    ("kind", "size", "expected"),
    [
        pytest.param("secrets", 500 * 1024 - 1, [], id="secret below the limit"),
        pytest.param("secrets", 500 * 1024,
                     ["f.yml: secrets.s.file: file ./s.bin is 512000 bytes: secret data must be larger than 0 and "
                      "less than 512000 bytes"], id="secret at the limit"),
        pytest.param("secrets", 0,
                     ["f.yml: secrets.s.file: file ./s.bin is 0 bytes: secret data must be larger than 0 and "
                      "less than 512000 bytes"], id="empty secret"),
        pytest.param("configs", 1000 * 1024 - 1, [], id="config below the limit"),
        pytest.param("configs", 1000 * 1024,
                     ["f.yml: configs.s.file: file ./s.bin is 1024000 bytes: config data must be larger than 0 and "
                      "less than 1024000 bytes"], id="config at the limit"),
    ],
)
def test_secret_size(tmp_path: Path, kind: str, size: int, expected: list[str]) -> None:
    (tmp_path / "s.bin").write_bytes(b"x" * size)
    data = {"services": {}, kind: {"s": {"file": str(tmp_path / "s.bin")}}}
    assert issues(data, str(tmp_path)) == expected


@pytest.mark.parametrize(
    ("kind", "file", "expected"),
    [
        pytest.param("secrets", "/dev/zero",
                     "f.yml: secrets.s.file: file /dev/zero has 512000 bytes or more: secret data must be larger "
                     "than 0 and less than 512000 bytes", id="secret from a device"),
        pytest.param("configs", "/dev/zero",
                     "f.yml: configs.s.file: file /dev/zero has 1024000 bytes or more: config data must be larger "
                     "than 0 and less than 1024000 bytes", id="config from a device"),
        pytest.param("secrets", "/x/a\x00b", "f.yml: secrets.s.file: invalid file /x/a\\x00b: the path contains "
                     "a NUL byte", id="NUL in the path"),
    ],
)
def test_secret_file_that_is_no_file(kind: str, file: str, expected: str) -> None:
    data = {"services": {}, kind: {"s": {"file": file}}}
    assert issues(data, "/work") == [expected]


def test_name_only_secret_is_refused(tmp_path: Path) -> None:
    data = {"services": {}, "configs": {"c": {"name": "n", "file": str(tmp_path)}}}
    assert issues(data, str(tmp_path)) == [
        f"f.yml: configs.c: no file: a config needs file, external or driver (docker would try to read the folder "
        f"{tmp_path})"
    ]


@pytest.mark.parametrize(
    ("svc", "expected"),
    [
        pytest.param({"mem_limit": "1g"}, ["f.yml: services.web.mem_limit: 'mem_limit' is not supported by docker "
                                           "stack deploy: set resource limits using deploy.resources"], id="mem_limit"),
        pytest.param({"deploy": {}}, [], id="allowed"),
    ],
)
def test_forbidden(svc: dict[str, Any], expected: list[str]) -> None:
    assert [str(i) for i in checks.forbidden({"services": {"web": svc}}, "f.yml", {})] == expected


def test_ignored_keys() -> None:
    svc = {"build": ".", "privileged": True, "expose": [80], "restart": "always", "image": "x"}
    found = checks.ignored_keys({"services": {"web": svc}}, "f.yml", {})
    assert [(str(i), i.severity) for i in found] == [
        ("f.yml: services.web.build: ignored: docker stack deploy does not support 'build'", "warning"),
        ("f.yml: services.web.privileged: ignored: docker stack deploy does not support 'privileged'", "warning"),
        ("f.yml: services.web.expose: ignored: Exposing ports is unnecessary - services on the same network can "
         "access each other's containers on any port.", "warning"),
        ("f.yml: services.web.restart: docker reports 'restart' as unsupported, but uses it as the restart policy "
         "when deploy.restart_policy is not set; prefer deploy.restart_policy", "warning"),
    ]


def test_open_blocks_warn_about_unknown_keys() -> None:
    svc = {
        "image": "x",
        "configs": [{"source": "c", "targte": "/c"}],
        "volumes": [{"type": "volume", "source": "v", "target": "/v", "volume": {"nocopy": True, "sub": 1}}],
    }
    found = checks.ignored_keys({"services": {"web": svc}}, "f.yml", {})
    assert [(str(i), i.severity) for i in found] == [
        ("f.yml: services.web.configs[0].targte: unknown key 'targte' (docker ignores it); did you mean 'target'?",
         "warning"),
        ("f.yml: services.web.volumes[0].volume.sub: unknown key 'sub' (docker ignores it)", "warning"),
    ]
