"""Text and JSON views of a deploy: docker's progress lines, a final line, and partial failures.

`DeployReport` puts them together: what one deploy prints as it goes and how it ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from composeswarm.errors import Issue, PartialDeployError, RolloutFailed, RolloutTimeout, RolloutUnknown
from composeswarm.render import print_failure, print_issues

if TYPE_CHECKING:
    from composeswarm.act.events import FailureLogs, Outcome
    from composeswarm.act.apply import Step
    from composeswarm.act.deploy import DeployResult
    from composeswarm.render.progress import ProgressRenderer

_VERBS = {"create": "Creating", "update": "Updating", "replace": "Replacing", "remove": "Removing"}


def step_line(step: Step) -> str:
    """One line as docker stack deploy prints it (`Updating service s_web (id: …)`)."""
    verb = _VERBS[step.action]
    if step.kind in ("secret", "config") and step.action == "replace":
        verb = "Creating"  # a rotation creates the new version; the old one is removed later
    line = f"{verb} {step.kind} {step.name}"
    if step.kind == "service" and step.action == "update":
        line += f" (id: {step.ident})"
    elif step.note:
        line += f" ({step.note})"
    return line


def deploy_text(result: DeployResult) -> str:
    """The stdout of a deploy: a line per write call, then what it came to."""
    steps = result.applied.applied if result.applied is not None else []
    return "".join(step_line(s) + "\n" for s in steps) + summary_text(result)


def summary_text(result: DeployResult) -> str:
    """The last line of a deploy's stdout (the step lines are printed as the calls are made)."""
    if result.applied is None or not result.applied.applied:
        return f"Stack {result.stack} is up to date: nothing to change\n"
    counts = result.plan.summary()  # as the plan counts: a rotation's removal is part of its replace
    return (
        f"Stack {result.stack} deployed: {counts['create']} created, {counts['update']} updated, "
        f"{counts['replace']} replaced, {counts['remove']} removed, {counts['unchanged']} unchanged\n"
    )


def deploy_json(
    result: DeployResult,
    rollout: Sequence[Outcome] = (),
    error: str | None = None,
    failure_logs: Sequence[FailureLogs] = (),
) -> str:
    """One JSON document: {"stack", "applied": [{kind, name, action, id}], "warnings", "rollout"[,
    "failure_logs"][, "error"]} (docs/deploy-json.md).

    `rollout` is each watched service's outcome (render.progress.outcomes_json); `error` is the
    message of a rollout that failed, timed out or ended unknown (exit 3, 4 or 1): the calls made are
    listed all the same. `failure_logs`: the last lines of each failed service's failed task, masked.
    """
    from composeswarm.render.progress import outcomes_json

    steps = result.applied.applied if result.applied is not None else []
    doc: dict[str, Any] = {
        "stack": result.stack,
        "applied": [_step_json(s) for s in steps],
        "warnings": [str(w) for w in result.load_warnings] + list(result.warnings) + _placement_warnings(result),
        "rollout": outcomes_json(rollout),
    }
    if failure_logs:  # only when a service failed: the document of a deploy that went well is unchanged
        doc["failure_logs"] = {logs.service: list(logs.lines) for logs in failure_logs}
    if error is not None:
        doc["error"] = error
    return json.dumps(doc, indent=2) + "\n"


def warnings_text(result: DeployResult) -> str:
    """The engine's and the registry lookups' warnings, as docker prints them (stderr)."""
    return "".join(w if w.endswith("\n") else w + "\n" for w in result.warnings)


def notes_text(result: DeployResult) -> str:
    """What the plan wants the user to know without being a change, placement warnings included (stderr)."""
    from composeswarm.render.plan_report import notes_text as plan_notes

    return plan_notes(result.plan)


def _placement_warnings(result: DeployResult) -> list[str]:
    """The plan's placement warnings (without the `warning: ` of the text lines)."""
    return [c.placement.line(c.name) for c in result.plan.shown() if c.placement is not None and c.placement.warns]


def _step_json(step: Step) -> dict[str, str]:
    doc = {"kind": step.kind, "name": step.name, "action": step.action, "id": step.ident}
    if step.note:
        doc["note"] = step.note
    return doc


def partial_text(err: PartialDeployError) -> str:
    """What a failed deploy did and did not do, for stderr."""
    lines = [f"error: {err.message}"]
    lines.append("applied: " + (", ".join(err.applied) if err.applied else "nothing"))
    lines.append("not applied: " + (", ".join(err.not_applied) if err.not_applied else "nothing"))
    lines.append("run the same command again to converge")
    return "\n".join(lines) + "\n"


def partial_json(stack: str, err: PartialDeployError, rollout: Sequence[Outcome] = ()) -> str:
    """A failed deploy as one JSON document (stdout), with the outcomes of the waves waited for before."""
    from composeswarm.render.progress import outcomes_json

    doc = {
        "stack": stack, "error": err.message, "applied": err.applied, "not_applied": err.not_applied,
        "rollout": outcomes_json(rollout),
    }
    return json.dumps(doc, indent=2) + "\n"


