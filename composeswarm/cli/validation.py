"""What `validate` does once its options are parsed, by typer (`file_commands`) or by `fastlane`.

Free of typer, so the fast lane and the typer command run the same lines.
"""

from __future__ import annotations

import sys
from typing import Optional

from composeswarm import errors
from composeswarm.cli.outcome import bad_option


def validate(
    paths: Optional[list[str]], file: Optional[list[str]], env_file: Optional[list[str]],
    profile: Optional[list[str]], strict: bool,
) -> int:
    """Check each of `paths` on its own (or the `file` project); print warnings and OK lines; the exit code.

    With `paths`, a file's errors are printed and the others still checked; with -f, the error is raised.
    """
    from composeswarm.load.project import load_project
    from composeswarm.render import issue_report as view
    from composeswarm.render import print_failure

    if paths and file:
        raise bad_option("give the files to check as arguments or with -f, not both")
    status = errors.EXIT_OK
    for files in [[p] for p in paths] if paths else [file or None]:
        try:
            project, warnings = load_project(files, env_file or None, profiles=profile or None, spec=not strict)
        except errors.InputError as exc:
            if not paths:
                raise
            print_failure(exc)  # each file on its own: the others are still checked
            status = exc.exit_code
            continue
        view.print_warnings(warnings)
        lines = [view.ok_line(project, len(warnings)), *view.spec_notes(project)]
        sys.stdout.write("".join(f"{line}\n" for line in lines))
    return status
