"""Faults on the real engine, through the fault proxy: deploys SIGKILLed after each write, and an unreachable engine.

A deploy killed right after the engine answered its k-th write (before the answer reached it) must
leave a swarm that the same deploy, run again, brings to exactly the desired state: every object once,
nothing orphaned (an old secret version no service uses included), and `plan` exits 0 after it.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker as docker_sdk
import pytest

from composeswarm.dockerrules.stacknames import LABEL_NAMESPACE, REVISION_INFIX
from composeswarm.plan.rotation import DIGEST_LABEL, content_digest
from tests.integration.conftest import REPO_ROOT, random_name, remove_stack
from tests.support.fault_proxy import Call, FaultProxy, default_upstream

COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK_FILE = """\
version: "3.8"
x-svc: &svc
  image: local/busybox:1
  init: true
  stop_grace_period: 1s
  command: ["sleep", "3600"]
services:
  a: {<<: *svc, networks: [front], secrets: [pw]}
  b: {<<: *svc, networks: [front, back], secrets: [pw]}
  c: {<<: *svc, networks: [back], secrets: [pw]}
  d: {<<: *svc, networks: [back], configs: [conf]}
networks:
  front: {}
  back: {}
secrets:
  pw: {file: ./pw.txt}
configs:
  conf: {file: ./conf.txt}
"""
SERVICES = ("a", "b", "c", "d")
NETWORKS = ("back", "front")
SECRET_V1, SECRET_V2 = b"first password\n", b"second password\n"
# What a clean deploy writes: 2 networks, the secret, the config, 4 services; a rotation: the new
# version, the 3 services that use it, the old version's removal.
FRESH_WRITES = 8
ROTATION_WRITES = 5
# The deploy lock (act/lock.py) adds two writes to each: its config is created before the first write
# and removed after the last. Being killed holding it is a fault like any other: the rerun takes it over.
LOCK_WRITES = 2
# The stack's history (act/revisions.py): a deploy that wrote anything records a revision config. These
# deploys keep one revision (--history-limit 1), so a rotation also removes the revision before it, and
# the old secret version goes at once, as it would with no history.
FRESH_REVISION_WRITES = 1
ROTATION_REVISION_WRITES = 2


def is_lock_refresh(call: Call) -> bool:
    """The lock's refresh (a label update of its config every 10 s): timing, not the deploy's work."""
    return call.method == "POST" and call.path.startswith("/configs/") and call.path.endswith("/update")


def is_lock_call(call: Call) -> bool:
    """A call on a config: the only configs the single-service tests touch are the lock's."""
    return call.path.startswith("/configs")


def counted_writes(proxy: FaultProxy) -> list[Call]:
    return [c for c in proxy.writes() if not is_lock_refresh(c)]
KILLED = -9  # returncode of a process ended by SIGKILL


