"""The engine calls composeswarm makes, counted by the fault proxy: while waiting, at most 5 a second
whatever the number of services (issue 14); while creating, at most --parallel writes in flight."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import REPO_ROOT
from tests.support.fault_proxy import Call, FaultProxy, most_in_flight

COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
# issue 14's bound on the calls a second while waiting, whatever N
WAIT_CALLS_PER_SECOND = 5.0


def stack_file(count: int, slow: bool) -> str:
    """COUNT busybox services; with `slow`, the first is healthy (running) only after 6 s: a long enough wait."""
    lines = ['version: "3.8"', "services:"]
    for i in range(count):
        lines += [f"  s{i:03d}:", "    image: local/busybox:1", "    init: true", "    stop_grace_period: 1s",
                  "    deploy: {endpoint_mode: dnsrr}"]
        if slow and i == 0:
            lines += ['    command: ["sh", "-c", "sleep 6; touch /tmp/ready; exec sleep 3600"]',
                      '    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, timeout: 1s, retries: 30}']
        else:
            lines += ['    command: ["sleep", "3600"]']
    return "\n".join(lines) + "\n"


def deploy(proxy: FaultProxy, stack: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": proxy.docker_host}
    proc = subprocess.run([COMPOSESWARM, "deploy", "--resolve-image", "never", "--history-limit", "1", *args,
                           "-f", "stack.yml", stack], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    assert proc.returncode == 0, f"deploy exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    return proc


def is_refresh(call: Call) -> bool:
    return call.method == "POST" and call.path.startswith("/configs/") and call.path.endswith("/update")


def waiting_calls(calls: list[Call]) -> list[Call]:
    """The reads between the last service creation and the next write (the revision, the lock's release)."""
    last_create = max(i for i, c in enumerate(calls) if c.method == "POST" and c.path == "/services/create")
    after = calls[last_create + 1:]
    # the deploy lock's refresh (a label update of its config every 10 s) goes on during the wait
    end = next((i for i, c in enumerate(after) if c.write and not is_refresh(c)), len(after))
    return [c for c in after[:end] if c.method == "GET"]


@pytest.mark.slow
@pytest.mark.parametrize("count", [pytest.param(2, id="2 services"), pytest.param(30, id="30 services")])
def test_waiting_makes_at_most_5_calls_a_second(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path,
                                                count: int) -> None:
    (tmp_path / "stack.yml").write_text(stack_file(count, slow=True))
    deploy(fault_proxy, stack_name, tmp_path)
    waiting = waiting_calls(fault_proxy.calls)
    # the rate over whole polls: the calls sent before the last poll (its list of services) began
    last_poll = max(i for i, c in enumerate(waiting) if c.path == "/services")
    seconds = waiting[last_poll].sent - waiting[0].sent
    assert seconds > 5, f"the wait took {seconds:.1f} s: too short to measure a rate"  # the slow service's 6 s
    rate = last_poll / seconds
    assert rate <= WAIT_CALLS_PER_SECOND, f"{last_poll} calls in {seconds:.1f} s while waiting: {rate:.1f}/s"
    # what the watcher reads while it polls, and nothing per service (after its last poll, recording the
    # revision reads the stack's secrets, configs and networks)
    assert {c.path for c in waiting[:last_poll + 1]} <= {"/services", "/tasks", "/nodes"}


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [1, 3])
def test_parallel_bounds_the_writes_in_flight(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path,
                                              parallel: int) -> None:
    (tmp_path / "stack.yml").write_text(stack_file(8, slow=False))
    # each creation held 0.3 s: calls made at once overlap for sure
    fault_proxy.delay(0.3, "POST", r"^/services/create$")
    deploy(fault_proxy, stack_name, tmp_path, "--detach", "--parallel", str(parallel))
    creates = fault_proxy.calls_of("POST", r"^/services/create$")
    assert len(creates) == 8
    assert most_in_flight(creates) == parallel
    assert most_in_flight(fault_proxy.writes()) == parallel  # nothing else written alongside
