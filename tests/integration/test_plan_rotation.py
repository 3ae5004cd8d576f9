"""Secret and config rotation on the real engine: a changed file becomes a new version the service reads.

swarm refuses to change a secret's data ("only updates to Labels are allowed"), so composeswarm
creates `<stack>_<name>_<hash>`, moves the service to it with the same target (the container still
reads /run/secrets/<name>), then removes the old version.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import DOCKER_CLI, Docker

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK_FILE = """\
version: "3.8"
services:
  app:
    image: local/busybox:1
    command: ["sh", "-c", "cat /run/secrets/token /etc/app.conf; sleep 1000"]
    init: true
    stop_grace_period: 1s
    secrets: [token]
    configs:
      - source: conf
        target: /etc/app.conf
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./app.conf
"""


def cs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run composeswarm in `cwd`."""
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def plan_json(stack: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    """(exit code, plan) from `composeswarm plan -o json`."""
    proc = cs("plan", "-f", "stack.yml", "-o", "json", stack, cwd=cwd)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def deploy(stack: str, cwd: Path) -> None:
    """`composeswarm deploy`, waiting until the service converged."""
    proc = cs("deploy", "-f", "stack.yml", "--resolve-image", "never", "--timeout", "120", stack, cwd=cwd)
    assert proc.returncode == 0, f"deploy exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def read_in_task(docker: Docker, service: str, path: str) -> str:
    """`cat path` inside the service's running container (waits for the one the last update started)."""
    deadline = time.monotonic() + 60
    while True:
        ids = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}").stdout.split()
        if len(ids) == 1:
            proc = docker("exec", ids[0], "cat", path, check=False)
            if proc.returncode == 0:
                return proc.stdout
        if time.monotonic() > deadline:
            raise AssertionError(f"no single running container of {service} after 60 s: {ids}")
        time.sleep(0.5)


def names(docker: Docker, kind: str, stack: str) -> list[str]:
    """The stack's secrets or configs by name."""
    out = docker(kind, "ls", "--filter", f"label=com.docker.stack.namespace={stack}", "--format", "{{.Name}}").stdout
    return sorted(out.split())


def test_rotating_a_secret_and_a_config(stack_name: str, docker: Docker, tmp_path: Path) -> None:
    from composeswarm.plan.rotation import content_digest, versioned_name

    (tmp_path / "stack.yml").write_text(STACK_FILE)
    (tmp_path / "token.txt").write_text("token-v1\n")
    (tmp_path / "app.conf").write_text("conf-v1\n")
    deploy(stack_name, tmp_path)
    service = f"{stack_name}_app"
    assert read_in_task(docker, service, "/run/secrets/token") == "token-v1\n"
    assert names(docker, "secret", stack_name) == [f"{stack_name}_token"]  # a first deploy names it as docker does

    (tmp_path / "token.txt").write_text("token-v2\n")
    (tmp_path / "app.conf").write_text("conf-v2\n")
    new_secret = versioned_name(f"{stack_name}_token", content_digest(b"token-v2\n"))
    new_config = versioned_name(f"{stack_name}_conf", content_digest(b"conf-v2\n"))
    code, plan = plan_json(stack_name, tmp_path)
    assert (code, plan["changes"], plan["summary"]) == (
        2,
        [
            {
                "kind": "secret",
                "name": new_secret,
                "action": "replace",
                "fields": [
                    {"path": "name", "before": f"{stack_name}_token", "after": new_secret},
                    {"path": "content", "before": "(old content)", "after": "(new content)"},
                ],
            },
            {
                "kind": "config",
                "name": new_config,
                "action": "replace",
                "fields": [
                    {"path": "name", "before": f"{stack_name}_conf", "after": new_config},
                    {"path": "content", "before": "(old content)", "after": "(new content)"},
                ],
            },
            {
                "kind": "service",
                "name": service,
                "action": "update",
                "fields": [
                    {"path": "secrets[0].source", "before": f"{stack_name}_token", "after": new_secret},
                    {"path": "configs[0].source", "before": f"{stack_name}_conf", "after": new_config},
                ],
                "placement": {"nodes_matching": len(docker("node", "ls", "-q").stdout.split()), "replicas": 1,
                              "placeable": 1, "reasons": []},
            },
        ],
        {"create": 0, "update": 1, "replace": 2, "remove": 0, "unchanged": 1},
    )
    assert "token-v" not in json.dumps(plan)

    deploy(stack_name, tmp_path)
    assert read_in_task(docker, service, "/run/secrets/token") == "token-v2\n"
    assert read_in_task(docker, service, "/etc/app.conf") == "conf-v2\n"
    # the old versions stay while revision 1 (which uses them) is kept in the history (--history-limit)
    assert (names(docker, "secret", stack_name), names(docker, "config", stack_name)) == (
        sorted([f"{stack_name}_token", new_secret]), sorted([f"{stack_name}_conf", new_config]))
    assert plan_json(stack_name, tmp_path)[0] == 0  # the rotated names are now the current ones


@pytest.mark.skipif(not os.access(DOCKER_CLI, os.X_OK), reason="docker CLI 28.2 not found")
def test_docker_made_secret_is_taken_as_unchanged(stack_name: str, docker: Docker, tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(STACK_FILE)
    (tmp_path / "token.txt").write_text("token-v1\n")
    (tmp_path / "app.conf").write_text("conf-v1\n")
    docker("stack", "deploy", "--resolve-image", "never", "--detach=true", "-c", str(tmp_path / "stack.yml"), stack_name)
    (tmp_path / "token.txt").write_text("token-v2\n")
    proc = cs("plan", "-f", "stack.yml", stack_name, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0,
        f"No changes: stack {stack_name} is as the files describe it.\n"
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to remove, 4 unchanged.\n",
        f"note: secret {stack_name}_token has no content digest (not created by composeswarm): "
        "the engine never returns secret data, so it is taken as unchanged\n",
    )
