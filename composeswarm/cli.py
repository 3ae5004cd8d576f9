"""The command line: one function per command; options in, stages called, results to render.

Exit codes (the same for every command):
  0  ok / no changes          1  error (bad input, engine refused, unreachable)
  2  plan has changes         3  rollout failed, paused or rolled back
  4  timed out waiting        130  interrupted (Ctrl-C)

Errors are mapped to exit codes in one place, `_run`. Heavy modules (the Docker SDK above all) are
imported inside the commands that need them, so `validate` and `config` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Optional, TypeVar

import typer

from composeswarm import errors

EXIT_CODES_HELP = (
    "Exit codes: 0 ok or no changes, 1 error, 2 plan has changes, "
    "3 rollout failed or rolled back, 4 timed out, 130 interrupted."
)

app = typer.Typer(
    name="composeswarm",
    help="Deploy docker-compose v3 files to Docker Swarm, as `docker stack deploy` does, "
    "with validation, dry-run plans and watched rollouts.\n\n" + EXIT_CODES_HELP,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# The shared options: every command that reads compose files takes them the same way.
FileOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--file",
        "-f",
        "--compose-file",
        "-c",
        help="Compose file (repeatable; '-' reads standard input). Default: compose.yaml, "
        "compose.yml, docker-compose.yml or docker-compose.yaml in the current folder.",
    ),
]
EnvFileOpt = Annotated[
    Optional[list[str]],
    typer.Option("--env-file", help="File of VAR=value lines for interpolation (repeatable)."),
]
OutputOpt = Annotated[
    str,
    typer.Option("--output", "--format", "-o", help="Output format: text or json."),
]
ContextOpt = Annotated[
    Optional[str],
    typer.Option("--context", help="Docker context to use (default: DOCKER_HOST, DOCKER_CONTEXT, current context)."),
]

T = TypeVar("T")


def _run(fn: Callable[[], int | None]) -> None:
    """Call a command body and turn its result or error into the process exit code."""
    from composeswarm import render

    try:
        code = fn() or errors.EXIT_OK
    except errors.InputError as exc:
        render.print_issues(exc.issues)
        code = exc.exit_code
    except errors.ComposeSwarmError as exc:
        render.print_error(str(exc))
        code = exc.exit_code
    except KeyboardInterrupt:
        render.print_error("interrupted: the swarm is left as it is; rerun the command to converge")
        code = errors.EXIT_INTERRUPTED
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(errors.EXIT_INTERRUPTED)


@app.callback()
def _root() -> None:
    """Deploy docker-compose v3 files to Docker Swarm."""


# --- commands -----------------------------------------------------------------------------------
# Each command below parses its options and delegates; keep bodies short.


@app.command("version")
def version_cmd() -> None:
    """Print composeswarm's version."""
    from composeswarm import __version__

    typer.echo(__version__)


# --- deploy (the deploy helper) -------------------------------------------------------------------


@app.command("deploy")
def deploy_cmd(
    stack: Annotated[str, typer.Argument(help="Stack name.", show_default=False)],
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the stack's services that the files no longer have.")] = False,
    resolve_image: Annotated[
        str,
        typer.Option(
            "--resolve-image",
            help="Pin image digests from the registry: always, changed (only images whose name changed) or never.",
        ),
    ] = "always",
    with_registry_auth: Annotated[
        bool, typer.Option("--with-registry-auth", help="Send registry credentials (docker login) to the swarm.")
    ] = False,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once the calls are made; do not wait for tasks.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and write nothing (exit 0: no changes, 2: changes).")
    ] = False,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """Deploy a stack as `docker stack deploy` does, changing only what differs from the files.

    An unchanged redeploy makes no write call. If the engine refuses a call, what was and was not
    applied is listed (exit 1); running the command again converges.
    """

    def body() -> int:
        from typing import Literal

        from composeswarm.deploy import DeployOptions, deploy
        from composeswarm.render import deploy as view
        from composeswarm.render import print_issues

        fmt: Literal["text", "json"] = "json" if output == "json" else "text"
        if output not in ("text", "json"):
            raise errors.InputError([errors.Issue("", None, None, (), f"--output must be text or json, got {output!r}")])
        opts = DeployOptions(
            stack=stack, files=file, env_files=env_file, prune=prune, resolve_image=resolve_image,
            with_registry_auth=with_registry_auth, detach=detach, dry_run=dry_run, context=context,
        )
        try:
            result = deploy(opts)
        except errors.PartialDeployError as exc:
            if output == "json":
                typer.echo(view.partial_json(stack, exc), nl=False)
            sys.stderr.write(view.partial_text(exc))
            return errors.EXIT_ERROR
        if output == "text":
            print_issues(result.load_warnings)
            sys.stderr.write(view.notes_text(result))
        if dry_run:
            from composeswarm.render.plan import render_plan

            typer.echo(render_plan(result.plan, fmt), nl=False)
            return errors.EXIT_CHANGES if result.plan.has_changes else errors.EXIT_OK
        if output == "json":
            typer.echo(view.deploy_json(result), nl=False)
        else:
            sys.stderr.write(view.warnings_text(result))
            typer.echo(view.deploy_text(result), nl=False)
        return errors.EXIT_OK

    _run(body)
