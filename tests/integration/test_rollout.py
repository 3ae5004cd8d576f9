"""Rollouts on the real engine: depends_on waves, one-shot services, --timeout, --detach, Ctrl-C, rollbacks.

Every test deploys a small stack of local/busybox services (init: true, so they stop at once) under
a random stack name with `composeswarm deploy`, and checks the exit code, the words it printed and,
for ordering, the engine's own timestamps.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from composeswarm.dockerrules.timestamps import parse_time
from tests.integration.conftest import _free_port, docker

pytestmark = pytest.mark.engine
REPO_ROOT = Path(__file__).resolve().parents[2]
# A first deploy can stall 30 s in libnetwork (moby#47396): waits that should succeed get this much.
TIMEOUT = "120"

HEADER = """version: "3.8"
x-svc: &svc
  image: local/busybox:1
  init: true
  command: ["sleep", "100000"]
services:
"""


@dataclass
class Run:
    """One composeswarm run: exit code, output, wall time."""

    code: int
    stdout: str
    stderr: str
    seconds: float


def composeswarm(*args: str, env: dict[str, str] | None = None, timeout: float = 300, stdin: str | None = None) -> Run:
    """Run `python -m composeswarm ARGS` (stdout and stderr are pipes: plain progress lines)."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "composeswarm", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=REPO_ROOT, input=stdin,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def deploy(stack: str, file: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    """`composeswarm deploy --resolve-image never -f FILE ARGS STACK`."""
    return composeswarm("deploy", "--resolve-image", "never", "-f", str(file), *args, stack, env=env)


def write(tmp_path: Path, services: str) -> Path:
    """A stack file: the header (an &svc anchor that sleeps) plus SERVICES (indented YAML)."""
    path = tmp_path / "stack.yml"
    path.write_text(HEADER + services)
    return path


def inspect(kind: str, *names: str) -> list[Any]:
    """`docker inspect --type KIND NAMES` as JSON."""
    return list(json.loads(docker("inspect", "--type", kind, *names).stdout))


def created(service: str) -> datetime:
    """When the engine created SERVICE."""
    stamp = parse_time(inspect("service", service)[0]["CreatedAt"])
    assert stamp is not None
    return stamp


def tasks(service: str) -> list[dict[str, Any]]:
    """Every task of SERVICE, with its status (as `docker inspect` of each task shows it)."""
    ids = docker("service", "ps", "-q", "--no-trunc", service).stdout.split()
    return inspect("task", *ids) if ids else []


def running_since(service: str) -> list[datetime]:
    """When each running task of SERVICE started running, earliest first."""
    out = []
    for task in tasks(service):
        if task["Status"]["State"] == "running" and task["DesiredState"] == "running":
            stamp = parse_time(task["Status"]["Timestamp"])
            assert stamp is not None
            out.append(stamp)
    return sorted(out)


def engine_nodes() -> int:
    """How many nodes the swarm has (the scheduler's messages count them)."""
    return len(docker("node", "ls", "-q").stdout.split())


def test_chain_is_created_wave_by_wave(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  c: {<<: *svc, depends_on: {b: {condition: service_started}}}
  b: {<<: *svc, depends_on: [a]}
  a: {<<: *svc}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert run.code == 0, run.stderr
    a, b, c = (f"{stack_name}_{s}" for s in "abc")
    # each service was created only after its dependency's task was running
    assert running_since(a)[0] < created(b)
    assert running_since(b)[0] < created(c)
    assert [line.split()[:3] for line in run.stderr.splitlines()[-4:]] == [
        ["rollout:", "3", "converged"], [a, "converged", "1/1"], [b, "converged", "1/1"], [c, "converged", "1/1"],
    ]


def test_docker_lines_come_as_the_calls_are_made(tmp_path: Path, stack_name: str) -> None:
    """stdout and stderr on one pipe: each `Creating service` line comes before its wave's progress."""
    file = write(tmp_path, """
  b: {<<: *svc, depends_on: [a]}
  a: {<<: *svc}
""")
    proc = subprocess.run(
        [sys.executable, "-m", "composeswarm", "deploy", "--resolve-image", "never", "-f", str(file),
         "--timeout", TIMEOUT, stack_name],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout
    a, b = f"{stack_name}_a", f"{stack_name}_b"
    lines = proc.stdout.splitlines()

    def first(start: str) -> int:
        """Index of the first line that starts with START once a timestamp is taken off."""
        return next(i for i, line in enumerate(lines) if re.sub(r"^\d\d:\d\d:\d\d ", "", line).startswith(start))

    assert first(f"Creating network {stack_name}_default") < first(f"Creating service {a}") < first(f"{a}: 0/1")
    assert first(f"{a}: converged") < first(f"Creating service {b}") < first(f"{b}: ")
    assert lines[-1] == f"Stack {stack_name} deployed: 3 created, 0 updated, 0 replaced, 0 removed, 0 unchanged"


def test_json_is_one_document_with_the_outcomes(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web: {<<: *svc}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT, "--output", "json")
    assert run.code == 0, run.stderr
    doc = json.loads(run.stdout)
    web = inspect("service", f"{stack_name}_web")[0]["ID"]
    assert [(s["action"], s["name"]) for s in doc["applied"]] == [
        ("create", f"{stack_name}_default"), ("create", f"{stack_name}_web"),
    ]
    assert [{k: o[k] for k in ("service", "id", "outcome", "reason", "done", "desired")} for o in doc["rollout"]] == [
        {"service": f"{stack_name}_web", "id": web, "outcome": "converged", "reason": "1/1 running",
         "done": 1, "desired": 1},
    ]
    assert "error" not in doc


def test_chain_from_standard_input_knows_its_conditions(stack_name: str) -> None:
    """`-f -`: the files are read once, so the waves and conditions come from standard input too."""
    text = HEADER + """
  web:
    <<: *svc
    depends_on: {db: {condition: service_healthy}}
  db:
    <<: *svc
    command: ["sh", "-c", "sleep 2; touch /healthy; exec sleep 100000"]
    healthcheck: {test: ["CMD-SHELL", "test -f /healthy"], interval: 1s, retries: 30}
    depends_on: {init: {condition: service_completed_successfully}}
  init:
    <<: *svc
    command: ["sh", "-c", "sleep 1"]
    deploy: {restart_policy: {condition: on-failure}}
"""
    run = composeswarm("deploy", "--resolve-image", "never", "-f", "-", "--timeout", TIMEOUT, stack_name, stdin=text)
    assert run.code == 0, run.stderr
    init, db, web = (f"{stack_name}_{s}" for s in ("init", "db", "web"))
    done = parse_time(tasks(init)[0]["Status"]["Timestamp"])
    assert done is not None and done < created(db)
    assert running_since(db)[0] < created(web)
    # wave order (init, db, web), and init waited for as complete: its condition was known
    assert [line.split()[:4] for line in run.stderr.splitlines()[-3:]] == [
        [init, "converged", "1/1", "complete"], [db, "converged", "1/1", "running"], [web, "converged", "1/1", "running"],
    ]


def test_an_unchanged_dependency_is_waited_for(tmp_path: Path, stack_name: str) -> None:
    """A redeploy that changes only web still waits for the db it depends on, unchanged or not."""
    flag = tmp_path / "flag"
    flag.mkdir()
    (flag / "healthy").write_text("")
    body = """
  db:
    <<: *svc
    volumes: [{{type: bind, source: {flag}, target: /flag}}]
    # healthy while the file is there; a new task's failures do not count for a minute
    healthcheck: {{test: ["CMD-SHELL", "test -f /flag/healthy"], interval: 1s, retries: 1, start_period: 60s}}
  web:
    <<: *svc
    environment: {{REV: "{rev}"}}
    depends_on: {{db: {{condition: service_healthy}}}}
"""
    file = write(tmp_path, body.format(flag=flag, rev=1))
    assert deploy(stack_name, file, "--timeout", TIMEOUT).code == 0
    db, web = f"{stack_name}_db", f"{stack_name}_web"
    web_version = inspect("service", web)[0]["Version"]["Index"]

    # db goes unhealthy: swarm replaces its task, and the new one stays `starting`
    (flag / "healthy").unlink()
    deadline = time.monotonic() + 60
    while running_since(db):
        assert time.monotonic() < deadline, "db never went unhealthy"
        time.sleep(0.5)
    write(tmp_path, body.format(flag=flag, rev=2))
    blocked = deploy(stack_name, file, "--timeout", "8")
    assert (blocked.code, blocked.stdout) == (4, ""), blocked.stderr
    assert blocked.stderr.splitlines()[-1].startswith(f"error: timed out after 8 s waiting for {db} (0/1 running")
    assert inspect("service", web)[0]["Version"]["Index"] == web_version  # web was not touched

    (flag / "healthy").write_text("")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert run.code == 0, run.stderr
    web_id = inspect("service", web)[0]["ID"]
    assert run.stdout.splitlines()[0] == f"Updating service {web} (id: {web_id})"
    assert [line.split()[:3] for line in run.stderr.splitlines()[-3:]] == [
        ["rollout:", "2", "converged"], [db, "converged", "1/1"], [web, "converged", "1/1"],
    ]


def test_service_healthy_waits_for_the_healthcheck(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  db:
    <<: *svc
    command: ["sh", "-c", "sleep 3; touch /healthy; exec sleep 100000"]
    healthcheck: {test: ["CMD-SHELL", "test -f /healthy"], interval: 1s, retries: 30}
  web:
    <<: *svc
    depends_on: {db: {condition: service_healthy}}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert run.code == 0, run.stderr
    db = tasks(f"{stack_name}_db")[0]
    # the task went running when the check passed (at least 3 s after the container started)
    became_healthy, task_created = parse_time(db["Status"]["Timestamp"]), parse_time(db["CreatedAt"])
    assert became_healthy is not None and task_created is not None
    assert (became_healthy - task_created).total_seconds() >= 3.0
    assert became_healthy < created(f"{stack_name}_web")
    assert "db: 0/1 running" in run.stderr


def test_a_wave_is_watched_at_once(tmp_path: Path, stack_name: str) -> None:
    """Four services that each take 4 s to become healthy, and a global one: about 4 s, not 16."""
    slow = """
  {name}:
    <<: *svc
    command: ["sh", "-c", "sleep 4; touch /healthy; exec sleep 100000"]
    healthcheck: {{test: ["CMD-SHELL", "test -f /healthy"], interval: 1s, retries: 30}}
"""
    file = write(tmp_path, "".join(slow.format(name=n) for n in ("s1", "s2", "s3", "s4")) + """
  g:
    <<: *svc
    deploy: {mode: global}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert run.code == 0, run.stderr
    nodes = engine_nodes()
    assert [line.split()[:3] for line in run.stderr.splitlines()[-6:]] == [
        ["rollout:", "5", "converged"],
        [f"{stack_name}_g", "converged", f"{nodes}/{nodes}"],
        *[[f"{stack_name}_s{i}", "converged", "1/1"] for i in range(1, 5)],
    ]
    waited = [float(line.rsplit("(", 1)[1].split()[0]) for line in run.stderr.splitlines()[-4:]]
    assert max(waited) < 12, run.stderr


def test_one_shot_services_complete_and_the_wait_ends(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  job:
    <<: *svc
    command: ["sh", "-c", "sleep 1"]
    deploy: {mode: replicated-job, replicas: 2}
  once:
    <<: *svc
    command: ["sh", "-c", "sleep 1"]
    deploy: {restart_policy: {condition: none}}
  web:
    <<: *svc
    depends_on: {once: {condition: service_completed_successfully}}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert run.code == 0, run.stderr
    report = [line.split()[:3] for line in run.stderr.splitlines()[-3:]]
    assert report == [
        [f"{stack_name}_job", "converged", "2/2"],
        [f"{stack_name}_once", "converged", "1/1"],
        [f"{stack_name}_web", "converged", "1/1"],
    ]
    once = tasks(f"{stack_name}_once")
    assert [t["Status"]["State"] for t in once] == ["complete"]
    # web waited for once to complete
    finished = parse_time(once[0]["Status"]["Timestamp"])
    assert finished is not None and finished < created(f"{stack_name}_web")


def never_placed(service: str) -> str:
    """The plan's warning about a service constrained to the label no node has."""
    return f"warning: {service}: 1 of 1 replicas cannot be placed: no node matches node.labels.composeswarm-never == true\n"


def test_timeout_exits_4_in_about_the_timeout(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web:
    <<: *svc
    deploy: {placement: {constraints: [node.labels.composeswarm-never == true]}}
""")
    run = deploy(stack_name, file, "--timeout", "6")
    nodes = engine_nodes()
    reason = (
        f"0/1 running; {stack_name}_web.1 pending: no suitable node "
        f"(scheduling constraints not satisfied on {nodes} node{'s' if nodes > 1 else ''})"
    )
    assert (run.code, run.stderr.splitlines()[-1]) == (
        4, f"error: timed out after 6 s waiting for {stack_name}_web ({reason})"
    )
    assert 6 <= run.seconds < 20
    assert f"  {stack_name}_web  timed out  {reason}" in run.stderr
    # the calls were made, and said so
    assert run.stdout == f"Creating network {stack_name}_default\nCreating service {stack_name}_web\n"


def test_json_on_timeout_lists_the_calls_and_the_outcomes(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web:
    <<: *svc
    deploy: {placement: {constraints: [node.labels.composeswarm-never == true]}}
""")
    run = deploy(stack_name, file, "--timeout", "3", "--output", "json")
    web = f"{stack_name}_web"
    doc = json.loads(run.stdout)
    assert (run.code, [(s["action"], s["name"]) for s in doc["applied"]]) == (
        4, [("create", f"{stack_name}_default"), ("create", web)]
    )
    assert [(o["service"], o["outcome"], o["done"], o["desired"]) for o in doc["rollout"]] == [(web, "timed_out", 0, 1)]
    assert doc["error"].startswith(f"timed out after 3 s waiting for {web} (0/1 running; ")
    assert run.stderr.splitlines()[-1] == "error: " + doc["error"]


def test_detach_returns_at_once(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web:
    <<: *svc
    deploy: {placement: {constraints: [node.labels.composeswarm-never == true]}}
""")
    run = deploy(stack_name, file, "--detach", "--timeout", "60")
    assert (run.code, run.stderr) == (0, never_placed(f"{stack_name}_web"))
    assert run.seconds < 10
    assert inspect("service", f"{stack_name}_web")[0]["Spec"]["Name"] == f"{stack_name}_web"


def test_detach_waits_for_nothing_but_creates_wave_by_wave(tmp_path: Path, stack_name: str) -> None:
    """db never gets a node; --detach neither waits for it nor fails, and still creates web after it."""
    file = write(tmp_path, """
  db:
    <<: *svc
    deploy: {placement: {constraints: [node.labels.composeswarm-never == true]}}
  web:
    <<: *svc
    depends_on: {db: {condition: service_healthy}}
""")
    run = deploy(stack_name, file, "--detach", "--timeout", "60")
    db, web = f"{stack_name}_db", f"{stack_name}_web"
    assert (run.code, run.stdout, run.stderr) == (0, (
        f"Creating network {stack_name}_default\nCreating service {db}\nCreating service {web}\n"
        f"Stack {stack_name} deployed: 3 created, 0 updated, 0 replaced, 0 removed, 0 unchanged\n"
    ), never_placed(db))
    assert run.seconds < 10
    assert running_since(db) == []
    assert created(db) < created(web)


def test_ctrl_c_leaves_the_swarm_as_it_is(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web:
    <<: *svc
    deploy: {placement: {constraints: [node.labels.composeswarm-never == true]}}
""")
    proc = subprocess.Popen(
        [sys.executable, "-m", "composeswarm", "deploy", "--resolve-image", "never", "-f", str(file), stack_name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT,
    )
    deadline = time.monotonic() + 60
    while not docker("service", "ls", "-q", "--filter", f"name={stack_name}_web").stdout.strip():
        assert time.monotonic() < deadline, "the service was never created"
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert stderr.splitlines()[-1] == "error: interrupted: the swarm is left as it is; rerun the command to converge"
    assert f"  {stack_name}_web  interrupted  left as it is: 0/1 running" in stderr
    # nothing was removed or rolled back
    assert inspect("service", f"{stack_name}_web")[0]["Spec"]["Name"] == f"{stack_name}_web"


def test_crash_looping_service_fails_with_its_task_error(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, """
  web:
    <<: *svc
    command: ["sh", "-c", "exit 7"]
    deploy: {restart_policy: {delay: 1s}}
""")
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    web = f"{stack_name}_web"
    assert run.stdout == f"Creating network {stack_name}_default\nCreating service {web}\n"
    assert (run.code, run.stderr.splitlines()[-1]) == (
        3, f'error: rollout failed: {web}: tasks keep failing: 3 tasks of the current version failed, '
           'the last one with "task: non-zero exit (7)"'
    )
    # each failed task is printed as `docker service ps --no-trunc` shows its error (swarm goes on
    # restarting after the deploy gave up, so there may be more failed tasks than lines)
    ps = docker("service", "ps", "--no-trunc", "--format", "{{.ID}} {{.Node}} {{.Error}}", web).stdout.splitlines()
    shown = {ident: (node, error) for ident, node, error in (line.split(" ", 2) for line in ps) if error}
    line = rf"^\d\d:\d\d:\d\d {web}: task {web}\.1 \((\w+)\) on (\S+) failed: (.*)$"
    printed = re.findall(line, run.stderr, re.MULTILINE)
    assert len(printed) == 3, run.stderr
    assert [(node, error) for _, node, error in printed] == [shown[ident] for ident, _, _ in printed]


def test_failed_update_is_rolled_back_and_exits_3(tmp_path: Path, stack_name: str) -> None:
    good = """
  web:
    <<: *svc
    command: {command}
    deploy:
      replicas: 2
      update_config: {{parallelism: 1, delay: 1s, monitor: 3s, failure_action: rollback}}
      rollback_config: {{parallelism: 2, monitor: 1s}}
"""
    file = write(tmp_path, good.format(command='["sleep", "100000"]'))
    first = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert first.code == 0, first.stderr
    web = f"{stack_name}_web"
    before = inspect("service", web)[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"]

    write(tmp_path, good.format(command='["sh", "-c", "sleep 1; exit 1"]'))
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    service = inspect("service", web)[0]
    assert service["UpdateStatus"]["State"] == "rollback_completed"
    assert service["Spec"]["TaskTemplate"]["ContainerSpec"]["Args"] == before
    # the reason names the task whose failure made swarm roll back, with its error
    last = run.stderr.splitlines()[-1]
    assert run.code == 3, run.stderr
    assert re.fullmatch(
        rf'error: rollout failed: {web}: update rolled back due to failure or early termination of task '
        rf'(\w+) \({web}\.[12] failed: "task: non-zero exit \(1\)"\)',
        last,
    ), last
    assert f"  {web}  rolled back  update rolled back due to failure" in run.stderr
    assert re.search(rf'{web}: task {web}\.[12] \(\w+\) on \S+ failed: "task: non-zero exit \(1\)"', run.stderr)



def test_paused_update_exits_3(tmp_path: Path, stack_name: str) -> None:
    body = """
  web:
    <<: *svc
    command: {command}
    deploy:
      update_config: {{monitor: 3s, failure_action: pause}}
"""
    file = write(tmp_path, body.format(command='["sleep", "100000"]'))
    first = deploy(stack_name, file, "--timeout", TIMEOUT)
    assert first.code == 0, first.stderr
    write(tmp_path, body.format(command='["sh", "-c", "sleep 1; exit 1"]'))
    run = deploy(stack_name, file, "--timeout", TIMEOUT)
    web = f"{stack_name}_web"
    status = inspect("service", web)[0]["UpdateStatus"]
    assert status["State"] == "paused"
    last = run.stderr.splitlines()[-1]
    assert run.code == 3, run.stderr
    assert re.fullmatch(
        rf'error: rollout failed: {web}: update paused: {re.escape(status["Message"])} '
        rf'\({web}\.1 failed: "task: non-zero exit \(1\)"\)',
        last,
    ), last
    assert f"  {web}  paused  update paused: " in run.stderr

# --- the seed: examples/stack_03, revision 1 then revision 2 from the stack's own registry ----------

EXAMPLE = REPO_ROOT / "examples" / "stack_03"


@pytest.fixture
def registry_port() -> Iterator[int]:
    """A free host port for the example's registry; the local tags pushed to it are dropped afterwards."""
    port = _free_port()
    yield port
    for rev in (1, 2, 3):
        docker("rmi", f"127.0.0.1:{port}/apacz:{rev}", check=False)


def www01_running(stack: str) -> list[dict[str, Any]]:
    """www01's tasks that run and are meant to."""
    return [t for t in tasks(f"{stack}_www01") if (t["DesiredState"], t["Status"]["State"]) == ("running", "running")]


def push_revisions(env: dict[str, str], *args: str) -> None:
    """examples/stack_03/push-revisions.sh ARGS (builds the revisions; pushes them unless --build-only)."""
    push = subprocess.run([str(EXAMPLE / "push-revisions.sh"), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert push.returncode == 0, push.stderr


@pytest.mark.slow
def test_stack_03_rolling_update(stack_name: str, registry_port: int) -> None:
    file = EXAMPLE / "docker-stack.yml"
    env = {"REGISTRY_PORT": str(registry_port), "REV": "1"}
    repo = f"127.0.0.1:{registry_port}/apacz"
    registry, www01 = f"{stack_name}_registry", f"{stack_name}_www01"

    # Revision 1. The registry is empty until it runs and the revisions are pushed: the revisions are
    # built first, so www01's first tasks start from the local images (the engine prefers them), and
    # the first deploy waits for `registry` before creating www01, then for www01.
    push_revisions(env, "--build-only")
    first = composeswarm("deploy", "--timeout", TIMEOUT, "-f", str(file), stack_name, env=env)
    assert first.code == 0, first.stderr
    assert running_since(registry)[0] < created(www01)
    push_revisions(env)
    deadline = time.monotonic() + 120
    while sorted(t["Spec"]["ContainerSpec"]["Image"] for t in www01_running(stack_name)) != [f"{repo}:1"] * 4:
        assert time.monotonic() < deadline, "www01 never ran 4 tasks of revision 1"
        time.sleep(0.5)

    # Revision 2, waited for: the update goes one task at a time, 5 s apart, and the deploy returns
    # only when all four tasks run revision 2.
    second = composeswarm("deploy", "--timeout", TIMEOUT, "-f", str(file), stack_name, env={**env, "REV": "2"})
    returned = datetime.now(timezone.utc)
    assert second.code == 0, second.stderr
    service = inspect("service", www01)[0]
    assert service["UpdateStatus"]["State"] == "completed"
    digest = docker("image", "inspect", f"{repo}:2", "--format", "{{index .RepoDigests 0}}").stdout.strip()
    running = www01_running(stack_name)
    assert [t["Spec"]["ContainerSpec"]["Image"] for t in running] == [f"{repo}:2@{digest.split('@')[1]}"] * 4
    started = sorted(_stamp(t["Status"]["Timestamp"]) for t in running)
    made = sorted(_stamp(t["CreatedAt"]) for t in running)
    # one at a time: each new task is created 5 s (update_config delay) after the previous one ran
    gaps = [round((made[i + 1] - started[i]).total_seconds(), 1) for i in range(3)]
    assert all(gap >= 5.0 for gap in gaps), gaps
    assert started[-1] < returned
    lines = second.stderr.splitlines()
    # registry is unchanged, and waited for all the same before www01 (the engine's digest warnings come after)
    report = lines.index("rollout: 2 converged")
    assert [line.split()[:3] for line in lines[report + 1 : report + 3]] == [
        [registry, "converged", "1/1"], [www01, "converged", "4/4"],
    ]


def _stamp(text: str) -> datetime:
    stamp = parse_time(text)
    assert stamp is not None
    return stamp
