"""The multi-node test bed: a swarm of three engines on this machine (scripts/multinode.sh).

`bed` (one for the session): three nodes, one manager (csmn-n1) and two workers, zone=a on n1 and zone=b
on the others. `bed3`: three managers, prefix csm3, on its own /24. The beds the session's tests ask for come up
at once in the background when the first of them is needed; at the end they are torn down (by
process id) and checked: a namespace, link, mount or process left behind fails the session. Every test here is marked `multinode` and `engine` (so the
no-docker unit run leaves them out). When the bed cannot come up the tests skip with the reason, and
fail in CI (CI=true), where the bed is part of the job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

from tests.integration.conftest import DOCKER_CLI, IN_CI, random_name

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "multinode.sh"
COMPOSESWARM = REPO_ROOT / ".venv" / "bin" / "composeswarm"
STATE_ROOT = Path(os.environ.get("COMPOSESWARM_STATE_DIR", REPO_ROOT / ".cache" / "composeswarm"))
# A first deploy on a fresh swarm can stall 30 s ("Bulk sync to node ... timed out", moby#47396).
FIRST_DEPLOY_TIMEOUT = 60

Json = dict[str, Any]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `multinode` and `engine`."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.multinode)
            item.add_marker(pytest.mark.engine)


@dataclass
class Bed:
    """One bed: its script settings, its nodes (1-based numbers), and helpers that run on a node."""

    prefix: str
    net: str
    state: Path
    nodes: int = 3
    managers: int = 1
    numbers: list[int] = field(default_factory=list)

    # --- the script ---------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "COMPOSESWARM_MN_DIR": str(self.state),
            "COMPOSESWARM_MN_PREFIX": self.prefix,
            "COMPOSESWARM_MN_NET": self.net,
            "COMPOSESWARM_MN_NODES": str(self.nodes),
            "COMPOSESWARM_MN_MANAGERS": str(self.managers),
        }

    def script(self, *args: str, timeout: float = 180) -> str:
        """Run scripts/multinode.sh ARGS for this bed; its stdout, or AssertionError with its output."""
        proc = subprocess.run([str(SCRIPT), *args], env=self.env(), capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"multinode.sh {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    # --- nodes --------------------------------------------------------------------------------------

    def host(self, node: int = 1) -> str:
        """DOCKER_HOST of node I."""
        return f"unix://{self.state}/n{node}/docker.sock"

    def hostname(self, node: int) -> str:
        return f"{self.prefix}-n{node}"

    def role(self, node: int) -> str:
        return "manager" if node <= self.managers else "worker"

    def stop(self, node: int) -> None:
        """Stop node I's dockerd (SIGTERM by its pid, waited for)."""
        self.script("stop", str(node))

    def start(self, node: int) -> None:
        """Start node I's dockerd again; returns once it answers (not once the swarm sees it Ready)."""
        self.script("start", str(node))

    def add(self) -> int:
        """One more worker, Ready, labelled, with the images; its number."""
        number = int(self.script("add").split()[-1])
        self.numbers.append(number)
        return number

    def remove(self, node: int) -> None:
        self.script("remove", str(node))
        self.numbers.remove(node)

    def docker(self, *args: str, node: int = 1, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """The docker CLI against node I."""
        proc = subprocess.run([DOCKER_CLI, "-H", self.host(node), *args], capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} on n{node} exited {proc.returncode}: {proc.stderr}")
        return proc

    def api(self, node: int = 1) -> Any:
        """A docker SDK APIClient on node I (the tests read tasks and nodes with it)."""
        import docker

        return docker.APIClient(base_url=self.host(node), version="1.41", timeout=20)

    def composeswarm(self, *args: str, node: int = 1, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run composeswarm ARGS with DOCKER_HOST at node I; the finished process."""
        return subprocess.run(self.command(*args), env=self.cs_env(node), capture_output=True, text=True, timeout=timeout)

    def command(self, *args: str) -> list[str]:
        return [str(COMPOSESWARM), *args]

    def cs_env(self, node: int = 1) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        return {**env, "DOCKER_HOST": self.host(node), "CI": "true"}  # CI: plain progress lines

    def deploy(self, stack: str, compose: Path, *extra: str, node: int = 1, timeout: float = FIRST_DEPLOY_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """composeswarm deploy STACK -c FILE --resolve-image never (no registry is reachable from the nodes)."""
        return self.composeswarm(
            "deploy", stack, "-c", str(compose), "--resolve-image", "never", "--timeout", f"{timeout:g}", *extra,
            node=node, timeout=timeout + 60,
        )

    # --- reads --------------------------------------------------------------------------------------

    def node_names(self, node: int = 1) -> dict[str, str]:
        """Node ID -> hostname."""
        return {n["ID"]: n["Description"]["Hostname"] for n in self.api(node).nodes()}

    def tasks(self, service: str, node: int = 1) -> list[Json]:
        return list(self.api(node).tasks(filters={"service": service}))

    def running(self, service: str, node: int = 1) -> list[Json]:
        """The service's tasks that run and are meant to."""
        return [t for t in self.tasks(service, node) if t["Status"]["State"] == "running" and t["DesiredState"] == "running"]

    def placement(self, service: str, node: int = 1) -> Counter[str]:
        """Hostname -> number of running tasks of the service."""
        names = self.node_names(node)
        return Counter(names.get(t["NodeID"], t["NodeID"]) for t in self.running(service, node))

    def wait_ready(self, node: int = 1, timeout: float = 60) -> None:
        """Until the manager at node I sees every node of the bed Ready."""
        want = {self.hostname(i) for i in self.numbers}
        deadline = time.monotonic() + timeout
        seen: Any = None
        while time.monotonic() < deadline:
            try:
                seen = {n["Description"]["Hostname"]: n["Status"]["State"] for n in self.api(node).nodes()}
                if all(seen.get(h) == "ready" for h in want):
                    return
            except Exception as exc:  # a manager that is electing a leader answers with an error
                seen = repr(exc)
            time.sleep(0.5)
        raise AssertionError(f"nodes not all ready after {timeout:g} s: {seen}")


def _problem() -> Optional[str]:
    """Why no bed can come up here, or None."""
    if os.geteuid() != 0:
        return "the multinode bed needs root (network namespaces, one dockerd per node)"
    missing = [c for c in ("ip", "nsenter", "unshare", "setsid", "dockerd", "containerd", "runc", "findmnt")
               if shutil.which(c, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]
    if missing:
        return f"the multinode bed needs {', '.join(missing)}, not found in PATH"
    if not COMPOSESWARM.exists():
        return f"{COMPOSESWARM} is missing: run scripts/venv.sh"
    return None


class Beds:
    """The session's beds: each brought up in the background when first asked for, all torn down at the end."""

    def __init__(self) -> None:
        self.ups: dict[str, tuple[Bed, subprocess.Popen[str], float]] = {}
        self.ready: dict[str, Bed] = {}

    def start(self, bed: Bed) -> None:
        """Begin `up` (after a `down` of what a killed run left) unless it began already."""
        if bed.prefix in self.ups:
            return
        problem = _problem()
        if problem is not None:
            if IN_CI:
                pytest.fail(f"CI=true and {problem}", pytrace=False)
            pytest.skip(problem)
        if bed.state.exists():  # left by a run that was killed: its pid files say what to stop
            bed.script("down")
        proc = subprocess.Popen([str(SCRIPT), "up"], env=bed.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.ups[bed.prefix] = (bed, proc, time.monotonic())

    def get(self, bed: Bed) -> Bed:
        """The bed, up: waits for its `up`; fails with the script's output when it failed."""
        self.start(bed)
        if bed.prefix not in self.ready:
            _, proc, started = self.ups[bed.prefix]
            out, _ = proc.communicate(timeout=300)
            if proc.returncode != 0:
                pytest.fail(f"the multinode bed {bed.prefix} did not come up (multinode.sh up exited "
                            f"{proc.returncode}):\n{out}", pytrace=False)
            bed.numbers = list(range(1, bed.nodes + 1))
            said = [line for line in out.splitlines() if ": up: " in line]  # "multinode.sh: up: 3 nodes ... in 5 s"
            print(f"\nmultinode bed {bed.prefix} ready after {time.monotonic() - started:.1f} s ({said[-1] if said else out})")
            self.ready[bed.prefix] = bed
        return bed

    def tear_down(self) -> None:
        """`down` every bed at once, then `check-clean` each: AssertionError naming what is left."""
        started = time.monotonic()
        downs = []
        for bed, proc, _ in self.ups.values():
            if proc.poll() is None:  # still coming up (its test was deselected or failed early)
                proc.wait(timeout=300)
            downs.append((bed, subprocess.Popen([str(SCRIPT), "down"], env=bed.env(), stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True)))
        problems = []
        for bed, proc in downs:
            out, _ = proc.communicate(timeout=300)
            if proc.returncode != 0:
                problems.append(f"multinode.sh down ({bed.prefix}) exited {proc.returncode}:\n{out}")
        print(f"\nmultinode beds {', '.join(self.ups)}: down in {time.monotonic() - started:.1f} s")
        for bed, _ in downs:
            try:
                bed.script("check-clean")
            except AssertionError as exc:
                problems.append(str(exc))
        if problems:
            raise AssertionError("\n".join(problems))


ONE_MANAGER = Bed(prefix="csmn", net="10.99.0", state=STATE_ROOT / "multinode")
THREE_MANAGERS = Bed(prefix="csm3", net="10.99.1", state=STATE_ROOT / "multinode3", managers=3)


@pytest.fixture(scope="session")
def beds(request: pytest.FixtureRequest) -> Iterator[Beds]:
    """Starts, in the background and at once, every bed the session's tests ask for; removes them at the end."""
    pool = Beds()
    try:
        wanted = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
        for name, bed in (("bed", ONE_MANAGER), ("bed3", THREE_MANAGERS)):
            if name in wanted:
                pool.start(bed)
        yield pool
    finally:
        pool.tear_down()  # an error here fails the session: something was left behind


@pytest.fixture(scope="session")
def bed(beds: Beds) -> Bed:
    """Three nodes: csmn-n1 the manager, csmn-n2 and csmn-n3 workers."""
    return beds.get(ONE_MANAGER)


@pytest.fixture(scope="session")
def bed3(beds: Beds) -> Bed:
    """Three managers: csm3-n1 (the leader at first), csm3-n2 and csm3-n3."""
    return beds.get(THREE_MANAGERS)


@pytest.fixture
def stack(bed: Bed) -> Iterator[str]:
    """A random stack name on `bed`; its services and networks are removed after the test."""
    name = random_name("mn")
    try:
        yield name
    finally:
        bed.docker("stack", "rm", name, check=False)


def write_compose(folder: Path, text: str, name: str = "compose.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The `error: ...` lines composeswarm wrote to stderr."""
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def say_outcome(what: str, proc: subprocess.CompletedProcess[str]) -> None:
    """Print (pytest -s, or -rA) which of the allowed outcomes a test saw, with its last line."""
    lines = proc.stderr.strip().splitlines()
    print(f"\n{what}: exit {proc.returncode}: {lines[-1] if lines else ''}")


def outcome_of(proc: subprocess.CompletedProcess[str]) -> str:
    """The whole output, for assertion messages."""
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def update_state(bed: Bed, service: str, node: int = 1) -> Optional[str]:
    status = bed.api(node).inspect_service(service).get("UpdateStatus") or {}
    state = status.get("State")
    return None if state is None else str(state)


def image_of(task: Json) -> str:
    """The task's image without a digest."""
    return str(task["Spec"]["ContainerSpec"]["Image"]).split("@")[0]


def poll(seconds: float, interval: float, check: Any, what: str) -> Any:
    """check() until it returns something true, or AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # an engine restarting, a leader being elected
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {seconds:g} s (last: {last!r})")

