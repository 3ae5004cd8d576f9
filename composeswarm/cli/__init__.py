"""The command line: one function per command; options in, one stage called, its result to render.

`main` first offers the command line to `fastlane` (`--version` and a plain `validate`, run without
typer); everything else goes to the typer app. `frame` holds the app, the shared options and help;
`outcome` the exit-code mapping; each `*_commands` module registers its commands on import.
`composeswarm.cli.app` builds the app on first use. `entry` (the console script, `python -m
composeswarm`) runs `main` and leaves without tearing the heap down.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

__all__ = ["app", "entry", "main"]


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


def entry() -> None:
    """The console script and `python -m composeswarm`: `main`, then exit without freeing the heap.

    A plan of 2000 services leaves about 100 MB of small dicts, lists and strings; freeing them one by
    one at interpreter shutdown took a tenth of the run (issue 14). When no other thread is alive, no
    profiler or tracer is installed, and the output flushes, the atexit hooks run (temporary files,
    weakref finalizers) as at a normal exit, and the process ends with `os._exit`. Anything else takes
    the normal way out.
    """
    try:
        main()
    except SystemExit as stop:
        code = stop.code
    else:
        code = 0
    threading = sys.modules.get("threading")  # never imported: no thread was started through it
    # a profiler, debugger or coverage tracer writes its data at the normal exit
    watched = sys.getprofile() is not None or sys.gettrace() is not None
    if (code is None or isinstance(code, int)) and (threading is None or threading.active_count() == 1) and not watched:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)  # a closed pipe: reported and mapped as a normal exit does
        atexit._run_exitfuncs()
        os._exit(code or 0)
    sys.exit(code)
