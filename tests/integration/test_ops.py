"""ls, services, ps, logs and rm on a real swarm, on stacks deployed by docker 28.2 and by composeswarm.

Where docker has the same command, the text is compared with docker's own output, whole.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

import pytest

from tests.integration.conftest import LABEL_NAMESPACE, Docker, _free_port, random_name, remove_stack

REPO_ROOT = Path(__file__).resolve().parents[2]

LOOP = "sh -c 'while true; do echo {word} $$(hostname){redirect}; sleep 1; done'"

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: {web_cmd}
    deploy:
      replicas: 4
  db:
    image: local/busybox:1
    init: true
    command: {db_cmd}
    deploy:
      mode: global
    ports:
      - target: 80
        published: {port}
        mode: host
""".format(
    web_cmd=LOOP.format(word="hello", redirect=""), db_cmd=LOOP.format(word="db", redirect=" >&2"), port="{port}"
)

SMALL = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: {cmd}
""".format(cmd=LOOP.format(word="hello", redirect=""))

LATE = SMALL + """\
  late:
    image: local/busybox:1
    init: true
    command: {cmd}
""".format(cmd=LOOP.format(word="late", redirect=""))

FULL = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: {cmd}
    deploy:
      replicas: 2
    networks: [front, back]
    volumes: ["data:/data"]
    secrets: [token]
    configs: [conf]
networks:
  front: {{}}
  back: {{}}
volumes:
  data: {{}}
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./conf.txt
""".format(cmd=LOOP.format(word="hello", redirect=""))


