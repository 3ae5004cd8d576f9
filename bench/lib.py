"""What the bench scripts share: stack files, timed commands, the engine floor, removal, the fault proxy.

Every stack is named `bench<hex>` and removed (its network gone) before the next run starts, so that
runs do not compete with the teardown of the one before.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.support.fault_proxy

from tests.support.fault_proxy import FaultProxy  # noqa: E402

DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"
COMPOSESWARM = str(REPO / ".venv" / "bin" / "composeswarm")
LABEL = "com.docker.stack.namespace"
FLOOR_POLL_S = 0.1


def env(host: str | None = None) -> dict[str, str]:
    """The environment for a command: this checkout's code first; DOCKER_HOST when given."""
    out = {**os.environ, "PYTHONPATH": str(REPO)}
    if host:
        out["DOCKER_HOST"] = host
    return out


def stack_file(count: int, replicas: int = 1, slow: bool = False) -> str:
    """COUNT busybox services (dnsrr: no VIP, so 200 fit the default /24; init: stop at once)."""
    lines = ['version: "3.8"', "services:"]
    for i in range(count):
        lines += [f"  s{i:03d}:", "    image: local/busybox:1", "    init: true", "    stop_grace_period: 1s",
                  '    command: ["sleep", "3600"]', f"    deploy: {{endpoint_mode: dnsrr, replicas: {replicas}}}"]
    return "\n".join(lines) + "\n"


@contextmanager
def stack_on_disk(text: str) -> Iterator[Path]:
    """A temporary folder holding stack.yml with TEXT."""
    with tempfile.TemporaryDirectory(prefix="bench") as tmp:
        path = Path(tmp) / "stack.yml"
        path.write_text(text)
        yield path


def new_stack() -> str:
    return f"bench{secrets.token_hex(3)}"


def timed(cmd: Sequence[str], host: str | None = None, cwd: Path | None = None, ok: Sequence[int] = (0,)) -> float:
    """Run CMD, fail loudly on an exit code not in `ok`, return its wall time in seconds."""
    start = time.monotonic()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env(host), cwd=cwd)
    took = time.monotonic() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return took


def docker(*args: str, host: str | None = None) -> str:
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, check=True, env=env(host)).stdout


def all_running(stack: str, host: str | None = None) -> bool:
    """`docker service ls`: every service of the stack has all its replicas running."""
    rows = docker("service", "ls", "--filter", f"label={LABEL}={stack}", "--format", "{{.Replicas}}", host=host).split()
    if not rows:
        return False
    for row in rows:
        running, _, desired = row.partition(" ")[0].partition("/")
        if running != desired:
            return False
    return True


def wait_running(stack: str, started: float, host: str | None = None, timeout: float = 600) -> float:
    """Poll `docker service ls` every 0.1 s until every replica runs; seconds since `started`."""
    while not all_running(stack, host):
        if time.monotonic() - started > timeout:
            sys.exit(f"stack {stack} not running after {timeout:.0f} s")
        time.sleep(FLOOR_POLL_S)
    return time.monotonic() - started


def floor(file: Path, stack: str, host: str | None = None) -> float:
    """The engine floor: every service created at once (docker stack deploy --detach), then polled."""
    start = time.monotonic()
    timed([DOCKER, "stack", "deploy", "--detach=true", "--quiet", "--resolve-image", "never", "-c", str(file), stack],
          host)
    return wait_running(stack, start, host)


def docker_deploy(file: Path, stack: str) -> list[str]:
    return [DOCKER, "stack", "deploy", "--detach=false", "--quiet", "--resolve-image", "never", "-c", str(file), stack]


def docker_detached(file: Path, stack: str) -> list[str]:
    return [DOCKER, "stack", "deploy", "--detach=true", "--quiet", "--resolve-image", "never", "-c", str(file), stack]


def cs_deploy(file: Path, stack: str, *extra: str) -> list[str]:
    return [COMPOSESWARM, "deploy", "--resolve-image", "never", *extra, "-f", str(file), stack]


def remove(stack: str, host: str | None = None, timeout: float = 300) -> None:
    """docker stack rm, then wait until its services, configs (history, lock) and network are gone."""
    subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True, env=env(host))
    for kind in ("config",):  # composeswarm's revisions and lock: not the stack's label namespace alone
        names = [n for n in docker(kind, "ls", "--format", "{{.Name}}", host=host).split() if n.startswith(stack)]
        if names:
            subprocess.run([DOCKER, kind, "rm", *names], capture_output=True, env=env(host))
    deadline = time.monotonic() + timeout
    while docker("network", "ls", "-q", "--filter", f"label={LABEL}={stack}", host=host).strip() or \
            docker("service", "ls", "-q", "--filter", f"label={LABEL}={stack}", host=host).strip():
        if time.monotonic() > deadline:
            sys.exit(f"stack {stack} not removed after {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def proxy(upstream: str | None = None) -> Iterator[FaultProxy]:
    """The fault proxy in front of the engine (it logs every call), on a short socket path."""
    folder = tempfile.mkdtemp(prefix="bproxy", dir="/tmp")
    p = FaultProxy(Path(folder) / "docker.sock", upstream).start()
    try:
        yield p
    finally:
        p.stop()
        os.rmdir(folder)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def runs(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def load() -> str:
    """The load averages (1, 5, 15 min), as uptime prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())

