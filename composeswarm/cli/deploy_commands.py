"""The commands that compare files with the swarm and change it: deploy, plan (and its alias diff)."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from composeswarm import errors
from composeswarm.cli.frame import (
    ContextOpt, EnvFileOpt, FileOpt, LockTimeoutOpt, PlanOutputOpt, StackArg, app, bad_option, command, connect, exit_code, plan_exit,
    plan_output_format, step_summary_file,
)
from composeswarm.render.lock_report import lock_options  # light: no SDK, no stage

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.act.watcher import Waiter
    from composeswarm.render.deploy_report import DeployReport
    from composeswarm.render.progress import ProgressRenderer


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
    output: PlanOutputOpt = "text",
    context: ContextOpt = None,
    metrics_file: Annotated[Optional[str], typer.Option("--metrics-file", envvar="COMPOSESWARM_METRICS_FILE", metavar="PATH", help="Write the deploy's Prometheus metrics to PATH, in node_exporter's textfile format (docs/metrics.md).")] = None,
    pushgateway: Annotated[Optional[str], typer.Option("--pushgateway", envvar="COMPOSESWARM_PUSHGATEWAY", metavar="URL", help="Push the deploy's Prometheus metrics to this Pushgateway (job composeswarm, stack=STACK); unreachable: a warning.")] = None,
) -> None:
    """Deploy a stack as `docker stack deploy` does, changing only what differs from the files.

    An unchanged redeploy makes no write call. If the engine refuses a call, what was and was not
    applied is listed (exit 1); running the command again converges.
    """
    from composeswarm.render.deploy_report import DeployReport

    # its output also when the deploy fails; GitHub Actions' job summary gets the Markdown report too
    report = DeployReport(stack, json=output == "json", markdown=output == "markdown", step_summary=step_summary_file())
    metrics = None  # prometheus_client is imported only when asked for; a dry run deploys nothing to record
    if (metrics_file or pushgateway) and not dry_run:
        from composeswarm.render.metrics import DeployMetrics
        metrics = DeployMetrics(stack, path=metrics_file, gateway=pushgateway)

    def body() -> int:
        from composeswarm.act.deploy import DeployOptions, deploy

        plan_output_format(output)
        if timeout <= 0:
            raise bad_option(f"--timeout must be more than 0 seconds, got {timeout:g}")
        opts = DeployOptions(
            stack=stack, files=file, env_files=env_file, prune=prune, resolve_image=resolve_image,
            with_registry_auth=with_registry_auth, detach=detach or no_wait, dry_run=dry_run, context=context,
        )
        # it checks the stack name and --resolve-image first, as docker does; it reads the files once (stdin too)
        with metrics.recording(report) if metrics is not None else contextlib.nullcontext():
            result = deploy(
                opts, connect=lambda: metrics.connected(connect(context)) if metrics else connect(context),
                watch=functools.partial(_watch, report, timeout),
                on_loaded=report.loaded, on_planned=report.planned, on_step=report.step,
                lock=lock_options(lock_timeout, timeout),
            )
        report.done(result)
        return plan_exit(result.plan) if dry_run else errors.EXIT_OK

    raise typer.Exit(exit_code(body, report.failed))


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


@command("plan", help=PLAN_HELP)
def plan_cmd(
    stack: StackArg,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also plan the removal of services the files no longer have.")] = False,
    output: PlanOutputOpt = "text",
    show_sensitive: Annotated[bool, typer.Option("--show-sensitive", help="Show values of credential-like names (secret contents never).")] = False,
    context: ContextOpt = None,
) -> int:
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.plan.sensitive import reveal
    from composeswarm.render.plan_report import print_report

    fmt = plan_output_format(output)
    # resolve-image never: a plan never asks a registry; an unchanged image label keeps the pinned digest
    opts = DeployOptions(stack=stack, files=file, env_files=env_file, prune=prune, resolve_image="never", dry_run=True,
                         context=context)
    result = deploy(opts, lock=lock_options(0, 0))  # a dry run never takes the lock: it notes who holds it
    plan = reveal(result.plan) if show_sensitive else result.plan
    print_report(plan, fmt, result.load_warnings, step_summary=step_summary_file())
    return plan_exit(plan)


# `diff` is the same command under a second name.
app.command("diff", help=PLAN_HELP.replace("Show what", "Alias of `plan`: show what"))(plan_cmd)
