"""How a command's result or error becomes the exit code and the printed line: the one place.

Kept free of typer, so that the commands that run without it (`fastlane`) end the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from composeswarm import errors

# What a command prints when it stops on an error (render.print_failure unless the command says).
Report = Callable[[BaseException], None]


def exit_code(fn: Callable[[], int | None], report: Report | None = None, *, streaming: bool = False) -> int:
    """Call `fn`: the one place where an error becomes what is printed and the exit code.

    `streaming` (logs): Ctrl-C is how it ends (no error line); a reader that goes away is no failure.
    """
    from composeswarm import render

    report = report or render.print_failure
    try:
        return fn() or errors.EXIT_OK
    except errors.ComposeSwarmError as exc:
        report(exc)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        if not streaming:
            report(exc)
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        if not streaming:
            raise  # typer's own handling: exit 1
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # keep the exit's flush quiet
        return errors.EXIT_OK


def bad_option(message: str) -> errors.InputError:
    """A usage error of composeswarm's own (not the parser's): one line, exit 1."""
    return errors.InputError([errors.Issue("", None, None, (), message)])
