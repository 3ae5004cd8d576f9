"""composeswarm deploy puts into the engine what `docker stack deploy` (CLI 28.2) puts there.

For each corpus case, under one stack name: deploy with docker (`--resolve-image never`), read back
every service, network, secret and config carrying the stack label (IDs mapped to names), remove the
stack and wait for its networks to go; deploy with composeswarm the same way, read back, compare.
A file docker refuses must be refused by composeswarm too. The differences made on purpose are the
ones in DELIBERATE (docs/differences.md): the test removes exactly those, and checks they are there.

Corpus stacks publish fixed ports and other helpers deploy them too: each case runs under an
exclusive lock on /tmp/composeswarm-corpus.lock.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import DOCKER_CLI, REPO_ROOT, ExternalObjects, docker, random_name, remove_stack
from tests.integration.specdiff import spec_diff

CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
CASES = sorted(p.parent.name for p in CORPUS_DIR.glob("*/case.json")) if CORPUS_DIR.is_dir() else []
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
LABEL = "com.docker.stack.namespace"
# The overlay driver picks a VXLAN ID for every network it creates: the engine's, not the file's.
ENGINE_NETWORK_OPTIONS = ("com.docker.network.driver.overlay.vxlanid_list",)
# Subnets the engine allocates from the default address pool when the file gives none.
DEFAULT_POOL = ipaddress.ip_network("10.0.0.0/8")

# Differences made on purpose; each has a row in docs/differences.md.
DIGEST_LABEL = "com.docker.stack.composeswarm.digest"
DELIBERATE = {
    DIGEST_LABEL: "secrets and configs composeswarm creates carry the sha256 of their content, so a later "
    "plan can tell a changed file (the engine never returns a secret's data)",
}

# Wall times measured while the tests run: case -> (docker seconds, composeswarm seconds).
TIMINGS: dict[str, tuple[float, float]] = {}


@pytest.fixture(scope="module", autouse=True)
def _print_timings() -> Iterator[None]:
    yield
    if TIMINGS:
        lines = [f"{case}: docker {d:.2f} s, composeswarm {c:.2f} s" for case, (d, c) in sorted(TIMINGS.items())]
        total_d = sum(d for d, _ in TIMINGS.values())
        total_c = sum(c for _, c in TIMINGS.values())
        lines.append(f"total over {len(TIMINGS)} cases: docker {total_d:.2f} s, composeswarm {total_c:.2f} s")
        Path("/tmp/composeswarm-conformance-timings.txt").write_text("\n".join(lines) + "\n")


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((CORPUS_DIR / name / "case.json").read_text())
    return case


@pytest.fixture
def externals(request: pytest.FixtureRequest, corpus_lock: None) -> Iterator[None]:
    """The case's external networks, secrets and configs (made when missing, removed if made here)."""
    objects = ExternalObjects()
    try:
        objects.make(_case(request.param).get("external", {}))
        yield
    finally:
        objects.remove()


def _env(case: Mapping[str, Any]) -> dict[str, str]:
    return {**os.environ, **{k: str(v) for k, v in (case.get("env") or {}).items()}}