def cs(*args: str, cwd: Path, host: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run composeswarm in `cwd`, through the proxy when `host` is given."""
    env = {**os.environ, "DOCKER_HOST": host} if host else None
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def deploy(stack: str, cwd: Path, host: str | None = None) -> subprocess.CompletedProcess[str]:
    """`composeswarm deploy --detach`: waiting for the tasks is not what these tests are about."""
    return cs("deploy", "--resolve-image", "never", "--detach", "--history-limit", "1", "-f", "stack.yml", stack,
              cwd=cwd, host=host)


def ok(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, f"{what} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"


@dataclass
class Held:
    """What the engine holds for a stack: by kind, the objects (labelled with the stack or named `<stack>_`)."""

    services: list[dict[str, Any]]
    networks: list[dict[str, Any]]
    secrets: list[dict[str, Any]]
    configs: list[dict[str, Any]]
    revisions: list[dict[str, Any]]  # the stack's history (act/revisions.py): configs, but not the stack's content

    def names(self) -> dict[str, list[str]]:
        """Sorted names by kind, duplicates kept (a duplicate is what these tests look for)."""
        return {
            "service": sorted(s["Spec"]["Name"] for s in self.services),
            "network": sorted(n["Name"] for n in self.networks),
            "secret": sorted(s["Spec"]["Name"] for s in self.secrets),
            "config": sorted(c["Spec"]["Name"] for c in self.configs),
        }


@pytest.fixture(scope="module")
def api() -> Iterator[Any]:
    """The Docker SDK's low-level client on the engine itself (not through the proxy): one process, fast reads."""
    client = docker_sdk.APIClient(base_url=f"unix://{default_upstream()}", version="1.41", timeout=60)
    yield client
    client.close()


def held(api: Any, stack: str) -> Held:
    def ours(obj: dict[str, Any]) -> bool:
        spec = obj.get("Spec") or obj
        labels = spec.get("Labels") or {}
        return labels.get(LABEL_NAMESPACE) == stack or str(spec.get("Name")).startswith(f"{stack}_")

    configs = [c for c in api.configs() if ours(c)]
    return Held(
        services=[s for s in api.services() if ours(s)],
        networks=[n for n in api.networks() if ours(n)],
        secrets=[s for s in api.secrets() if ours(s)],
        configs=[c for c in configs if REVISION_INFIX not in c["Spec"]["Name"]],
        revisions=[c for c in configs if REVISION_INFIX in c["Spec"]["Name"]],
    )


def assert_converged(api: Any, stack: str, secret: bytes) -> None:
    """Exactly the desired objects, each once, the services on the one secret and config there are."""
    now = held(api, stack)
    names = now.names()
    assert names["service"] == [f"{stack}_{s}" for s in SERVICES], names
    assert names["network"] == [f"{stack}_{n}" for n in NETWORKS], names
    assert (len(names["secret"]), len(names["config"])) == (1, 1), names
    [pw], [conf] = now.secrets, now.configs
    assert pw["Spec"]["Labels"][DIGEST_LABEL] == content_digest(secret), names
    nets = {n["Id"]: n["Name"].removeprefix(f"{stack}_") for n in now.networks}
    for svc in now.services:
        container = svc["Spec"]["TaskTemplate"]["ContainerSpec"]
        short = svc["Spec"]["Name"].removeprefix(f"{stack}_")
        secrets = [(r["SecretName"], r["SecretID"]) for r in container.get("Secrets") or []]
        configs = [(r["ConfigName"], r["ConfigID"]) for r in container.get("Configs") or []]
        assert secrets == ([] if short == "d" else [(pw["Spec"]["Name"], pw["ID"])]), (short, secrets, names)
        assert configs == ([(conf["Spec"]["Name"], conf["ID"])] if short == "d" else []), (short, configs)
        targets = sorted(nets.get(n["Target"], n["Target"]) for n in svc["Spec"]["TaskTemplate"]["Networks"])
        assert targets == {"a": ["front"], "b": ["back", "front"], "c": ["back"], "d": ["back"]}[short], targets


def clear(api: Any, stack: str, timeout: float = 60) -> None:
    """Remove the stack through the SDK (faster than the CLI's remove_stack); networks once their tasks are gone."""
    now = held(api, stack)
    for svc in now.services:
        api.remove_service(svc["ID"])
    for obj, remove in [(s, api.remove_secret) for s in now.secrets] + [(c, api.remove_config) for c in now.configs + now.revisions]:
        remove(obj["ID"])
    deadline = time.monotonic() + timeout
    while networks := held(api, stack).networks:
        for net in networks:
            try:
                api.remove_network(net["Id"])
            except docker_sdk.errors.APIError:
                if time.monotonic() > deadline:
                    raise
        time.sleep(0.2)


def assert_no_changes(stack: str, cwd: Path) -> None:
    proc = cs("plan", "-f", "stack.yml", stack, cwd=cwd)
    assert proc.returncode == 0, f"plan after the rerun exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def write_files(cwd: Path, secret: bytes) -> None:
    (cwd / "stack.yml").write_text(STACK_FILE)
    (cwd / "pw.txt").write_bytes(secret)
    (cwd / "conf.txt").write_text("the config\n")


def killed_at(proxy: FaultProxy, k: int, stack: str, cwd: Path) -> str:
    """Deploy through the proxy, SIGKILLed once the engine answered write k; that write."""
    proxy.reset()
    proxy.kill_after(k)
    proc = deploy(stack, cwd, proxy.docker_host)
    assert proc.returncode == KILLED, f"deploy was not killed at write {k}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
    answered = [c for c in proxy.writes() if c.status is not None]
    assert len(answered) == k and answered[-1].injected == "kill", [str(c) for c in proxy.writes()]
    return str(answered[-1])


def left(api: Any, stack: str) -> str:
    """What the engine holds, shortly, for the messages and the log: `service a b, network front, ...`."""
    now = held(api, stack)
    short = {s["ID"]: s["Spec"]["Name"].removeprefix(stack + "_") for s in now.secrets}
    uses = [
        f"{svc['Spec']['Name'].removeprefix(stack + '_')}->{short.get(ref['SecretID'], ref['SecretName'])}"
        for svc in now.services for ref in svc["Spec"]["TaskTemplate"]["ContainerSpec"].get("Secrets") or []
    ]
    kinds = [f"{kind} {' '.join(n.removeprefix(stack + '_') for n in got)}" for kind, got in now.names().items() if got]
    return "; ".join(kinds + ([f"uses {' '.join(sorted(uses))}"] if uses else []))


@pytest.mark.slow
def test_a_deploy_killed_after_every_write_converges_on_rerun(
    fault_proxy: FaultProxy, api: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = random_name("csk")
    write_files(tmp_path, SECRET_V1)
    started = time.monotonic()
    report = []
    try:
        ok(deploy(stack, tmp_path, fault_proxy.docker_host), "the clean deploy")
        writes = len(counted_writes(fault_proxy))
        assert writes == FRESH_WRITES + LOCK_WRITES + FRESH_REVISION_WRITES, [str(c) for c in fault_proxy.writes()]
        clear(api, stack)
        for k in range(1, writes + 1):
            last = killed_at(fault_proxy, k, stack, tmp_path)
            report.append(f"fresh, killed after write {k} ({last}): left {left(api, stack)}")
            ok(deploy(stack, tmp_path), f"the rerun after a kill at write {k}")
            assert_converged(api, stack, SECRET_V1)
            assert_no_changes(stack, tmp_path)
            clear(api, stack)
    finally:
        remove_stack(stack)
        with capsys.disabled():
            print("\n" + "\n".join(report) + f"\n{time.monotonic() - started:.1f} s")


@pytest.mark.slow
def test_a_rotation_killed_after_every_write_converges_on_rerun(
    fault_proxy: FaultProxy, api: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = random_name("csk")
    write_files(tmp_path, SECRET_V1)
    started = time.monotonic()
    report = []
    try:
        ok(deploy(stack, tmp_path), "the first deploy")
        write_files(tmp_path, SECRET_V2)
        fault_proxy.reset()
        ok(deploy(stack, tmp_path, fault_proxy.docker_host), "the clean rotation")
        writes = len(counted_writes(fault_proxy))
        assert writes == ROTATION_WRITES + LOCK_WRITES + ROTATION_REVISION_WRITES, [str(c) for c in fault_proxy.writes()]
        current = SECRET_V2
        for k in range(1, writes + 1):
            # each kill point rotates the other way (v2 -> v1 -> v2 ...): the same five writes, no reset deploy
            current = SECRET_V1 if current == SECRET_V2 else SECRET_V2
            write_files(tmp_path, current)
            last = killed_at(fault_proxy, k, stack, tmp_path)
            report.append(f"rotation, killed after write {k} ({last}): left {left(api, stack)}")
            ok(deploy(stack, tmp_path), f"the rerun after a kill at write {k}")
            assert_converged(api, stack, current)
            assert_no_changes(stack, tmp_path)
    finally:
        remove_stack(stack)
        with capsys.disabled():
            print("\n" + "\n".join(report) + f"\n{time.monotonic() - started:.1f} s")


def _dead_socket(path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))  # bound and closed, never listening: what a crashed dockerd leaves behind
    sock.close()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(None, "no such socket", id="no socket"),
        pytest.param(_dead_socket, "connection refused (a socket nobody listens on: is dockerd running?)",
                     id="a socket nobody listens on"),
    ],
)
@pytest.mark.parametrize("command", [["ls"], ["plan", "-f", "stack.yml", "x"], ["deploy", "-f", "stack.yml", "x"]],
                         ids=["ls", "plan", "deploy"])
