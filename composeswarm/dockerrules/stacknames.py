"""Stack names on the engine: `<stack>_<name>` and the labels that mark what a stack owns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from composeswarm.dockerrules.gofmt import go_quote
from composeswarm.errors import InputError, Issue

# What marks an object as a stack's (docker's convert.LabelNamespace): `docker stack ls/ps/rm` read it.
LABEL_NAMESPACE = "com.docker.stack.namespace"
# The image as written in the file, on the ServiceSpec (docker's convert.LabelImage).
LABEL_IMAGE = "com.docker.stack.image"
# composeswarm's record of a stack's deploys: configs `<stack>_composeswarm-rev-<N>`, without the stack
# label (never part of the stack's content); `rm` removes them by name with the stack.
REVISION_INFIX = "_composeswarm-rev-"


def check_stack_name(stack: str) -> None:
    """docker's only check of a stack name: not empty once whitespace and quotes are trimmed."""
    if all(c.isspace() or c in "\"'" for c in stack):
        raise InputError([Issue("", None, None, (), f"invalid stack name: {go_quote(stack)}")])


def revision_number(stack: str, name: str) -> int | None:
    """N when `name` is the stack's revision `<stack>_composeswarm-rev-<N>`, else None."""
    prefix = stack + REVISION_INFIX
    tail = name[len(prefix):] if name.startswith(prefix) else ""
    return int(tail) if tail.isdigit() and tail.isascii() else None


def stack_filter(stack: str) -> dict[str, list[str]]:
    """The engine list filter for the objects of `stack` (docker's getStackFilter)."""
    return {"label": [f"{LABEL_NAMESPACE}={stack}"]}


@dataclass(frozen=True, slots=True)
class Namespace:
    """The stack a name belongs to."""

    name: str

    def scope(self, name: str) -> str:
        """`web` -> `<stack>_web`."""
        return f"{self.name}_{name}"

    def descope(self, name: str) -> str:
        """`<stack>_web` -> `web` (other names unchanged)."""
        prefix = f"{self.name}_"
        return name[len(prefix) :] if name.startswith(prefix) else name


def str_map(value: Mapping[str, Any] | list[Any] | None) -> dict[str, str]:
    """A mapping of strings with keys sorted, as Go's JSON encoder writes maps.

    The list form `["k=v", "k"]` is accepted too (a key without `=` maps to "").
    """
    if not value:
        return {}
    if isinstance(value, list):
        pairs = [str(item).partition("=") for item in value]
        return dict(sorted((k, v) for k, _, v in pairs))
    return {str(k): "" if v is None else str(v) for k, v in sorted(value.items())}


def with_stack_label(ns: Namespace, labels: Mapping[str, Any] | None) -> dict[str, str]:
    """`labels` plus `com.docker.stack.namespace`, which wins over a user label of that name."""
    out = dict(str_map(labels))
    out[LABEL_NAMESPACE] = ns.name
    return dict(sorted(out.items()))