def deploy_with_docker(stack: str, file: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker stack deploy --resolve-image never -c FILE STACK`."""
    cmd = [DOCKER_CLI, "stack", "deploy", "--resolve-image", "never", "--detach=true", "-c", str(file), stack]
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(env), cwd=file.parent, timeout=180)


def deploy_with_composeswarm(stack: str, file: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`composeswarm deploy --resolve-image never --detach -f FILE STACK` (docker waits for nothing)."""
    cmd = [COMPOSESWARM, "deploy", "--resolve-image", "never", "--detach", "-f", str(file), *args, stack]
    return subprocess.run(cmd, capture_output=True, text=True, env=dict(env), cwd=file.parent, timeout=180)


def _inspect_all(kind: str, stack: str) -> list[dict[str, Any]]:
    trunc = ["--no-trunc"] if kind == "network" else []  # service, secret, config IDs come whole
    ids = docker(kind, "ls", "-q", *trunc, "--filter", f"label={LABEL}={stack}").stdout.split()
    if not ids:
        return []
    out: list[dict[str, Any]] = json.loads(docker(kind, "inspect", *ids).stdout)
    return out


def _id_names(kind: str) -> dict[str, str]:
    trunc = ["--no-trunc"] if kind == "network" else []
    rows = docker(kind, "ls", *trunc, "--format", "{{.ID}} {{.Name}}").stdout.splitlines()
    return dict(row.split(" ", 1) for row in rows if row)


def read_back(stack: str) -> dict[str, dict[str, Any]]:
    """Every object of the stack, by kind and name, with engine IDs replaced by names."""
    networks, secrets, configs = _id_names("network"), _id_names("secret"), _id_names("config")
    services = {}
    for svc in _inspect_all("service", stack):
        spec = svc["Spec"]
        task = spec.get("TaskTemplate") or {}
        for net in task.get("Networks") or []:
            net["Target"] = networks.get(net["Target"], net["Target"])
        container = task.get("ContainerSpec") or {}
        for ref in container.get("Secrets") or []:
            ref["SecretID"] = secrets.get(ref.get("SecretID"), ref.get("SecretID"))
        for ref in container.get("Configs") or []:
            ref["ConfigID"] = configs.get(ref.get("ConfigID"), ref.get("ConfigID"))
        cred = (container.get("Privileges") or {}).get("CredentialSpec") or {}
        if cred.get("Config"):
            cred["Config"] = configs.get(cred["Config"], cred["Config"])
        services[spec["Name"]] = spec
    nets = {}
    for net in _inspect_all("network", stack):
        ipam = dict(net.get("IPAM") or {})
        ipam["Config"] = [c for c in ipam.get("Config") or [] if not _engine_allocated(c.get("Subnet"))]
        nets[net["Name"]] = {
            "Labels": net.get("Labels") or {},
            "Driver": net.get("Driver"),
            "Options": {k: v for k, v in (net.get("Options") or {}).items() if k not in ENGINE_NETWORK_OPTIONS},
            "IPAM": ipam,
            "Internal": net.get("Internal"),
            "Attachable": net.get("Attachable"),
        }
    files = {}
    for kind in ("secret", "config"):
        for obj in _inspect_all(kind, stack):
            files[f"{kind} {obj['Spec']['Name']}"] = {"Labels": obj["Spec"].get("Labels") or {}}
    return {"services": services, "networks": nets, "files": files}


def _engine_allocated(subnet: str | None) -> bool:
    if not subnet:
        return True
    net = ipaddress.ip_network(subnet, strict=False)
    return net.version == 4 and net.subnet_of(DEFAULT_POOL)  # type: ignore[arg-type]


def without_deliberate(objects: dict[str, dict[str, Any]], app: Path) -> dict[str, dict[str, Any]]:
    """composeswarm's objects minus the differences made on purpose, after checking each is there."""
    for key, obj in objects["files"].items():
        labels = obj["Labels"]
        assert DIGEST_LABEL in labels, f"{key}: the content digest label is missing"
        assert len(labels[DIGEST_LABEL]) == len(hashlib.sha256().hexdigest())
        obj["Labels"] = {k: v for k, v in labels.items() if k != DIGEST_LABEL}
    return objects


def diff(expected: Any, actual: Any) -> list[str]:
    """Every place where two JSON values differ."""
    return spec_diff(expected, actual, ("docker", "composeswarm"))


def refused_by_docker(stack: str, file: Path, env: Mapping[str, str], docker_stderr: str) -> None:
    """A file docker refuses: composeswarm refuses it too.

    Either on the same engine refusal (docker's last line is `Error response from daemon: X`, and X
    is in composeswarm's error), or earlier, from the files, before any write: then the engine holds
    nothing of the stack (docker, which checks later, may have left part of it behind).
    """
    remove_stack(stack)
    ours = deploy_with_composeswarm(stack, file, env)
    assert (ours.returncode, ours.stdout) == (1, ""), ours.stderr
    last = docker_stderr.strip().splitlines()[-1]
    _, sep, daemon_reason = last.partition("Error response from daemon: ")
    if sep and daemon_reason in ours.stderr:
        return
    assert "\nerror: " in "\n" + ours.stderr, ours.stderr
    assert read_back(stack) == {"services": {}, "networks": {}, "files": {}}


@pytest.mark.slow
@pytest.mark.parametrize("externals", CASES, indirect=True, ids=CASES)
def test_corpus_case_matches_docker(externals: None, request: pytest.FixtureRequest) -> None:
    if not CASES:
        pytest.skip(f"corpus not found at {CORPUS_DIR}")
    name = request.node.callspec.params["externals"]
    case = _case(name)
    file = CORPUS_DIR / name / case["compose_file"]
    env = _env(case)
    stack = random_name("cf")
    try:
        started = time.monotonic()
        by_docker = deploy_with_docker(stack, file, env)
        docker_s = time.monotonic() - started
        if case["docker_stack_deploy"] != "deploys":
            assert by_docker.returncode != 0, f"docker deployed a file the corpus says it refuses: {by_docker.stdout}"
        if by_docker.returncode != 0:
            refused_by_docker(stack, file, env, by_docker.stderr)
            return
        assert by_docker.returncode == 0, by_docker.stderr
        expected = read_back(stack)
        remove_stack(stack)
        started = time.monotonic()
        ours = deploy_with_composeswarm(stack, file, env)
        ours_s = time.monotonic() - started
        assert ours.returncode == 0, ours.stderr
        TIMINGS[name] = (docker_s, ours_s)
        actual = without_deliberate(read_back(stack), file.parent)
        assert diff(expected, actual) == []
    finally:
        remove_stack(stack)


@pytest.mark.slow
@pytest.mark.parametrize("externals", ["05-dockersamples-example-voting-app-docker-stack"], indirect=True)
def test_docker_commands_work_on_composeswarm_stack_and_back(externals: None) -> None:
    """docker stack services/ps/rm see a composeswarm stack; composeswarm takes over a docker stack."""
    name = "05-dockersamples-example-voting-app-docker-stack"
    case = _case(name)
    file = CORPUS_DIR / name / case["compose_file"]
    env = _env(case)
    stack = random_name("cf")
    try:
        ours = deploy_with_composeswarm(stack, file, env)
        assert ours.returncode == 0, ours.stderr
        services = docker("stack", "services", stack, "--format", "{{.Name}}").stdout.split()
        assert sorted(services) == sorted(f"{stack}_{s}" for s in ("db", "redis", "result", "visualizer", "vote", "worker"))
        tasks = docker("stack", "ps", stack, "--format", "{{.Name}}").stdout.split()
        assert {t.rsplit(".", 1)[0] for t in tasks} <= set(services) and tasks
        networks = [n["Name"] for n in _inspect_all("network", stack)]
        assert sorted(networks) == [f"{stack}_backend", f"{stack}_default", f"{stack}_frontend"]
        removed = docker("stack", "rm", stack).stdout.splitlines()
        assert sorted(removed) == sorted([f"Removing service {s}" for s in services] + [f"Removing network {n}" for n in networks])
        remove_stack(stack)  # waits for the networks to go

        assert deploy_with_docker(stack, file, env).returncode == 0
        versions = {s["Spec"]["Name"]: s["Version"]["Index"] for s in _inspect_all("service", stack)}
        again = deploy_with_composeswarm(stack, file, env)
        assert (again.returncode, again.stdout) == (0, f"Stack {stack} is up to date: nothing to change\n"), again.stderr
        assert {s["Spec"]["Name"]: s["Version"]["Index"] for s in _inspect_all("service", stack)} == versions
    finally:
        remove_stack(stack)
