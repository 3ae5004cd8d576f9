"""Text, JSON and Markdown (render/plan_markdown.py) views of a Plan: what would change, field by field, without leaking secrets.

Text, for people: one line per object with a marker (`+` create, `~` update, `-/+` replace,
`-` remove), the changed fields indented beneath, and a summary line; notes separately (stderr). Colour only when asked
(the caller decides with `render.use_colour`). JSON, for programs: the shape documented in
docs/plan-json.md. Sensitive values (credential-like names, marked by the planner) are masked here.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from composeswarm.plan.changes import Change, FieldChange, Plan
from composeswarm.plan.rotation import NEW_CONTENT, OLD_CONTENT

if TYPE_CHECKING:
    from composeswarm.errors import Issue

MASK = "(sensitive)"
NONE = "(none)"

MARKERS = {"create": "+", "update": "~", "replace": "-/+", "remove": "-"}
_COLOURS = {"create": "32", "update": "33", "replace": "35", "remove": "31"}  # green yellow magenta red


def render_plan(plan: Plan, fmt: Literal["text", "json", "markdown"] = "text", *, colour: bool | None = None) -> str:
    """The plan as text (for people), JSON (for programs) or Markdown (for reviewers); ends with a newline.

    `colour` None means: colour when standard output is a terminal and NO_COLOR is not set.
    """
    if fmt == "json":
        return json.dumps(plan_json(plan), indent=2, sort_keys=False) + "\n"
    if fmt == "markdown":
        from composeswarm.render.plan_markdown import plan_markdown

        return plan_markdown(plan)
    if fmt != "text":
        raise ValueError(f"unknown plan format {fmt!r}: use text, json or markdown")
    if colour is None:
        from composeswarm.render import use_colour

        colour = use_colour()
    return plan_text(plan, colour=colour)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The documented JSON shape (docs/plan-json.md)."""
    return {"stack": plan.stack, "changes": [_change_json(c) for c in plan.shown()], "summary": plan.summary()}


def _change_json(change: Change) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": change.kind,
        "name": change.name,
        "action": change.action,
        "fields": [{"path": f.path, "before": _masked(f, f.before), "after": _masked(f, f.after), **_drift_json(f)}
                   for f in change.fields],
    }
    if change.placement is not None:
        doc["placement"] = change.placement.as_json()
    return doc


def placement_lines(plan: Plan) -> list[str]:
    """`warning: shop_db: 2 of 3 replicas cannot be placed: ...` per service short of nodes; a global one's node count as a note."""
    lines = []
    for change in plan.shown():
        verdict = change.placement
        if verdict is None:
            continue
        if verdict.warns:
            lines.append("warning: " + verdict.line(change.name))
        elif verdict.replicas is None:
            lines.append("note: " + verdict.line(change.name))
    return lines


def summary_line(plan: Plan) -> str:
    """`Plan: 1 to create, 2 to update, 0 to replace, 0 to remove, 5 unchanged.`"""
    s = plan.summary()
    return (
        f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
        f"{s['remove']} to remove, {s['unchanged']} unchanged."
    )


def plan_text(plan: Plan, *, colour: bool = False) -> str:
    """One line per change, fields beneath, then the summary line (notes go to stderr: `notes_text`)."""
    lines: list[str] = []
    shown = plan.shown()
    if not shown:
        lines.append(f"No changes: stack {plan.stack} is as the files describe it.")
    else:
        lines.append(f"Stack {plan.stack}:")
        completions = {c.part_of: c for c in plan.changes if c.part_of is not None}
        for change in shown:
            lines.append(_headline(change, colour, completions.get(change.name)))
            for fc in change.fields:
                lines.append(f"      {fc.path}: {_value(_masked(fc, fc.before))} -> {_value(_masked(fc, fc.after))}"
                             + _drift_text(fc, plan.drift_from))
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def notes_text(plan: Plan) -> str:
    """The plan's notes, one `note:` line each, then where its services' tasks can go (for stderr: not changes)."""
    return "".join(f"note: {note}\n" for note in plan.notes) + "".join(line + "\n" for line in placement_lines(plan))


def print_report(plan: Plan, fmt: Literal["text", "json", "markdown"], warnings: Iterable[Issue] = (),
                 step_summary: str | None = None) -> None:
    """What `plan` prints: the files' warnings and the plan's notes on stderr, then the plan on stdout.

    `step_summary`: a file (GitHub Actions' GITHUB_STEP_SUMMARY) the Markdown plan is appended to.
    """
    from composeswarm.render import print_issues

    print_issues(warnings)
    if fmt != "markdown":  # the Markdown plan carries its notes
        sys.stderr.write(notes_text(plan))
    sys.stdout.write(render_plan(plan, fmt))
    sys.stdout.flush()
    if step_summary:
        from composeswarm.render.plan_markdown import append_step_summary, plan_markdown

        append_step_summary(step_summary, plan_markdown(plan))


def _headline(change: Change, colour: bool, completion: Change | None) -> str:
    marker = MARKERS[change.action]
    text = f"{marker:>3} {change.kind} {change.name}"
    renamed = next((f for f in change.fields if f.path == "name"), None)
    if change.kind in ("secret", "config") and change.action == "replace" and renamed is not None:
        text = f"{marker:>3} {change.kind} {renamed.before} -> {change.name}"
        extra = "; the old version is removed once services use the new one" if completion is not None else ""
        text += f" ({change.reason}{extra})"
    elif change.reason:
        text += f" ({change.reason})"
    if colour:
        text = f"\x1b[{_COLOURS[change.action]}m{text}\x1b[0m"
    return "  " + text


def _drift_json(fc: FieldChange) -> dict[str, Any]:
    """`"drift": true, "recorded": value` on a field changed outside composeswarm (nothing otherwise)."""
    return {"drift": True, "recorded": _masked(fc, fc.recorded)} if fc.drift else {}


def _drift_text(fc: FieldChange, revision: int | None) -> str:
    if not fc.drift:
        return ""
    return f" (changed outside composeswarm: was {_value(_masked(fc, fc.recorded))} at revision {revision})"


def _masked(fc: FieldChange, value: Any) -> Any:
    if fc.sensitive and value is not None:
        return MASK
    return value


_PLAIN = re.compile(r"^[^\s\"'\[\]{},][^\s\"]*$")  # one word: anything else is JSON-quoted


def _value(value: Any) -> str:
    """A value as people read it: plain words bare, anything ambiguous in JSON."""
    if value is None:
        return NONE
    if value in (MASK, OLD_CONTENT, NEW_CONTENT):
        return str(value)
    if isinstance(value, str) and _PLAIN.match(value) and value not in ("true", "false", "null", NONE):
        if not _looks_numeric(value):
            return value
    return json.dumps(value, sort_keys=True)


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
