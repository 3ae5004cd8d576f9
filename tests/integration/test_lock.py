"""The deploy lock on the real engine: racing deploys take turns, a held lock fails --lock-timeout 0 at
once naming its holder, a stale one is taken over, `unlock` removes one, `docker stack ls` never sees it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.integration.conftest import Docker
from tests.integration.test_ops import REPO_ROOT, cs

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    environment:
      RUN: "{run}"
"""
LABEL = "io.composeswarm.lock."


def _stamp(ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hand_lock(docker: Docker, stack: str, refreshed_ago: float) -> None:
    """A lock config made by hand, held by `ci-other` (pid 77), last refreshed `refreshed_ago` seconds ago."""
    labels = {"host": "ci-other", "pid": "77", "user": "ci", "started": "2026-01-01T00:00:00Z",
              "refreshed": _stamp(refreshed_ago)}
    args = [a for k, v in labels.items() for a in ("--label", f"{LABEL}{k}={v}")]
    docker("config", "create", *args, f"{stack}_composeswarm-lock", "-", input="held by hand\n")


def _locks(docker: Docker, stack: str) -> list[str]:
    names = docker("config", "ls", "--format", "{{.Name}}").stdout.split()
    return [n for n in names if n == f"{stack}_composeswarm-lock"]


def test_racing_deploys_take_turns(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    since = docker("system", "info", "--format", "{{json .SystemTime}}").stdout.strip().strip('"')
    procs = []
    for run in ("a", "b"):
        file = tmp_path / f"{run}.yml"
        file.write_text(STACK.format(run=run))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "composeswarm", "deploy", "-c", str(file), "--resolve-image", "never",
             "--timeout", "40", stack_name], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    outs = [p.communicate(timeout=90) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    waited = [err for _, err in outs if f"waiting for the deploy lock of {stack_name} held by " in err]
    assert len(waited) == 1, outs
    assert " (pid " in waited[0] and " since " in waited[0]
    # the engine's events: every service write falls inside one lock window, and the windows never overlap
    until = docker("system", "info", "--format", "{{json .SystemTime}}").stdout.strip().strip('"')
    lines = docker("events", "--since", since, "--until", until, "--format", "{{json .}}").stdout.splitlines()
    events = [json.loads(line) for line in lines]
    seen = []
    for ev in sorted(events, key=lambda e: e["timeNano"]):
        name = (ev.get("Actor") or {}).get("Attributes", {}).get("name", "")
        if ev.get("Type") == "config" and name == f"{stack_name}_composeswarm-lock" and ev["Action"] in ("create", "remove"):
            seen.append(ev["Action"])
        elif ev.get("Type") == "service" and name.startswith(f"{stack_name}_") and ev["Action"] in ("create", "update", "remove"):
            seen.append("write")
    windows = "".join({"create": "(", "remove": ")", "write": "w"}[s] for s in seen)
    assert windows.replace("w", "") == "()()", windows
    depth = 0
    for c in windows:
        depth += {"(": 1, ")": -1, "w": 0}[c]
        assert c != "w" or depth == 1, windows
    assert _locks(docker, stack_name) == []
    env = docker("service", "inspect", f"{stack_name}_web", "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Env}}")
    assert json.loads(env.stdout) in (["RUN=a"], ["RUN=b"])


def test_a_held_lock_plan_unlock_and_stack_ls(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    file = tmp_path / "stack.yml"
    file.write_text(STACK.format(run="a"))
    assert cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", stack_name).returncode == 0
    def own(listing: str) -> list[str]:  # this stack's row (others' stacks may come and go meanwhile)
        return [line for line in listing.splitlines() if line.split()[:1] == [stack_name]]

    before = own(docker("stack", "ls").stdout)
    ls_before = own(cs("ls").stdout)
    assert before and ls_before
    _hand_lock(docker, stack_name, refreshed_ago=0)
    assert (own(docker("stack", "ls").stdout), own(cs("ls").stdout)) == (before, ls_before)

    file.write_text(STACK.format(run="b"))
    started = time.monotonic()
    proc = cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", "--lock-timeout", "0", stack_name)
    assert time.monotonic() - started < 15
    assert (proc.returncode, proc.stderr) == (1, (
        f"error: the deploy lock of {stack_name} is held by ci-other (pid 77) since 2026-01-01T00:00:00Z (user ci); "
        f'if that run is gone, "composeswarm unlock {stack_name}" removes the lock\n'
    ))
    env = docker("service", "inspect", f"{stack_name}_web", "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Env}}")
    assert json.loads(env.stdout) == ["RUN=a"]  # nothing written

    plan = cs("plan", "-c", str(file), stack_name)
    assert plan.returncode == 2
    assert f"note: the deploy lock of {stack_name} is held by ci-other (pid 77) since 2026-01-01T00:00:00Z" in plan.stderr
    assert "composeswarm-lock" not in plan.stdout  # never a stack config to prune

    proc = cs("unlock", stack_name)
    assert (proc.returncode, proc.stdout) == (
        0, f"removed the deploy lock of {stack_name} held by ci-other (pid 77) since 2026-01-01T00:00:00Z\n")
    assert _locks(docker, stack_name) == []
    proc = cs("unlock", stack_name)
    assert (proc.returncode, proc.stderr) == (1, f"error: no deploy lock of {stack_name} is held\n")


def test_a_stale_lock_is_taken_over(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    file = tmp_path / "stack.yml"
    file.write_text(STACK.format(run="a"))
    _hand_lock(docker, stack_name, refreshed_ago=120)
    proc = cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", "--lock-timeout", "0", stack_name)
    assert proc.returncode == 0, proc.stderr
    assert (
        f"warning: taking over the deploy lock of {stack_name} held by ci-other (pid 77) since 2026-01-01T00:00:00Z: "
        "not refreshed since "
    ) in proc.stderr
    assert _locks(docker, stack_name) == []
    rm = cs("rm", stack_name)
    assert rm.returncode == 0, rm.stderr
    assert _locks(docker, stack_name) == []
