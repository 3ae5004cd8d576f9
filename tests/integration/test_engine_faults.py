"""An engine that fails during a deploy, and a failure that cannot heal, on the real engine (issue 16, items 5 and 9).

- A service whose task exits at once with a restart policy that allows no more attempts fails the
  deploy at once (exit 3), with the last lines of the task's log (secrets masked).
- The engine away during the wait (the proxy's socket gone, as when dockerd restarts): the wait goes
  on and finishes; away past --timeout, the outcome is unknown (exit 1, one line) and a rerun converges.
- A read the engine fails once (500, a dropped connection) is tried again; a write never is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.integration.conftest import REPO_ROOT, Docker
from tests.support.fault_proxy import FaultProxy

COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
FATAL = "FATAL: config missing DB_URL"
SECRET = "hunter22-not-for-logs"

NEW_USER = """\
version: "3.8"
services:
  app:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "echo starting with $$(cat /run/secrets/pw) >&2; echo '%s' >&2; exit 3"]  # one stream: in order
    secrets: [pw]
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 1}
secrets:
  pw: {file: ./pw.txt}
""" % FATAL

# Healthy (running, for swarm) some 8 s after it starts: time for the engine to go away and come back.
SLOW_START = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "sleep 8; touch /tmp/ready; exec sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, timeout: 1s, retries: 60}
"""

PLAIN = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
"""


def cs(*args: str, cwd: Path, host: str | None = None, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    """Run composeswarm in `cwd`, through the proxy when `host` is given."""
    env = {**os.environ, "DOCKER_HOST": host} if host else None
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def files(folder: Path, stack_file: str) -> Path:
    (folder / "stack.yml").write_text(stack_file)
    (folder / "pw.txt").write_text(SECRET + "\n")
    return folder


def said(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"


# --- item 9: a failure that cannot heal fails at once, and shows why ---------------------------------


@pytest.mark.parametrize(
    ("extra", "logs"),
    [
        pytest.param([], 20, id="text: the last lines of the task's log"),
        pytest.param(["--failure-logs", "0"], 0, id="--failure-logs 0: none"),
        pytest.param(["-o", "json"], 20, id="json: the lines in failure_logs"),
    ],
)
def test_a_new_service_that_exits_at_once_fails_at_once_and_shows_why(
    stack_name: str, tmp_path: Path, extra: list[str], logs: int
) -> None:
    files(tmp_path, NEW_USER)
    started = time.monotonic()
    proc = cs("deploy", "--resolve-image", "never", "--timeout", "60", *extra, "-f", "stack.yml", stack_name, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, said(proc)
    # two tasks (the first and its one restart, 5 s later) fail within some 10 s: not the 60 s of --timeout
    assert elapsed < 40, f"took {elapsed:.1f} s\n{said(proc)}"
    reason = (f'{stack_name}_app: task {stack_name}_app.1 failed 2 times, the last one with "task: non-zero exit (3)", '
              "and swarm starts no other (restart max_attempts 1)")
    assert f"error: rollout failed: {reason}\n" in proc.stderr, said(proc)
    assert SECRET not in proc.stdout + proc.stderr, said(proc)
    if "json" in extra:
        doc = json.loads(proc.stdout)
        assert doc["error"] == f"rollout failed: {reason}"
        assert doc["failure_logs"] == {f"{stack_name}_app": ["starting with (sensitive)", FATAL]}, doc
    elif logs:
        assert f"  | {FATAL}\n" in proc.stderr, said(proc)
        assert "  | starting with (sensitive)\n" in proc.stderr, said(proc)
        assert f"{stack_name}_app: the last 2 lines of the log of task {stack_name}_app.1 (" in proc.stderr
    else:
        assert FATAL not in proc.stderr and "of the log of task" not in proc.stderr, said(proc)


# --- item 5: the engine away during the wait -----------------------------------------------------------


def away_during_the_wait(proxy: FaultProxy, seconds: float | None) -> threading.Thread:
    """Once the wait has begun (its first task list), take the proxy's socket away for `seconds` (None: for good)."""

    def run() -> None:
        deadline = time.monotonic() + 60
        while not proxy.calls_of("GET", r"^/tasks$") and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.stop()  # the socket is gone and every open connection closed: dockerd stopping
        if seconds is not None:
            time.sleep(seconds)
            proxy.start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_wait_goes_on_while_the_engine_is_away(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path) -> None:
    files(tmp_path, SLOW_START)
    outage = away_during_the_wait(fault_proxy, 4.0)
    proc = cs("deploy", "--resolve-image", "never", "--timeout", "60", "-f", "stack.yml", stack_name, cwd=tmp_path,
              host=fault_proxy.docker_host)
    outage.join(timeout=10)
    assert proc.returncode == 0, said(proc)
    # the first read to find the socket gone is any of the poll's (services, tasks, nodes)
    lost = re.search(r"engine: list (services|tasks|nodes): cannot reach the Docker engine at (\S+) "
                     r"\(from DOCKER_HOST\): no such socket; waiting until it answers again\n", proc.stderr)
    assert lost is not None and lost.group(2) == fault_proxy.docker_host, said(proc)
    assert "engine: answers again after " in proc.stderr, said(proc)
    assert f"{stack_name}_web: converged (1/1 running)" in proc.stderr, said(proc)


