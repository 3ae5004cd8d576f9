"""The plan's three facts on every corpus case and on examples/stack_03, against the real engine.

(a) deployed by composeswarm, then planned again: no changes;
(b) deployed by `docker stack deploy --resolve-image never`, then planned by composeswarm: no changes;
(c) one field changed in the files (replicas, an env value, the image tag): exactly that field changes.

Corpus stacks publish fixed ports and other test runs deploy them too, so each case holds an
exclusive lock (/tmp/composeswarm-corpus.lock) from its first deploy to its removal.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from composeswarm.plan.sensitive import is_sensitive
from tests.integration.conftest import DOCKER_CLI, ExternalObjects, random_name, remove_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
CASES = sorted(p.parent.name for p in CORPUS_DIR.glob("*/case.json")) if CORPUS_DIR.is_dir() else []
STACK_03 = REPO_ROOT / "examples" / "stack_03"
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
PORT_WAIT_S = 120.0  # how long to wait for another stack to free a published port


def _cases() -> list[Any]:
    if not CASES:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS_DIR}"), id="no-corpus")]
    out = []
    for case in CASES:
        meta = json.loads((CORPUS_DIR / case / "case.json").read_text())
        marks = []
        if meta["docker_stack_deploy"] != "deploys":
            marks.append(pytest.mark.skip(reason=f"docker refuses the file: {meta['docker_stack_deploy']}"))
        out.append(pytest.param(case, marks=marks, id=case))
    return out


class Case:
    """One stack file with what it needs: env, external objects, its folder."""

    def __init__(self, files: list[Path], env: Mapping[str, str], external: Mapping[str, list[str]]) -> None:
        self.files = files
        self.env = dict(env)
        self.external = external

    @classmethod
    def corpus(cls, name: str) -> Case:
        meta = json.loads((CORPUS_DIR / name / "case.json").read_text())
        env = {k: str(v) for k, v in meta.get("env", {}).items()}
        return cls([CORPUS_DIR / name / meta["compose_file"]], env, meta.get("external", {}))

    @classmethod
    def stack_03(cls) -> Case:
        files = sorted(STACK_03.glob("docker-compose*.yml")) or sorted(STACK_03.glob("*.yml"))
        return cls(files[:1], {}, {})


def run(args: list[str], env: Mapping[str, str], cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command with the case's environment added."""
    return subprocess.run(args, capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd, timeout=timeout)


