"""The exception tree, the Issue record and the exit codes: one place for all three."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# Exit codes, the contract shared by every command (README, --help).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_ROLLOUT_FAILED = 3
EXIT_TIMEOUT = 4
EXIT_INTERRUPTED = 130

Path = tuple[str | int, ...]
Severity = Literal["error", "warning"]


def format_path(path: Path) -> str:
    """Render a key path as `services.web.ports[1]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# Messages quote what the user wrote (STYLE.md rule 11). Rather than trust every place that builds a
# message, an Issue is made safe where it is formatted: quoted values and keys cut to MAX_QUOTED
# characters, the whole line to MAX_LINE, and characters a terminal would act on escaped.
MAX_QUOTED = 80
MAX_LINE = 500
_KEEP_TAIL = 16  # characters kept after the ellipsis: the end of a value often tells it apart
ELLIPSIS = "..."
# C0/C1 controls and DEL (ESC sequences, NUL, CR, newlines), bidi and zero-width formatting
# (U+202E reverses the text after it), line separators, BOM, and lone surrogates (not encodable).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
# a quoted span: opened after a non-word character (not the apostrophe of "can't"), backslash
# escapes inside (repr's), closed before a non-word character
_QUOTED = re.compile(r"""(?<!\w)(['"])((?:\\.|(?!\1)[^\\])*)\1(?!\w)""", re.S)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """`text` cut to about `limit` characters, the middle replaced by an ellipsis."""
    if len(text) <= limit:
        return text
    head = limit - _KEEP_TAIL - len(ELLIPSIS)
    return text[:head] + ELLIPSIS + text[-_KEEP_TAIL:]


def escape_unsafe(text: str) -> str:
    """`text` with control, bidi and zero-width characters escaped (nothing cut)."""
    return _UNSAFE.sub(_escape_char, text)


def safe_text(text: str) -> str:
    """One readable, harmless line: long quoted spans shortened, control and bidi characters escaped."""
    if len(text) > MAX_QUOTED:
        text = _QUOTED.sub(lambda m: m.group(1) + shorten(m.group(2)) + m.group(1), text)
    return shorten(_UNSAFE.sub(_escape_char, text), MAX_LINE)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the input, with where it is."""

    file: str
    line: int | None
    column: int | None
    path: Path
    message: str
    severity: Severity = "error"

    def location(self) -> str:
        """`file:line:col` (line and column omitted when unknown)."""
        loc = safe_text(shorten(self.file, MAX_LINE // 4))
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        where = self.location()
        parts = tuple(p if isinstance(p, int) else shorten(str(p)) for p in self.path)
        path = safe_text(shorten(format_path(parts), MAX_LINE // 2))
        prefix = f"{where}: " if where else ""
        if path:
            prefix += f"{path}: "
        return prefix + safe_text(self.message)


class ComposeSwarmError(Exception):
    """Base of every error composeswarm reports; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_ERROR


class InputError(ComposeSwarmError):
    """The compose files, env files or options are wrong; carries every issue found."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ConvertError(Exception):
    """A value docker stack deploy would refuse; `path` grows as the error bubbles up.

    Raised by the converters and docker's rules with a path relative to the caller; the stage that
    knows the file turns it into an Issue (`InputError`).
    """

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message

    def under(self, *prefix: str | int) -> ConvertError:
        """The same error with `prefix` put in front of its path."""
        return ConvertError(tuple(prefix) + self.path, self.message)


class EngineError(ComposeSwarmError):
    """The engine refused a call or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineUnreachable(EngineError):
    """The engine could not be reached (no socket, refused, dropped, no answer in time): maybe only for now."""


@dataclass
class PartialDeployError(ComposeSwarmError):
    """A deploy failed half-way: what was applied and what was not."""

    message: str
    applied: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class RolloutFailed(ComposeSwarmError):
    """An update paused, rolled back, or its tasks keep failing."""

    exit_code = EXIT_ROLLOUT_FAILED


class RolloutTimeout(ComposeSwarmError):
    """The wait for convergence passed --timeout."""

    exit_code = EXIT_TIMEOUT


class RolloutUnknown(ComposeSwarmError):
    """The engine stayed unreachable until --timeout: how the rollout ended is not known (exit 1)."""
