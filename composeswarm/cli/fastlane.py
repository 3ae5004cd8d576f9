"""The commands that start without typer: `--version`, `version` and `validate`.

typer (and with typer 0.29 and later, which pyproject.toml keeps out, pydantic) costs more than the
whole of a small file's validation (about 0.25 s of a 0.4 s run). `validate` is what pre-commit hooks
and CI steps start cold, once per push, so its command line is read here when it is plain: its own
options, values and file names. Anything else (`--help`, an option it does not know, a value missing,
shell completion) returns None and goes to typer, so usage errors and help stay typer's. The options are typer's: `file_commands` declares them,
`tests/unit/cli/test_fastlane.py` holds the two lanes to the same answers.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

# validate's options that take a value, by every spelling typer accepts, and where each value goes
_VALUED = {
    "-f": "file", "--file": "file", "-c": "file", "--compose-file": "file",
    "--env-file": "env_file", "--profile": "profile",
}
_FLAGS = {"--strict": "strict"}


def parse_validate(args: list[str]) -> Optional[dict[str, object]]:
    """validate's arguments as the keyword arguments of `validation.validate`, or None to leave them to typer."""
    found: dict[str, list[str]] = {"paths": [], "file": [], "env_file": [], "profile": []}
    strict = False
    i = 0
    only_paths = False
    while i < len(args):
        arg = args[i]
        i += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            found["paths"].append(arg)
        elif arg == "--":
            only_paths = True
        elif arg in _FLAGS:
            strict = True
        elif arg in _VALUED:
            if i == len(args):
                return None  # typer says which option needs a value
            found[_VALUED[arg]].append(args[i])
            i += 1
        elif arg.startswith("--") and "=" in arg and arg.split("=", 1)[0] in _VALUED:
            name, value = arg.split("=", 1)
            found[_VALUED[name]].append(value)
        elif arg[:2] in ("-f", "-c") and len(arg) > 2:  # -fFILE, as click reads a short option
            found["file"].append(arg[2:])
        else:
            return None
    return {key: values or None for key, values in found.items()} | {"strict": strict}


def run(argv: list[str]) -> Optional[int]:
    """The exit code of a command this lane runs, or None when typer must read `argv`."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None  # a shell asking for completions
    if argv in (["--version"], ["version"]):
        from composeswarm import __version__

        sys.stdout.write(f"{__version__}\n")
        return 0
    if argv[:1] != ["validate"]:
        return None
    options = parse_validate(argv[1:])
    if options is None:
        return None
    from composeswarm.cli.outcome import exit_code
    from composeswarm.cli.validation import validate

    return exit_code(lambda: validate(**options))  # type: ignore[arg-type]