def test_an_unreachable_engine_is_one_plain_line(tmp_path: Path, make: Any, reason: str, command: list[str]) -> None:
    write_files(tmp_path, SECRET_V1)
    sock = tmp_path / "docker.sock"
    if make is not None:
        make(sock)
    proc = cs(*command, cwd=tmp_path, host=f"unix://{sock}")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == f"error: cannot reach the Docker engine at unix://{sock} (from DOCKER_HOST): {reason}\n"


def test_a_connection_the_engine_drops_is_one_plain_line(fault_proxy: FaultProxy, tmp_path: Path) -> None:
    write_files(tmp_path, SECRET_V1)
    fault_proxy.fail("GET", r"^/services$", nth=0, drop=True)  # every time: a read is tried three times
    proc = cs("plan", "-f", "stack.yml", random_name("csk"), cwd=tmp_path, host=fault_proxy.docker_host)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        f"error: list services: cannot reach the Docker engine at {fault_proxy.docker_host} (from DOCKER_HOST): "
        "the engine closed the connection without answering\n"
    )
    assert [c.injected for c in fault_proxy.calls_of("GET", r"^/services$")] == ["drop"] * 3


SINGLE = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
    environment: {FOO: "%s"}
"""
UPDATE = r"^/services/[^/]+/update$"


def scale_to(service: str, replicas: int) -> Any:
    """What someone else does between composeswarm's read and its write."""
    from tests.integration.conftest import docker

    return lambda: docker("service", "scale", "--detach", f"{service}={replicas}")


