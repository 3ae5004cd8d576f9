"""The command line: one function per command; options in, one stage called, its result to render.

Exit codes (the same for every command):
  0  ok / no changes          1  error (bad input, engine refused, unreachable)
  2  plan has changes         3  rollout failed, paused or rolled back
  4  timed out waiting        130  interrupted (Ctrl-C)

Errors are mapped to exit codes in one place, `_exit_code`. Heavy modules (the Docker SDK above all) are
imported inside the commands that need them, so `validate` and `config` start fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, ParamSpec

import typer

from composeswarm import errors
from composeswarm.render.lock_report import lock_options, print_unlocked  # light: no SDK, no stage

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
ContextOpt = Annotated[
    Optional[str],
    typer.Option("--context", help="Docker context to use (default: DOCKER_HOST, DOCKER_CONTEXT, current context)."),
]
StackArg = Annotated[str, typer.Argument(help="Stack name.", show_default=False, metavar="STACK")]
LockTimeoutOpt = Annotated[Optional[float], typer.Option("--lock-timeout", metavar="SECONDS", min=0.0, help="Seconds to wait for the stack's deploy lock held by another run (0: fail at once). Default: --timeout.")]

P = ParamSpec("P")
# What a command prints when it stops on an error (render.print_failure unless the command says).
Report = Callable[[BaseException], None]


def _exit_code(fn: Callable[[], int | None], report: Report | None = None, *, streaming: bool = False) -> int:
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


def _command(name: str, *, streaming: bool = False, **kwargs: Any) -> Callable[[Callable[P, int | None]], Callable[P, None]]:
    """`app.command(name)` for a function whose result or error `_exit_code` turns into the exit code."""

    def register(fn: Callable[P, int | None]) -> Callable[P, None]:
        @functools.wraps(fn)
        def command(*args: P.args, **kw: P.kwargs) -> None:
            raise typer.Exit(_exit_code(lambda: fn(*args, **kw), streaming=streaming))

        app.command(name, **kwargs)(command)
        return command

    return register


def main() -> None:
    """Console-script entry point."""
    # every command reports its own errors: what reaches here is a Ctrl-C before one runs
    sys.exit(_exit_code(app, report=lambda _: print("interrupted", file=sys.stderr)))


def _bad_option(message: str) -> errors.InputError:
    return errors.InputError([errors.Issue("", None, None, (), message)])


def _output(output: str) -> Literal["text", "json"]:
    """--output: text or json; anything else is a one-line error (exit 1)."""
    if output not in ("text", "json"):
        raise _bad_option(f"--output must be text or json, got {output!r}")
    return "json" if output == "json" else "text"


def _plan_exit(plan: Plan) -> int:
    """EXIT_CHANGES when the plan would change anything, else EXIT_OK."""
    return errors.EXIT_CHANGES if plan.has_changes else errors.EXIT_OK


if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.act.watcher import Waiter
    from composeswarm.engine.gateway import Engine
    from composeswarm.plan.changes import Plan
    from composeswarm.render.deploy_report import DeployReport
    from composeswarm.render.progress import ProgressRenderer


def _connect(context: Optional[str]) -> Engine:
    """The engine the docker CLI would use (imports the Docker SDK only when called)."""
    from composeswarm.engine.gateway import Engine

    try:
        return Engine.connect(context)
    except errors.ComposeSwarmError:
        raise
    except Exception as exc:  # the SDK rejects settings before connecting (DOCKER_TLS_VERIFY without certs)
        host = os.environ.get("DOCKER_HOST") or "the default socket"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise errors.EngineError(f"cannot set up the Docker client for {host}: {reason}") from exc


@app.command("version")
def version_cmd() -> None:
    """Print composeswarm's version."""
    from composeswarm import __version__

    typer.echo(__version__)


# --- operating stacks: ls, services, ps, logs, rm (the ops helper) ------------------------------


