"""`composeswarm plan` / `diff` on the engine: exit codes 0/1/2, text and JSON, masking, --prune."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import Docker

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

TWO_SERVICES = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    command: ["sleep", "1000"]
    init: true
    environment:
      MODE: "fast"
      API_TOKEN: "tok-1"
    deploy:
      replicas: 2
  worker:
    image: local/busybox:1
    command: ["sleep", "1000"]
    init: true
"""


def cs(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run composeswarm in `cwd` (stdout is a pipe: no colour)."""
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_plan_create_then_nothing_then_changes(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    (tmp_path / "stack.yml").write_text(TWO_SERVICES)
    first = cs(tmp_path, "plan", "-f", "stack.yml", stack_name)
    assert (first.returncode, first.stdout) == (
        2,
        f"Stack {stack_name}:\n"
        f"    + network {stack_name}_default\n"
        f"    + service {stack_name}_web\n"
        f"    + service {stack_name}_worker\n"
        "Plan: 3 to create, 0 to update, 0 to replace, 0 to remove, 0 unchanged.\n",
    )
    deployed = cs(tmp_path, "deploy", "-f", "stack.yml", "--resolve-image", "never", "--detach", stack_name)
    assert deployed.returncode == 0, deployed.stderr
    again = cs(tmp_path, "diff", "-f", "stack.yml", stack_name)
    assert (again.returncode, again.stdout) == (
        0,
        f"No changes: stack {stack_name} is as the files describe it.\n"
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to remove, 3 unchanged.\n",
    )

    changed = TWO_SERVICES.replace("replicas: 2", "replicas: 4").replace("tok-1", "tok-2").replace('"fast"', '"slow"')
    changed = changed[: changed.index("  worker:")]  # the worker leaves the file
    (tmp_path / "stack.yml").write_text(changed)
    plan = cs(tmp_path, "plan", "-f", "stack.yml", "--prune", stack_name)
    assert (plan.returncode, plan.stdout, plan.stderr) == (
        2,
        f"Stack {stack_name}:\n"
        f"    - service {stack_name}_worker (not in the file)\n"
        f"    ~ service {stack_name}_web\n"
        "      environment.API_TOKEN: (sensitive) -> (sensitive)\n"
        "      environment.MODE: fast -> slow\n"
        "      deploy.replicas: 2 -> 4\n"
        "Plan: 0 to create, 1 to update, 0 to replace, 1 to remove, 1 unchanged.\n",
        "",
    )
    shown = cs(tmp_path, "plan", "-f", "stack.yml", "--show-sensitive", "-o", "json", stack_name)
    assert (shown.returncode, json.loads(shown.stdout)["changes"], shown.stderr) == (
        2,
        [
            {
                "kind": "service",
                "name": f"{stack_name}_web",
                "action": "update",
                "fields": [
                    {"path": "environment.API_TOKEN", "before": "tok-1", "after": "tok-2"},
                    {"path": "environment.MODE", "before": "fast", "after": "slow"},
                    {"path": "deploy.replicas", "before": 2, "after": 4},
                ],
                # where its tasks can go (docs/plan-json.md#placement): every node takes them
                "placement": {"nodes_matching": len(docker("node", "ls", "-q").stdout.split()), "replicas": 4,
                              "placeable": 4, "reasons": []},
            }
        ],
        f"note: service {stack_name}_worker is not in the file; --prune removes it\n",
    )


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        pytest.param(["--output", "yaml"], "error: --output must be text, json or markdown, got 'yaml'\n", id="bad output"),
        pytest.param(["-f", "missing.yml"], None, id="missing file"),
    ],
)
def test_plan_errors_exit_1(args: list[str], stderr: str | None, tmp_path: Path, stack_name: str) -> None:
    (tmp_path / "stack.yml").write_text(TWO_SERVICES)
    proc = cs(tmp_path, "plan", *(args if "-f" in args else ["-f", "stack.yml", *args]), stack_name)
    assert (proc.returncode, proc.stdout) == (1, "")
    if stderr is not None:
        assert proc.stderr == stderr
    else:
        assert proc.stderr.startswith("error: ") and "missing.yml" in proc.stderr


def test_unchanged_redeploy_keeps_every_version_index(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    (tmp_path / "stack.yml").write_text(TWO_SERVICES)
    args = ["deploy", "-f", "stack.yml", "--resolve-image", "never", "--detach", stack_name]
    assert cs(tmp_path, *args).returncode == 0

    def versions() -> dict[str, str]:
        out = docker("service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack_name}").stdout.split()
        return {line.split()[0]: line.split()[1] for line in docker("service", "inspect", "--format", "{{.Spec.Name}} {{.Version.Index}}", *out).stdout.splitlines()}

    before = versions()
    assert cs(tmp_path, *args).returncode == 0
    assert versions() == before
