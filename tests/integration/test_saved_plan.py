"""Saved plans on the real engine: `plan --out` then `deploy --plan` applies exactly that plan; a plan made
stale by `docker service scale` in between, or by an edited file, is refused (exit 1) and nothing is written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.integration.conftest import Docker, inspect
from tests.integration.test_ops import cs

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    secrets: [token]
    deploy:
      replicas: {replicas}
secrets:
  token:
    file: ./token.txt
"""


def _write(folder: Path, replicas: int) -> Path:
    (folder / "token.txt").write_text("very-secret-token\n")
    file = folder / "compose.yml"
    file.write_text(STACK.format(replicas=replicas))
    return file


def test_a_saved_plan_applies_and_a_stale_one_is_refused(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    file = _write(tmp_path, 1)
    assert cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", stack_name).returncode == 0
    file.write_text(STACK.format(replicas=2))
    saved, stale = tmp_path / "good.plan", tmp_path / "stale.plan"
    for out in (saved, stale):
        proc = cs("plan", "-f", str(file), "--out", str(out), stack_name)
        assert proc.returncode == 2, proc.stderr
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    text = saved.read_text()
    assert "very-secret-token" not in text
    assert json.loads(text)["plan"]["changes"][0]["fields"] == [{"path": "deploy.replicas", "before": 1, "after": 2}]

    applied = cs("deploy", "--plan", str(saved), "--detach", stack_name)
    assert applied.returncode == 0, applied.stderr
    assert inspect("service", f"{stack_name}_web")["Spec"]["Mode"]["Replicated"]["Replicas"] == 2

    docker("service", "scale", "--detach", f"{stack_name}_web=3")
    version = inspect("service", f"{stack_name}_web")["Version"]["Index"]
    refused = cs("deploy", "--plan", str(stale), "--detach", stack_name)
    assert refused.returncode == 1
    assert f"error: the saved plan {stale} is stale, nothing was applied: service {stack_name}_web changed since the plan (version " in refused.stderr
    assert inspect("service", f"{stack_name}_web")["Version"]["Index"] == version  # nothing written

    again = tmp_path / "again.plan"
    assert cs("plan", "-f", str(file), "--out", str(again), stack_name).returncode == 2
    (tmp_path / "token.txt").write_text("another token\n")
    edited = cs("deploy", "--plan", str(again), "--detach", stack_name)
    assert edited.returncode == 1
    assert f"the content of secret {stack_name}_token changed since the plan" in edited.stderr
