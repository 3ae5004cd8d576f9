"""Compose Specification files: name, profiles, secrets/configs from environment or content, env_file
long form, x- keys, long depends_on, ignored keys; and 3.x files (and --strict) exactly as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.convert.stack import convert_project
from composeswarm.errors import InputError
from composeswarm.load.project import load_project, project_name
from composeswarm.load.specfile import active_profiles, spec_note


def load(folder: Path, text: str, **kwargs: Any) -> tuple[Any, list[str]]:
    (folder / "compose.yaml").write_text(text)
    environ = kwargs.pop("environ", {})
    project, warnings = load_project(["compose.yaml"], cwd=str(folder), environ=environ, **kwargs)
    return project, [str(w) for w in warnings]


def errors(folder: Path, text: str, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        load(folder, text, **kwargs)
    return [str(i) for i in info.value.issues if i.severity == "error"]


PROFILES = """\
services:
  web:
    image: nginx
  debug:
    image: busybox
    profiles: [debug, all]
  tools:
    image: busybox
    profiles: [tools]
"""


@pytest.mark.parametrize(
    ("chosen", "environ", "services", "left_out"),
    [
        pytest.param(None, {}, ["web"], ("debug", "tools"), id="no profile: only services without profiles"),
        pytest.param(["debug"], {}, ["debug", "web"], ("tools",), id="--profile debug"),
        pytest.param(["all", "tools"], {}, ["debug", "tools", "web"], (), id="two --profile"),
        pytest.param(None, {"COMPOSE_PROFILES": "tools, debug"}, ["debug", "tools", "web"], (), id="COMPOSE_PROFILES"),
        pytest.param(["tools"], {"COMPOSE_PROFILES": "debug"}, ["tools", "web"], ("debug",), id="--profile wins"),
        pytest.param(["*"], {}, ["debug", "tools", "web"], (), id="* enables all"),
    ],
)
def test_profiles(tmp_path: Path, chosen: list[str] | None, environ: dict[str, str], services: list[str],
                  left_out: tuple[str, ...]) -> None:
    project, _ = load(tmp_path, PROFILES, profiles=chosen, environ=environ)
    assert sorted(project.services) == services
    assert project.left_out == left_out
    assert convert_project(project, "st").left_out == [f"st_{n}" for n in left_out]


def test_compose_profiles_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COMPOSE_PROFILES=tools\n")
    project, _ = load(tmp_path, PROFILES)
    assert sorted(project.services) == ["tools", "web"]
    project, _ = load(tmp_path, PROFILES, environ={"COMPOSE_PROFILES": "debug"})  # the environment wins
    assert sorted(project.services) == ["debug", "web"]


def test_active_profiles() -> None:
    assert active_profiles(None, {"COMPOSE_PROFILES": "a,,b ,"}) == {"a", "b"}
    assert active_profiles(["x"], {"COMPOSE_PROFILES": "a"}) == {"x"}


def test_dependency_on_a_service_left_out(tmp_path: Path) -> None:
    text = PROFILES + "    depends_on: [debug]\n"
    load(tmp_path, text)  # both left out: nothing to say
    assert errors(tmp_path, text, profiles=["tools"]) == [
        ('compose.yaml:10:18: services.tools.depends_on[0]: service "tools" depends on service "debug", which its '
        "profiles leave out (enable it with --profile debug)")
    ]
    project, _ = load(tmp_path, text, profiles=["tools", "debug"])
    assert project.services["tools"]["depends_on"] == ["debug"]


def test_optional_dependency_left_out_is_dropped(tmp_path: Path) -> None:
    text = PROFILES.replace("  tools:\n", "  tools:\n    depends_on:\n      debug:\n        condition: service_started\n"
                            "        required: false\n        restart: true\n")
    project, _ = load(tmp_path, text, profiles=["tools"])
    assert "depends_on" not in project.services["tools"]
    project, _ = load(tmp_path, text, profiles=["tools", "debug"])
    assert project.services["tools"]["depends_on"] == {"debug": {"condition": "service_started"}}


def test_name_and_note(tmp_path: Path) -> None:
    project, _ = load(tmp_path, "name: ${PROJ}\nservices:\n  web:\n    image: nginx\n", environ={"PROJ": "shop"})
    assert project.name == "shop"
    assert project.spec_keys == (("name",),)
    assert spec_note(project.spec_keys) == (
        "note: these files use Compose Specification keys (name): docker stack deploy refuses them, composeswarm "
        "deploys them (validate --strict checks a file as docker would)"
    )


def test_project_name(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("name: shop\nservices:\n  web:\n    image: nginx\n")
    (tmp_path / "old.yml").write_text("version: '3.8'\nservices:\n  web:\n    image: nginx\n")
    assert project_name(["compose.yaml"], cwd=str(tmp_path), environ={}) == "shop"
    with pytest.raises(InputError) as info:
        project_name(["old.yml"], cwd=str(tmp_path), environ={})
    assert [str(i) for i in info.value.issues] == [
        "no STACK given and the compose files have no top-level name; give the stack name"]
    with pytest.raises(InputError) as info:
        project_name(["-"], cwd=str(tmp_path), environ={})
    assert [str(i) for i in info.value.issues] == ["give the STACK name when the compose file is standard input"]


SECRETS = """\
services:
  web:
    image: nginx
    secrets: [token]
    configs: [site, motd]
