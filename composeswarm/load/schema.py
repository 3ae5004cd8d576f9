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

