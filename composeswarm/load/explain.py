"""jsonschema errors -> one-line messages with their key paths.

Messages are built from jsonschema's structured fields (validator, path, schema, context), never
from its English text. For `oneOf` the branch that got furthest is reported.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from composeswarm.errors import Path
from composeswarm.load.schemadocs import LATEST, VERSIONS, schema_document


_NAME_PATTERN = "^[a-zA-Z0-9._-]+$"


_TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


# Keys from the Compose Specification that 3.x files cannot have: say so instead of "unknown key".
_COMPOSE_SPEC_ONLY = {
    "profiles": "profiles are a Compose Specification feature that docker stack deploy (format 3.x) "
    "does not support; remove the key, or put those services in a separate file",
    "name": "a project name is a Compose Specification feature; the stack name is given on the command line",
    "include": "include is a Compose Specification feature; pass several -f files instead",
    "pull_policy": "pull_policy is a Compose Specification feature; use --resolve-image",
    "platform": "platform is a Compose Specification feature; use deploy.placement.constraints",
    "develop": "develop is a Compose Specification feature; docker stack deploy does not support it",
    "host_ip": "host_ip is not supported in compose format 3.x; swarm publishes on every address",
    "app_protocol": "app_protocol is not supported in compose format 3.x",
    "content": "inline content is a Compose Specification feature; use file:",
}


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    return "list"


def _shown(value: object) -> str:
    """The bad value, quoted, for scalars; nothing for mappings, lists and null."""
    if isinstance(value, (dict, list)) or value is None:
        return ""
    if isinstance(value, str):
        return f' "{value}"'
    return " " + json.dumps(value)


def _expected(types: Iterable[str]) -> str:
    names: list[str] = []
    for t in types:
        name = _TYPE_NAMES.get(t, t)
        if name not in names:
            names.append(name)
    if "integer" in names and "number" in names:
        names.remove("integer")
    words = ["null" if n == "null" else _a(n) for n in names]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" or {words[-1]}"


def _type_message(types: list[str], value: object) -> str:
    """`must be an integer, not a string "two"`, with a quoting hint for YAML booleans."""
    got = "null" if value is None else _a(_type_of(value))
    message = f"must be {_expected(types)}, not {got}{_shown(value)}"
    if isinstance(value, bool) and "string" in types:
        message += f' (quote it to keep it a string: "{str(value).lower()}")'
    elif isinstance(value, (int, float)) and "string" in types:
        message += f' (quote it: "{value}")'
    return message


def _types_of_schema(schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[str]:
    """The JSON types a (sub)schema accepts, following $ref and oneOf."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _types_of_schema(root["definitions"][name], root)
    if "oneOf" in schema:
        out: list[str] = []
        for branch in schema["oneOf"]:
            out.extend(_types_of_schema(branch, root))
        return out
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def messages(error: Any) -> list[tuple[Path, str]]:
    """(path, message) pairs for one jsonschema error, from its structured fields."""
    path: Path = tuple(error.absolute_path)
    validator = error.validator
    value = error.instance
    schema = error.schema
    if validator in ("oneOf", "anyOf"):
        return _one_of(error, path)
    if validator == "type":
        want = schema["type"]
        types = [want] if isinstance(want, str) else list(want)
        return [(path, _type_message(types, value))]
    if validator == "additionalProperties":
        return _extra_keys(value, schema, path, tuple(error.absolute_schema_path)[:-1])
    if validator == "required":
        missing = [k for k in error.validator_value if k not in value]
        return [(path, f"missing required key '{k}'") for k in missing]
    if validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return [(path, f"must be one of {allowed}; got{_shown(value)}")]
    if validator == "format":
        fmt = error.validator_value
        what = {"duration": "duration (e.g. 10s, 1m30s)", "ports": "port (e.g. 80, 8080:80, 53:53/udp)"}.get(fmt, fmt)
        return [(path, f"invalid {what}:{_shown(value)}")]
    if validator == "uniqueItems":
        seen: list[object] = []
        for item in value:
            if item in seen:
                return [(path, f"duplicate item{_shown(item) or ' (a mapping or list)'}; items must be unique")]
            seen.append(item)
        return [(path, "items must be unique")]
    if validator == "minimum":
        return [(path, f"must be at least {error.validator_value}, got{_shown(value)}")]
    if validator == "maximum":
        return [(path, f"must be at most {error.validator_value}, got{_shown(value)}")]
    return [(path, f"fails the schema's {validator} rule")]


def _at(root: Mapping[str, Any], schema_path: tuple[Any, ...]) -> Mapping[str, Any] | None:
    """Follow a jsonschema schema path (with $ref hops) in another version's schema."""
    node: Any = root
    for step in schema_path:
        if isinstance(node, dict) and "$ref" in node and step not in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        if step == "$ref":
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node if isinstance(node, dict) else None


def _since(key: str, schema_path: tuple[Any, ...]) -> str | None:
    """The first compose version whose schema allows `key` at the same place, if any."""
    for version in VERSIONS:
        node = _at(schema_document(version), schema_path)
        if node is None:
            continue
        if key in node.get("properties", {}):
            return version
        if key.startswith("x-") and "^x-" in node.get("patternProperties", {}):
            return version
    return None


def _extra_keys(
    value: Mapping[str, Any], schema: Mapping[str, Any], path: Path, schema_path: tuple[Any, ...] = ()
) -> list[tuple[Path, str]]:
    props = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    out: list[tuple[Path, str]] = []
    for key in value:
        if key in props or any(re.search(p, key) for p in patterns):
            continue
        if not props and _NAME_PATTERN in patterns:
            out.append((path + (key,), f'invalid name "{key}": use only letters, digits, ".", "_" and "-"'))
            continue
        if not props and patterns:
            out.append((path + (key,), f'invalid key "{key}": must match {" or ".join(patterns)}'))
            continue
        message = f"unknown key '{key}'"
        first = _since(key, schema_path)
        if first is not None:
            message += f": it needs compose format {first} or later (set version: \"{first}\")"
        elif key in _COMPOSE_SPEC_ONLY:
            message += f": {_COMPOSE_SPEC_ONLY[key]}"
        else:
            close = difflib.get_close_matches(key, list(props), n=1, cutoff=0.6)
            if close:
                message += f"; did you mean '{close[0]}'?"
        out.append((path + (key,), message))
    return out


def _one_of(error: Any, path: Path) -> list[tuple[Path, str]]:
    """Report the branch that got furthest; if every branch wanted another type, say which types."""
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if not error.context:
        return [(path, "matches more than one allowed form")]
    # Branches that failed only because the value's type is wrong at this very level are no match.
    real = {
        idx: errs
        for idx, errs in branches.items()
        if not any(e.validator == "type" and not e.relative_path for e in errs)
    }
    if not real:
        root = _root_schema(error)
        types: list[str] = []
        for branch in error.validator_value:
            types.extend(_types_of_schema(branch, root))
        return [(path, _type_message(types, error.instance))]
    best = max(real.values(), key=lambda errs: (max(len(e.absolute_path) for e in errs), -len(errs)))
    out: list[tuple[Path, str]] = []
    for sub in best:
        out.extend(messages(sub))
    return out


def _root_schema(error: Any) -> Mapping[str, Any]:
    """Definitions for $ref lookups; their accepted types are the same in every version."""
    return schema_document(LATEST)
