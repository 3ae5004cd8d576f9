"""Every piece of output is formatted here (text and JSON); only this package and cli.py print.

Submodules, one concern each: issues (load errors and warnings), plan, status (ls/services/ps),
progress (rollout watching). The helpers below are the common ground.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from composeswarm.errors import InputError

if TYPE_CHECKING:
    from composeswarm.errors import Issue


def use_colour(stream: object = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    stream = stream if stream is not None else sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_error(message: str) -> None:
    """One error line on stderr."""
    sys.stderr.write(f"error: {message}\n")


def print_warning(message: str) -> None:
    """One warning line on stderr."""
    sys.stderr.write(f"warning: {message}\n")


def print_issues(issues: Iterable[Issue]) -> None:
    """Every issue, one line each, on stderr (errors prefixed `error:`, warnings `warning:`)."""
    for issue in issues:
        if issue.severity == "warning":
            print_warning(str(issue))
        else:
            print_error(str(issue))


def print_failure(exc: BaseException) -> None:
    """Why a command stopped, on stderr: every issue of bad input, else one error line."""
    if isinstance(exc, InputError):
        print_issues(exc.issues)
    elif isinstance(exc, KeyboardInterrupt):
        print_error("interrupted: the swarm is left as it is; rerun the command to converge")
    else:
        print_error(str(exc))
