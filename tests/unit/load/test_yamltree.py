"""YAML as docker CLI 28 reads it (yaml.v3, YAML 1.2 core), with a position for every value."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import InputError
from composeswarm.load.model import Position
from composeswarm.load.yamltree import read_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        pytest.param("yes", "yes", id="yes stays a string"),
        pytest.param("off", "off", id="off stays a string"),
        pytest.param("y", "y", id="y stays a string"),
        pytest.param("true", True, id="true"),
        pytest.param("False", False, id="False"),
        pytest.param("TRUE", True, id="TRUE"),
        pytest.param("tRuE", "tRuE", id="mixed case is a string"),
        pytest.param("0440", 288, id="leading zero is octal"),
        pytest.param("0o440", 288, id="0o octal"),
        pytest.param("0x1F", 31, id="hex"),
        pytest.param("0b101", 5, id="binary"),
        pytest.param("1_000", 1000, id="underscores"),
        pytest.param("-12", -12, id="negative"),
        pytest.param("08", 8.0, id="not octal: a float as in Go"),
        pytest.param("1e3", 1000.0, id="exponent"),
        pytest.param("0.5", 0.5, id="float"),
        pytest.param("~", None, id="tilde"),
        pytest.param("null", None, id="null"),
        pytest.param("", None, id="empty"),
        pytest.param("'0440'", "0440", id="quoted stays a string"),
        pytest.param('"true"', "true", id="double quoted stays a string"),
        pytest.param("2001-12-14", "2001-12-14", id="timestamp stays a string"),
        pytest.param("!!str 5", "5", id="explicit tag"),
    ],
)
def test_scalars(text: str, value: Any) -> None:
    assert read_yaml(f"key: {text}\n", "f.yml").data["key"] == value


def test_positions_of_keys_and_items() -> None:
    doc = read_yaml("services:\n  web:\n    ports:\n      - 80\n      - '443'\n", "f.yml")
    assert doc.positions == {
        ("services",): Position("f.yml", 1, 1),
        ("services", "web"): Position("f.yml", 2, 3),
        ("services", "web", "ports"): Position("f.yml", 3, 5),
        ("services", "web", "ports", 0): Position("f.yml", 4, 9),
        ("services", "web", "ports", 1): Position("f.yml", 5, 9),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "x: &d {a: 1, b: 2}\ns:\n  <<: *d\n  b: 3\n",
            {"a": 1, "b": 3},
            id="explicit key wins over merged",
        ),
        pytest.param(
            "x: &d {a: 1}\ny: &e {a: 2, c: 3}\ns:\n  <<: [*d, *e]\n",
            {"a": 1, "c": 3},
            id="earlier merged mapping wins",
        ),
        pytest.param(
            "x: &d {a: 1}\ns:\n  b: 2\n  <<: *d\n",
            {"b": 2, "a": 1},
            id="merge after explicit keys",
        ),
    ],
)
def test_merge_keys(text: str, expected: dict[str, Any]) -> None:
    assert read_yaml(text, "f.yml").data["s"] == expected


def test_merged_key_points_at_the_anchor() -> None:
    doc = read_yaml("x: &d\n  a: 1\ns:\n  <<: *d\n", "f.yml")
    assert doc.positions[("s", "a")] == Position("f.yml", 2, 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: 1\na: 2\n", "f.yml:2:1: a: duplicate key 'a' (first defined at line 1)", id="duplicate key"),
        pytest.param("- 1\n", "f.yml:1:1: top-level object must be a mapping", id="list at top"),
        pytest.param("", "f.yml: empty compose file", id="empty"),
        pytest.param(
            "a: &a [*a]\n", "f.yml:1:4: recursive alias; a node cannot contain itself", id="recursive alias"
        ),
        pytest.param("a: !custom 1\n", "f.yml:1:4: a: unknown tag '!custom'", id="unknown tag"),
        pytest.param(
            "a: b: c\n", "f.yml:1:5: invalid YAML: mapping values are not allowed in this context", id="syntax"
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_yaml(text, "f.yml")
    assert [str(i) for i in info.value.issues] == [message]


def test_alias_bomb_is_refused() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdef", "bcdefg"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    with pytest.raises(InputError) as info:
        read_yaml("\n".join(lines) + "\n", "f.yml")
    assert str(info.value.issues[0]) == "f.yml:5:1: aliases expand to more than 100000 nodes; refusing the document"


def test_only_the_first_document_is_used() -> None:
    doc = read_yaml("a: 1\n---\nb: 2\n", "f.yml")
    assert doc.data == {"a": 1}
    assert [str(w) for w in doc.warnings] == ["f.yml: only the first YAML document is used (docker ignores the others)"]
