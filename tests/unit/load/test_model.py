"""model: the "did you mean" hint for undefined names, and issues named as the entry was written."""

from __future__ import annotations

import pytest

from composeswarm.load.model import Position, Project, did_you_mean, issue_at


@pytest.mark.parametrize(
    ("name", "known", "expected"),
    [
        pytest.param("databse", ["web", "database", "cache"], '; did you mean "database"?', id="one letter dropped"),
        pytest.param("wbe", ["web", "database"], '; did you mean "web"?', id="letters swapped in a short name"),
        pytest.param("fronte", ["front", "frontend"], '; did you mean "front"?', id="the closest of two close ones"),
        pytest.param("net3", ["net1", "net2"], "", id="a tie is a guess: no hint"),
        pytest.param("front", ["backend", "default"], "", id="nothing close"),
        pytest.param("db", [], "", id="nothing defined"),
        pytest.param("web", ["web"], "", id="never the name itself"),
    ],
)
def test_did_you_mean(name: str, known: list[str], expected: str) -> None:
    assert did_you_mean(name, known) == expected


ENTRIES = {("services", "web", "networks", "back"): (("services", "web", "networks", 1), Position("b.yml", 7, 9))}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(("services", "web", "networks", "back"), "b.yml:7:9: services.web.networks[1]: m",
                     id="an entry by name: as written, at its item"),
        pytest.param(("services", "web", "networks", "front"), "a.yml:4:5: services.web.networks.front: m",
                     id="an entry not recorded: its nearest ancestor"),
        pytest.param(("services", "web", "networks", "back", "aliases"), "a.yml:4:5: services.web.networks.back.aliases: m",
                     id="below an entry: its own path"),
    ],
)
def test_issue_at_names_the_entry_as_written(path: tuple[str, ...], expected: str) -> None:
    positions = {("services", "web", "networks"): Position("a.yml", 4, 5)}
    assert str(issue_at(positions, path, "m", "a.yml", entries=ENTRIES)) == expected
    project = Project(version="3.8", services={}, files=("a.yml",), positions=positions, entries=ENTRIES)
    assert str(project.issue_at(path, "m")) == expected
