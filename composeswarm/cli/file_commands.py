"""The commands that need no engine: version, validate, config."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from composeswarm.cli.frame import EnvFileOpt, FileOpt, ProfileOpt, app, bad_option, command

@app.command("version")
def version_cmd() -> None:
    """Print composeswarm's version."""
    from composeswarm import __version__

    typer.echo(__version__)


# --- validate / config (the loading helper) -------------------------------------------------------

ConfigFormatOpt = Annotated[str, typer.Option("--output", "--format", "-o", help="Output format: yaml (as docker stack config) or json.")]


FilesArg = Annotated[Optional[list[str]], typer.Argument(
    metavar="[FILE]...", show_default=False,
    help="Files to check each on its own, as separate stacks (how pre-commit passes them); -f merges its files into one project.",
)]


@command("validate")
def validate_cmd(
    paths: FilesArg = None,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    profile: ProfileOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse what docker stack deploy refuses: Compose "
                                         "Specification keys (profiles, name, secrets from environment, ...) too.")] = False,
) -> int:
    """Check compose files as docker stack deploy would (and more); every error as FILE:LINE:COL.

    Exit 0 when valid (warnings go to stderr), 1 when not. Needs no engine.
    """
    from composeswarm.cli.validation import validate

    return validate(paths, file, env_file, profile, strict)


@command("config")
def config_cmd(
    file: FileOpt = None, env_file: EnvFileOpt = None, output: ConfigFormatOpt = "yaml", profile: ProfileOpt = None,
) -> None:
    """Print the merged, interpolated project as `docker stack config` does (long syntax, defaults filled in)."""
    from composeswarm.load.project import load_project
    from composeswarm.render import issue_report as view

    fmt = {"yaml": "yaml", "text": "yaml", "json": "json"}.get(output)
    if fmt is None:
        raise bad_option(f"--format must be yaml or json, got {output!r}")
    project, warnings = load_project(file, env_file, strict=False, profiles=profile)
    view.print_warnings(warnings)
    typer.echo(view.render_config(project, fmt), nl=False)
