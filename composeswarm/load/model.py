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
from collections.abc import Iterable, Mapping as AbcMapping
from typing import Any, NamedTuple

from composeswarm.errors import Issue, Path, Severity

Mapping = dict[str, Any]


class Position(NamedTuple):
    """Where a value came from (a named tuple: the loader makes one per YAML node, so it must be cheap)."""

    file: str
    line: int
    column: int


# A name-keyed service entry (`services.web.networks.front`, `services.web.depends_on.db`) -> the path
# and position it was written at: `services.web.networks[0]` in the list form, the key in the mapping
# form. The normalised tree keys these entries by name; errors about one name what the user wrote.
Entries = dict[Path, tuple[Path, Position]]


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
    # service networks and depends_on by name -> where and as what they were written (`Entries`)
    entries: Entries = field(default_factory=dict, compare=False, repr=False)
    # Compose Specification files (docs/loading.md): the top-level `name`, the data of secrets and
    # configs from `environment:` or inline `content:` by (section, name), the services the profiles
    # left out, and the spec-only keys used (empty for a file docker stack deploy accepts)
    name: str | None = None
    inline: dict[tuple[str, str], bytes] = field(default_factory=dict, compare=False, repr=False)
    left_out: tuple[str, ...] = ()
    spec_keys: tuple[Path, ...] = ()
    # every file is a Compose Specification file (no `version:`), read as one (not validate --strict)
    spec: bool = False

    def position(self, path: Path) -> Position | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        return find_position(self.positions, path)

    def issue_at(self, path: Path, message: str) -> Issue:
        """An error at `path`, positioned at it or its nearest ancestor (the first file when none is known).

        A service network or dependency by name (`services.web.depends_on.db`) is named as written
        (`services.web.depends_on[0]`), at its item.
        """
        return issue_at(self.positions, path, message, self.files[0] if self.files else "", entries=self.entries)

    def to_dict(self) -> Mapping:
        """The project as `docker stack config` prints it (empty sections left out)."""
        out: Mapping = {"version": self.version, "services": self.services}
        for name in ("networks", "volumes", "secrets", "configs"):
            section = getattr(self, name)
            if section:
                out[name] = section
        out.update(self.extras)
        return out


_CLOSE = 0.6  # see did_you_mean


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`; did you mean "x"?` when one defined name is closest to `name`, and close; else "".

    Close is difflib's ratio of 0.6 or more (its default, and the cutoff of the key hints): one typo
    in a name of three letters or more (`wbe`, `databse`). A tie between the two closest names
    (`net3` for `net1` and `net2`) gives no hint: it would be a guess. difflib is the stdlib's.
    """
    import difflib  # only when something is wrong: loading a good file does not need it

    names = sorted({str(k) for k in known} - {name})
    scored = sorted(((difflib.SequenceMatcher(None, name, k).ratio(), k) for k in names), key=lambda s: -s[0])
    close = [(score, k) for score, k in scored[:2] if score >= _CLOSE]
    if not close or (len(close) == 2 and close[0][0] == close[1][0]):
        return ""
    return f'; did you mean "{close[0][1]}"?'


def find_position(positions: AbcMapping[Path, Position], path: Path) -> Position | None:
    """The position of `path` in `positions`, or of its nearest ancestor that has one."""
    while path:
        pos = positions.get(path)
        if pos is not None:
            return pos
        path = path[:-1]
    return None


def issue_at(
    positions: AbcMapping[Path, Position],
    path: Path,
    message: str,
    file: str,
    severity: Severity = "error",
    entries: Entries | None = None,
) -> Issue:
    """An Issue about `path`, at its position or its nearest ancestor's; in `file` when none is known.

    A name-keyed entry found in `entries` is named and positioned as it was written (`Entries`).
    """
    written = entries.get(path) if entries else None
    if written is not None:
        where, at = written
        return Issue(at.file, at.line, at.column, where, message, severity)
    pos = find_position(positions, path)
    if pos is None:
        return Issue(file, None, None, path, message, severity)
    return Issue(pos.file, pos.line, pos.column, path, message, severity)