class DeployReport:
    """What one deploy prints, text or JSON: its lines as it goes, then one of its three endings.

    The methods are the deploy's hooks (`loaded`, `planned`, `watching`, `step`) and its endings:
    `done` (deployed, or the plan of a dry run) and `failed` (a call refused, exit 1; a rollout that
    failed or timed out, exit 3 or 4; anything else, as every command reports it).
    """

    def __init__(self, stack: str, *, json: bool, markdown: bool = False, step_summary: str | None = None) -> None:
        self.stack = stack
        self.json = json
        self.markdown = markdown  # stdout: one Markdown report at the end (the progress still on stderr)
        self.step_summary = step_summary  # a file to append the Markdown report to (GITHUB_STEP_SUMMARY)
        self.result: DeployResult | None = None  # once planned: filled in as the calls are made
        self.progress: ProgressRenderer | None = None  # when the rollout is watched

    def loaded(self, issues: list[Issue]) -> None:
        """The files' warnings as soon as they are read, as docker prints them (JSON: in the document)."""
        if not self.json:
            print_issues(issues)

    def planned(self, result: DeployResult) -> None:
        """What the plan wants known, before any call is made."""
        self.result = result
        if not self.json:
            sys.stderr.write(notes_text(result))

    def watching(self, waves: Sequence[Sequence[str]]) -> ProgressRenderer:
        """The rollout's progress view (the watcher's on_event), by depends_on waves."""
        from composeswarm.render.progress import ProgressRenderer

        self.progress = ProgressRenderer(waves=waves)
        return self.progress

    def step(self, step: Step) -> None:
        """docker's line as each call is made, before and among the rollout's progress lines (text only)."""
        if self.json or self.markdown:
            return
        if self.progress is not None:
            self.progress.echo(step_line(step))
        else:
            _out(step_line(step) + "\n")

    def done(self, result: DeployResult) -> None:
        """A deploy that went through: the plan of a dry run, else what was applied."""
        self._summarise(result)
        if result.dry_run:
            from composeswarm.render.plan_report import render_plan

            _out(render_plan(result.plan, "json" if self.json else "markdown" if self.markdown else "text"))
        elif self.markdown:
            from composeswarm.render.plan_markdown import deploy_markdown

            sys.stderr.write(warnings_text(result))
            _out(deploy_markdown(result, self._outcomes()))
        elif self.json:
            _out(deploy_json(result, self._outcomes(), failure_logs=self._failure_logs()))
        else:
            sys.stderr.write(warnings_text(result))
            _out(summary_text(result))

    def failed(self, exc: BaseException) -> None:
        """A deploy that raised: what was and was not applied, then why it stopped (stderr)."""
        if self.result is not None and isinstance(exc, (PartialDeployError, RolloutFailed, RolloutTimeout)):
            self._summarise(self.result, exc.message if isinstance(exc, PartialDeployError) else str(exc))
        if isinstance(exc, PartialDeployError):
            if self.json:
                _out(partial_json(self.stack, exc, self._outcomes()))
            elif self.markdown and self.result is not None:
                from composeswarm.render.plan_markdown import deploy_markdown

                _out(deploy_markdown(self.result, self._outcomes(), error=exc.message))
            sys.stderr.write(partial_text(exc))
            return
        if isinstance(exc, (RolloutFailed, RolloutTimeout, RolloutUnknown)) and self.result is not None:
            # the calls were made: say so (text: streamed already) before the error
            if self.json:
                _out(deploy_json(self.result, self._outcomes(), error=str(exc), failure_logs=self._failure_logs()))
            elif self.markdown:
                from composeswarm.render.plan_markdown import deploy_markdown

                _out(deploy_markdown(self.result, self._outcomes(), error=str(exc)))
                sys.stderr.write(warnings_text(self.result))
            else:
                sys.stderr.write(warnings_text(self.result))
        print_failure(exc)

    def _summarise(self, result: DeployResult, error: str | None = None) -> None:
        """Append the Markdown report to the step-summary file, when there is one (the plan of a dry run)."""
        if not self.step_summary:
            return
        from composeswarm.render.plan_markdown import append_step_summary, deploy_markdown, plan_markdown

        text = plan_markdown(result.plan) if result.dry_run else deploy_markdown(result, self._outcomes(), error)
        append_step_summary(self.step_summary, text)

    def _outcomes(self) -> list[Outcome]:
        return self.progress.ordered() if self.progress is not None else []

    def _failure_logs(self) -> list[FailureLogs]:
        if self.progress is None:
            return []
        return [self.progress.failure_logs[name] for name in sorted(self.progress.failure_logs)]


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
