"""Fixtures for tests against a real Docker Engine in swarm mode.

Every test in tests/integration is marked `engine`; an `engine` test skips with a message when no
swarm manager answers, except in CI (CI=true), where that is a failure. Bring one up with
scripts/swarm-up.sh. Tests get a random stack name whose services, secrets, configs and networks are
removed after the test, even when it fails.
"""

from __future__ import annotations

import fcntl

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from composeswarm.dockerrules.stacknames import LABEL_NAMESPACE
from tests.support.fault_proxy import FaultProxy, default_upstream

REPO_ROOT = Path(__file__).resolve().parents[2]

# 20.10 client in /usr/bin that must not be picked by accident.
DOCKER_CLI = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else (shutil.which("docker") or "docker")
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
# Removing a stack waits for its tasks to stop; a libnetwork stall can take 30 s (moby#47396).
TEARDOWN_TIMEOUT = 90.0

Docker = Callable[..., "subprocess.CompletedProcess[str]"]


def docker(
    *args: str,
    check: bool = True,
    input: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the docker 28.2 CLI; with check, a non-zero exit fails with the command and its stderr."""
    full_env = {**os.environ, **env} if env else None
    proc = subprocess.run(
        [DOCKER_CLI, *args], input=input, capture_output=True, text=True, env=full_env, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"docker {' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
        )
    return proc


def random_name(prefix: str = "cs") -> str:
    """A name no other test run will pick: prefix plus 8 hex digits."""
    return f"{prefix}{secrets.token_hex(4)}"


def _engine_problem() -> Optional[str]:
    """Why the engine cannot run integration tests, or None when a swarm manager answers."""
    proc = docker("info", "--format", "{{json .Swarm}}", check=False, timeout=30)
    where = os.environ.get("DOCKER_HOST", "the default socket")
    if proc.returncode != 0:
        return f"no Docker Engine answers at {where} ({proc.stderr.strip()}); run scripts/swarm-up.sh"
    swarm = json.loads(proc.stdout)
    if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
        return (
            f"the Docker Engine at {where} is not a swarm manager (state {swarm.get('LocalNodeState')!r}); "
            "run scripts/swarm-up.sh --init-swarm"
        )
    return None


@pytest.fixture(scope="session")
def engine_available() -> None:
    """A swarm manager answers; otherwise skip (fail in CI, where the engine is part of the job)."""
    problem = _engine_problem()
    if problem is None:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {problem}", pytrace=False)
    pytest.skip(problem)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `engine`, so `-m "not engine"` leaves them all out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(autouse=True)
def _needs_engine(request: pytest.FixtureRequest) -> None:
    """Tests marked `engine` get `engine_available` without asking for it."""
    if request.node.get_closest_marker("engine") is not None:
        request.getfixturevalue("engine_available")


# Corpus stacks publish fixed ports: one corpus deploy on the engine at a time, across test files and
# across concurrent pytest runs on one machine.
CORPUS_LOCK_PATH = "/tmp/composeswarm-corpus.lock"


@pytest.fixture
def corpus_lock() -> Iterator[None]:
    """Hold the corpus lock for the whole case: deploy, compare and removal."""
    with open(CORPUS_LOCK_PATH, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class ExternalObjects:
    """A corpus case's external networks, secrets and configs: made when missing, removed after if made here.

    Used under `corpus_lock`. Removal waits until the engine no longer finds the object by name: a swarm
    network the manager has deleted can still be found on the node for a moment, and the next case would
    then take it for existing and not create it (docker then refuses with "network ... not found").
    """

    def __init__(self) -> None:
        self.made: list[tuple[str, str]] = []

    def make(self, external: Mapping[str, list[str]]) -> None:
        for kind in ("network", "secret", "config"):
            for name in external.get(f"{kind}s", []):
                if docker(kind, "inspect", name, check=False).returncode == 0:
                    continue
                if kind == "network":
                    docker("network", "create", "--driver", "overlay", "--attachable", name)
                else:
                    docker(kind, "create", name, "-", input="placeholder\n")
                self.made.append((kind, name))

    def remove(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for kind, name in reversed(self.made):
            # the stack's tasks may still hold a network for a moment after its removal
            while docker(kind, "rm", name, check=False).returncode != 0 and time.monotonic() < deadline:
                time.sleep(0.5)
            while docker(kind, "inspect", name, check=False).returncode == 0 and time.monotonic() < deadline:
                time.sleep(0.5)
        self.made.clear()


@pytest.fixture(name="docker")
def docker_fixture() -> Docker:
    """The `docker(*args, check=True, input=None, env=None)` helper running the 28.2 CLI."""
    return docker


def _names(kind: str, stack: str) -> list[str]:
    """Names of the objects of one kind that carry the stack label or the stack's name prefix."""
    labelled = docker(kind, "ls", "--filter", f"label={LABEL_NAMESPACE}={stack}", "--format", "{{.Name}}").stdout.split()
    prefixed = [n for n in docker(kind, "ls", "--format", "{{.Name}}").stdout.split() if n.startswith(f"{stack}_")]
    return sorted(set(labelled) | set(prefixed))


def remove_stack(stack: str, timeout: float = TEARDOWN_TIMEOUT) -> None:
    """Remove a stack's services, then its secrets, configs and volumes; wait until its networks are gone."""
    services = _names("service", stack)
    if services:
        docker("service", "rm", *services, check=False)
    deadline = time.monotonic() + timeout
    while True:
        # Secrets, configs and networks stay in use until the removed services' tasks are gone.
        left = {kind: _names(kind, stack) for kind in ("service", "secret", "config", "network", "volume")}
        for kind in ("secret", "config", "network", "volume"):
            if left[kind]:
                docker(kind, "rm", *left[kind], check=False)
        left = {kind: _names(kind, stack) for kind in left}
        if not any(left.values()):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"stack {stack} still has {left} after {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture
def stack_name(engine_available: None) -> Iterator[str]:
    """A random stack name `cs<hex>`; everything of that stack is removed after the test."""
    name = random_name("cs")
    try:
        yield name
    finally:
        remove_stack(name)


@dataclass(frozen=True)
class Registry:
    """A registry service on this swarm, reached at 127.0.0.1:port (insecure by default for 127/8)."""

    service: str
    port: int
    username: Optional[str] = None
    password: Optional[str] = None
    # A DOCKER_CONFIG folder logged in to this registry (auth registries only), so the tests never
    # write the user's ~/.docker/config.json.
    docker_config: Optional[Path] = None

    @property
    def address(self) -> str:
        """host:port, the prefix of image references in this registry."""
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for docker commands that need this registry's credentials."""
        return {"DOCKER_CONFIG": str(self.docker_config)} if self.docker_config else {}


def _free_port() -> int:
    """A TCP port nothing listens on right now (host-mode publishing needs a fixed number)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _registry_script(*args: str) -> None:
    """Run scripts/registry.sh with the given arguments; fail with its output when it fails."""
    proc = subprocess.run(
        [str(REPO_ROOT / "scripts" / "registry.sh"), *args], capture_output=True, text=True, timeout=180
    )
    if proc.returncode != 0:
        raise AssertionError(f"scripts/registry.sh {' '.join(args)} exited {proc.returncode}: {proc.stderr}")


@pytest.fixture(scope="session")
def registry(engine_available: None) -> Iterator[Registry]:
    """An open registry (no auth) as a swarm service on a free host port, for the whole session."""
    reg = Registry(service=random_name("csreg"), port=_free_port())
    _registry_script("up", "--name", reg.service, "--port", str(reg.port))
    try:
        yield reg
    finally:
        _registry_script("down", "--name", reg.service)


@pytest.fixture(scope="session")
def auth_registry(engine_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry that wants basic auth (htpasswd, bcrypt), with a DOCKER_CONFIG logged in to it."""
    config = tmp_path_factory.mktemp("docker-config")
    reg = Registry(
        service=random_name("csauthreg"), port=_free_port(), username="cs", password=secrets.token_hex(8),
        docker_config=config,
    )
    _registry_script("up", "--name", reg.service, "--port", str(reg.port), "--auth", f"{reg.username}:{reg.password}")
    try:
        docker("login", "--username", str(reg.username), "--password-stdin", reg.address,
               input=str(reg.password), env=reg.env())
        yield reg
    finally:
        _registry_script("down", "--name", reg.service)


def inspect(kind: str, name: str) -> Any:
    """`docker <kind> inspect NAME` as JSON (the first object)."""
    return json.loads(docker(kind, "inspect", name).stdout)[0]


@pytest.fixture
def fault_proxy(engine_available: None) -> Iterator[FaultProxy]:
    """A started fault proxy in front of the engine: run composeswarm with DOCKER_HOST=proxy.docker_host."""
    try:
        upstream = default_upstream()
    except ValueError as exc:  # DOCKER_HOST is tcp:// or ssh://: nothing to put a unix proxy in front of
        pytest.skip(str(exc))
    # a short folder of its own: a unix socket path must stay under 108 bytes, pytest's tmp_path may not
    folder = tempfile.mkdtemp(prefix="csproxy", dir="/tmp")
    proxy = FaultProxy(Path(folder) / "docker.sock", upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()
        shutil.rmtree(folder, ignore_errors=True)
    assert proxy.errors == [], f"the fault proxy failed: {proxy.errors}"
