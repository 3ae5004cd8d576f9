"""The exception tree, the Issue record and the exit codes: one place for all three."""

from __future__ import annotations

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
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        where = self.location()
        path = format_path(self.path)
        prefix = f"{where}: " if where else ""
        if path:
            prefix += f"{path}: "
        return prefix + self.message


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
