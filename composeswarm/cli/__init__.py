"""The command line: one function per command; options in, one stage called, its result to render.

`frame` holds the app, the shared options and the exit-code mapping; each `*_commands` module registers
its commands on import. Exit codes: see `frame`.
"""

from __future__ import annotations

# importing a commands module registers its commands, in this order in --help
from composeswarm.cli import ops_commands  # noqa: F401  isort: skip
from composeswarm.cli import deploy_commands  # noqa: F401  isort: skip
from composeswarm.cli import history_commands  # noqa: F401  isort: skip
from composeswarm.cli import file_commands  # noqa: F401  isort: skip
from composeswarm.cli.frame import EXIT_CODES_HELP, app, main

__all__ = ["app", "main"]


# Every command's --help ends with the exit codes they all share.
for _info in app.registered_commands:
    _info.epilog = _info.epilog or EXIT_CODES_HELP
