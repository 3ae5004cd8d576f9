"""The command line: one function per command; options in, one stage called, its result to render.

`main` first offers the command line to `fastlane` (`--version` and a plain `validate`, run without
typer); everything else goes to the typer app. `frame` holds the app, the shared options and help;
`outcome` the exit-code mapping; each `*_commands` module registers its commands on import.
`composeswarm.cli.app` builds the app on first use.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main"]


def typer_app() -> typer.Typer:
    """The typer app with every command registered, in their --help order."""
    # importing a commands module registers its commands, in this order in --help
    from composeswarm.cli import ops_commands  # noqa: F401  isort: skip
    from composeswarm.cli import deploy_commands  # noqa: F401  isort: skip
    from composeswarm.cli import history_commands  # noqa: F401  isort: skip
    from composeswarm.cli import file_commands  # noqa: F401  isort: skip
    from composeswarm.cli.frame import EXIT_CODES_HELP, app

    # Every command's --help ends with the exit codes they all share.
    for info in app.registered_commands:
        info.epilog = info.epilog or EXIT_CODES_HELP
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    # A run builds large trees of dicts and lists that hold no cycles (a compose file, its specs, the
    # engine's answers): the cyclic collector's passes over them are wasted work, about 7 % of a
    # 500-service validate. Collect a thousand times less often; reference counting frees the rest.
    gc.set_threshold(700_000, 10, 10)
    from composeswarm.cli import fastlane

    code = fastlane.run(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from composeswarm.cli.outcome import exit_code

    # every command reports its own errors: what reaches here is a Ctrl-C before one runs
    sys.exit(exit_code(typer_app(), report=lambda _: print("interrupted", file=sys.stderr)))
