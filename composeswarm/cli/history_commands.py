"""The stack's memory: history (the recorded deploys) and rollback (deploy a recorded revision again)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from composeswarm.cli.frame import (
    DEFAULT_PARALLEL,
    ContextOpt,
    FailureLogsOpt,
    LockTimeoutOpt,
    OutputOpt,
    ParallelOpt,
    StackArg,
    app,
    bad_option,
    check_parallel,
    command,
    connect,
    exit_code,
    output_format,
)
from composeswarm.render.lock_report import lock_options  # light: no SDK, no stage

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment, DeployOptions
    from composeswarm.act.history import HistoryOptions
    from composeswarm.plan.changes import Plan

HistoryLimitOpt = Annotated[int, typer.Option("--history-limit", metavar="N", help="Revisions of the stack kept in the swarm "
                                              "(older ones, and the secret and config versions only they use, are removed).")]


def history_options(limit: int, atomic: bool = False) -> HistoryOptions:
    """How deploy and rollback record revisions: the project printed as `config --format json` does."""
    from composeswarm.act.history import HistoryOptions, check_limit
    from composeswarm.render.history_report import print_recorded
    from composeswarm.render.issue_report import render_config

    return HistoryOptions(describe=lambda project: render_config(project, "json"), limit=check_limit(limit), atomic=atomic,
                          on_recorded=print_recorded)


@command("history")
def history_cmd(
    stack: StackArg,
    revision: Annotated[Optional[int], typer.Option("--revision", metavar="N", help="Print revision N's project (as `config --format json`).")] = None,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """List the stack's recorded deploys: revision, time, who, commit, outcome and changes.

    Every deploy that writes anything is recorded in the swarm as a config `<stack>_composeswarm-rev-<N>`
    (the resolved project, secrets by digest only); the last 10 are kept (--history-limit).
    """
    from composeswarm.act.revisions import get_revision, list_revisions
    from composeswarm.errors import EngineError
    from composeswarm.render.history_report import print_history, print_revision

    fmt = output_format(output)
    engine = connect(context)
    if revision is not None:
        print_revision(get_revision(engine, stack, revision), fmt)
        return
    revisions = list_revisions(engine, stack)
    if not revisions:
        raise EngineError(f"stack {stack} has no recorded revisions")
    print_history(stack, revisions, fmt)


@app.command("rollback")
def rollback_cmd(
    stack: StackArg,
    to: Annotated[Optional[int], typer.Option("--to", metavar="N", help="The revision to go back to (default: the last converged one before the current).")] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Return once the calls are made, without waiting.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the changed services to converge (then exit 4).")] = 300,
    atomic: Annotated[bool, typer.Option("--atomic", help="If the rollout fails or times out, put the stack back as it was before.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan and write nothing (exit 0: no changes, 2: changes).")] = False,
    history_limit: HistoryLimitOpt = 10,
    lock_timeout: LockTimeoutOpt = None,
    failure_logs: FailureLogsOpt = 20,
    parallel: ParallelOpt = DEFAULT_PARALLEL,
    output: OutputOpt = "text",
    context: ContextOpt = None,
) -> None:
    """Deploy a recorded revision again, through the same plan, apply and wait as deploy.

    Needs no files: the revision holds the resolved project. Its secret and config versions must still be
    in the swarm (retained revisions keep theirs). Records a new revision, a rollback of N.
    """
    from composeswarm.cli.deploy_commands import watch_rollout
    from composeswarm.render.deploy_report import DeployReport

    report = DeployReport(stack, json=output == "json")

    def body() -> int:
        from composeswarm import errors
        from composeswarm.act.deploy import DeployOptions, deploy
        from composeswarm.act.history import rollback_target
        from composeswarm.cli.frame import plan_exit

        output_format(output)
        if timeout <= 0:
            raise bad_option(f"--timeout must be more than 0 seconds, got {timeout:g}")
        check_parallel(parallel)
        engine = connect(context)
        target = rollback_target(engine, stack, to)
        # resolve-image never: the recorded images are deployed as they were written
        opts = DeployOptions(stack=stack, resolve_image="never", detach=detach, dry_run=dry_run, context=context,
                             atomic=atomic, revision=target, parallel=parallel)
        result = deploy(
            opts, engine=engine, watch=functools.partial(watch_rollout, report, timeout, failure_logs),
            on_loaded=report.loaded, on_planned=report.planned, on_step=report.step,
            lock=lock_options(lock_timeout, timeout), history=history_options(history_limit, atomic),
        )
        report.done(result)
        return plan_exit(result.plan) if dry_run else errors.EXIT_OK

    raise typer.Exit(exit_code(body, report.failed))


# --- saved plans: plan --out FILE, deploy --plan FILE ---------------------------------------------------


class SavePlan:
    """`plan --out FILE`: the checks taken from the planned deployment, then the file written."""

    def __init__(self, path: str, opts: DeployOptions) -> None:
        if "-" in (opts.files or []):
            raise bad_option("--out: a plan of files read from standard input cannot be saved (deploy --plan reads them again)")
        self.path, self.opts = path, opts
        self.checks: dict[str, Any] | None = None
        self.files: list[str] = []

    def __call__(self, deployment: Deployment) -> None:
        from composeswarm.act.saved import checks_of
        from composeswarm.render.issue_report import render_config

        self.checks = checks_of(deployment, lambda project: render_config(project, "json"))
        self.files = list(deployment.project.files) if deployment.project is not None else []

    def write(self, plan: Plan) -> None:
        """Write the saved plan (mode 0600)."""
        import os

        from composeswarm.act.saved import saved_document, write_saved
        from composeswarm.render.plan_report import plan_json

        assert self.checks is not None
        env_files = [os.path.abspath(f) for f in self.opts.env_files or []]
        write_saved(self.path, saved_document(self.opts.stack, plan_json(plan), self.checks, files=self.files,
                                              env_files=env_files, prune=self.opts.prune))


class SavedPlan:
    """`deploy --plan FILE`: the options it was made with and the check that refuses it when stale."""

    def __init__(self, path: str) -> None:
        from composeswarm.act.saved import options_of, read_saved, verifier
        from composeswarm.render.issue_report import render_config

        doc = read_saved(path)
        options = options_of(doc)
        self.files, self.env_files, self.prune = options["files"], options["env_files"], options["prune"]
        self.check = verifier(path, doc, lambda project: render_config(project, "json"))


def saved_plan(path: str, file: list[str] | None, env_file: list[str] | None, prune: bool) -> SavedPlan:
    """The saved plan at `path`; the files and --prune come from it, so they may not be given too."""
    if file or env_file or prune:
        raise bad_option("--plan: the files, --env-file and --prune come from the saved plan; do not give them too")
    return SavedPlan(path)
