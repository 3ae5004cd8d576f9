"""Field-by-field differences between two JSON values, for the parity tests' failure messages."""

from __future__ import annotations

from typing import Any

ABSENT = "<absent>"


def spec_diff(left: Any, right: Any, names: tuple[str, str], path: str = "") -> list[str]:
    """Every place where `left` and `right` differ, as `path: NAME1 X, NAME2 Y` lines (empty: equal)."""
    if isinstance(left, dict) and isinstance(right, dict):
        out: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out.extend(spec_diff(left.get(key, ABSENT), right.get(key, ABSENT), names, sub))
        return out
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        out = []
        for i, (a, b) in enumerate(zip(left, right)):
            out.extend(spec_diff(a, b, names, f"{path}[{i}]"))
        return out
    if left != right or type(left) is not type(right):
        return [f"{path}: {names[0]} {left!r}, {names[1]} {right!r}"]
    return []
