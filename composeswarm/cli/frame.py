"""The command line's frame: the typer app, the shared options, and the one place errors become exit codes.

Exit codes (the same for every command):
  0  ok / no changes          1  error (bad input, engine refused, unreachable)
  2  plan has changes         3  rollout failed, paused or rolled back
  4  timed out waiting        130  interrupted (Ctrl-C)

Errors are mapped to exit codes in one place, `outcome.exit_code`. Heavy modules (the Docker SDK above all) are
imported inside the commands that need them, so `validate` and `config` start fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, ParamSpec

import typer

from composeswarm import errors
from composeswarm.cli.outcome import bad_option, exit_code  # noqa: F401  (the commands import them from here)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok or no changes, 1 error, 2 plan has changes, "
    "3 rollout failed or rolled back, 4 timed out, 130 interrupted."
)

app = typer.Typer(
    name="composeswarm",
    help="Deploy docker-compose v3 files to Docker Swarm, as `docker stack deploy` does, "
    "with validation, dry-run plans and watched rollouts.\n\n" + EXIT_CODES_HELP,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)



def _print_version(value: bool) -> None:
    if value:
        from composeswarm import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                          help="Print composeswarm's version and exit.")] = False,
) -> None:
    pass


# The shared options: every command that reads compose files takes them the same way.
FileOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--file", "-f", "--compose-file", "-c", metavar="FILE",
        help="Compose file (repeatable; '-' reads standard input). Default: compose.yaml, "
        "compose.yml, docker-compose.yml or docker-compose.yaml in the current folder.",
    ),
]
EnvFileOpt = Annotated[
    Optional[list[str]],
    typer.Option("--env-file", metavar="FILE", help="File of VAR=value lines for interpolation (repeatable)."),
]
OutputOpt = Annotated[str, typer.Option("--output", "--format", "-o", help="Output format: text or json.")]
PlanOutputOpt = Annotated[str, typer.Option(
    "--output", "--format", "-o",
    help="Output format: text, json or markdown (a pull-request comment). With GITHUB_STEP_SUMMARY set, the "
    "Markdown summary is also appended to that file.",
)]
ContextOpt = Annotated[
    Optional[str],
    typer.Option("--context", help="Docker context to use (default: DOCKER_HOST, DOCKER_CONTEXT, current context)."),
]
ProfileOpt = Annotated[
    Optional[list[str]],
    typer.Option("--profile", metavar="NAME", help="Compose Specification files: enable the services of this profile "
                 "(repeatable; default: COMPOSE_PROFILES). Services without profiles are always in."),
]
# How long a shell's Tab may wait for the engine's stack names (seconds): past that, no candidates.
COMPLETION_TIMEOUT = 3


def complete_stacks(ctx: typer.Context, incomplete: str) -> list[str]:
    """The engine's stack names that start with what is typed; none when it cannot answer within seconds."""
    try:
        from composeswarm.ops.listing import list_stacks

        engine = connect(ctx.params.get("context"), timeout=COMPLETION_TIMEOUT)
        return [s.name for s in list_stacks(engine) if s.name.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - a completion must never print a traceback into the shell
        return []


StackArg = Annotated[str, typer.Argument(help="Stack name.", show_default=False, metavar="STACK",
                                         autocompletion=complete_stacks)]
# deploy and plan: a Compose Specification file's top-level `name` gives it when left out (stack_or_name)
NamedStackArg = Annotated[Optional[str], typer.Argument(
    help="Stack name (default: the files' top-level name).", show_default=False, metavar="STACK")]
FailureLogsOpt = Annotated[int, typer.Option("--failure-logs", metavar="N", min=0, help="On a failed rollout, print the last N lines of the failed task's log (0: none; secrets masked).")]
# act.apply.DEFAULT_PARALLEL, written out here so that --help imports no stage (a unit test keeps them equal)
DEFAULT_PARALLEL = 4
ParallelOpt = Annotated[int, typer.Option("--parallel", metavar="N", help="At most N service create/update calls in flight at once (a manager swamped by hundreds of calls at once stalls; bench/README.md says how the default was chosen).")]
LockTimeoutOpt = Annotated[Optional[float], typer.Option("--lock-timeout", metavar="SECONDS", min=0.0, help="Seconds to wait for the stack's deploy lock held by another run (0: fail at once). Default: --timeout.")]

P = ParamSpec("P")


def command(name: str, *, streaming: bool = False, **kwargs: Any) -> Callable[[Callable[P, int | None]], Callable[P, None]]:
    """`app.command(name)` for a function whose result or error `exit_code` turns into the exit code."""

    def register(fn: Callable[P, int | None]) -> Callable[P, None]:
        @functools.wraps(fn)
        def command(*args: P.args, **kw: P.kwargs) -> None:
            raise typer.Exit(exit_code(lambda: fn(*args, **kw), streaming=streaming))

        app.command(name, **kwargs)(command)
        return command

    return register


def check_parallel(parallel: int) -> int:
    """--parallel: at least 1; anything else is a one-line error (exit 1), as --timeout's."""
    if parallel < 1:
        raise bad_option(f"--parallel must be at least 1, got {parallel}")
    return parallel


def output_format(output: str) -> Literal["text", "json"]:
    """--output: text or json; anything else is a one-line error (exit 1)."""
    if output not in ("text", "json"):
        raise bad_option(f"--output must be text or json, got {output!r}")
    return "json" if output == "json" else "text"


def plan_output_format(output: str) -> Literal["text", "json", "markdown"]:
    """--output of the commands that show a plan (plan, deploy): text, json or markdown."""
    if output not in ("text", "json", "markdown"):
        raise bad_option(f"--output must be text, json or markdown, got {output!r}")
    return "json" if output == "json" else "markdown" if output == "markdown" else "text"


def step_summary_file() -> str | None:
    """The file GitHub Actions collects a step's Markdown summary from (GITHUB_STEP_SUMMARY), if set."""
    return os.environ.get("GITHUB_STEP_SUMMARY") or None


def plan_exit(plan: Plan) -> int:
    """EXIT_CHANGES when the plan would change anything, else EXIT_OK."""
    return errors.EXIT_CHANGES if plan.has_changes else errors.EXIT_OK


if TYPE_CHECKING:
    from composeswarm.engine.gateway import Engine
    from composeswarm.plan.changes import Plan


def stack_or_name(
    stack: Optional[str], files: Optional[list[str]], env_files: Optional[list[str]], profiles: Optional[list[str]],
) -> str:
    """STACK, or when it is left out the files' top-level `name`; exit 1 with one error line when neither is there."""
    if stack:
        return stack
    found: list[str] = []

    def read() -> None:
        from composeswarm.load.project import project_name

        found.append(project_name(files, env_files, profiles=profiles))

    code = exit_code(read)
    if code != errors.EXIT_OK:
        raise typer.Exit(code)
    return found[0]


def connect(context: Optional[str], timeout: int = 60) -> Engine:
    """The engine the docker CLI would use (imports the Docker SDK only when called)."""
    from composeswarm.engine.gateway import Engine

    try:
        return Engine.connect(context, timeout=timeout)
    except errors.ComposeSwarmError:
        raise
    except Exception as exc:  # the SDK rejects settings before connecting (DOCKER_TLS_VERIFY without certs)
        host = os.environ.get("DOCKER_HOST") or "the default socket"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise errors.EngineError(f"cannot set up the Docker client for {host}: {reason}") from exc

