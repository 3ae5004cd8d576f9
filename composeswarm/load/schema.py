"""Validate a compose tree against schemas/config_schema_v3.<minor>.json; errors become Issues.

The compiled predicates (`load.predicates`) accept a valid tree quickly; jsonschema runs only when
they refuse it, and `load.explain` turns its errors into messages.
"""

from __future__ import annotations

import re
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
    data, renamed = _name_all(data)
    fast = _fast(version)
    if fast is not None and fast(data):
        return []
    issues: list[Issue] = []
    for error in _validator(version).iter_errors(data):
        for path, message in messages(error):
            path = _original(path, renamed)
            issues.append(issue_at(positions, path, message, file))
    return sorted(set(issues), key=lambda i: (i.line or 0, i.column or 0, i.path.__repr__()))



# Names docker's schema matches with a pattern but does not refuse otherwise (no additionalProperties):
# a top-level network or a ulimit with another name is not checked at all, and the loader would then
# meet any value there. They are checked as if their name matched, under a stand-in name.
_NETWORK_NAME = re.compile(r"[a-zA-Z0-9._-]+")
_ULIMIT_NAME = re.compile(r"[a-z]+")


def _stand_ins(entries: Any, pattern: re.Pattern[str], prefix: Path, renamed: dict[Path, str]) -> Any:
    if not isinstance(entries, dict) or all(isinstance(k, str) and pattern.fullmatch(k) for k in entries):
        return entries
    out = {}
    for i, (key, value) in enumerate(entries.items()):
        if not (isinstance(key, str) and pattern.fullmatch(key)):
            stand_in = f"unnamed{'a' * i}"  # matches both patterns, cannot collide with a real name
            while stand_in in entries:
                stand_in += "a"
            renamed[prefix + (stand_in,)] = key
            key = stand_in
        out[key] = value
    return out


def _name_all(data: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[Path, str]]:
    """`data` with every network and ulimit name the schema's pattern skips replaced by a stand-in."""
    renamed: dict[Path, str] = {}
    out = dict(data)
    out["networks"] = _stand_ins(data.get("networks"), _NETWORK_NAME, ("networks",), renamed)
    services = data.get("services")
    if isinstance(services, dict):
        named = {}
        for name, svc in services.items():
            if isinstance(svc, dict) and isinstance(svc.get("ulimits"), dict):
                svc = {**svc, "ulimits": _stand_ins(svc["ulimits"], _ULIMIT_NAME, ("services", name, "ulimits"), renamed)}
            named[name] = svc
        out["services"] = named
    if not renamed:
        return data, renamed
    if data.get("networks") is None and "networks" not in data:
        del out["networks"]
    return out, renamed


def _original(path: Path, renamed: dict[Path, str]) -> Path:
    """`path` with stand-in names put back."""
    for i in range(1, len(path) + 1):
        original = renamed.get(path[:i])
        if original is not None:
            return path[: i - 1] + (original,) + path[i:]
    return path


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
