"""load_project: finding files, variables (.env, --env-file, environment), versions, merging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from composeswarm.errors import InputError
from composeswarm.load.project import load_project

WEB = "services:\n  web:\n    image: nginx:${TAG:-1.25}\n"


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def errors_of(folder: Path, files: list[str] | None, **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as info:
        load_project(files, cwd=str(folder), environ=kwargs.pop("environ", {}), **kwargs)
    return [str(i) for i in info.value.issues]


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        pytest.param(["compose.yaml", "docker-compose.yml"], "compose.yaml", id="compose.yaml first"),
        pytest.param(["compose.yml", "docker-compose.yml"], "compose.yml", id="compose.yml second"),
        pytest.param(["docker-compose.yaml", "docker-compose.yml"], "docker-compose.yml", id="yml before yaml"),
        pytest.param(["docker-compose.yaml"], "docker-compose.yaml", id="last resort"),
    ],
)
def test_default_file(tmp_path: Path, present: list[str], chosen: str) -> None:
    write(tmp_path, {name: WEB for name in present})
    project, _ = load_project(None, cwd=str(tmp_path), environ={})
    assert project.files == (str(tmp_path / chosen),)


def test_no_default_file(tmp_path: Path) -> None:
    assert errors_of(tmp_path, None) == [
        f"no compose file found in {tmp_path}: looked for compose.yaml, compose.yml, docker-compose.yml, "
        "docker-compose.yaml (use -f FILE)"
    ]


def test_missing_file(tmp_path: Path) -> None:
    assert errors_of(tmp_path, ["nope.yml"]) == ["nope.yml: cannot read compose file: No such file or directory"]


def test_stdin_uses_cwd_as_working_dir(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx\n    volumes: ['./data:/data']\n"
    project, _ = load_project(["-"], cwd=str(tmp_path), environ={}, stdin_text=text)
    assert project.working_dir == str(tmp_path)
    assert project.services["web"]["volumes"] == [{"type": "bind", "source": str(tmp_path / "data"), "target": "/data"}]


@pytest.mark.parametrize(
    ("files", "environ", "env_files", "tag"),
    [
        pytest.param({}, {}, None, "1.25", id="default"),
        pytest.param({"app/.env": "TAG=from-dotenv\n"}, {}, None, "from-dotenv", id=".env beside the file"),
        pytest.param({"app/.env": "TAG=from-dotenv\n"}, {"TAG": "shell"}, None, "shell", id="shell wins over .env"),
        pytest.param(
            {"app/.env": "TAG=from-dotenv\n", "prod.env": "TAG=prod\n"}, {}, ["prod.env"], "prod",
            id="--env-file replaces .env",
        ),
        pytest.param(
            {"a.env": "TAG=a\n", "b.env": "TAG=b\n"}, {}, ["a.env", "b.env"], "b", id="later --env-file wins"
        ),
        pytest.param({"p.env": "TAG=p\n"}, {"TAG": "shell"}, ["p.env"], "shell", id="shell wins over --env-file"),
        pytest.param({"p.env": "export TAG='quoted'\n"}, {}, ["p.env"], "quoted", id="export and quotes"),
        pytest.param({"p.env": "# c\n\nTAG=v # note\n"}, {}, ["p.env"], "v", id="comments"),
    ],
)
def test_variable_sources(
    tmp_path: Path, files: dict[str, str], environ: dict[str, str], env_files: list[str] | None, tag: str
) -> None:
    write(tmp_path, {"app/stack.yml": WEB, **files})
    project, _ = load_project(["app/stack.yml"], env_files=env_files, environ=environ, cwd=str(tmp_path))
    assert project.services["web"]["image"] == f"nginx:{tag}"


def test_missing_env_file(tmp_path: Path) -> None:
    write(tmp_path, {"stack.yml": WEB})
    assert errors_of(tmp_path, ["stack.yml"], env_files=["nope.env"]) == [
        f"{tmp_path}/nope.env: cannot read env file: No such file or directory"
    ]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param(None, "3.13", id="missing"),
        pytest.param('""', "3.13", id="empty"),
        pytest.param('"3"', "3.13", id="three"),
        pytest.param('"3.4"', "3.4", id="3.4"),
    ],
)
def test_versions(tmp_path: Path, version: str | None, expected: str) -> None:
    head = f"version: {version}\n" if version is not None else ""
    write(tmp_path, {"stack.yml": head + WEB})
    project, _ = load_project(["stack.yml"], cwd=str(tmp_path), environ={})
    assert project.version == expected


@pytest.mark.parametrize(
    ("version", "message"),
    [
        pytest.param("3.8", 'version: must be a string, not a number 3.8 (quote it: "3.8")', id="number"),
        pytest.param('"2.4"', 'version: unsupported compose file version "2.4"; use 3.0 to 3.13, or leave version '
                     "out for 3.13", id="version 2"),
        pytest.param('"3.14"', 'version: unsupported compose file version "3.14"; use 3.0 to 3.13, or leave '
                     "version out for 3.13", id="3.14 does not exist"),
    ],
)
def test_bad_versions(tmp_path: Path, version: str, message: str) -> None:
    write(tmp_path, {"stack.yml": f"version: {version}\n" + WEB})
    assert errors_of(tmp_path, ["stack.yml"]) == [f"stack.yml:1:1: {message}"]


def test_version_mismatch(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": 'version: "3.8"\n' + WEB, "b.yml": 'version: "3.9"\n' + WEB})
    assert errors_of(tmp_path, ["a.yml", "b.yml"]) == [
        "b.yml:1:1: version: version mismatched between compose files: 3.8 and 3.9"
    ]


def test_errors_of_every_file_at_once(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": "services:\n  web:\n    imag: x\n", "b.yml": "services:\n  web:\n    portz: []\n"})
    assert errors_of(tmp_path, ["a.yml", "b.yml"]) == [
        "a.yml:3:5: services.web.imag: unknown key 'imag'; did you mean 'image'?",
        "b.yml:3:5: services.web.portz: unknown key 'portz'; did you mean 'ports'?",
    ]


BASE = """\
services:
  web:
    image: nginx:1.25
    command: ["serve"]
    environment: {A: "1", B: "2"}
    ports: ["80:80", "443:443"]
    volumes: ["data:/data", "./conf:/conf"]
    deploy:
      replicas: 3
      placement: {constraints: [node.role==worker]}
    logging: {driver: json-file, options: {max-size: 10m}}
