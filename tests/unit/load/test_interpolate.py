"""Substitution forms, their errors, unset-variable warnings and casting back to schema types."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import Path
from composeswarm.load.interpolate import SubstitutionError, cast_kind, interpolate, substitute
from composeswarm.load.model import Position

ENV = {"SET": "value", "EMPTY": "", "N": "3", "lower": "x"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("plain", "plain", id="no dollar"),
        pytest.param("$SET", "value", id="bare"),
        pytest.param("${SET}", "value", id="braced"),
        pytest.param("a-${SET}-b", "a-value-b", id="inside text"),
        pytest.param("$SET-suffix", "value-suffix", id="unbraced keeps its suffix"),
        pytest.param("$lower", "x", id="lower-case name"),
        pytest.param("$$SET", "$SET", id="escaped dollar"),
        pytest.param("$$", "$", id="lone escaped dollar"),
        pytest.param("${UNSET}", "", id="unset is empty"),
        pytest.param("${UNSET:-def}", "def", id="soft default when unset"),
        pytest.param("${EMPTY:-def}", "def", id="soft default when empty"),
        pytest.param("${EMPTY-def}", "", id="hard default keeps empty"),
        pytest.param("${UNSET-def}", "def", id="hard default when unset"),
        pytest.param("${SET:-def}", "value", id="default unused"),
        pytest.param("${UNSET:-}", "", id="empty default"),
        pytest.param("${UNSET:-${SET}}", "value", id="nested default"),
        pytest.param("${UNSET:-${ALSO:-deep}}!", "deep!", id="two levels"),
        pytest.param("${UNSET:-$2y$05$hash}", "$2y$05$hash", id="other dollars in a default are literal"),
        pytest.param("${UNSET:-a-b}", "a-b", id="dash in default"),
        pytest.param("${SET:?must-be-set}", "value", id="required with a dash in the message"),
        pytest.param("${SET?x}", "value", id="required set"),
        pytest.param("${EMPTY?x}", "", id="required allows empty without colon"),
    ],
)
def test_substitute(text: str, expected: str) -> None:
    assert substitute(text, ENV) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("$1", "invalid interpolation at '$1'; escape a literal $ as $$", id="digit"),
        pytest.param("a $ b", "invalid interpolation at '$ '; escape a literal $ as $$", id="lone dollar"),
        pytest.param("cost: 5$", "invalid interpolation at '$'; escape a literal $ as $$", id="dollar at end"),
        pytest.param("${FOO", 'unterminated "${"; a closing "}" is missing', id="unterminated"),
        pytest.param("${FOO:-x", 'unterminated "${"; a closing "}" is missing', id="unterminated default"),
        pytest.param("${}", "invalid variable name after \"${\" in '${}'; escape a literal $ as $$", id="empty name"),
        pytest.param("${FOO:x}", "invalid modifier ':' in \"${FOO\"; use :- - :? or ?", id="bad modifier"),
        pytest.param("${UNSET:?set it}", "required variable UNSET is missing a value: set it", id="required unset"),
        pytest.param("${EMPTY:?set it}", "required variable EMPTY is missing a value: set it", id="required empty"),
        pytest.param("${UNSET?}", "required variable UNSET is missing a value", id="required no message"),
        pytest.param(
            "${UNSET:?must-be-set}",
            "required variable UNSET is missing a value: must-be-set",
            id="message with a dash is still an error",
        ),
    ],
)
def test_substitute_errors(text: str, message: str) -> None:
    with pytest.raises(SubstitutionError) as info:
        substitute(text, ENV)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "unset"),
    [
        pytest.param("${A}${B:-x}$C", ["A", "C"], id="defaults do not warn"),
        pytest.param("${SET:-${D}}", [], id="unused default does not warn"),
        pytest.param("${U:-${D}}", ["D"], id="used default warns"),
    ],
)
def test_unset_names(text: str, unset: list[str]) -> None:
    found: list[str] = []
    substitute(text, ENV, found)
    assert found == unset


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        pytest.param(("services", "web", "deploy", "replicas"), "int", id="replicas"),
        pytest.param(("services", "web", "ports", 0, "published"), "int", id="published"),
        pytest.param(("services", "web", "ulimits", "nofile"), "int", id="ulimit single"),
        pytest.param(("services", "web", "ulimits", "nofile", "soft"), "int", id="ulimit soft"),
        pytest.param(("services", "web", "deploy", "update_config", "max_failure_ratio"), "float", id="ratio"),
        pytest.param(("services", "web", "read_only"), "bool", id="read_only"),
        pytest.param(("services", "web", "volumes", 2, "volume", "nocopy"), "bool", id="nocopy"),
        pytest.param(("networks", "front", "external"), "bool", id="network external"),
        pytest.param(("secrets", "s", "external"), "bool", id="secret external"),
        pytest.param(("services", "web", "image"), None, id="image is a string"),
        pytest.param(("services", "web", "ports", "x", "published"), None, id="index must be an int"),
        pytest.param(("services", "web", "init"), None, id="init is not cast by docker"),
    ],
)
def test_cast_kind(path: Path, kind: str | None) -> None:
    assert cast_kind(path) == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"replicas": "${N}"}, {"replicas": 3}, id="int"),
        pytest.param({"replicas": 2}, {"replicas": 2}, id="untouched int"),
        pytest.param({"replicas": "2"}, {"replicas": "2"}, id="literal string is not cast"),
    ],
)
def test_cast_only_after_substitution(value: dict[str, Any], expected: dict[str, Any]) -> None:
    tree = {"services": {"web": {"deploy": value}}}
    out, issues = interpolate(tree, {}, "f.yml", ENV)
    assert out["services"]["web"]["deploy"] == expected
    assert issues == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("yes", True, id="yes"),
        pytest.param("Off", False, id="Off"),
        pytest.param("TRUE", True, id="TRUE"),
        pytest.param("n", False, id="n"),
    ],
)
def test_bool_cast(value: str, expected: bool) -> None:
    tree = {"services": {"web": {"read_only": "${B}"}}}
    out, _ = interpolate(tree, {}, "f.yml", {"B": value})
    assert out["services"]["web"]["read_only"] is expected


def test_issues_carry_positions_and_warn_once() -> None:
    tree = {"services": {"web": {"image": "${TAG}", "environment": {"A": "${TAG}", "B": "$1"}}}}
    positions = {
        ("services", "web", "image"): Position("f.yml", 3, 5),
        ("services", "web", "environment", "B"): Position("f.yml", 6, 7),
    }
    out, issues = interpolate(tree, positions, "f.yml", {})
    assert out["services"]["web"]["image"] == ""
    assert [(str(i), i.severity) for i in issues] == [
        ("f.yml:3:5: services.web.image: variable TAG is not set; substituting an empty string", "warning"),
        (
            "f.yml:6:7: services.web.environment.B: invalid interpolation at '$1'; escape a literal $ as $$ (in '$1')",
            "error",
        ),
    ]


def test_bad_cast_is_an_error() -> None:
    tree = {"services": {"web": {"deploy": {"replicas": "${N}x"}}}}
    _, issues = interpolate(tree, {}, "f.yml", ENV)
    assert [str(i) for i in issues] == [
        "f.yml: services.web.deploy.replicas: cannot convert '3x' to an integer (from '${N}x')"
    ]


def test_keys_are_not_interpolated() -> None:
    out, _ = interpolate({"x-$KEY": "$SET"}, {}, "f.yml", ENV)
    assert out == {"x-$KEY": "value"}