secrets:
  token:
    environment: TOKEN
configs:
  site:
    content: |
      server ${HOST}; cost $$5
  motd:
    environment: MOTD
"""


def test_secrets_and_configs_from_environment_and_content(tmp_path: Path) -> None:
    project, _ = load(tmp_path, SECRETS, environ={"TOKEN": "s3cret", "HOST": "example.org", "MOTD": "hi"})
    assert project.secrets == {"token": {"environment": "TOKEN"}}
    assert project.configs == {"site": {"content": "server example.org; cost $5\n"}, "motd": {"environment": "MOTD"}}
    assert project.inline == {("secrets", "token"): b"s3cret", ("configs", "site"): b"server example.org; cost $5\n",
                              ("configs", "motd"): b"hi"}
    desired = convert_project(project, "st")
    assert desired.secrets["st_token"]["Data"] == b"s3cret"
    assert desired.configs["st_site"]["Data"] == b"server example.org; cost $5\n"
    assert desired.configs["st_motd"]["Data"] == b"hi"


def test_secret_from_an_unset_variable(tmp_path: Path) -> None:
    assert errors(tmp_path, SECRETS, environ={"MOTD": "hi"}) == [
        ('compose.yaml:8:5: secrets.token.environment: variable "TOKEN" is not set or empty: the secret would be '
        "empty, and swarm refuses empty data")
    ]


def test_env_file_long_form(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=1\n")
    text = ("services:\n  web:\n    image: nginx\n    env_file:\n      - path: a.env\n        format: raw\n"
            "      - path: missing.env\n        required: false\n")
    project, _ = load(tmp_path, text)
    assert project.services["web"]["environment"] == {"A": "1"}
    assert project.services["web"]["env_file"] == ["a.env"]
    required = text.replace("        required: false\n", "")
    assert errors(tmp_path, required) == [
        (f"compose.yaml:7:9: services.web.env_file[1]: cannot read env file {tmp_path}/missing.env: No such file or "
        "directory")
    ]
    bad = text.replace("format: raw", "format: yaml")
    assert errors(tmp_path, bad) == [
        ('compose.yaml:6:9: services.web.env_file[0].format: unsupported env_file format "yaml"; use raw or leave '
        "format out")
    ]


VALUELESS = """\
services:
  web:
    image: nginx
    env_file: svc.env
    environment:
      - FROM_DOTENV
      - FROM_SHELL
      - UNSET
      - EMPTY=
