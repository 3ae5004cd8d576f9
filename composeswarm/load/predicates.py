"""The compose schemas compiled into Python predicates, and the two formats they use.

A valid file (the common case) is checked by these, far faster than jsonschema and without
importing it; jsonschema runs only to explain a failure (`load.explain`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from composeswarm.dockerrules.units import is_duration


_PORT_SPEC = re.compile(
    r"^(?:(?:\[[0-9a-fA-F:.]*\]|[0-9.]+|[0-9a-fA-F:]*::?[0-9a-fA-F:]*):)??"
    r"(?:(?P<published>[0-9]+(?:-[0-9]+)?)?:)?(?P<target>[0-9]+(?:-[0-9]+)?)(?:/(?:tcp|udp|sctp))?$"
)


def duration_ok(value: object) -> bool:
    """True when `value` is a Go duration string (time.ParseDuration syntax)."""
    return not isinstance(value, str) or is_duration(value)


def port_spec_ok(value: object) -> bool:
    """True when `value` looks like a short-syntax port (`[ip:][published:]target[/proto]`)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return float(value).is_integer()
    return not isinstance(value, str) or _PORT_SPEC.match(value) is not None


Check = Callable[[Any], bool]


_KNOWN = {
    "$schema", "$id", "title", "description", "definitions", "$ref", "type", "properties", "patternProperties",
    "additionalProperties", "required", "enum", "items", "oneOf", "format", "uniqueItems", "minimum", "maximum",
}


FORMATS: dict[str, Check] = {"duration": duration_ok, "ports": port_spec_ok}


_PY_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _unique_key(value: Any) -> Any:
    """A hashable identity with JSON Schema equality (booleans are not numbers)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", value)
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True))
    return ("other", value)


class Compiler:
    """Compiles the subset of JSON Schema our schemas use into plain Python predicates.

    Valid files (the common case) are checked with these predicates only, which is many times
    faster than jsonschema and avoids importing it; jsonschema runs only to explain a failure.
    """

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def ref(self, name: str) -> Check:
        if name not in self.refs:
            box: list[Check] = []
            self.refs[name] = lambda v: box[0](v)
            box.append(self.compile(self.root["definitions"][name]))
        return self.refs[name]

    def compile(self, schema: Mapping[str, Any]) -> Check:
        unknown = set(schema) - _KNOWN
        if unknown:
            raise ValueError(f"unsupported schema keywords {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"].rsplit("/", 1)[-1]))
        if "type" in schema:
            names = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
            preds = [_PY_TYPES[n] for n in names]
            checks.append(preds[0] if len(preds) == 1 else _any_of(preds))
        if "enum" in schema:
            allowed = {_unique_key(x) for x in schema["enum"]}
            checks.append(lambda v: _unique_key(v) in allowed)
        if "format" in schema:
            checks.append(FORMATS.get(schema["format"], lambda v: True))
        if "minimum" in schema:
            low = schema["minimum"]
            checks.append(lambda v: not _PY_TYPES["number"](v) or v >= low)
        if "maximum" in schema:
            high = schema["maximum"]
            checks.append(lambda v: not _PY_TYPES["number"](v) or v <= high)
        if "oneOf" in schema:
            branches = [self.compile(b) for b in schema["oneOf"]]
            checks.append(lambda v: sum(1 for b in branches if b(v)) == 1)
        if "items" in schema:
            item = self.compile(schema["items"])
            checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
        if schema.get("uniqueItems"):
            checks.append(lambda v: not isinstance(v, list) or len({_unique_key(x) for x in v}) == len(v))
        if "required" in schema:
            required = list(schema["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        if any(k in schema for k in ("properties", "patternProperties", "additionalProperties")):
            checks.append(self._object(schema))
        if len(checks) == 1:
            return checks[0]
        return _all_of(checks)

    def _object(self, schema: Mapping[str, Any]) -> Check:
        props = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        patterns = [(re.compile(p), self.compile(v)) for p, v in schema.get("patternProperties", {}).items()]
        extra = schema.get("additionalProperties", True)
        extra_check = None if isinstance(extra, bool) else self.compile(extra)

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for key, item in value.items():
                matched = False
                prop = props.get(key)
                if prop is not None:
                    matched = True
                    if not prop(item):
                        return False
                for pattern, pcheck in patterns:
                    if pattern.search(key):
                        matched = True
                        if not pcheck(item):
                            return False
                if not matched:
                    if extra is False:
                        return False
                    if extra_check is not None and not extra_check(item):
                        return False
            return True

        return check


# Plain loops, not any()/all() over a generator: these run for every node of the tree, and the
# generator's set-up was a third of the fast path's time on a 2000-service file (issue 14).
def _any_of(checks: list[Check]) -> Check:
    def check(value: Any) -> bool:
        for c in checks:
            if c(value):
                return True
        return False

    return check


def _all_of(checks: list[Check]) -> Check:
    def check(value: Any) -> bool:
        for c in checks:
            if not c(value):
                return False
        return True

    return check
