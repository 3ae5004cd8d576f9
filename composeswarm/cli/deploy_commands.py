"""The commands that compare files with the swarm and change it: deploy, plan (and its alias diff)."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from composeswarm import errors
from composeswarm.cli.frame import (
    DEFAULT_PARALLEL, ContextOpt, EnvFileOpt, FailureLogsOpt, FileOpt, LockTimeoutOpt, NamedStackArg, ParallelOpt, PlanOutputOpt, ProfileOpt, app, bad_option, command, connect,
    check_parallel, exit_code, plan_exit, plan_output_format, stack_or_name, step_summary_file,
)
from composeswarm.render.lock_report import lock_options  # light: no SDK, no stage

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.act.watcher import Waiter
    from composeswarm.render.deploy_report import DeployReport
    from composeswarm.render.progress import ProgressRenderer


@app.command("deploy")
def deploy_cmd(
    stack: NamedStackArg = None,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    profile: ProfileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove the stack's services that the files no longer have.")] = False,
    resolve_image: Annotated[str, typer.Option("--resolve-image", help="Pin image digests from the registry: always, changed (only images whose name changed) or never.")] = "always",
    with_registry_auth: Annotated[bool, typer.Option("--with-registry-auth", help="Send registry credentials (docker login) to the swarm.")] = False,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once the calls are made and wait for nothing, as docker "
                                         "stack deploy does (depends_on still orders the creations, wave by wave).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the changed services to converge (then exit 4).")] = 300,
    failure_logs: FailureLogsOpt = 20,
    # the old name of --detach, kept so scripts that use it go on working
    no_wait: Annotated[bool, typer.Option("--no-wait", hidden=True, help="Deprecated alias of --detach.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and write nothing (exit 0: no changes, 2: changes).")] = False,
    lock_timeout: LockTimeoutOpt = None,
    strict_placement: Annotated[bool, typer.Option("--strict-placement", help="Refuse (exit 1, nothing written) when some replicas "
                                                   "fit no node: constraints, max_replicas_per_node, reservations, drained or down nodes.")] = False,
    atomic: Annotated[bool, typer.Option("--atomic", help="If the rollout fails, is rolled back or times out, put the stack back "
                                         "as it was before this deploy (updated services to their previous spec, created "
                                         "services and secret/config versions removed), then exit 3 (4 on a timeout).")] = False,
    history_limit: Annotated[int, typer.Option("--history-limit", metavar="N", help="Revisions of the stack kept in the swarm (see history).")] = 10,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    plan_file: Annotated[Optional[str], typer.Option("--plan", metavar="FILE", help="Apply exactly the plan `plan --out FILE` saved; "
                                                     "refused (exit 1, nothing written) when a live object or a file it read changed since.")] = None,
    output: PlanOutputOpt = "text",
    context: ContextOpt = None,
    metrics_file: Annotated[Optional[str], typer.Option("--metrics-file", envvar="COMPOSESWARM_METRICS_FILE", metavar="PATH", help="Write the deploy's Prometheus metrics to PATH, in node_exporter's textfile format (docs/metrics.md).")] = None,
    pushgateway: Annotated[Optional[str], typer.Option("--pushgateway", envvar="COMPOSESWARM_PUSHGATEWAY", metavar="URL", help="Push the deploy's Prometheus metrics to this Pushgateway (job composeswarm, stack=STACK); unreachable: a warning.")] = None,
) -> None:
    """Deploy a stack as `docker stack deploy` does, changing only what differs from the files.

    An unchanged redeploy writes nothing of the stack (only its deploy lock is taken and released). If the engine refuses a call, what was and was not
    applied is listed (exit 1); running the command again converges.
    """
    from composeswarm.render.deploy_report import DeployReport

    stack = stack_or_name(stack, file, env_file, profile)
    # its output also when the deploy fails; GitHub Actions' job summary gets the Markdown report too
    report = DeployReport(stack, json=output == "json", markdown=output == "markdown", step_summary=step_summary_file())
    metrics = None  # prometheus_client is imported only when asked for; a dry run deploys nothing to record
    if (metrics_file or pushgateway) and not dry_run:
        from composeswarm.render.metrics import DeployMetrics
        metrics = DeployMetrics(stack, path=metrics_file, gateway=pushgateway)

    def body() -> int:
        from composeswarm.act.deploy import DeployOptions, deploy
        from composeswarm.cli.history_commands import history_options, saved_plan

        plan_output_format(output)
        saved = saved_plan(plan_file, file, env_file, prune) if plan_file else None
        if timeout <= 0:
            raise bad_option(f"--timeout must be more than 0 seconds, got {timeout:g}")
        opts = DeployOptions(
            stack=stack, files=saved.files if saved else file, env_files=saved.env_files if saved else env_file,
            prune=saved.prune if saved else prune, resolve_image="never" if saved else resolve_image,
            with_registry_auth=with_registry_auth, detach=detach or no_wait, dry_run=dry_run, context=context,
            strict_placement=strict_placement,
            atomic=atomic,
            profiles=profile, parallel=check_parallel(parallel),
        )
        # it checks the stack name and --resolve-image first, as docker does; it reads the files once (stdin too)
        with metrics.recording(report) if metrics is not None else contextlib.nullcontext():
            result = deploy(
                opts, connect=lambda: metrics.connected(connect(context)) if metrics else connect(context),
                watch=functools.partial(watch_rollout, report, timeout, failure_logs),
                on_loaded=report.loaded, on_planned=report.planned, on_step=report.step,
                lock=lock_options(lock_timeout, timeout), history=history_options(history_limit, atomic),
                check=saved.check if saved else None,
            )
        report.done(result)
        return plan_exit(result.plan) if dry_run else errors.EXIT_OK

    raise typer.Exit(exit_code(body, report.failed))


def watch_rollout(report: DeployReport, timeout: float, failure_logs: int, deployment: Deployment) -> tuple[Waiter, ProgressRenderer]:
    """How a deploy waits (the rollout helper): each wave watched until converged, failed or --timeout."""
    from composeswarm.act.watcher import Waiter, Watcher

    view = report.watching(deployment.order.waves)
    watcher = Watcher(deployment.engine, conditions=deployment.order.conditions, on_event=view,
                      failure_logs=failure_logs, mask=deployment.mask)
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
    stack: NamedStackArg = None,
    file: FileOpt = None,
    env_file: EnvFileOpt = None,
    profile: ProfileOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Also plan the removal of services the files no longer have.")] = False,
    output: PlanOutputOpt = "text",
    show_sensitive: Annotated[bool, typer.Option("--show-sensitive", help="Show values of credential-like names (secret contents never).")] = False,
    drift_only: Annotated[bool, typer.Option("--drift-only", help="Show only the fields changed outside composeswarm since its last revision (exit 2 when any).")] = False,
    out: Annotated[Optional[str], typer.Option("--out", metavar="FILE", help="Save the plan for `deploy --plan FILE` (mode 0600, no secret content).")] = None,
    context: ContextOpt = None,
) -> int:
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.cli.history_commands import SavePlan, history_options
    from composeswarm.plan.sensitive import reveal
    from composeswarm.render.plan_report import print_report

    fmt = plan_output_format(output)
    stack = stack_or_name(stack, file, env_file, profile)
    # resolve-image never: a plan never asks a registry; an unchanged image label keeps the pinned digest
    opts = DeployOptions(stack=stack, files=file, env_files=env_file, prune=prune, resolve_image="never", dry_run=True,
                         context=context, profiles=profile)
    # a dry run never takes the lock: it notes who holds it; the history's kept versions are planned as deploy does
    save = SavePlan(out, opts) if out else None
    result = deploy(opts, lock=lock_options(0, 0), history=history_options(10), check=save)
    if save is not None:
        save.write(result.plan)
    plan = reveal(result.plan) if show_sensitive else result.plan
    if drift_only:
        from composeswarm.plan.drift import only_drift

        plan = only_drift(plan)
    print_report(plan, fmt, result.load_warnings, step_summary=step_summary_file())
    return plan_exit(plan)


# `diff` is the same command under a second name.
app.command("diff", help=PLAN_HELP.replace("Show what", "Alias of `plan`: show what"))(plan_cmd)
