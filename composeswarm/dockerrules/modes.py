"""Service mode names: the key of `ServiceSpec.Mode` as compose, `docker service ls` and the watcher name it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# ServiceSpec.Mode key -> the compose name (`deploy.mode`).
MODE_NAMES = {
    "Replicated": "replicated",
    "Global": "global",
    "ReplicatedJob": "replicated-job",
    "GlobalJob": "global-job",
}


def mode_name(spec: Mapping[str, Any]) -> str:
    """The compose mode of a ServiceSpec; no Mode means `replicated`, as the engine defaults it."""
    mode = spec.get("Mode") or {}
    for key, name in MODE_NAMES.items():
        if key in mode:
            return name
    return "replicated"


def listed_mode(spec: Mapping[str, Any]) -> str:
    """The mode as `docker service ls` prints it (`replicated job`); empty when the spec has no Mode."""
    return mode_name(spec).replace("-", " ") if spec.get("Mode") else ""