"""


@pytest.mark.parametrize("version", [None, "3.8"])
def test_valueless_environment_entries(tmp_path: Path, version: str | None) -> None:
    """compose-go fills `- KEY` (and a bare `KEY` line of an env_file) from .env too; docker stack deploy
    reads no .env, so a 3.x file fills them from the process environment only. `KEY=` is filled from the
    process environment in both (docker's rule; compose-go would keep it empty)."""
    (tmp_path / ".env").write_text("FROM_DOTENV=dotenv\nIN_FILE=dotenv-file\nFROM_SHELL=dotenv-shell\n")
    (tmp_path / "svc.env").write_text("IN_FILE\n")
    text = VALUELESS if version is None else f'version: "{version}"\n' + VALUELESS
    environ = {"FROM_SHELL": "shell", "EMPTY": "shell-empty"}
    project, _ = load(tmp_path, text, environ=environ)
    env = project.services["web"]["environment"]
    if version is None:
        assert env == {"FROM_DOTENV": "dotenv", "FROM_SHELL": "shell", "UNSET": None,
                       "EMPTY": "shell-empty", "IN_FILE": "dotenv-file"}
    else:
        assert env == {"FROM_DOTENV": None, "FROM_SHELL": "shell", "UNSET": None, "EMPTY": "shell-empty"}


def test_extension_keys_anywhere(tmp_path: Path) -> None:
    text = ("services:\n  web:\n    image: nginx\n    labels:\n      x-kept: yes\n    deploy:\n      x-note: 1\n"
            "      replicas: 2\n    ports:\n      - target: 80\n        x-p: 1\n")
    project, warnings = load(tmp_path, text)
    assert project.services["web"]["deploy"] == {"replicas": 2}
    assert project.services["web"]["labels"] == {"x-kept": "yes"}  # data, not an extension
    assert project.services["web"]["ports"] == [{"target": 80}]
    assert project.spec_keys == (("services", "web", "deploy", "x-note"), ("services", "web", "ports", 0, "x-p"))
    assert warnings == []


def test_ignored_keys_warn_once_each(tmp_path: Path) -> None:
    text = ("services:\n  web:\n    image: nginx\n    pull_policy: always\n    develop: {}\n    ports:\n"
            "      - target: 80\n        published: 8080\n        host_ip: 127.0.0.1\n")
    project, warnings = load(tmp_path, text)
    assert warnings == [
        ("compose.yaml:4:5: services.web.pull_policy: ignored: swarm does not support 'pull_policy' (swarm nodes "
        "pull images themselves (see --resolve-image))"),
        ("compose.yaml:5:5: services.web.develop: ignored: swarm does not support 'develop' (development watch "
        "rules are for docker compose)"),
        ("compose.yaml:9:9: services.web.ports[0].host_ip: ignored: swarm does not support 'host_ip' on ports "
        "(swarm publishes on every address)"),
    ]
    assert "pull_policy" not in project.services["web"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(PROFILES, id="profiles"),
        pytest.param(SECRETS, id="secrets from environment"),
        pytest.param("name: x\nservices:\n  web:\n    image: nginx\n", id="name"),
    ],
)
def test_strict_refuses_as_docker(tmp_path: Path, text: str) -> None:
    """spec=False (validate --strict) reads the file as docker stack deploy: today's refusals."""
    env = {"TOKEN": "t", "MOTD": "m", "HOST": "h"}
    found = errors(tmp_path, text, spec=False, environ=env)
    assert found and all("unknown key" in line for line in found)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("services:\n  web:\n    image: nginx\n    labels: {x-a: b}\n", id="no version"),
        pytest.param("version: '3.8'\nservices:\n  web:\n    image: nginx\nx-top: 1\n", id="3.8"),
        pytest.param("services:\n  web:\n    image: nginx\n    x-svc: 1\n    depends_on:\n      db:\n"
                     "        condition: service_healthy\n  db:\n    image: redis\n", id="long depends_on"),
    ],
)
def test_files_docker_accepts_load_as_before(tmp_path: Path, text: str) -> None:
    spec, spec_warnings = load(tmp_path, text)
    strict, strict_warnings = load(tmp_path, text, spec=False)
    assert spec.to_dict() == strict.to_dict()
    assert spec_warnings == strict_warnings
    assert spec.spec_keys == () and spec.name is None and spec.inline == {}