def cs(*args: str, env: Optional[dict[str, str]] = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `composeswarm ARGS` as a user would (python -m composeswarm), never raising on exit codes."""
    return subprocess.run(
        [sys.executable, "-m", "composeswarm", *args], capture_output=True, text=True, cwd=REPO_ROOT,
        env=env if env is not None else dict(os.environ), timeout=timeout,
    )


Deploy = Callable[[str, Path], None]


def _deploy_docker(docker: Docker) -> Deploy:
    def deploy(stack: str, file: Path) -> None:
        docker("stack", "deploy", "--resolve-image", "never", "-c", str(file), stack)

    return deploy


def _deploy_composeswarm(docker: Docker) -> Deploy:
    def deploy(stack: str, file: Path) -> None:
        proc = cs("deploy", "-c", str(file), "--resolve-image", "never", "--detach", stack)
        assert proc.returncode == 0, f"composeswarm deploy exited {proc.returncode}: {proc.stderr}"

    return deploy


@pytest.fixture(params=["docker", "composeswarm"], ids=["docker stack deploy", "composeswarm deploy"])
def deploy(request: pytest.FixtureRequest, docker: Docker) -> Deploy:
    """Deploy a compose file as a stack with docker 28.2 or with composeswarm (--resolve-image never)."""
    return _deploy_docker(docker) if request.param == "docker" else _deploy_composeswarm(docker)


def write(tmp_path: Path, text: str, name: str = "stack.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def converge(docker: Docker, stack: str, timeout: float = 60) -> None:
    """Wait until every service of the stack runs all its desired tasks."""
    deadline = time.monotonic() + timeout
    while True:
        lines = docker("service", "ls", "--filter", f"label={LABEL_NAMESPACE}={stack}", "--format", "{{.Replicas}}").stdout.split()
        if lines and all(a == b for a, b in (r.split("/") for r in lines)):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {stack} did not converge: {lines}")
        time.sleep(0.5)


def logged(docker: Docker, service: str, tasks: int, lines: int = 3, timeout: float = 30) -> None:
    """Wait until `tasks` tasks of the service have logged at least `lines` lines each."""
    deadline = time.monotonic() + timeout
    while True:
        proc = docker("service", "logs", "--tail", str(lines), service, timeout=30)
        out = (proc.stdout + proc.stderr).splitlines()  # a task's stderr lines come on stderr
        prefixes = [line.split("    | ")[0] for line in out]
        if len(set(prefixes)) >= tasks and all(prefixes.count(p) == lines for p in set(prefixes)):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{service}: {len(set(prefixes))} of {tasks} tasks logged")
        time.sleep(0.5)


_AGO = re.compile(r"(\d+) seconds ago")


def _one_tick_apart(ours: str, theirs: str) -> bool:
    """The same text but that some "N seconds ago" of docker's (run just after ours) is ours' N + 1, and
    the columns' padding that follows from it."""
    a, b = _AGO.split(ours), _AGO.split(theirs)
    if len(a) != len(b):
        return False
    ticks = [int(y) - int(x) for x, y in zip(a[1::2], b[1::2])]
    texts = [(re.sub(" +", " ", x), re.sub(" +", " ", y)) for x, y in zip(a[::2], b[::2])]
    return set(ticks) <= {0, 1} and 1 in ticks and all(x == y for x, y in texts)


def same_as_docker(ours: list[str], theirs: list[str], expected_difference: Callable[[str], str] = lambda t: t,
                   attempts: int = 8) -> tuple[str, str]:
    """Run both commands until they agree (a second may tick between them); return the last pair,
    docker's output passed through `expected_difference` (where composeswarm shows more on purpose).
    With five tasks started at different fractions of a second, one of them often ticks between the two
    runs: texts one tick apart (`_one_tick_apart`) agree."""
    a = b = ""
    for attempt in range(attempts):
        proc = cs(*ours)
        assert proc.returncode == 0, proc.stderr
        a = proc.stdout
        b = expected_difference(
            subprocess.run(["/usr/local/bin/docker", *theirs], capture_output=True, text=True, timeout=60).stdout
        )
        if a == b:
            break
        if _one_tick_apart(a, b):
            return a, a
        time.sleep(0.13 * (attempt + 1))  # uneven pauses, so "N seconds ago" cannot keep ticking between the two
    return a, b


# --- ls, services, ps -------------------------------------------------------------------------


def test_ls_services_ps_as_docker(deploy: Deploy, docker: Docker, stack_name: str, tmp_path: Path) -> None:
    port = _free_port()
    deploy(stack_name, write(tmp_path, STACK.format(port=port)))
    converge(docker, stack_name)

    ls = cs("ls")
    assert ls.returncode == 0, ls.stderr
    [line] = [x for x in ls.stdout.splitlines() if x.split()[0] == stack_name]
    assert line.split() == [stack_name, "2"]
    doc = json.loads(cs("ls", "--format", "json").stdout)
    assert {"name": stack_name, "services": 2} in doc["stacks"]

    # host-mode ports: docker's PORTS column leaves them out, ours adds them (and docker's ps repeats them)
    host_port = f"*:{port}->80/tcp"
    ours, theirs = same_as_docker(["services", stack_name], ["stack", "services", stack_name],
                                  lambda text: text.replace("local/busybox:1   \n", f"local/busybox:1   {host_port} (host)\n", 1))
    assert ours == theirs
    assert f"{stack_name}_web   replicated   4/4        local/busybox:1   \n" in ours
    assert f"{stack_name}_db    global       1/1        local/busybox:1   {host_port} (host)\n" in ours

    services = json.loads(cs("services", stack_name, "-o", "json").stdout)
    assert [(s["name"], s["mode"], s["replicas"], s["ports"]) for s in services["services"]] == [
        (f"{stack_name}_db", "global", "1/1", [{"published": port, "target": 80, "protocol": "tcp", "mode": "host"}]),
        (f"{stack_name}_web", "replicated", "4/4", []),
    ]

    ours, theirs = same_as_docker(["ps", "--all", stack_name], ["stack", "ps", stack_name],
                                  lambda text: text.replace(f"{host_port},{host_port}", host_port))
    assert ours == theirs
    tasks = json.loads(cs("ps", stack_name, "--format", "json").stdout)["tasks"]
    assert sorted(t["name"] for t in tasks if t["service"].endswith("_web")) == [f"{stack_name}_web.{i}" for i in range(1, 5)]
    assert {(t["desired_state"], t["state"], t["error"], t["history"]) for t in tasks} == {("running", "running", None, False)}


def test_ps_history_only_with_all(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    _deploy_docker(docker)(stack_name, write(tmp_path, SMALL))
    converge(docker, stack_name)
    docker("service", "update", "--force", "--detach", f"{stack_name}_web")
    deadline = time.monotonic() + 60
    while len(docker("service", "ps", "-q", f"{stack_name}_web").stdout.split()) < 2 or "Running" not in (
        docker("service", "ps", "--filter", "desired-state=running", "--format", "{{.CurrentState}}", f"{stack_name}_web").stdout
    ):
        assert time.monotonic() < deadline, "the forced update did not finish"
        time.sleep(0.5)

    current = cs("ps", stack_name).stdout.splitlines()
    assert [line.split()[1] for line in current] == ["NAME", f"{stack_name}_web.1"]
    everything = cs("ps", "--all", stack_name).stdout.splitlines()
    assert [line.split()[1:3] for line in everything] == [["NAME", "IMAGE"], [f"{stack_name}_web.1", "local/busybox:1"],
                                                          ["\\_", f"{stack_name}_web.1"]]
    ours, theirs = same_as_docker(["ps", "--all", stack_name], ["stack", "ps", stack_name])
    assert ours == theirs
    ours, theirs = same_as_docker(["ps", "--all", "--no-trunc", stack_name], ["stack", "ps", "--no-trunc", stack_name])
    assert ours == theirs


# --- logs -------------------------------------------------------------------------------------


def _prefix(line: str) -> str:
    return line.split("    | ")[0]


def test_logs_one_prefix_per_task_merged_in_time_order(deploy: Deploy, docker: Docker, stack_name: str, tmp_path: Path) -> None:
    deploy(stack_name, write(tmp_path, STACK.format(port=_free_port())))
    converge(docker, stack_name)
    logged(docker, f"{stack_name}_web", 4)
    logged(docker, f"{stack_name}_db", 1)

    web = cs("logs", stack_name, "web", "--tail", "1")
    assert web.returncode == 0, web.stderr
    lines = web.stdout.splitlines()
    theirs = docker("service", "logs", "--tail", "1", f"{stack_name}_web").stdout.splitlines()
    assert sorted(_prefix(x) for x in lines) == sorted(_prefix(x) for x in theirs)
    assert len({_prefix(x) for x in lines}) == 4
    for line in lines:
        prefix, text = line.split("    | ")
        assert prefix.startswith(f"{stack_name}_web.") and prefix.endswith("@" + docker("info", "--format", "{{.Name}}").stdout.strip())
        assert text.startswith("hello ")

    both = cs("logs", stack_name, "--tail", "3", "--timestamps")
    assert both.returncode == 0, both.stderr
    out = both.stdout.splitlines()
    err = both.stderr.splitlines()  # db writes to stderr, and docker prints a task's stderr there too
    assert len(out) == 12 and len(err) == 3
    assert {x.split(" ")[1].split(".")[0] for x in out} == {f"{stack_name}_web"}
    assert {x.split(" ")[1].split(".")[0] for x in err} == {f"{stack_name}_db"}
    stamps = [x.split(" ")[0] for x in out]
    assert stamps == sorted(stamps, key=lambda s: (s[:19], s[20:-1].ljust(9, "0")))


def _reader(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line.rstrip("\n"))


def _wait_line(lines: queue.Queue[str], seen: list[str], want: Callable[[str], bool], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if want(line):
            return line
    raise AssertionError(f"no such line after {timeout}s; saw {seen[-10:]}")


@pytest.fixture
def follower() -> Iterator[Callable[..., tuple[subprocess.Popen[str], queue.Queue[str]]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
        proc = subprocess.Popen([sys.executable, "-m", "composeswarm", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        procs.append(proc)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_reader, args=(proc, lines), daemon=True).start()
        return proc, lines

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_follow_catches_tasks_and_services_that_start_later(
    deploy: Deploy, docker: Docker, stack_name: str, tmp_path: Path,
    follower: Callable[..., tuple[subprocess.Popen[str], queue.Queue[str]]],
) -> None:
    deploy(stack_name, write(tmp_path, SMALL))
    converge(docker, stack_name)
    proc, lines = follower("logs", stack_name, "--follow", "--tail", "1", "--no-color")
    seen: list[str] = []
    _wait_line(lines, seen, lambda x: x.startswith(f"{stack_name}_web.1."), 30)

    docker("service", "scale", "--detach", f"{stack_name}_web=2")
    _wait_line(lines, seen, lambda x: x.startswith(f"{stack_name}_web.2."), 60)

    deploy(stack_name, write(tmp_path, LATE, "late.yml"))
    _wait_line(lines, seen, lambda x: x.startswith(f"{stack_name}_late.1."), 60)

    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 130
    assert proc.stderr is not None and proc.stderr.read() == ""


def test_logs_of_unknown_service(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    _deploy_docker(docker)(stack_name, write(tmp_path, SMALL))
    proc = cs("logs", stack_name, "nope")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"error: no such service in stack {stack_name}: nope (services: web)\n")


# --- rm ---------------------------------------------------------------------------------------


def _left(docker: Docker, stack: str) -> dict[str, list[str]]:
    out = {}
    for kind in ("service", "network", "secret", "config"):
        names = docker(kind, "ls", "--format", "{{.Name}}").stdout.split()
        out[kind] = [n for n in names if n.startswith(f"{stack}_")]
    return out


def test_rm_leaves_no_network_in_repeated_cycles(deploy: Deploy, docker: Docker, tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("s3cret\n")
    (tmp_path / "conf.txt").write_text("a = 1\n")
    file = write(tmp_path, FULL)
    stacks = [random_name("csrm") for _ in range(3)]
    try:
        for stack in stacks:
            deploy(stack, file)
            converge(docker, stack)
            started = time.monotonic()
            proc = cs("rm", stack)
            took = time.monotonic() - started
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.splitlines()[:5] == [
                f"Removing service {stack}_web",
                f"Removing secret {stack}_token",
                f"Removing config {stack}_conf",
                f"Removing network {stack}_back",
                f"Removing network {stack}_front",
            ]
            # right away, not eventually: rm returned only once they were gone
            assert _left(docker, stack) == {"service": [], "network": [], "secret": [], "config": []}, f"after {took:.1f}s"
            assert docker("volume", "ls", "-q", "--filter", f"name={stack}_data").stdout.split() == [f"{stack}_data"]
    finally:
        for stack in stacks:
            remove_stack(stack)
            docker("volume", "rm", f"{stack}_data", check=False)


def test_rm_detach_returns_at_once(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    _deploy_docker(docker)(stack_name, write(tmp_path, SMALL))
    proc = cs("rm", "--detach", stack_name)
    assert proc.returncode in (0, 1), proc.stderr  # 1 when the network is still in use: docker's behaviour
    assert proc.stdout.splitlines()[0] == f"Removing service {stack_name}_web"
    assert docker("service", "ls", "-q", "--filter", f"name={stack_name}_web").stdout == ""


# --- errors and engine selection --------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [pytest.param(["services"], id="services"), pytest.param(["ps"], id="ps"), pytest.param(["logs"], id="logs"),
     pytest.param(["rm"], id="rm")],
)
def test_unknown_stack(command: list[str], engine_available: None) -> None:
    stack = random_name("csnone")
    proc = cs(*command, stack)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"error: nothing found in stack: {stack}\n")


@pytest.mark.parametrize(
    "command",
    [pytest.param(["ls"], id="ls"), pytest.param(["services", "x"], id="services"), pytest.param(["ps", "x"], id="ps"),
     pytest.param(["logs", "x"], id="logs"), pytest.param(["rm", "x"], id="rm")],
)
def test_unreachable_engine_is_one_line(command: list[str]) -> None:
    host = f"tcp://127.0.0.1:{_free_port()}"
    proc = cs(*command, env={**os.environ, "DOCKER_HOST": host})
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: cannot reach the Docker engine at {host} (from DOCKER_HOST): ")


# The engine the suite runs against (a CI rehearsal points DOCKER_HOST at an engine of its own).
LOCAL_ENGINE = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


@pytest.fixture
def contexts(tmp_path: Path, docker: Docker) -> dict[str, str]:
    """A DOCKER_CONFIG with contexts `here` (the local socket) and `nowhere` (a socket that is not there)."""
    config = tmp_path / "docker-config"
    config.mkdir()
    # as on a machine where docker has run: the SDK finds contexts only beside an existing config.json
    (config / "config.json").write_text("{}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    env["DOCKER_CONFIG"] = str(config)
    for name, host in (("here", LOCAL_ENGINE), ("nowhere", f"unix://{tmp_path}/nothing.sock")):
        proc = subprocess.run(["/usr/local/bin/docker", "context", "create", name, "--docker", f"host={host}"],
                              env=env, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
    return env


@pytest.mark.parametrize(
    ("extra_env", "args", "use", "reaches"),
    [
        pytest.param({}, ["--context", "here"], None, True, id="--context"),
        pytest.param({"DOCKER_CONTEXT": "here"}, [], None, True, id="DOCKER_CONTEXT"),
        pytest.param({}, [], "here", True, id="docker context use"),
        pytest.param({}, [], "nowhere", False, id="current context unreachable"),
        pytest.param({"DOCKER_CONTEXT": "nowhere"}, [], "here", False, id="DOCKER_CONTEXT over current"),
        pytest.param({"DOCKER_CONTEXT": "nowhere"}, ["--context", "here"], None, True, id="--context over DOCKER_CONTEXT"),
        pytest.param({"DOCKER_HOST": LOCAL_ENGINE}, [], "nowhere", True, id="DOCKER_HOST over current"),
    ],
)
def test_context_selection(contexts: dict[str, str], docker: Docker, stack_name: str, tmp_path: Path,
                           extra_env: dict[str, str], args: list[str], use: Optional[str], reaches: bool) -> None:
    _deploy_docker(docker)(stack_name, write(tmp_path, SMALL))
    env = {**contexts, **extra_env}
    if use is not None:
        subprocess.run(["/usr/local/bin/docker", "context", "use", use], env=env, check=True, capture_output=True, timeout=30)
    proc = cs("services", stack_name, *args, env=env)
    if reaches:
        assert (proc.returncode, proc.stderr) == (0, "")
        assert proc.stdout.splitlines()[1].split()[1] == f"{stack_name}_web"
    else:
        assert proc.returncode == 1
        assert proc.stderr.startswith(f"error: cannot reach the Docker engine at unix://{tmp_path}/nothing.sock (from ")
        assert proc.stderr.count("\n") == 1


def test_context_found_without_config_json(contexts: dict[str, str], engine_available: None) -> None:
    Path(contexts["DOCKER_CONFIG"], "config.json").unlink()
    proc = cs("ls", "--context", "here", env=contexts)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_follow_ends_quietly_when_the_reader_goes_away(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    _deploy_docker(docker)(stack_name, write(tmp_path, SMALL))
    converge(docker, stack_name)
    proc = subprocess.Popen([sys.executable, "-m", "composeswarm", "logs", "-f", stack_name], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith(f"{stack_name}_web.1.")
        proc.stdout.close()  # as `| head -1` does
        assert proc.wait(30) == 0
        assert proc.stderr is not None and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
