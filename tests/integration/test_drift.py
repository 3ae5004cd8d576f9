"""Drift on the real engine: a `docker service update` after a deploy shows in `plan` as changed outside
composeswarm, with the value the last revision deployed; `plan --drift-only` shows just that (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import Docker
from tests.integration.test_ops import cs

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    environment:
      RUN: "{run}"
    deploy:
      replicas: 1
"""


def test_a_docker_service_update_in_between_shows_as_drift(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    file = tmp_path / "compose.yml"
    file.write_text(STACK.format(run="one"))
    assert cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", stack_name).returncode == 0
    assert cs("plan", "-f", str(file), "--drift-only", stack_name).returncode == 0  # no drift yet

    docker("service", "update", "--detach", "--replicas", "3", f"{stack_name}_web")
    file.write_text(STACK.format(run="two"))  # a change in the files is no drift
    proc = cs("plan", "-f", str(file), stack_name)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout.splitlines()[1:4] == [
        f"    ~ service {stack_name}_web",
        "      environment.RUN: one -> two",
        "      deploy.replicas: 3 -> 1 (changed outside composeswarm: was 1 at revision 1)",
    ]
    drift = cs("plan", "-f", str(file), "--drift-only", "-o", "json", stack_name)
    assert drift.returncode == 2
    [change] = json.loads(drift.stdout)["changes"]
    change.pop("placement")  # the service's placement verdict (docs/plan-json.md), not drift's business
    assert change == {
        "kind": "service", "name": f"{stack_name}_web", "action": "update",
        "fields": [{"path": "deploy.replicas", "before": 3, "after": 1, "drift": True, "recorded": 1}],
    }