def test_an_update_out_of_sequence_is_read_again_planned_again_and_retried(
    fault_proxy: FaultProxy, api: Any, stack_name: str, tmp_path: Path
) -> None:
    (tmp_path / "stack.yml").write_text(SINGLE % "1")
    ok(deploy(stack_name, tmp_path), "the first deploy")
    (tmp_path / "stack.yml").write_text(SINGLE % "2")
    web = f"{stack_name}_web"
    fault_proxy.before("POST", UPDATE, scale_to(web, 3))
    proc = deploy(stack_name, tmp_path, fault_proxy.docker_host)
    ok(proc, "the deploy racing a scale")
    assert proc.stderr == (
        f"service {web} was changed by someone else after this deploy read it; read again and updated it: "
        "environment.FOO: 1 -> 2, deploy.replicas: 3 -> 1\n"
    )
    ident = api.inspect_service(web)["ID"]
    assert [str(c) for c in fault_proxy.calls if (c.write and not is_lock_call(c)) or c.path == f"/services/{ident}"] == [
        f"POST /services/{ident}/update 500", f"GET /services/{ident} 200", f"POST /services/{ident}/update 200",
    ]
    spec = api.inspect_service(web)["Spec"]
    assert (spec["Mode"]["Replicated"]["Replicas"], spec["TaskTemplate"]["ContainerSpec"]["Env"]) == (1, ["FOO=2"])
    assert_no_changes(stack_name, tmp_path)


def test_a_second_conflict_is_one_clear_error(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(SINGLE % "1")
    ok(deploy(stack_name, tmp_path), "the first deploy")
    (tmp_path / "stack.yml").write_text(SINGLE % "2")
    web = f"{stack_name}_web"
    fault_proxy.before("POST", UPDATE, scale_to(web, 3), nth=1)
    fault_proxy.before("POST", UPDATE, scale_to(web, 4), nth=2)
    proc = deploy(stack_name, tmp_path, fault_proxy.docker_host)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        f"error: update service {web}: changed by someone else again while this deploy was updating it "
        "(update out of sequence twice); run the deploy again once nobody else is changing the service"
    )
    assert [c.status for c in fault_proxy.writes() if not is_lock_call(c)] == [500, 500]


def test_deploy_ps_logs_and_rm_work_through_the_proxy(fault_proxy: FaultProxy, stack_name: str, tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(
        SINGLE.replace('["sleep", "3600"]', '["sh", "-c", "echo hello from $$FOO; sleep 3600"]') % "the proxy"
    )
    host = fault_proxy.docker_host
    ok(cs("deploy", "--resolve-image", "never", "--timeout", "60", "-f", "stack.yml", stack_name, cwd=tmp_path, host=host),
       "the waited deploy")
    ps = cs("ps", stack_name, cwd=tmp_path, host=host)
    ok(ps, "ps")
    assert f"{stack_name}_web.1" in ps.stdout
    deadline = time.monotonic() + 30
    while "hello from the proxy" not in (logs := cs("logs", stack_name, cwd=tmp_path, host=host)).stdout:
        assert time.monotonic() < deadline, logs
        time.sleep(0.5)
    ok(cs("rm", stack_name, cwd=tmp_path, host=host), "rm")
    seen = {(c.method, re.sub(r"^/(\w+)/(?!create$)[^/]+", r"/\1/ID", c.path), c.status) for c in fault_proxy.calls}
    assert {  # the writes of deploy and rm, ps's task list, the log stream: every one answered through the proxy
        ("POST", "/networks/create", 201), ("POST", "/services/create", 201), ("GET", "/tasks", 200),
        ("GET", "/services/ID/logs", 200), ("DELETE", "/services/ID", 200), ("DELETE", "/networks/ID", 204),
    } <= seen, sorted(seen)
    assert not [c for c in fault_proxy.calls if c.status is None], [str(c) for c in fault_proxy.calls]
