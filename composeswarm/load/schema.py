"""Validate a compose tree against schemas/config_schema_v3.<minor>.json; errors become Issues.

The compiled predicates (`load.predicates`) accept a valid tree quickly; jsonschema runs only when
they refuse it, and `load.explain` turns its errors into messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from composeswarm.errors import Issue, Path
from composeswarm.load.model import Position, issue_at
from composeswarm.load.explain import messages
from composeswarm.load.predicates import Check, Compiler, duration_ok, port_spec_ok
from composeswarm.load.schemadocs import schema_document


@lru_cache(maxsize=None)
def _validator(version: str) -> Any:
    """A compiled validator per version (built once per process)."""
    from jsonschema import Draft7Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("duration")(duration_ok)
    checker.checks("ports")(port_spec_ok)
    return Draft7Validator(schema_document(version), format_checker=checker)


@lru_cache(maxsize=None)
def _fast(version: str) -> Check | None:
    """The compiled predicate for a version, or None if the schema uses keywords it cannot compile."""
    try:
        return Compiler(schema_document(version)).compile(schema_document(version))
    except (ValueError, KeyError):
        return None


def validate(
    data: Mapping[str, Any], version: str, positions: Mapping[Path, Position], file: str
) -> list[Issue]:
    """Every schema problem in `data` as Issues, sorted by position."""
    fast = _fast(version)
    if fast is not None and fast(data):
        return []
    issues: list[Issue] = []
    for error in _validator(version).iter_errors(data):
        for path, message in messages(error):
            issues.append(issue_at(positions, path, message, file))
    return sorted(set(issues), key=lambda i: (i.line or 0, i.column or 0, i.path.__repr__()))



_DEFINITIONS = {"networks": "network", "volumes": "volume", "secrets": "secret", "configs": "config"}


def read_printed_names(data: dict[str, Any], version: str, positions: dict[Path, Position]) -> dict[str, Any]:
    """`data` with `name: X` beside `external: true` read as `external: {name: X}` where the version's
    schema has no `name` (networks, secrets and configs before 3.5, volumes before 3.4).

    `config` prints external entries that way in every version, as `docker stack config` does, and
    docker then refuses its own output; both forms load to the same project, so composeswarm reads it.
    """
    definitions = schema_document(version).get("definitions", {})
    out = data
    for section, definition in _DEFINITIONS.items():
        entries = data.get(section)
        if "name" in definitions.get(definition, {}).get("properties", {}) or not isinstance(entries, dict):
            continue
        for key, entry in entries.items():
            if not (isinstance(entry, dict) and entry.get("external") is True and isinstance(entry.get("name"), str)):
                continue
            if out is data:
                out = dict(data)
            if out[section] is entries:
                out[section] = dict(entries)
            out[section][key] = {k: v for k, v in entry.items() if k != "name"} | {"external": {"name": entry["name"]}}
            where = positions.get((section, key, "name"))
            if where is not None:
                positions.setdefault((section, key, "external", "name"), where)
    return out