def docker_deploy(case: Case, stack: str) -> None:
    """`docker stack deploy --resolve-image never`; skip the test when docker refuses the file here."""
    args = [DOCKER_CLI, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet"]
    for f in case.files:
        args += ["-c", str(f)]
    proc = _retry_on_busy_port(lambda: run(args + [stack], case.env))
    if proc.returncode != 0:
        pytest.skip(f"docker stack deploy refuses the file on this engine: {_last_line(proc.stderr)}")


def cs_deploy(case: Case, stack: str) -> None:
    """`composeswarm deploy --resolve-image never --detach`; skip when docker refuses the file too.

    --detach: the corpus images cannot run here, so a wait for a dependency would never end.
    """
    args = [COMPOSESWARM, "deploy", "--resolve-image", "never", "--detach"]
    for f in case.files:
        args += ["-f", str(f)]
    proc = _retry_on_busy_port(lambda: run(args + [stack], case.env))
    if proc.returncode == 0:
        return
    remove_stack(stack)
    docker_args = [DOCKER_CLI, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet"]
    for f in case.files:
        docker_args += ["-c", str(f)]
    theirs = run(docker_args + [stack], case.env)
    assert theirs.returncode != 0, f"composeswarm deploy refuses a file docker deploys:\n{proc.stderr}"
    pytest.skip(f"both refuse the file on this engine: {_last_line(proc.stderr)}")


def _retry_on_busy_port(go: Callable[[], subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]:
    """Run `go`, again while another stack holds a published port (up to PORT_WAIT_S)."""
    deadline = time.monotonic() + PORT_WAIT_S
    while True:
        proc = go()
        if proc.returncode == 0 or "already in use" not in proc.stderr or time.monotonic() > deadline:
            return proc
        time.sleep(3)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def cs_plan(case: Case, stack: str, extra: list[Path] = ()) -> tuple[int, dict[str, Any], str]:  # type: ignore[assignment]
    """`composeswarm plan --output json`: (exit code, the JSON plan, stderr)."""
    args = [COMPOSESWARM, "plan", "--output", "json"]
    for f in [*case.files, *extra]:
        args += ["-f", str(f)]
    proc = run(args + [stack], case.env)
    assert proc.returncode in (0, 2), f"plan exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def changes(plan: Mapping[str, Any]) -> list[tuple[str, str, str, list[tuple[str, Any, Any]]]]:
    """The plan's changes as comparable tuples."""
    return [
        (c["kind"], c["name"], c["action"], [(f["path"], f["before"], f["after"]) for f in c["fields"]])
        for c in plan["changes"]
    ]


class Target:
    """A random stack name, and the external objects this test created for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.objects = ExternalObjects()

    def make_externals(self, external: Mapping[str, list[str]]) -> None:
        """Create the case's external networks, secrets and configs that do not exist yet."""
        self.objects.make(external)


@pytest.fixture
def target(corpus_lock: None, engine_available: None) -> Iterator[Target]:
    """The stack under test; removed, then its externals, before the lock is released."""
    tgt = Target(random_name("csplan"))
    try:
        yield tgt
    finally:
        remove_stack(tgt.name)
        tgt.objects.remove()


def _all_cases() -> list[Any]:
    params = _cases()
    params.append(
        pytest.param(
            "stack_03",
            marks=[pytest.mark.skipif(not STACK_03.is_dir(), reason="examples/stack_03 is not there yet")],
            id="examples-stack_03",
        )
    )
    return params


def _load(name: str) -> Case:
    return Case.stack_03() if name == "stack_03" else Case.corpus(name)


@pytest.mark.parametrize("name", _all_cases())
def test_plan_after_docker_deploy_has_no_changes(name: str, target: Target) -> None:
    """(b) composeswarm takes over a stack docker deployed without touching it."""
    case, stack = _load(name), target.name
    target.make_externals(case.external)
    docker_deploy(case, stack)
    code, plan, _ = cs_plan(case, stack)
    assert (code, changes(plan)) == (0, [])


@pytest.mark.parametrize("name", _all_cases())
def test_plan_after_composeswarm_deploy_has_no_changes(name: str, target: Target) -> None:
    """(a) a redeploy of an unchanged file plans nothing."""
    case, stack = _load(name), target.name
    target.make_externals(case.external)
    cs_deploy(case, stack)
    code, plan, _ = cs_plan(case, stack)
    assert (code, changes(plan)) == (0, [])


def _first_file_version(case: Case) -> str | None:
    tree = yaml.safe_load(case.files[0].read_text())
    version = tree.get("version") if isinstance(tree, dict) else None
    return None if version is None else str(version)


def _pick_service(case: Case) -> tuple[str, dict[str, Any]]:
    """The first replicated service (sorted by name) of the merged file, as `docker stack config` shows it."""
    args = [DOCKER_CLI, "stack", "config"]
    for f in case.files:
        args += ["-c", str(f)]
    tree = yaml.safe_load(run(args, case.env).stdout)
    for name in sorted(tree["services"]):
        svc = tree["services"][name]
        if (svc.get("deploy") or {}).get("mode", "replicated") == "replicated":
            return name, svc
    pytest.skip("no replicated service to change")


@pytest.mark.parametrize(
    "field",
    [pytest.param("replicas", id="replicas"), pytest.param("env", id="env value"), pytest.param("image", id="image tag")],
)
@pytest.mark.parametrize("name", _all_cases())
def test_one_field_changed_plans_exactly_that_field(name: str, field: str, target: Target, tmp_path: Path) -> None:
    """(c) an override file changes one field of one service: the plan lists that field only.

    docker merges a second file with list re-keying (ports by published port: 443/tcp and 443/udp
    collapse), so the stack is first deployed with a neutral override naming the same service (its
    own image again): the changed override then differs from what is deployed by one field only.
    """
    case, stack = _load(name), target.name
    target.make_externals(case.external)
    service, svc = _pick_service(case)
    version = _first_file_version(case)
    header: dict[str, Any] = {} if version is None else {"version": version}
    neutral = tmp_path / "neutral.yml"
    neutral.write_text(yaml.safe_dump({**header, "services": {service: {"image": svc["image"]}}}))
    docker_deploy(Case([*case.files, neutral], case.env, case.external), stack)

    change: dict[str, Any] = {"image": svc["image"]}
    env = svc.get("environment") or {}
    if field == "replicas":
        before: Any = (svc.get("deploy") or {}).get("replicas", 1)
        after: Any = before + 1
        change["deploy"] = {"replicas": after}
        path = "deploy.replicas"
    elif field == "env":
        plain = [k for k in sorted(env) if env[k] is not None and not is_sensitive(f"environment.{k}")]
        key, before = (plain[0], env[plain[0]]) if plain else ("CS_PLAN_PROBE", None)
        after = f"{before or ''}-changed"
        change["environment"] = {key: after}
        path = f"environment.{key}"
    else:
        before = svc["image"]
        after = "local/busybox:2" if before != "local/busybox:2" else "local/busybox:1"
        change["image"] = after
        path = "image"
    changed = tmp_path / "changed.yml"
    changed.write_text(yaml.safe_dump({**header, "services": {service: change}}))
    code, plan, _ = cs_plan(case, stack, [changed])
    assert (code, changes(plan)) == (2, [("service", f"{stack}_{service}", "update", [(path, before, after)])])
