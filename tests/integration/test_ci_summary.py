"""plan and deploy for reviewers, on a real swarm: `--output markdown` and GitHub Actions' job summary
(GITHUB_STEP_SUMMARY), rendered with markdown-it-py and read back cell by cell."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.conftest import Docker
from tests.unit.render.test_plan_markdown import rendered

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sleep", "86400"]
    deploy:
      replicas: {replicas}
    environment:
      API_TOKEN: {token}
"""


def cs(*args: str, summary: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    if summary is not None:
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=180, check=False)


def test_plan_and_deploy_summaries(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    stack = tmp_path / "stack.yml"
    stack.write_text(STACK.format(replicas=1, token="first-secret"))
    summary = tmp_path / "summary.md"

    proc = cs("plan", stack_name, "-f", str(stack), "--output", "markdown", summary=summary)
    assert (proc.returncode, proc.stderr) == (2, "")
    page = rendered(proc.stdout)
    assert page.tables[0] == [
        ["", "Kind", "Name", "Action", "Fields changed", "Why"],
        ["🟢 +", "network", f"{stack_name}_default", "create", "0", ""],
        ["🟢 +", "service", f"{stack_name}_web", "create", "0", ""],
    ]
    assert summary.read_text() == proc.stdout + "\n"  # the job summary gets the same Markdown

    proc = cs("deploy", stack_name, "-f", str(stack), "--resolve-image", "never", "--timeout", "120",
              "--output", "markdown", summary=summary)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        f"**composeswarm deploy** of stack `{stack_name}`: 2 created, 0 updated, 0 replaced, 0 removed, 0 unchanged"
    )
    rollout = rendered(proc.stdout).tables[0]
    assert rollout[0] == ["Service", "Rollout", "Tasks", "Time", "Reason"]
    assert [row[:3] for row in rollout[1:]] == [[f"{stack_name}_web", "✅ converged", "1/1"]]
    assert summary.read_text().endswith(proc.stdout + "\n")

    # a change: the plan shows it field by field, the token masked
    stack.write_text(STACK.format(replicas=2, token="second-secret"))
    proc = cs("plan", stack_name, "-f", str(stack), "--output", "markdown")
    assert proc.returncode == 2
    page = rendered(proc.stdout)
    assert page.summaries == [f"service {stack_name}_web: update (2 fields)"]
    assert page.tables[1] == [
        ["Field", "Before", "After"],
        ["environment.API_TOKEN", "(sensitive)", "(sensitive)"],
        ["deploy.replicas", "1", "2"],
    ]
    assert "secret" not in proc.stdout.replace("(sensitive)", "")

    # a dry run in Markdown is the plan
    dry = cs("deploy", stack_name, "-f", str(stack), "--dry-run", "--output", "markdown")
    assert (dry.returncode, dry.stdout) == (2, proc.stdout)


def test_markdown_is_refused_where_no_plan_is_shown(engine_available: None) -> None:
    proc = cs("ls", "--output", "markdown")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "error: --output must be text or json, got 'markdown'\n")
