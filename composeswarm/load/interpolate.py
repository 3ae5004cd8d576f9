"""Variable substitution in string values, then coercion back to the schema's type.

Forms (documented compose semantics): `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
`${VAR:?message}`, `${VAR?message}`; defaults may themselves contain `${...}` (any other `$` in a
default is literal, as docker keeps it). Keys are never
touched. docker's regex quirks (unbraced modifiers, no nesting, `?` messages containing `-`) are
not copied; docs/loading.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from composeswarm.errors import Issue, Path, Severity
from composeswarm.load.model import Position, issue_at

_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# `${A:-${B:-...}}` is expanded recursively; real files nest two or three levels.
MAX_NESTING = 20

CastKind = Literal["int", "float", "bool"]

# Paths whose values docker casts back to a number or boolean after substitution
# (cli/compose/interpolation + loader interpolateTypeCastMapping). "*" is any key, "[]" any index.
_SERVICE_CASTS: dict[tuple[str, ...], CastKind] = {
    ("deploy", "replicas"): "int",
    ("deploy", "update_config", "parallelism"): "int",
    ("deploy", "update_config", "max_failure_ratio"): "float",
    ("deploy", "rollback_config", "parallelism"): "int",
    ("deploy", "rollback_config", "max_failure_ratio"): "float",
    ("deploy", "restart_policy", "max_attempts"): "int",
    ("deploy", "placement", "max_replicas_per_node"): "int",
    ("ports", "[]", "target"): "int",
    ("ports", "[]", "published"): "int",
    ("ulimits", "*"): "int",
    ("ulimits", "*", "hard"): "int",
    ("ulimits", "*", "soft"): "int",
    ("privileged",): "bool",
    ("read_only",): "bool",
    ("stdin_open",): "bool",
    ("tty",): "bool",
    ("healthcheck", "retries"): "int",
    ("healthcheck", "disable"): "bool",
    ("oom_score_adj",): "int",
    ("volumes", "[]", "read_only"): "bool",
    ("volumes", "[]", "volume", "nocopy"): "bool",
    ("secrets", "[]", "mode"): "int",
    ("configs", "[]", "mode"): "int",
}
_TOP_CASTS: dict[tuple[str, ...], CastKind] = {
    ("networks", "*", "external"): "bool",
    ("networks", "*", "internal"): "bool",
    ("networks", "*", "attachable"): "bool",
    ("volumes", "*", "external"): "bool",
    ("secrets", "*", "external"): "bool",
    ("configs", "*", "external"): "bool",
}

_TRUE = {"y", "yes", "true", "on"}
_FALSE = {"n", "no", "false", "off"}


def cast_kind(path: Path) -> CastKind | None:
    """The type docker casts the value at `path` to after substitution, if any."""
    if len(path) >= 3 and path[0] == "services":
        pattern = _SERVICE_CASTS
        rest = path[2:]
    else:
        pattern = _TOP_CASTS
        rest = path
    for shape, kind in pattern.items():
        if len(shape) != len(rest):
            continue
        if all(s == "*" and isinstance(p, str) or s == "[]" and isinstance(p, int) or s == p for s, p in zip(shape, rest)):
            return kind
    return None


def cast_value(text: str, kind: CastKind) -> int | float | bool:
    """Convert substituted text to `kind`; ValueError with a message when it does not fit."""
    stripped = text.strip()
    if kind == "int":
        if re.fullmatch(r"[-+]?[0-9]+", stripped) is None:
            raise ValueError(f"cannot convert {text!r} to an integer")
        return int(stripped)
    if kind == "float":
        try:
            return float(stripped)
        except ValueError:
            raise ValueError(f"cannot convert {text!r} to a number") from None
    low = stripped.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"cannot convert {text!r} to a boolean (use true or false)")


class SubstitutionError(ValueError):
    """A malformed `$` expression or a required variable without a value."""


@dataclass
class _State:
    env: Mapping[str, str]
    unset: list[str] = field(default_factory=list)
    depth: int = 0


def substitute(text: str, env: Mapping[str, str], unset: list[str] | None = None) -> str:
    """Substitute every variable in `text`; names of unset variables are appended to `unset`."""
    state = _State(env, unset if unset is not None else [])
    out, end = _parse(text, 0, state, stop=None)
    return out


def _parse(text: str, i: int, state: _State, stop: str | None) -> tuple[str, int]:
    """Expand `text` from `i` until `stop` (a closing brace of an enclosing default) or the end."""
    parts: list[str] = []
    n = len(text)
    while i < n:
        j = text.find("$", i) if stop is None else _find_either(text, i, stop)
        if j < 0:
            if stop is not None:
                break
            parts.append(text[i:])
            return "".join(parts), n
        parts.append(text[i:j])
        if text[j] != "$":  # the enclosing `}`
            return "".join(parts), j
        if stop is not None and not text.startswith("${", j):
            # Inside a default or message only nested ${...} is expanded; any other `$` is
            # literal, as in docker (`${PASS:-$2y$05$hash}` keeps the hash as written).
            parts.append("$")
            i = j + 1
            continue
        value, i = _expression(text, j, state)
        parts.append(value)
    if stop is not None:
        raise SubstitutionError("unterminated \"${\"; a closing \"}\" is missing")
    return "".join(parts), n


def _find_either(text: str, i: int, stop: str) -> int:
    a, b = text.find("$", i), text.find(stop, i)
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)


def _lookup(name: str, state: _State) -> str | None:
    return state.env.get(name)


def _expression(text: str, j: int, state: _State) -> tuple[str, int]:
    """Expand the `$` expression starting at `j`; return its value and the index after it."""
    nxt = text[j + 1 : j + 2]
    if nxt == "$":
        return "$", j + 2
    if nxt != "{":
        m = _NAME.match(text, j + 1)
        if m is None:
            shown = text[j : j + 2] if nxt else "$"
            raise SubstitutionError(f"invalid interpolation at {shown!r}; escape a literal $ as $$")
        value = _lookup(m.group(), state)
        if value is None:
            state.unset.append(m.group())
            value = ""
        return value, m.end()
    m = _NAME.match(text, j + 2)
    if m is None:
        raise SubstitutionError(f"invalid variable name after \"${{\" in {text[j:]!r}; escape a literal $ as $$")
    name = m.group()
    k = m.end()
    if k >= len(text):
        raise SubstitutionError("unterminated \"${\"; a closing \"}\" is missing")
    if text[k] == "}":
        value = _lookup(name, state)
        if value is None:
            state.unset.append(name)
            value = ""
        return value, k + 1
    for op in (":-", "-", ":?", "?"):
        if text.startswith(op, k):
            break
    else:
        raise SubstitutionError(f"invalid modifier {text[k]!r} in \"${{{name}\"; use :- - :? or ?")
    inner = _State(state.env, depth=state.depth + 1)
    if inner.depth > MAX_NESTING:
        raise SubstitutionError(f'"${{" nested more than {MAX_NESTING} levels deep in defaults or messages')
    arg, end = _parse(text, k + len(op), inner, stop="}")
    value = _lookup(name, state)
    missing = value is None or (op.startswith(":") and value == "")
    if missing:
        state.unset.extend(inner.unset)  # only a default that is used can warn
    if op.endswith("-"):
        return (arg if missing else value or ""), end + 1
    if missing:
        detail = f": {arg}" if arg else ""
        raise SubstitutionError(f"required variable {name} is missing a value{detail}")
    return value or "", end + 1


def interpolate(
    data: Any, positions: Mapping[Path, Position], file: str, env: Mapping[str, str]
) -> tuple[Any, list[Issue]]:
    """Substitute variables in every string value; cast where docker does; collect issues."""
    issues: list[Issue] = []
    warned: set[str] = set()

    def issue(path: Path, message: str, severity: Severity = "error") -> None:
        issues.append(issue_at(positions, path, message, file, severity))

    def walk(value: Any, path: Path) -> Any:
        if isinstance(value, str):
            if "$" not in value:
                return value
            unset: list[str] = []
            try:
                out = substitute(value, env, unset)
            except SubstitutionError as exc:
                issue(path, f"{exc} (in {value!r})")
                return value
            for name in unset:
                if name not in warned:
                    warned.add(name)
                    issue(path, f"variable {name} is not set; substituting an empty string", "warning")
            if out == value:
                return out
            kind = cast_kind(path)
            if kind is None:
                return out
            try:
                return cast_value(out, kind)
            except ValueError as exc:
                issue(path, f"{exc} (from {value!r})")
                return out
        # a string without `$` (most values) is kept here, without a call or a path
        if isinstance(value, dict):
            return {k: v if v.__class__ is str and "$" not in v else walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [v if v.__class__ is str and "$" not in v else walk(v, path + (i,)) for i, v in enumerate(value)]
        return value

    return walk(data, ()), issues


