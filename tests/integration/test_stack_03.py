"""The walkthrough of examples/stack_03, for real: registry up, revisions pushed, 4 tasks, rolling update."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.conftest import Docker, _free_port, docker

pytestmark = [pytest.mark.engine, pytest.mark.slow]
REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "stack_03"
# Generous: a first deploy can stall 30 s in libnetwork (moby#47396), and tasks started before the
# push are retried only after the 5 s restart delay.
CONVERGE_TIMEOUT = 120.0


def _deploy(stack: str, env: dict[str, str]) -> None:
    """Deploy the example with docker stack deploy (the parity reference)."""
    docker("stack", "deploy", "--compose-file", str(EXAMPLE / "docker-stack.yml"), stack, env=env)


def _push_revisions(env: dict[str, str], *args: str) -> None:
    """Run the example's push-revisions.sh."""
    proc = subprocess.run([str(EXAMPLE / "push-revisions.sh"), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert proc.returncode == 0, proc.stderr


def _running(stack: str) -> list[str]:
    """The images of www01's tasks that are running and meant to run."""
    out = docker("service", "ps", f"{stack}_www01", "--filter", "desired-state=running",
                 "--format", "{{.CurrentState}}|{{.Image}}").stdout
    return sorted(image for state, image in (line.split("|") for line in out.splitlines()) if state.startswith("Running"))


def _wait(what: str, check: Callable[[], bool]) -> None:
    """Poll CHECK until it is true or CONVERGE_TIMEOUT passes."""
    deadline = time.monotonic() + CONVERGE_TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {CONVERGE_TIMEOUT:.0f} s waiting for {what}")
        time.sleep(0.5)


def _page(stack: str) -> str:
    """The last line of www01's page, fetched with nc from a container on the stack's network."""
    out = docker("run", "--rm", "--network", f"{stack}_default", "local/busybox:1", "sh", "-c",
                 "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 www01 80").stdout
    return out.splitlines()[-1]


@pytest.fixture
def registry_port() -> Iterator[int]:
    """A free host port for the example's registry; the local tags pushed to it are dropped afterwards."""
    port = _free_port()
    yield port
    for rev in (1, 2, 3):
        docker("rmi", f"127.0.0.1:{port}/apacz:{rev}", check=False)


# composeswarm deploy on this example, with its waiting and reports, is tested in test_rollout.py
# (test_stack_03_rolling_update); the README's first command runs it in test_infra.py (selftest).
def test_walkthrough_with_docker_stack_deploy(docker: Docker, stack_name: str, registry_port: int) -> None:
    env = {"REGISTRY_PORT": str(registry_port), "REV": "1"}
    repo = f"127.0.0.1:{registry_port}/apacz"

    _push_revisions(env, "--build-only")
    _deploy(stack_name, env)
    _push_revisions(env)
    _wait("4 tasks of revision 1", lambda: _running(stack_name) == [f"{repo}:1"] * 4)
    assert _page(stack_name) == "<html><body><h1>apacz01</h1><p>revision 1</p></body></html>"

    _deploy(stack_name, {**env, "REV": "2"})
    service = f"{stack_name}_www01"

    def update_state() -> str:
        status = docker("service", "inspect", service, "--format", "{{json .UpdateStatus}}").stdout
        return str((json.loads(status) or {}).get("State"))

    _wait("the rolling update to complete", lambda: update_state() == "completed")
    assert _running(stack_name) == [f"{repo}:2"] * 4
    # The registry answered this time, so the deploy pinned the digest it pushed.
    image = docker("service", "inspect", service, "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}").stdout
    assert image.strip() == f"{repo}:2@{_digest(docker, f'{repo}:2')}"
    assert _page(stack_name) == "<html><body><h1>apacz02</h1><p>revision 2</p></body></html>"
    # One task at a time, 5 s apart (update_config parallelism 1, delay 5s).
    ids = docker("service", "ps", "-q", "--filter", "desired-state=running", service).stdout.split()
    created = sorted(
        datetime.fromisoformat(json.loads(stamp)[:26].rstrip("Z"))
        for stamp in docker("inspect", "--format", "{{json .CreatedAt}}", *ids).stdout.split()
    )
    gaps = [round((b - a).total_seconds(), 1) for a, b in zip(created, created[1:])]
    assert [gap >= 5.0 for gap in gaps] == [True, True, True], gaps


def _digest(docker: Docker, ref: str) -> str:
    """The sha256 digest the registry gave REF when it was pushed."""
    return docker("image", "inspect", ref, "--format", "{{index .RepoDigests 0}}").stdout.strip().split("@")[1]
