"""Every command over ssh://, against a real OpenSSH server on 127.0.0.1 (tests/support/sshd.py).

The server runs `docker system dial-stdio` on this machine, so over ssh composeswarm must see the
same swarm as over the socket: the outputs are compared whole. The connections are counted on the
server's side (its log), so "one ssh connection per deploy" is a measured figure, not a belief.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Docker
from tests.support import sshd

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sh", "-c", "while true; do echo hello-$$(hostname); sleep 1; done"]
    deploy:
      replicas: {replicas}
      update_config: {{parallelism: 2, delay: 0s, order: start-first}}
    networks: [front]
    secrets: [token]
    configs: [conf]
    environment:
      API_TOKEN: {token}
networks:
  front: {{}}
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    file: ./conf.txt
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, engine_available: None) -> Iterator[sshd.SSHServer]:
    """One sshd for the module, stopped by pid at the end."""
    srv = sshd.start(tmp_path_factory.mktemp("sshd") / "bed")
    try:
        yield srv
    finally:
        sshd.stop(srv)


def cs(*args: str, env: dict[str, str], cwd: Path = REPO_ROOT, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False)


def local_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT",)}


def write_stack(folder: Path, replicas: int, token: str = "s3cret-one") -> Path:
    (folder / "token.txt").write_text("token\n")
    (folder / "conf.txt").write_text("conf\n")
    path = folder / "stack.yml"
    path.write_text(STACK.format(replicas=replicas, token=token))
    return path


def test_every_command_over_ssh(server: sshd.SSHServer, docker: Docker, stack_name: str, tmp_path: Path) -> None:
    env = server.env()
    stack = write_stack(tmp_path, replicas=2)

    # a full deploy, waited for: one ssh connection for the whole of it (the lock's refresh may add one)
    before = server.accepted()
    proc = cs("deploy", stack_name, "-f", str(stack), "--timeout", "120", "--resolve-image", "never", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rollout: 1 converged\n" in proc.stderr
    deploy_connections = server.accepted() - before
    assert 1 <= deploy_connections <= 2, deploy_connections
    replicas = docker("service", "ls", "--filter", f"name={stack_name}_web", "--format", "{{.Replicas}}").stdout.strip()
    assert replicas == "2/2"

    # a plan: nothing to change, then a change, exactly as over the socket
    proc = cs("plan", stack_name, "-f", str(stack), env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"No changes: stack {stack_name} is as the files describe it.\n"
                                                           f"Plan: 0 to create, 0 to update, 0 to replace, 0 to remove, 4 unchanged.\n", "")
    write_stack(tmp_path, replicas=3)
    over_ssh = cs("plan", stack_name, "-f", str(stack), "--output", "json", env=env)
    over_socket = cs("plan", stack_name, "-f", str(stack), "--output", "json", env=local_env())
    assert (over_ssh.returncode, over_ssh.stderr) == (2, "")
    assert over_ssh.stdout == over_socket.stdout
    assert [c["name"] for c in json.loads(over_ssh.stdout)["changes"]] == [f"{stack_name}_web"]

    # a rollout, waited for over ssh (polls the tasks until converged)
    proc = cs("deploy", stack_name, "-f", str(stack), "--timeout", "120", "--resolve-image", "never", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{stack_name}_web: converged (3/3 running)" in proc.stderr
    replicas = docker("service", "ls", "--filter", f"name={stack_name}_web", "--format", "{{.Replicas}}").stdout.strip()
    assert replicas == "3/3"

    # ls, services, ps say what they say over the socket (JSON: the text's "26 seconds ago" ticks)
    for args in (["ls"], ["services", stack_name], ["ps", stack_name]):
        over_ssh, over_socket = cs(*args, "-o", "json", env=env), cs(*args, "-o", "json", env=local_env())
        assert (over_ssh.returncode, over_ssh.stderr) == (0, ""), args
        ours, theirs = json.loads(over_ssh.stdout), json.loads(over_socket.stdout)
        if args == ["ls"]:  # other stacks on this shared engine may come and go between the two calls
            ours, theirs = ([s for s in x["stacks"] if s["name"] == stack_name] for x in (ours, theirs))
            assert len(ours) == 1
        assert ours == theirs, args

    # logs --follow: lines arrive over ssh, Ctrl-C ends it with 130 and no error
    follow = subprocess.Popen([CLI, "logs", stack_name, "--follow", "--tail", "1", "--no-color"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in follow.stdout or ()], daemon=True).start()
    try:
        first = lines.get(timeout=60)
        assert first.startswith(f"{stack_name}_web.") and "hello-" in first
        time.sleep(1.5)  # a following stream, not the tail alone: more lines come
        assert lines.get(timeout=30)
        follow.send_signal(signal.SIGINT)
        assert follow.wait(20) == 130
        assert follow.stderr is not None and follow.stderr.read() == ""
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait(10)

    # rm over ssh: waits until the stack is gone
    proc = cs("rm", stack_name, env=env)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout
    left = docker("service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack_name}").stdout
    assert left == ""


@pytest.fixture
def ssh_context(server: sshd.SSHServer, tmp_path: Path) -> dict[str, str]:
    """A DOCKER_CONFIG with a context `remote` made by the docker CLI: --docker host=ssh://..."""
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}\n")
    env = {**server.env(), "DOCKER_CONFIG": str(config)}
    del env["DOCKER_HOST"]
    proc = subprocess.run(["/usr/local/bin/docker", "context", "create", "remote", "--docker", f"host={server.url}"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return env


def test_a_context_pointing_at_ssh_works_the_same(ssh_context: dict[str, str], server: sshd.SSHServer, stack_name: str,
                                                  tmp_path: Path) -> None:
    stack = write_stack(tmp_path, replicas=1)
    # waited for: a detached deploy's replicas may still be starting between the two reads below
    proc = cs("deploy", stack_name, "-f", str(stack), "--context", "remote", "--timeout", "120", "--resolve-image", "never",
              env=ssh_context)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "converged" in proc.stderr and "error" not in proc.stderr, proc.stderr  # the rollout's progress only
    # the same context, chosen by `docker context use`, answers as the socket does
    subprocess.run(["/usr/local/bin/docker", "context", "use", "remote"], env=ssh_context, check=True,
                   capture_output=True, timeout=30)
    over_context = cs("services", stack_name, env=ssh_context)
    over_socket = cs("services", stack_name, env=local_env())
    assert (over_context.returncode, over_context.stderr) == (0, "")
    assert over_context.stdout == over_socket.stdout
    # and the docker CLI itself agrees that this context reaches the same swarm
    theirs = subprocess.run(["/usr/local/bin/docker", "stack", "services", stack_name, "--format", "{{.Name}}"],
                            env=ssh_context, capture_output=True, text=True, timeout=60)
    assert theirs.stdout.split() == [f"{stack_name}_web"]
    proc = cs("rm", stack_name, env=ssh_context)
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        pytest.param("refused", "connect to host 127.0.0.1 port {port}: Connection refused", id="connection refused"),
        pytest.param("unknown key", "root@127.0.0.1: Permission denied (publickey).", id="permission denied"),
        pytest.param("host key", "Host key verification failed.", id="host key verification failed"),
    ],
)
def test_ssh_failures_are_one_line_with_ssh_reason(server: sshd.SSHServer, tmp_path: Path, case: str, reason: str) -> None:
    url = server.url
    ssh_bin = None
    if case == "refused":
        port = sshd.free_port()
        url = url.rsplit(":", 1)[0] + f":{port}"
        reason = reason.format(port=port)
    elif case == "unknown key":
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other_key")], check=True)
        ssh_bin = server.ssh_wrapper(tmp_path / "bin", IdentityFile=str(tmp_path / "other_key"))
    else:
        key = (server.dir / "client_key.pub").read_text().split()[:2]  # a key, but not the host's
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{server.port} {' '.join(key)}\n")
        ssh_bin = server.ssh_wrapper(tmp_path / "bin", UserKnownHostsFile=str(tmp_path / "known_hosts"))
    env = server.env(ssh_bin=ssh_bin)
    env["DOCKER_HOST"] = url
    proc = cs("ls", env=env, timeout=60)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"error: cannot reach the Docker engine at {url} (from DOCKER_HOST): ssh: {reason}\n"
