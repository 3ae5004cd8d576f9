"""Markdown views of a plan and of a deploy, for where reviewers read them: a pull-request comment, a
GitHub Actions job summary (GITHUB_STEP_SUMMARY), a GitLab merge-request note.

GitHub- and GitLab-flavoured alike: a one-line headline, one table of changes, then a collapsible
`<details>` block per changed object with its field diffs. Cells are HTML-escaped (a `|` never splits
a cell, a newline never ends a row, control characters are shown escaped), long values are cut, and
sensitive values are masked as in the text plan.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from composeswarm.plan.changes import Plan
from composeswarm.render.plan_report import MARKERS, _masked, _value

if TYPE_CHECKING:
    from composeswarm.act.assess import Outcome
    from composeswarm.act.deploy import DeployResult

_ICONS = {"create": "🟢", "update": "🟡", "replace": "🟣", "remove": "🔴"}
_CELL_LIMIT = 300  # characters of one value in a cell; past that, an ellipsis


def headline(plan: Plan) -> str:
    """The one line a CI job can post on its own: stack, what would change, in counts."""
    s = plan.summary()
    if not plan.shown():
        return f"**composeswarm plan** for stack `{_safe(plan.stack)}`: no changes ({s['unchanged']} unchanged)"
    return (
        f"**composeswarm plan** for stack `{_safe(plan.stack)}`: {s['create']} to create, {s['update']} to update, "
        f"{s['replace']} to replace, {s['remove']} to remove, {s['unchanged']} unchanged"
    )


def plan_markdown(plan: Plan) -> str:
    """Headline, the table of changes, a details block per changed object; ends with a newline."""
    out = [headline(plan), ""]
    shown = plan.shown()
    if shown:
        out += ["| | Kind | Name | Action | Fields changed | Why |", "| --- | --- | --- | --- | --- | --- |"]
        for c in shown:
            out.append(
                f"| {_ICONS[c.action]} `{MARKERS[c.action]}` | {c.kind} | {_code(c.name)} | {c.action} | "
                f"{len(c.fields)} | {_cell(c.reason) if c.reason else ''} |"
            )
        out.append("")
        for c in shown:
            if not c.fields:
                continue
            noun = "field" if len(c.fields) == 1 else "fields"
            out += [
                "<details>",
                f"<summary>{c.kind} <code>{_html(c.name)}</code>: {c.action} ({len(c.fields)} {noun})</summary>",
                "",
                "| Field | Before | After |",
                "| --- | --- | --- |",
            ]
            for f in c.fields:
                out.append(f"| {_code(f.path)} | {_code(_value(_masked(f, f.before)))} | {_code(_value(_masked(f, f.after)))} |")
            out += ["", "</details>", ""]
    for note in plan.notes:
        out.append(f"> **note:** {_safe(note)}")
    if plan.notes:
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def deploy_markdown(result: DeployResult, rollout: Sequence[Outcome] = (), error: str | None = None) -> str:
    """A deploy for a job summary: its outcome line, the rollout of each service watched, then the plan."""
    counts = result.plan.summary()
    applied = result.applied.applied if result.applied is not None else []
    if error is not None:
        head = f"**composeswarm deploy** of stack `{_safe(result.stack)}` failed: {_safe(error)}"
    elif not applied:
        head = f"**composeswarm deploy** of stack `{_safe(result.stack)}`: up to date, nothing to change"
    else:
        head = (
            f"**composeswarm deploy** of stack `{_safe(result.stack)}`: {counts['create']} created, "
            f"{counts['update']} updated, {counts['replace']} replaced, {counts['remove']} removed, "
            f"{counts['unchanged']} unchanged"
        )
    out = [head, ""]
    if rollout:
        out += ["| Service | Rollout | Tasks | Time | Reason |", "| --- | --- | --- | --- | --- |"]
        for o in rollout:
            tasks = f"{o.progress.done}/{o.progress.desired}" if o.progress is not None else ""
            icon = "❌" if o.failed else ("✅" if o.state == "converged" else "⏳")
            out.append(f"| {_code(o.service)} | {icon} {o.state} | {tasks} | {o.elapsed:.1f} s | {_cell(o.reason)} |")
        out.append("")
    out += ["<details>", "<summary>The plan that was applied</summary>", "", plan_markdown(result.plan), "</details>"]
    return "\n".join(out) + "\n"


def append_step_summary(path: str, markdown: str) -> None:
    """Append to the file GitHub Actions names in GITHUB_STEP_SUMMARY (a blank line between entries)."""
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
        fh.write("\n")


def _safe(text: str) -> str:
    """One line of inline Markdown text: HTML-escaped, no pipes or control characters, bounded."""
    return _cell(text)


def _cell(text: str) -> str:
    return _html(text).replace("|", "&#124;")


def _code(text: str) -> str:
    """A value in a table cell as code: `<code>`, so a pipe or backtick inside cannot break the table."""
    return f"<code>{_cell(text)}</code>" if text else ""


# Markdown's inline punctuation, as entities: inside <code> too, a backtick would open a code span and
# a backslash escape the next character. An underscore only where it could start or end emphasis.
_MARKDOWN_PUNCT = {"`": "&#96;", "*": "&#42;", "~": "&#126;", "[": "&#91;", "]": "&#93;", "\\": "&#92;"}
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _html(text: str) -> str:
    shown = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))
    if len(shown) > _CELL_LIMIT:
        shown = shown[: _CELL_LIMIT - 1] + "…"
    out = html.escape(shown, quote=False)
    out = "".join(_MARKDOWN_PUNCT.get(ch, ch) for ch in out)
    return _LONE_UNDERSCORE.sub("&#95;", out)