networks:
  front:
    driver: overlay
    driver_opts: {encrypted: "true"}
volumes:
  data:
"""
OVERRIDE = """\
services:
  web:
    image: nginx:1.26
    environment: {B: "two", C: "3"}
    ports: ["8080:80", "443:8443"]
    volumes: ["./other:/conf"]
    deploy:
      replicas: 0
      placement: {constraints: [node.labels.ssd==true]}
    logging: {options: {max-file: "3"}}
  worker:
    image: busybox
networks:
  front:
    external: true
"""


def test_merge_two_files(tmp_path: Path) -> None:
    write(tmp_path, {"base/stack.yml": BASE, "override.yml": OVERRIDE})
    project, _ = load_project(["base/stack.yml", "override.yml"], cwd=str(tmp_path), environ={})
    web = project.services["web"]
    assert list(project.services) == ["web", "worker"]
    assert web["image"] == "nginx:1.26"
    assert web["command"] == ["serve"]
    assert web["environment"] == {"A": "1", "B": "two", "C": "3"}
    assert web["ports"] == [
        {"mode": "ingress", "target": 80, "published": 80, "protocol": "tcp"},
        {"mode": "ingress", "target": 8443, "published": 443, "protocol": "tcp"},
        {"mode": "ingress", "target": 80, "published": 8080, "protocol": "tcp"},
    ]
    # relative paths of every file resolve against the FIRST file's folder
    assert web["volumes"] == [
        {"type": "bind", "source": str(tmp_path / "base" / "other"), "target": "/conf"},
        {"type": "volume", "source": "data", "target": "/data"},
    ]
    assert web["deploy"]["replicas"] == 0
    assert web["deploy"]["placement"]["constraints"] == ["node.role==worker", "node.labels.ssd==true"]
    assert web["logging"] == {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
    assert project.networks == {"front": {"name": "front", "external": True}}
    assert project.working_dir == str(tmp_path / "base")


def test_env_file_and_environment(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "stack.yml": "services:\n  web:\n    image: x\n    env_file: [a.env, b.env]\n"
            "    environment:\n      - FROM_ENV=service\n      - FILLED\n      - BLANK=\n      - MISSING\n",
            "a.env": "# comment\nFROM_FILE=a\nFROM_ENV=file\nQUOTED=\"kept\"\nSHELL_ONLY\n",
            "b.env": "FROM_FILE=b\nEMPTY=\n",
        },
    )
    environ = {"FILLED": "from-shell", "BLANK": "shell-blank", "SHELL_ONLY": "s", "EMPTY": "shell-empty"}
    project, _ = load_project(["stack.yml"], cwd=str(tmp_path), environ=environ)
    assert project.services["web"]["environment"] == {
        "BLANK": "shell-blank",
        "EMPTY": "shell-empty",
        "FILLED": "from-shell",
        "FROM_ENV": "service",
        "FROM_FILE": "b",
        "MISSING": None,
        "QUOTED": '"kept"',
        "SHELL_ONLY": "s",
    }
    assert project.services["web"]["env_file"] == ["a.env", "b.env"]


def test_warnings_are_returned(tmp_path: Path) -> None:
    write(tmp_path, {"stack.yml": "services:\n  web:\n    image: nginx$TAG\n    container_name: w\n"})
    _, warnings = load_project(["stack.yml"], cwd=str(tmp_path), environ={})
    assert [str(w) for w in warnings] == [
        "stack.yml:3:5: services.web.image: variable TAG is not set; substituting an empty string",
        "stack.yml:4:5: services.web.container_name: ignored: Setting the container name is not supported.",
    ]


def test_config_mode_turns_late_checks_into_warnings(tmp_path: Path) -> None:
    write(tmp_path, {"stack.yml": "services:\n  web:\n    image: x\n    networks: [nope]\n"})
    project, warnings = load_project(["stack.yml"], cwd=str(tmp_path), environ={}, strict=False)
    assert project.services["web"]["networks"] == {"nope": None}
    assert [(str(w), w.severity) for w in warnings] == [
        (
            'stack.yml:4:16: services.web.networks[0]: undefined network "nope"; declare it under the top-level '
            "networks",
            "warning",
        )
    ]


def test_positions_follow_expanded_and_merged_entries(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.yml": "services:\n  web:\n    image: x\n    ports:\n      - '3001-3002:81-82'\n      - target: 90\n"
                 "        published: 9000\n",
        "b.yml": "services:\n  web:\n    ports:\n      - '2000:80'\n",
    })
    project, _ = load_project(["a.yml", "b.yml"], cwd=str(tmp_path), environ={})
    ports = project.services["web"]["ports"]
    assert [p["published"] for p in ports] == [2000, 3001, 3002, 9000]
    where = {i: project.position(("services", "web", "ports", i)) for i in range(4)}
    assert [(p.file, p.line, p.column) for p in where.values() if p] == [
        ("b.yml", 4, 9), ("a.yml", 5, 9), ("a.yml", 5, 9), ("a.yml", 6, 9)
    ]
    published = project.position(("services", "web", "ports", 3, "published"))
    assert published is not None and (published.line, published.column) == (7, 9)
    assert project.position(("services", "web", "ports", 1, "published")) == project.position(
        ("services", "web", "ports", 1)
    )


def test_comma_separated_files(tmp_path: Path) -> None:
    write(tmp_path, {"a.yml": WEB, "b.yml": "services:\n  web:\n    image: nginx:2\n"})
    project, _ = load_project(["a.yml,b.yml"], cwd=str(tmp_path), environ={})
    assert project.services["web"]["image"] == "nginx:2"
    assert project.files == (str(tmp_path / "a.yml"), str(tmp_path / "b.yml"))


# `config` prints `name:` beside `external: true` in every version, as docker stack config does,
# though formats before 3.5 (volumes: 3.4) have no `name`; that output must load to the same project.
@pytest.mark.parametrize(
    "version",
    [pytest.param(v, id=f"version {v}") for v in ("3.3", "3.4", "3.5")],
)
def test_config_output_of_external_entries_loads_again(tmp_path: Path, version: str) -> None:
    from composeswarm.render.issue_report import render_config

    text = (
        f'version: "{version}"\nservices:\n  web:\n    image: nginx:1.25\n    networks: [front, back]\n'
        "    secrets: [token]\n    volumes: ['data:/data']\nnetworks:\n  front:\n    external: true\n"
        "  back:\n    external:\n      name: shared-back\nvolumes:\n  data:\n    external: true\n"
        "secrets:\n  token:\n    external: true\n"
    )
    write(tmp_path, {"compose.yaml": text})
    project, _ = load_project(None, cwd=str(tmp_path), environ={})
    printed = render_config(project, "yaml")
    assert "    name: shared-back\n    external: true\n" in printed
    again, _ = load_project(["-"], cwd=str(tmp_path), environ={}, stdin_text=printed)
    assert (again.networks, again.volumes, again.secrets) == (project.networks, project.volumes, project.secrets)
    assert render_config(again, "yaml") == printed


def test_printed_name_and_external_name_that_disagree_are_refused(tmp_path: Path) -> None:
    text = ('version: "3.3"\nservices:\n  web:\n    image: nginx:1.25\nnetworks:\n  front:\n    name: a\n'
            "    external:\n      name: b\n")
    write(tmp_path, {"compose.yaml": text})
    assert errors_of(tmp_path, None) == [
        "compose.yaml:7:5: networks.front.name: unknown key 'name': it needs compose format 3.5 or later "
        '(set version: "3.5")'
    ]


def test_entries_by_name_point_at_their_own_file(tmp_path: Path) -> None:
    # a.yml and b.yml both write their first network and dependency as item [0]: each error names
    # the file and the line where its name was written, though the merged service keys them by name
    write(tmp_path, {
        "a.yml": "services:\n  web:\n    image: x\n    networks: [front]\n    depends_on:\n      - db\n",
        "b.yml": "services:\n  web:\n    networks:\n      - back\n    depends_on:\n      - cache\n",
    })
    with pytest.raises(InputError) as caught:
        load_project(["a.yml", "b.yml"], cwd=str(tmp_path), environ={})
    assert [str(i) for i in caught.value.issues] == [
        'a.yml:4:16: services.web.networks[0]: undefined network "front"; declare it under the top-level networks',
        'a.yml:6:9: services.web.depends_on[0]: depends on undefined service "db"',
        'b.yml:4:9: services.web.networks[0]: undefined network "back"; declare it under the top-level networks',
        'b.yml:6:9: services.web.depends_on[0]: depends on undefined service "cache"',
    ]


def test_project_positions_name_entries_too(tmp_path: Path) -> None:
    # later stages ask for a network by name: they get the line of its item, not of `networks:`
    write(tmp_path, {"stack.yml": "services:\n  web:\n    image: x\n    networks:\n      - front\n"
                                  "networks:\n  front: {}\n"})
    project, _ = load_project(["stack.yml"], cwd=str(tmp_path), environ={})
    assert project.position(("services", "web", "networks", "front")) == ("stack.yml", 5, 9)
