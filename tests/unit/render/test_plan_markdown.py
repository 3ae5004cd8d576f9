"""plan_markdown / deploy_markdown: Markdown that renders as tables (checked by rendering it with
markdown-it-py, as a forge would, and reading the table cells back), with sensitive values masked."""

from __future__ import annotations

import html.parser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from composeswarm.plan.changes import Change, FieldChange, Plan
from composeswarm.render.plan_markdown import (
    append_step_summary,
    headline,
    plan_markdown,
)
from composeswarm.render.plan_report import render_plan


class _Tables(html.parser.HTMLParser):
    """Every <table> of an HTML page as rows of cell texts; <details> summaries too."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.summaries: list[str] = []
        self._cell: list[str] | None = None
        self._summary: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "summary":
            self._summary = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "summary" and self._summary is not None:
            self.summaries.append("".join(self._summary))
            self._summary = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._summary):
            if part is not None:
                part.append(data)


def rendered(markdown: str) -> _Tables:
    """Render as GitHub does (CommonMark + tables, inline HTML allowed) and read the tables back."""
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    parser = _Tables()
    parser.feed(page)
    return parser


PLAN = Plan(
    stack="st",
    changes=(
        Change("network", "st_default", "create", desired={"Name": "st_default"}),
        Change(
            "service", "st_web", "update",
            (
                FieldChange("deploy.replicas", 2, 4),
                FieldChange("environment.DB_PASSWORD", "old-pw", "new-pw", sensitive=True),
                FieldChange("environment.MODE", None, "a | b `c`\nd"),
            ),
        ),
        Change("service", "st_worker", "replace", (FieldChange("deploy.mode", "replicated", "global"),),
               reason="the mode cannot change in place"),
        Change("service", "st_old", "remove", reason="not in the file"),
    ),
    unchanged=(("config", "st_conf"),),
    notes=("the deploy lock is held by ci-42",),
)


def test_one_table_of_changes() -> None:
    page = rendered(plan_markdown(PLAN))
    assert page.tables[0] == [
        ["", "Kind", "Name", "Action", "Fields changed", "Why"],
        ["🟢 +", "network", "st_default", "create", "0", ""],
        ["🟡 ~", "service", "st_web", "update", "3", ""],
        ["🟣 -/+", "service", "st_worker", "replace", "1", "the mode cannot change in place"],
        ["🔴 -", "service", "st_old", "remove", "0", "not in the file"],
    ]


def test_a_details_block_per_changed_object_with_its_fields_masked() -> None:
    page = rendered(plan_markdown(PLAN))
    assert page.summaries == ["service st_web: update (3 fields)", "service st_worker: replace (1 field)"]
    assert page.tables[1] == [
        ["Field", "Before", "After"],
        ["deploy.replicas", "2", "4"],
        ["environment.DB_PASSWORD", "(sensitive)", "(sensitive)"],
        # a pipe, backticks and a newline stay inside their cell, on one line
        ["environment.MODE", "(none)", '"a | b `c`\\nd"'],
    ]
    assert page.tables[2] == [["Field", "Before", "After"], ["deploy.mode", "replicated", "global"]]
    assert "old-pw" not in plan_markdown(PLAN) and "new-pw" not in plan_markdown(PLAN)
    assert len(page.tables) == 3


def test_headline_is_one_line_a_ci_job_can_post() -> None:
    text = plan_markdown(PLAN)
    assert text.splitlines()[0] == headline(PLAN) == (
        "**composeswarm plan** for stack `st`: 1 to create, 1 to update, 1 to replace, 1 to remove, 1 unchanged"
    )
    assert "> **note:** the deploy lock is held by ci-42" in text.splitlines()


def test_no_changes_is_the_headline_alone() -> None:
    plan = Plan(stack="st", unchanged=(("service", "st_web"),))
    assert plan_markdown(plan) == "**composeswarm plan** for stack `st`: no changes (1 unchanged)\n"
    assert rendered(plan_markdown(plan)).tables == []


def test_render_plan_markdown_is_the_same() -> None:
    assert render_plan(PLAN, "markdown") == plan_markdown(PLAN)


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        pytest.param("st_a|b", "st_a|b", id="pipe"),
        pytest.param("st_<b>x</b>", "st_<b>x</b>", id="html is text"),
        pytest.param("st_\u202eevil", "st_\\u202eevil", id="bidi override escaped"),
        pytest.param("st_*not* _em_ [link](x) \\` ~~s~~", "st_*not* _em_ [link](x) \\` ~~s~~", id="markdown is text"),
        pytest.param("st_" + "x" * 400, "st_" + "x" * 296 + "…", id="long value cut"),
    ],
)
def test_cells_show_what_was_written_safely(name: str, cell: str) -> None:
    plan = Plan(stack="st", changes=(Change("service", name, "create"),))
    assert rendered(plan_markdown(plan)).tables[0][1][2] == cell


def test_step_summary_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("earlier step\n")
    append_step_summary(str(path), plan_markdown(PLAN))
    append_step_summary(str(path), "second\n")
    assert path.read_text() == "earlier step\n" + plan_markdown(PLAN) + "\n" + "second\n\n"
