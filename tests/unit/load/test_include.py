"""`include` (Compose Specification): included projects read in their own folder with their own
variables, their resources joined; conflicts, cycles and missing files are errors; --strict refuses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.files import errors, load


DB = "services:\n  db:\n    image: busybox:${TAG}\n    volumes: [./data:/data]\nvolumes:\n  dbdata: {}\n"


@pytest.mark.parametrize(
    "include",
    [
        pytest.param("include: [sub/db.yaml]\n", id="short form"),
        pytest.param("include:\n  - path: sub/db.yaml\n", id="long form"),
        pytest.param("include:\n  - path: [sub/db.yaml]\n    project_directory: sub\n", id="path list, project dir"),
    ],
)
def test_included_project_uses_its_folder_and_env(tmp_path: Path, include: str) -> None:
    files = {"compose.yaml": include + "services:\n  web:\n    image: busybox\n", "sub/db.yaml": DB,
             "sub/.env": "TAG=from-sub\n"}
    project = load(tmp_path, files)
    assert sorted(project.services) == ["db", "web"]
    assert project.services["db"]["image"] == "busybox:from-sub"
    assert project.services["db"]["volumes"][0]["source"] == str(tmp_path / "sub" / "data")
    assert sorted(project.volumes) == ["dbdata"]
    # the including project's variables win over the included project's .env
    assert load(tmp_path, {}, environ={"TAG": "1.36"}).services["db"]["image"] == "busybox:1.36"


def test_env_file_and_nesting(tmp_path: Path) -> None:
    files = {"compose.yaml": "include:\n  - path: a/a.yaml\n    env_file: vars.env\nservices: {}\n",
             "vars.env": "TAG=v\n", "a/a.yaml": "include: [b/b.yaml]\nservices:\n  a:\n    image: x:${TAG}\n",
             "a/b/b.yaml": "services:\n  b:\n    image: y\n"}
    project = load(tmp_path, files)
    assert {n: s["image"] for n, s in project.services.items()} == {"a": "x:v", "b": "y"}


def test_same_definition_is_accepted(tmp_path: Path) -> None:
    same = "services:\n  web:\n    image: nginx\n"
    project = load(tmp_path, {"compose.yaml": "include: [o.yaml]\n" + same, "o.yaml": same})
    assert list(project.services) == ["web"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"compose.yaml": "include: [o.yaml]\nservices:\n  web:\n    image: nginx\n",
                      "o.yaml": "services:\n  web:\n    image: redis\n"},
                     ['compose.yaml:3:3: services.web: service "web" is also defined, differently, in included file '
                      "o.yaml (a resource an included project defines must be left out or defined the same)"],
                     id="conflict"),
        pytest.param({"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n"},
                     ["compose.yaml:1:11: include[0]: included file other.yaml not found"], id="missing file"),
        pytest.param({"compose.yaml": "include: [a.yaml]\nservices: {}\n", "a.yaml": "include: [compose.yaml]\n"},
                     ["a.yaml:1:11: include[0]: include cycle: compose.yaml -> a.yaml -> compose.yaml"], id="cycle"),
        pytest.param({"compose.yaml": "include:\n  - pth: a.yaml\n"},
                     ["compose.yaml:2:5: include[0].pth: unknown key 'pth' in include; use path, project_directory, "
                      "env_file"], id="bad key"),
    ],
)
def test_errors(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    assert errors(tmp_path, files) == expected


def test_refused_with_strict(tmp_path: Path) -> None:
    assert errors(tmp_path, {"compose.yaml": "include: [o.yaml]\nservices: {}\n", "o.yaml": "services: {}\n"},
                  spec=False)[0].startswith("compose.yaml:1:1: include: ")
