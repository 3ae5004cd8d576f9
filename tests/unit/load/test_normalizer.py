"""load.normalizer: service keys and top-level entries as `docker stack config` prints them (lists,
mappings, absolute paths), the warnings on the way, env files read for a service."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import Path
from composeswarm.load.normalizer import Normalizer

Tree = dict[str, Any]


def service(svc: Tree, environ: dict[str, str] | None = None) -> Tree:
    shaper = Normalizer("f.yml", "3.13", "/work", environ or {"HOME": "/home/u"}, {})
    out = shaper.service("web", svc)
    assert shaper.issues == []
    return out


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param("command", "bundle exec 'thin -p' 3000", ["bundle", "exec", "thin -p", "3000"], id="command"),
        pytest.param("entrypoint", [], None, id="empty entrypoint dropped"),
        pytest.param("dns", "8.8.8.8", ["8.8.8.8"], id="dns string"),
        pytest.param("tmpfs", "/run", ["/run"], id="tmpfs string"),
        pytest.param("labels", ["a=b", "c"], {"a": "b", "c": ""}, id="labels list"),
        pytest.param("labels", {"n": 42, "e": None}, {"e": "", "n": "42"}, id="labels mapping"),
        pytest.param("sysctls", {"net.core.somaxconn": 1024}, {"net.core.somaxconn": "1024"}, id="sysctls"),
        pytest.param("extra_hosts", {"b": "1.2.3.4", "a": "[::1]", "n": None}, ["a:::1", "b:1.2.3.4"],
                     id="hosts mapping"),
        pytest.param("extra_hosts", ["h1=1.2.3.4", "h2:[::1]", "nosep", "h3:::1"], ["h1:1.2.3.4", "h2:::1", "h3:::1"],
                     id="hosts list"),
        pytest.param("expose", ["3000", 8000], ["3000", "8000"], id="expose"),
        pytest.param("networks", ["b", "a"], {"a": None, "b": None}, id="network list"),
        pytest.param("secrets", ["s", {"source": "t", "mode": 0o440}], [{"source": "s"}, {"source": "t", "mode": 288}],
                     id="secrets"),
        pytest.param("healthcheck", {"test": "curl x"}, {"test": ["CMD-SHELL", "curl x"]}, id="healthcheck string"),
        pytest.param("build", "./dir", {"context": "./dir"}, id="build string"),
        pytest.param("logging", {"driver": "syslog", "options": {"n": 10, "x": None}},
                     {"driver": "syslog", "options": {"n": "10", "x": ""}}, id="logging options"),
        pytest.param("deploy", None, None, id="null deploy dropped"),
        pytest.param("ports", [{"target": 80}], [{"target": 80}], id="long port has no defaults"),
        pytest.param("volumes", ["~/c:/c", "./d:/d"], [{"type": "bind", "source": "/home/u/c", "target": "/c"},
                                                      {"type": "bind", "source": "/work/d", "target": "/d"}],
                     id="bind sources made absolute"),
        pytest.param("environment", ["A=1", "B"], {"A": "1", "B": None}, id="environment list"),
        pytest.param("x-meta", {"a": 1}, {"a": 1}, id="extension kept"),
        pytest.param("oom_score_adj", 100, None, id="oom_score_adj dropped as docker 28.2 does"),
    ],
)
def test_service_keys(key: str, value: Any, expected: Any) -> None:
    out = service({"image": "x", key: value})
    assert out.get(key) == expected


@pytest.mark.parametrize(
    ("section", "entry", "expected", "warnings"),
    [
        pytest.param("networks", None, {}, [], id="null network"),
        pytest.param("networks", {"external": True}, {"name": "n", "external": True}, [], id="external"),
        pytest.param("networks", {"driver": "overlay", "x-a": 1}, {"driver": "overlay"}, [],
                     id="x-* of a created network dropped as docker does"),
        pytest.param("networks", {"external": True, "x-a": 1}, {"name": "n", "external": True, "x-a": 1}, [],
                     id="x-* of an external network kept"),
        pytest.param(
            "networks", {"external": {"name": "real"}}, {"name": "real", "external": True},
            ["f.yml: networks.n.external.name: network.external.name is deprecated in favor of network.name"],
            id="external name",
        ),
        pytest.param("volumes", {"driver_opts": {"size": 1}}, {"driver_opts": {"size": "1"}}, [], id="driver opts"),
        pytest.param("secrets", {"file": "./s.txt"}, {"file": "/work/s.txt"}, [], id="secret file absolute"),
        pytest.param("secrets", {"name": "only"}, {"name": "only", "file": "/work"}, [],
                     id="name only: docker reads the working folder"),
        pytest.param("configs", {"external": True, "name": "c1"}, {"name": "c1", "external": True}, [],
                     id="external with name"),
    ],
)
def test_top_level_entries(section: str, entry: Any, expected: Tree, warnings: list[str]) -> None:
    shaper = Normalizer("f.yml", "3.13", "/work", {}, {})
    name = {"networks": "n", "volumes": "v", "secrets": "s", "configs": "c"}[section]
    out = shaper.project({"services": {}, section: {name: entry}})
    assert out[section][name] == expected
    assert [str(i) for i in shaper.issues] == warnings


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        pytest.param("volumes", {"external": True, "driver": "local"},
                     'volumes.v.driver: conflicting parameters "external" and "driver" specified for volume "v"',
                     id="external volume with driver"),
        pytest.param("secrets", {"driver": "vault", "file": "./x"},
                     "secrets.s.driver: secret.driver and secret.file conflict; only use secret.driver",
                     id="driver and file"),
        pytest.param("networks", {"name": "a", "external": {"name": "b"}},
                     "networks.n.external.name: network.external.name and network.name conflict; only use "
                     "network.name", id="two names"),
    ],
)
def test_top_level_errors(section: str, entry: Tree, message: str) -> None:
    shaper = Normalizer("f.yml", "3.4", "/work", {}, {})
    name = {"networks": "n", "volumes": "v", "secrets": "s"}[section]
    shaper.project({"services": {}, section: {name: entry}})
    assert [str(i) for i in shaper.issues if i.severity == "error"] == [f"f.yml: {message}"]


def test_bind_without_home_warns() -> None:
    shaper = Normalizer("f.yml", "3.13", "/work", {}, {("services", "web", "volumes", 0): _pos()})
    out = shaper.service("web", {"image": "x", "volumes": ["~/c:/c"]})
    assert out["volumes"] == [{"type": "bind", "source": "/work/~/c", "target": "/c"}]
    assert [str(i) for i in shaper.issues] == [
        "f.yml:4:9: services.web.volumes[0]: cannot expand '~', because the environment lacks HOME"
    ]


def _pos() -> Any:
    from composeswarm.load.model import Position

    return Position("f.yml", 4, 9)


def test_port_host_ip_warning() -> None:
    where: Path = ("services", "web", "ports", 0)
    shaper = Normalizer("f.yml", "3.13", "/work", {}, {where: _pos()})
    shaper.service("web", {"image": "x", "ports": ["127.0.0.1:80:80"]})
    assert [str(i) for i in shaper.issues] == [
        "f.yml:4:9: services.web.ports[0]: ignoring host IP 127.0.0.1 in '127.0.0.1:80:80': swarm publishes on "
        "every address (0.0.0.0)"
    ]


@pytest.mark.parametrize(
    ("memory", "errors"),
    [
        pytest.param("1.5G", [], id="valid"),
        pytest.param("1 gigabyte", ['f.yml: services.web.deploy.resources.limits.memory: invalid size "1 gigabyte" '
                                    "(use e.g. 512M or 1.5G)"], id="invalid"),
    ],
)
def test_memory_is_read_at_load_time(memory: str, errors: list[str]) -> None:
    shaper = Normalizer("f.yml", "3.13", "/work", {}, {})
    shaper.service("web", {"image": "x", "deploy": {"resources": {"limits": {"memory": memory}}}})
    assert [str(i) for i in shaper.issues] == errors


@pytest.mark.parametrize(
    ("content", "env", "error"),
    [
        pytest.param(b"\xef\xbb\xbfA=1\r\n  B=two words \n#c\nC\nD\n", {"A": "1", "B": "two words ", "C": "shell"}, None,
                     id="bom, crlf, leading space, shell lookup"),
        pytest.param(b"=x\n", {}, "no variable name on line '=x'", id="no name"),
        pytest.param(b"A B=1\n", {}, "variable 'A B' contains whitespaces", id="whitespace"),
        pytest.param(b"A=\xff\n", {}, "invalid utf8 bytes at line 1", id="not utf-8"),
    ],
)
def test_env_file(tmp_path: Any, content: bytes, env: dict[str, str], error: str | None) -> None:
    (tmp_path / "e.env").write_bytes(content)
    shaper = Normalizer("f.yml", "3.13", str(tmp_path), {"C": "shell"}, {})
    got = shaper.read_env_file(str(tmp_path / "e.env"), ("services", "web", "env_file"))
    errors = [str(i) for i in shaper.issues]
    assert (got, errors) == (env, [] if error is None else [
        f"f.yml: services.web.env_file: invalid env file ({tmp_path}/e.env): {error}"
    ])