@_command("ls")
def ls_cmd(output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List stacks with their service counts.

    Stacks deployed by composeswarm and by `docker stack deploy` alike (the namespace label).
    """
    from composeswarm.ops.listing import list_stacks
    from composeswarm.render import tables as status

    fmt = _output(output)
    typer.echo(status.render_stacks(list_stacks(_connect(context)), fmt), nl=False)


@_command("services")
def services_cmd(stack: StackArg, output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List the services of a stack.

    Mode, replicas running/desired, image and published ports, as `docker stack services`.
    """
    from composeswarm.ops.listing import list_stack_services
    from composeswarm.render import tables as status

    fmt = _output(output)
    typer.echo(status.render_services(stack, list_stack_services(_connect(context), stack), fmt), nl=False)


@_command("ps")
def ps_cmd(
    stack: StackArg,
    all_tasks: Annotated[bool, typer.Option("--all", "-a", help="Also show the tasks each task replaced.")] = False,
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Do not truncate IDs, images and errors.")] = False,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """List the tasks of a stack.

    Name, image, node, desired and current state and error, as `docker stack ps`; the tasks
    they replaced with --all.
    """
    from composeswarm.ops.listing import list_stack_tasks
    from composeswarm.ops.rows import now_ns
    from composeswarm.render import tables as status

    fmt = _output(output)
    rows = list_stack_tasks(_connect(context), stack, all_tasks)
    typer.echo(status.render_tasks(stack, rows, fmt, now_ns(), trunc=not no_trunc), nl=False)


@_command("logs", streaming=True)  # Ctrl-C is how --follow ends
def logs_cmd(
    stack: StackArg,
    services: Annotated[Optional[list[str]], typer.Argument(help="Only these services (web or STACK_web).")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines, from new tasks and services too.")] = False,
    tail: Annotated[str, typer.Option("--tail", "-n", help="Lines to show from the end of each task's log, or all.")] = "all",
    since: Annotated[Optional[str], typer.Option("--since", help="Only lines since a time (2026-01-02T13:23:37Z) or a duration ago (42m).")] = None,
    timestamps: Annotated[bool, typer.Option("--timestamps", "-t", help="Show the engine's timestamp of each line.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours, even on a terminal.")] = False,
    no_trunc: Annotated[bool, typer.Option("--no-trunc", help="Full task IDs in the prefixes.")] = False,
    context: ContextOpt = None,
) -> None:
    """Show a stack's logs, merged in time order.

    Every service (or the ones named), each line prefixed with its task as `docker service logs`
    prefixes it. --follow picks up tasks and services that start later; Ctrl-C ends it (exit 130).
    """
    import time

    from composeswarm.ops import logs
    from composeswarm.render import print_warning, use_colour
    from composeswarm.render import tables as status

    opts = logs.LogOptions(
        services=list(services or []), follow=follow, tail=logs.tail_param(tail),
        since=logs.since_param(since, time.time()) if since else None, no_trunc=no_trunc,
    )
    printer = status.LogPrinter(timestamps=timestamps, colour=not no_color and use_colour())
    logs.stream_stack_logs(_connect(context), stack, opts, printer.take, warn=print_warning)


@_command("rm")
def rm_cmd(
    stack: StackArg,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Do not wait for the tasks to stop and the networks to go.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for networks in use by stopping tasks.")] = 60.0,
    lock_timeout: LockTimeoutOpt = None,
    context: ContextOpt = None,
) -> None:
    """Remove a stack and wait until it is gone.

    Services, secrets, configs, then networks (retried while stopping tasks still use them), as
    `docker stack rm`, then waits until the engine no longer lists them. Volumes stay.
    """
    from composeswarm.ops import remove
    from composeswarm.render import tables as status

    remove.remove_stack(_connect(context), stack, wait=not detach, timeout=timeout, on_event=status.print_rm_event, lock=lock_options(lock_timeout, timeout))


# --- deploy (the deploy helper) -------------------------------------------------------------------


@app.command("deploy")
def deploy_cmd(
    stack: StackArg,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the stack's services that the files no longer have.")] = False,
    resolve_image: Annotated[str, typer.Option("--resolve-image", help="Pin image digests from the registry: always, changed (only images whose name changed) or never.")] = "always",
    with_registry_auth: Annotated[bool, typer.Option("--with-registry-auth", help="Send registry credentials (docker login) to the swarm.")] = False,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once the calls are made and wait for nothing, as docker "
                                         "stack deploy does (depends_on still orders the creations, wave by wave).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the changed services to converge (then exit 4).")] = 300,
    # the old name of --detach, kept so scripts that use it go on working
    no_wait: Annotated[bool, typer.Option("--no-wait", hidden=True, help="Deprecated alias of --detach.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and write nothing (exit 0: no changes, 2: changes).")] = False,
    lock_timeout: LockTimeoutOpt = None,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """Deploy a stack as `docker stack deploy` does, changing only what differs from the files.

    An unchanged redeploy makes no write call. If the engine refuses a call, what was and was not
    applied is listed (exit 1); running the command again converges.
    """
    from composeswarm.render.deploy_report import DeployReport

    report = DeployReport(stack, json=output == "json")  # its output also when the deploy fails

    def body() -> int:
        from composeswarm.act.deploy import DeployOptions, deploy

        _output(output)
        if timeout <= 0:
            raise _bad_option(f"--timeout must be more than 0 seconds, got {timeout:g}")
        opts = DeployOptions(
            stack=stack, files=file, env_files=env_file, prune=prune, resolve_image=resolve_image,
            with_registry_auth=with_registry_auth, detach=detach or no_wait, dry_run=dry_run, context=context,
        )
        # it checks the stack name and --resolve-image first, as docker does; it reads the files once (stdin too)
        result = deploy(
            opts, connect=lambda: _connect(context), watch=functools.partial(_watch, report, timeout),
            on_loaded=report.loaded, on_planned=report.planned, on_step=report.step,
            lock=lock_options(lock_timeout, timeout),
        )
        report.done(result)
        return _plan_exit(result.plan) if dry_run else errors.EXIT_OK

    raise typer.Exit(_exit_code(body, report.failed))


@_command("unlock")
def unlock_cmd(stack: StackArg, context: ContextOpt = None) -> None:
    """Remove a stack's deploy lock by hand (one a killed run left; exit 1 when none is held)."""
    from composeswarm.act.lock import unlock
    print_unlocked(stack, unlock(_connect(context), stack))


def _watch(report: DeployReport, timeout: float, deployment: Deployment) -> tuple[Waiter, ProgressRenderer]:
    """How a deploy waits (the rollout helper): each wave watched until converged, failed or --timeout."""
    from composeswarm.act.watcher import Waiter, Watcher

    view = report.watching(deployment.order.waves)
    watcher = Watcher(deployment.engine, conditions=deployment.order.conditions, on_event=view)
    return Waiter(watcher, timeout), view


# --- plan / diff (the plan helper) ----------------------------------------------------------------


PLAN_HELP = (
    "Show what a deploy would change, field by field, without changing anything.\n\n"
    "Compares the files with the live stack (read once): + create, ~ update, -/+ replace, - remove. "
    "Values of credential-like names (PASSWORD, SECRET, TOKEN, KEY, ...) are masked. "
    "Exit codes: 0 no changes, 2 changes, 1 error."
)


@_command("plan", help=PLAN_HELP)
def plan_cmd(
    stack: StackArg,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also plan the removal of services the files no longer have.")] = False,
    output: OutputOpt = "text",
    show_sensitive: Annotated[bool, typer.Option("--show-sensitive", help="Show values of credential-like names (secret contents never).")] = False,
    context: ContextOpt = None,
) -> int:
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.plan.sensitive import reveal
    from composeswarm.render.plan_report import print_report

    fmt = _output(output)
    # resolve-image never: a plan never asks a registry; an unchanged image label keeps the pinned digest
    opts = DeployOptions(stack=stack, files=file, env_files=env_file, prune=prune, resolve_image="never", dry_run=True,
                         context=context)
    result = deploy(opts, lock=lock_options(0, 0))  # a dry run never takes the lock: it notes who holds it
    plan = reveal(result.plan) if show_sensitive else result.plan
    print_report(plan, fmt, result.load_warnings)
    return _plan_exit(plan)


# `diff` is the same command under a second name.
app.command("diff", help=PLAN_HELP.replace("Show what", "Alias of `plan`: show what"))(plan_cmd)


# --- validate / config (the loading helper) -------------------------------------------------------

ConfigFormatOpt = Annotated[str, typer.Option("--output", "--format", "-o", help="Output format: yaml (as docker stack config) or json.")]


@_command("validate")
def validate_cmd(file: FileOpt = None, env_file: EnvFileOpt = None) -> None:
    """Check compose files as docker stack deploy would (and more); every error as FILE:LINE:COL.

    Exit 0 when valid (warnings go to stderr), 1 when not. Needs no engine.
    """
    from composeswarm.load.project import load_project
    from composeswarm.render import issue_report as view

    project, warnings = load_project(file, env_file)
    view.print_warnings(warnings)
    typer.echo(view.ok_line(project, len(warnings)))


@_command("config")
def config_cmd(file: FileOpt = None, env_file: EnvFileOpt = None, output: ConfigFormatOpt = "yaml") -> None:
    """Print the merged, interpolated project as `docker stack config` does (long syntax, defaults filled in)."""
    from composeswarm.load.project import load_project
    from composeswarm.render import issue_report as view

    fmt = {"yaml": "yaml", "text": "yaml", "json": "json"}.get(output)
    if fmt is None:
        raise _bad_option(f"--format must be yaml or json, got {output!r}")
    project, warnings = load_project(file, env_file, strict=False)
    view.print_warnings(warnings)
    typer.echo(view.render_config(project, fmt), nl=False)


# Every command's --help ends with the exit codes they all share.
for _info in app.registered_commands:
    _info.epilog = _info.epilog or EXIT_CODES_HELP
