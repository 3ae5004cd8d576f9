"""The commands that read and operate live stacks: ls, services, ps, logs, rm."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from composeswarm.cli.frame import ContextOpt, LockTimeoutOpt, OutputOpt, StackArg, command, connect, output_format
from composeswarm.render.lock_report import lock_options, print_unlocked  # light: no SDK, no stage

@command("ls")
def ls_cmd(output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List stacks with their service counts.

    Stacks deployed by composeswarm and by `docker stack deploy` alike (the namespace label).
    """
    from composeswarm.ops.listing import list_stacks
    from composeswarm.render import tables as status

    fmt = output_format(output)
    typer.echo(status.render_stacks(list_stacks(connect(context)), fmt), nl=False)


@command("services")
def services_cmd(stack: StackArg, output: OutputOpt = "text", context: ContextOpt = None) -> None:
    """List the services of a stack.

    Mode, replicas running/desired, image and published ports, as `docker stack services`.
    """
    from composeswarm.ops.listing import list_stack_services
    from composeswarm.render import tables as status

    fmt = output_format(output)
    typer.echo(status.render_services(stack, list_stack_services(connect(context), stack), fmt), nl=False)


@command("ps")
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

    fmt = output_format(output)
    rows = list_stack_tasks(connect(context), stack, all_tasks)
    typer.echo(status.render_tasks(stack, rows, fmt, now_ns(), trunc=not no_trunc), nl=False)


@command("logs", streaming=True)  # Ctrl-C is how --follow ends
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
    import signal
    import threading
    import time

    from composeswarm.ops import logs
    from composeswarm.render import print_warning, use_colour
    from composeswarm.render import tables as status

    opts = logs.LogOptions(
        services=list(services or []), follow=follow, tail=logs.tail_param(tail),
        since=logs.since_param(since, time.time()) if since else None, no_trunc=no_trunc,
    )
    printer = status.LogPrinter(timestamps=timestamps, colour=not no_color and use_colour())
    # Ctrl-C also sets `stop`: the loop ends at its next turn even if the interrupt is lost in a call
    stop = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        logs.stream_stack_logs(connect(context), stack, opts, printer.take, stop=stop, warn=print_warning)
    finally:
        signal.signal(signal.SIGINT, previous)
    if stop.is_set():
        raise KeyboardInterrupt


@command("rm")
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

    remove.remove_stack(connect(context), stack, wait=not detach, timeout=timeout, on_event=status.print_rm_event,
                        lock=lock_options(lock_timeout, timeout))


# --- deploy (the deploy helper) -------------------------------------------------------------------


@command("unlock")
def unlock_cmd(stack: StackArg, context: ContextOpt = None) -> None:
    """Remove a stack's deploy lock by hand (one a killed run left; exit 1 when none is held)."""
    from composeswarm.act.lock import unlock

    print_unlocked(stack, unlock(connect(context), stack))


@command("nodes")
def nodes_cmd(
    stack: Annotated[Optional[str], typer.Argument(help="Only this stack's tasks (default: every stack's).", metavar="STACK", show_default=False)] = None,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """Show each node with the tasks on it.

    Hostname, role, availability, state, engine version and labels of every node, and the tasks of
    STACK (of every stack without one) on it; on a terminal, a grid with a column per node.
    """
    from composeswarm.ops.nodes import node_view
    from composeswarm.render.node_grid import print_nodes

    fmt = output_format(output)
    print_nodes(node_view(connect(context), stack), fmt)
