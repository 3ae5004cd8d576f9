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
from typing import TYPE_CHECKING, Annotated, Optional, TypeVar

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
        metavar="FILE",
        help="Compose file (repeatable; '-' reads standard input). Default: compose.yaml, "
        "compose.yml, docker-compose.yml or docker-compose.yaml in the current folder.",
    ),
]
EnvFileOpt = Annotated[
    Optional[list[str]],
    typer.Option("--env-file", metavar="FILE", help="File of VAR=value lines for interpolation (repeatable)."),
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


# --- operating stacks: ls, services, ps, logs, rm (the ops helper) ------------------------------

StackArg = Annotated[str, typer.Argument(help="Stack name.", show_default=False, metavar="STACK")]


def _output(output: str) -> str:
    """text or json; anything else is a one-line error (exit 1)."""
    if output not in ("text", "json"):
        raise errors.InputError([errors.Issue("", None, None, (), f"--output must be text or json, got {output!r}")])
    return output


if TYPE_CHECKING:
    from composeswarm.engine.gateway import Engine


def _connect(context: Optional[str]) -> Engine:
    """The engine the docker CLI would use (imports the Docker SDK only when called)."""
    import os

    from composeswarm.engine.gateway import Engine

    try:
        return Engine.connect(context)
    except errors.ComposeSwarmError:
        raise
    except Exception as exc:  # the SDK rejects settings before connecting (DOCKER_TLS_VERIFY without certs)
        host = os.environ.get("DOCKER_HOST") or "the default socket"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise errors.EngineError(f"cannot set up the Docker client for {host}: {reason}") from exc


@app.command("ls")
def ls_cmd(output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List stacks with their service counts.

    Stacks deployed by composeswarm and by `docker stack deploy` alike (the namespace label).
    """

    def body() -> int:
        from composeswarm.ops import rows as stacks
        from composeswarm.render import tables as status

        fmt = _output(output)
        services = _connect(context).list_stacks_services()
        typer.echo(status.render_stacks(stacks.stack_summaries(services), fmt), nl=False)
        return errors.EXIT_OK

    _run(body)


@app.command("services")
def services_cmd(stack: StackArg, output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List the services of a stack.

    Mode, replicas running/desired, image and published ports, as `docker stack services`.
    """

    def body() -> int:
        from composeswarm.ops import rows as stacks
        from composeswarm.render import tables as status

        fmt = _output(output)
        from composeswarm.dockerrules.stacknames import stack_filter

        live = _connect(context).list_services_status(stack_filter(stack))
        if not live:
            raise errors.EngineError(f"nothing found in stack: {stack}")
        typer.echo(status.render_services(stack, stacks.service_rows(live), fmt), nl=False)
        return errors.EXIT_OK

    _run(body)


@app.command("ps")
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

    def body() -> int:
        from composeswarm.ops import rows as stacks
        from composeswarm.render import tables as status

        fmt = _output(output)
        engine = _connect(context)
        from composeswarm.dockerrules.stacknames import stack_filter

        label = stack_filter(stack)
        tasks = engine.list_tasks(label)
        if not tasks:
            raise errors.EngineError(f"nothing found in stack: {stack}")
        names = {str(s["ID"]): str(s["Spec"]["Name"]) for s in engine.list_services(label)}
        rows = stacks.task_rows(tasks, names, stacks.node_names(engine.list_nodes()), all_tasks)
        typer.echo(status.render_tasks(stack, rows, fmt, stacks.now_ns(), trunc=not no_trunc), nl=False)
        return errors.EXIT_OK

    _run(body)


@app.command("logs")
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

    def body() -> int:
        import time

        from composeswarm.ops import logs
        from composeswarm.render import print_warning, use_colour
        from composeswarm.render import tables as status

        opts = logs.LogOptions(
            services=list(services or []),
            follow=follow,
            tail=logs.tail_param(tail),
            since=logs.since_param(since, time.time()) if since else None,
            no_trunc=no_trunc,
        )
        printer = status.LogPrinter(timestamps=timestamps, colour=not no_color and use_colour())

        def sink(line: logs.LogLine) -> None:
            rec = line.record
            printer.write(line.service, line.prefix, rec.timestamp, rec.text, stderr=rec.stderr)

        try:
            logs.stream_stack_logs(_connect(context), stack, opts, sink, warn=print_warning)
        except KeyboardInterrupt:
            return errors.EXIT_INTERRUPTED  # Ctrl-C is how --follow ends: no error line
        except BrokenPipeError:
            # the reader went away (`logs -f st | grep -m1 ready`): nothing failed; keep the exit quiet
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return errors.EXIT_OK

    _run(body)


@app.command("rm")
def rm_cmd(
    stack: StackArg,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Do not wait for the tasks to stop and the networks to go.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for networks in use by stopping tasks.")] = 60.0,
    context: ContextOpt = None,
) -> None:
    """Remove a stack and wait until it is gone.

    Services, secrets, configs, then networks (retried while stopping tasks still use them), as
    `docker stack rm`, then waits until the engine no longer lists them. Volumes stay.
    """

    def body() -> int:
        from composeswarm.ops import remove
        from composeswarm.render import tables as status

        def on_event(event: remove.RemoveEvent) -> None:
            line = status.rm_event_text(event.action, event.kind, event.name, event.detail)
            if event.action == "failed":
                sys.stderr.write(line + "\n")
            else:
                typer.echo(line)

        remove.remove_stack(_connect(context), stack, wait=not detach, timeout=timeout, on_event=on_event)
        return errors.EXIT_OK

    _run(body)


# --- deploy (the deploy helper) -------------------------------------------------------------------


@app.command("deploy")
def deploy_cmd(
    stack: StackArg,
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
    detach: Annotated[
        bool,
        typer.Option(
            "--detach",
            "-d",
            help="Return once the calls are made and wait for nothing, as docker stack deploy does "
            "(depends_on still orders the creations, wave by wave).",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the changed services to converge (then exit 4).")
    ] = 300,
    # the old name of --detach, kept so scripts that use it go on working
    no_wait: Annotated[bool, typer.Option("--no-wait", hidden=True, help="Deprecated alias of --detach.")] = False,
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

        from composeswarm.act.apply import Step
        from composeswarm.act.deploy import DeployOptions, carry_out, check_resolve_mode, check_stack_name, prepare
        from composeswarm.render import deploy_report as view
        from composeswarm.render import print_issues
        from composeswarm.render.progress import ProgressRenderer

        fmt: Literal["text", "json"] = "json" if output == "json" else "text"
        if output not in ("text", "json"):
            raise errors.InputError([errors.Issue("", None, None, (), f"--output must be text or json, got {output!r}")])
        # docker checks these before reading any file
        check_stack_name(stack)
        check_resolve_mode(resolve_image)
        if timeout <= 0:
            raise errors.InputError([errors.Issue("", None, None, (), f"--timeout must be more than 0 seconds, got {timeout:g}")])
        opts = DeployOptions(
            stack=stack, files=file, env_files=env_file, prune=prune, resolve_image=resolve_image,
            with_registry_auth=with_registry_auth, detach=detach or no_wait, dry_run=dry_run, context=context,
        )
        # the files are read once, here (standard input can be read only once)
        deployment = prepare(
            opts, connect=lambda: _connect(context), on_loaded=print_issues if fmt == "text" else None
        )
        result = deployment.result
        if fmt == "text":
            sys.stderr.write(view.notes_text(result))
        if dry_run:
            from composeswarm.render.plan_report import render_plan

            typer.echo(render_plan(result.plan, fmt), nl=False)
            return errors.EXIT_CHANGES if result.plan.has_changes else errors.EXIT_OK
        # waiting (rollout helper): waves by depends_on, watched until converged, failed or --timeout
        waiter, progress = _rollout(deployment, timeout)
        watched = progress if isinstance(progress, ProgressRenderer) else None

        def on_step(step: Step) -> None:
            # docker's lines as each call is made, before and among the rollout's progress lines
            if watched is not None:
                watched.echo(view.step_line(step))
            else:
                typer.echo(view.step_line(step))

        try:
            with progress:
                carry_out(deployment, wait=waiter, on_step=on_step if fmt == "text" else None)
        except errors.PartialDeployError as exc:
            outcomes = watched.ordered() if watched is not None else []
            if fmt == "json":
                typer.echo(view.partial_json(stack, exc, outcomes), nl=False)
            sys.stderr.write(view.partial_text(exc))
            return errors.EXIT_ERROR
        except (errors.RolloutFailed, errors.RolloutTimeout) as exc:
            # the calls were made: say so (text: streamed already) before the error and exit 3 or 4
            if fmt == "json":
                outcomes = watched.ordered() if watched is not None else []
                typer.echo(view.deploy_json(result, outcomes, error=str(exc)), nl=False)
            else:
                sys.stderr.write(view.warnings_text(result))
            raise
        outcomes = watched.ordered() if watched is not None else []
        if fmt == "json":
            typer.echo(view.deploy_json(result, outcomes), nl=False)
        else:
            sys.stderr.write(view.warnings_text(result))
            typer.echo(view.summary_text(result), nl=False)
        return errors.EXIT_OK

    _run(body)


# --- plan / diff (the plan helper) ----------------------------------------------------------------


def _plan_body(
    stack: str,
    file: list[str] | None,
    env_file: list[str] | None,
    prune: bool,
    output: str,
    show_sensitive: bool,
    context: str | None,
) -> int:
    """Plan against the live swarm and print it; EXIT_CHANGES when anything would change."""
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.plan.sensitive import reveal
    from composeswarm.render import print_issues
    from composeswarm.render.plan_report import notes_text, render_plan

    if output not in ("text", "json"):
        raise errors.InputError([errors.Issue("", None, None, (), f"--output must be text or json, got {output!r}")])
    # resolve-image never: a plan never asks a registry; an unchanged image label keeps the pinned digest
    opts = DeployOptions(
        stack=stack, files=file, env_files=env_file, prune=prune, resolve_image="never", dry_run=True, context=context
    )
    result = deploy(opts)
    plan = reveal(result.plan) if show_sensitive else result.plan
    print_issues(result.load_warnings)
    sys.stderr.write(notes_text(plan))
    typer.echo(render_plan(plan, "json" if output == "json" else "text"), nl=False)
    return errors.EXIT_CHANGES if plan.has_changes else errors.EXIT_OK


PLAN_HELP = (
    "Show what a deploy would change, field by field, without changing anything.\n\n"
    "Compares the files with the live stack (read once): + create, ~ update, -/+ replace, - remove. "
    "Values of credential-like names (PASSWORD, SECRET, TOKEN, KEY, ...) are masked. "
    "Exit codes: 0 no changes, 2 changes, 1 error."
)


@app.command("plan", help=PLAN_HELP)
def plan_cmd(
    stack: StackArg,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also plan the removal of services the files no longer have.")] = False,
    output: OutputOpt = "text",
    show_sensitive: Annotated[
        bool, typer.Option("--show-sensitive", help="Show values of credential-like names (secret contents never).")
    ] = False,
    context: ContextOpt = None,
) -> None:
    _run(lambda: _plan_body(stack, file, env_file, prune, output, show_sensitive, context))


# `diff` is the same command under a second name.
app.command("diff", help=PLAN_HELP.replace("Show what", "Alias of `plan`: show what"))(plan_cmd)


# --- validate / config (the loading helper) -------------------------------------------------------

ConfigFormatOpt = Annotated[
    str,
    typer.Option("--output", "--format", "-o", help="Output format: yaml (as docker stack config) or json."),
]


@app.command("validate")
def validate_cmd(file: FileOpt = None, env_file: EnvFileOpt = None) -> None:
    """Check compose files as docker stack deploy would (and more); every error as FILE:LINE:COL.

    Exit 0 when valid (warnings go to stderr), 1 when not. Needs no engine.
    """

    def body() -> int:
        from composeswarm.load.project import load_project
        from composeswarm.render import issue_report as view

        project, warnings = load_project(file, env_file)
        view.print_warnings(warnings)
        typer.echo(view.ok_line(project, len(warnings)))
        return errors.EXIT_OK

    _run(body)


@app.command("config")
def config_cmd(file: FileOpt = None, env_file: EnvFileOpt = None, output: ConfigFormatOpt = "yaml") -> None:
    """Print the merged, interpolated project as `docker stack config` does (long syntax, defaults filled in)."""

    def body() -> int:
        from composeswarm.load.project import load_project
        from composeswarm.render import issue_report as view

        fmt = {"yaml": "yaml", "text": "yaml", "json": "json"}.get(output)
        if fmt is None:
            raise errors.InputError([errors.Issue("", None, None, (), f"--format must be yaml or json, got {output!r}")])
        project, warnings = load_project(file, env_file, strict=False)
        view.print_warnings(warnings)
        typer.echo(view.render_config(project, fmt), nl=False)
        return errors.EXIT_OK

    _run(body)


# --- waiting for deploys (the rollout helper) ----------------------------------------------------

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from composeswarm.act.deploy import Deployment
    from composeswarm.act.watcher import Waiter


def _rollout(deployment: Deployment, timeout: float) -> tuple[Optional[Waiter], AbstractContextManager[object]]:
    """The wait hook and the progress view of a deploy (no hook: --detach, wait for nothing)."""
    from contextlib import nullcontext

    if deployment.opts.detach:  # as docker stack deploy: the calls are made, nothing is waited for
        return None, nullcontext()
    from composeswarm.render.progress import ProgressRenderer
    from composeswarm.act.watcher import Waiter, Watcher

    order = deployment.order
    view = ProgressRenderer(waves=order.waves)
    watcher = Watcher(deployment.engine, conditions=order.conditions, on_event=view)
    return Waiter(watcher, timeout), view


# Every command's --help ends with the exit codes they all share.
for _info in app.registered_commands:
    _info.epilog = _info.epilog or EXIT_CODES_HELP