def test_away_past_the_timeout_the_outcome_is_unknown_and_a_rerun_converges(
    fault_proxy: FaultProxy, stack_name: str, tmp_path: Path, docker: Docker
) -> None:
    files(tmp_path, SLOW_START)
    outage = away_during_the_wait(fault_proxy, None)
    started = time.monotonic()
    proc = cs("deploy", "--resolve-image", "never", "--timeout", "5", "-f", "stack.yml", stack_name, cwd=tmp_path,
              host=fault_proxy.docker_host)
    elapsed = time.monotonic() - started
    outage.join(timeout=10)
    assert proc.returncode == 1, said(proc)
    assert elapsed < 30, f"took {elapsed:.1f} s\n{said(proc)}"
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, said(proc)
    assert errors[0].startswith(
        "error: the outcome of the rollout is unknown after 5 s (list services: cannot reach the Docker engine at "
        f"{fault_proxy.docker_host} (from DOCKER_HOST): no such socket, for the last "
    ), said(proc)
    assert errors[0].endswith(" s); run the same command again to converge"), said(proc)
    assert "Traceback" not in proc.stderr and "FileNotFoundError" not in proc.stderr, said(proc)
    # the engine itself did the write: a rerun (straight to it) converges, and the plan is then empty
    rerun = cs("deploy", "--resolve-image", "never", "--timeout", "60", "-f", "stack.yml", stack_name, cwd=tmp_path)
    assert rerun.returncode == 0, said(rerun)
    assert f"Stack {stack_name} is up to date: nothing to change\n" in rerun.stdout, said(rerun)
    plan = cs("plan", "-f", "stack.yml", stack_name, cwd=tmp_path)
    assert plan.returncode == 0, said(plan)
    assert docker("service", "ls", "--filter", f"name={stack_name}_web", "--format", "{{.Name}}").stdout.split() == [
        f"{stack_name}_web"
    ]


# --- item 5: reads tried again, writes never ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fault"),
    [
        pytest.param(r"^/services$", {"status": 500}, id="list services answered 500 once"),
        pytest.param(r"^/networks$", {"drop": True}, id="list networks dropped once"),
        pytest.param(r"^/info$", {"status": 503}, id="info answered 503 once"),
    ],
)
def test_a_read_that_fails_once_is_tried_again(
    fault_proxy: FaultProxy, stack_name: str, tmp_path: Path, path: str, fault: dict[str, object]
) -> None:
    files(tmp_path, PLAIN)
    fault_proxy.fail("GET", path, **fault)  # type: ignore[arg-type]
    proc = cs("deploy", "--resolve-image", "never", "--detach", "-f", "stack.yml", stack_name, cwd=tmp_path,
              host=fault_proxy.docker_host)
    assert proc.returncode == 0, said(proc)
    tries = fault_proxy.calls_of("GET", path)
    assert [c.injected for c in tries[:2]] == ["drop" if fault.get("drop") else "fail", ""], [str(c) for c in tries]
    assert tries[1].status == 200


def test_a_write_that_fails_is_never_sent_again(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path) -> None:
    files(tmp_path, PLAIN)
    fault_proxy.fail("POST", r"^/services/create$", status=500)
    proc = cs("deploy", "--resolve-image", "never", "--detach", "-f", "stack.yml", stack_name, cwd=tmp_path,
              host=fault_proxy.docker_host)
    assert proc.returncode == 1, said(proc)
    assert [str(c) for c in fault_proxy.calls_of("POST", r"^/services/create$")] == ["POST /services/create 500"]
    assert f"error: create service {stack_name}_web: injected by the fault proxy\n" in proc.stderr, said(proc)


UPDATED = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: %s
    deploy:
      update_config: {parallelism: 1, monitor: 3s, failure_action: %s}
"""


@pytest.mark.parametrize(
    ("action", "verdict"),
    [pytest.param("rollback", "update rolled back", id="rolled back"), pytest.param("pause", "update paused", id="paused")],
)
def test_an_update_that_fails_shows_the_log_of_the_task_swarm_names(
    stack_name: str, tmp_path: Path, action: str, verdict: str
) -> None:
    files(tmp_path, UPDATED % ('["sleep", "100000"]', action))
    first = cs("deploy", "--resolve-image", "never", "--timeout", "60", "-f", "stack.yml", stack_name, cwd=tmp_path)
    assert first.returncode == 0, said(first)
    files(tmp_path, UPDATED % ("[\"sh\", \"-c\", \"echo 'boom: bad config'; sleep 1; exit 1\"]", action))
    proc = cs("deploy", "--resolve-image", "never", "--timeout", "60", "-f", "stack.yml", stack_name, cwd=tmp_path)
    assert proc.returncode == 3, said(proc)
    web = f"{stack_name}_web"
    assert proc.stderr.splitlines()[-1].startswith(f"error: rollout failed: {web}: {verdict}"), said(proc)
    shown = re.search(rf"^\S+ {web}: the last line of the log of task {web}\.1 \((\w+)\):$", proc.stderr, re.MULTILINE)
    failed = re.findall(rf"^\S+ {web}: task {web}\.1 \((\w+)\) on \S+ failed: ", proc.stderr, re.MULTILINE)
    assert shown is not None and shown.group(1) in failed, said(proc)
    # the task swarm's message names (when the watch saw it), else the last that failed
    named = re.search(r" of task (\w+)", proc.stderr.splitlines()[-1])
    assert shown.group(1) == (named.group(1) if named else failed[-1]), said(proc)
    assert "  | boom: bad config\n" in proc.stderr, said(proc)
