"""The resolved compose project: the contract between loading and conversion.

The loader (load -> interpolate -> schema -> checks) produces a `Project`. Its sections hold plain
mappings in exactly the shape `docker stack config` prints (docker CLI 28): long syntax for ports,
volumes, secrets and configs; `environment` as a mapping whose values are strings or None (env_file
already merged in, as docker does; `env_file` itself kept as written, a list); absolute paths for
bind sources and secret/config files; durations and memory sizes kept as the strings the user wrote
(the converter parses them). x-* keys stay where they were written (docker prints them there);
top-level x-* keys are in `extras`. `depends_on` is a list, or (composeswarm extension) a mapping
of service -> {condition: ...}.

Conversion reads a `Project` and never looks back at the files, so it stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping as AbcMapping
from typing import Any, NamedTuple

from composeswarm.errors import Issue, Path, Severity

Mapping = dict[str, Any]


class Position(NamedTuple):
    """Where a value came from (a named tuple: the loader makes one per YAML node, so it must be cheap)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Project:
    """A validated, interpolated, merged compose project."""

    version: str
    services: dict[str, Mapping]
    networks: dict[str, Mapping] = field(default_factory=dict)
    volumes: dict[str, Mapping] = field(default_factory=dict)
    secrets: dict[str, Mapping] = field(default_factory=dict)
    configs: dict[str, Mapping] = field(default_factory=dict)
    working_dir: str = "."
    files: tuple[str, ...] = ()
    # key path (as in errors.Path) -> where it was written; used by later stages to point at the file
    positions: dict[Path, Position] = field(default_factory=dict, compare=False, repr=False)
    # top-level x-* keys (docker prints them; nothing converts them)
    extras: dict[str, Any] = field(default_factory=dict)

    def position(self, path: Path) -> Position | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        return find_position(self.positions, path)

    def issue_at(self, path: Path, message: str) -> Issue:
        """An error at `path`, positioned at it or its nearest ancestor (the first file when none is known)."""
        return issue_at(self.positions, path, message, self.files[0] if self.files else "")

    def to_dict(self) -> Mapping:
        """The project as `docker stack config` prints it (empty sections left out)."""
        out: Mapping = {"version": self.version, "services": self.services}
        for name in ("networks", "volumes", "secrets", "configs"):
            section = getattr(self, name)
            if section:
                out[name] = section
        out.update(self.extras)
        return out


def find_position(positions: AbcMapping[Path, Position], path: Path) -> Position | None:
    """The position of `path` in `positions`, or of its nearest ancestor that has one."""
    while path:
        pos = positions.get(path)
        if pos is not None:
            return pos
        path = path[:-1]
    return None


def issue_at(
    positions: AbcMapping[Path, Position], path: Path, message: str, file: str, severity: Severity = "error"
) -> Issue:
    """An Issue about `path`, at its position or its nearest ancestor's; in `file` when none is known."""
    pos = find_position(positions, path)
    if pos is None:
        return Issue(file, None, None, path, message, severity)
    return Issue(pos.file, pos.line, pos.column, path, message, severity)
