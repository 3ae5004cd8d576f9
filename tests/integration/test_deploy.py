"""composeswarm deploy on the real engine: output, no-op redeploys, updates, prune, refusals, reruns.

Every test deploys small local/busybox stacks (init: true, so tasks stop at once) under a random
stack name removed afterwards. The registry tests push to a registry service on this swarm.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from composeswarm.act.resolve import digest_warning
from tests.integration.conftest import REPO_ROOT, Registry, _free_port, docker, random_name, remove_stack

COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
LABEL = "com.docker.stack.namespace"

HEADER = """version: "3.8"
x-svc: &svc
  image: local/busybox:1
  init: true
  stop_grace_period: 1s
  command: ["sleep", "100000"]
"""

BASIC = HEADER + """services:
  a:
    <<: *svc
    environment: {GREETING: hello}
    secrets: [pw]
    configs: [conf]
  b: {<<: *svc}
secrets:
  pw: {file: ./pw.txt}
configs:
  conf: {file: ./conf.txt}
"""


def cs(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `composeswarm ARGS` (stdout and stderr are pipes)."""
    return subprocess.run(
        [COMPOSESWARM, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


def deploy(stack: str, file: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`composeswarm deploy --resolve-image never --detach -f FILE ARGS STACK` unless ARGS say otherwise."""
    resolve = [] if "--resolve-image" in args else ["--resolve-image", "never"]
    return cs("deploy", *resolve, "--detach", "-f", str(file), *args, stack, env=env)


def write(tmp_path: Path, text: str, name: str = "stack.yml") -> Path:
    (tmp_path / "pw.txt").write_text("s3cret\n")
    (tmp_path / "conf.txt").write_text("conf v1\n")
    path = tmp_path / name
    path.write_text(text)
    return path


def service(name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(docker("service", "inspect", name).stdout)[0]
    return out


def versions(stack: str) -> dict[str, int]:
    """Version index of every object of the stack, by `kind name`."""
    out = {}
    for kind in ("service", "secret", "config"):
        ids = docker(kind, "ls", "-q", "--filter", f"label={LABEL}={stack}").stdout.split()
        for obj in json.loads(docker(kind, "inspect", *ids).stdout) if ids else []:
            out[f"{kind} {obj['Spec']['Name']}"] = obj["Version"]["Index"]
    return out


def objects(stack: str) -> list[str]:
    """`kind name` of everything that carries the stack label."""
    out = []
    for kind in ("service", "network", "secret", "config"):
        names = docker(kind, "ls", "--filter", f"label={LABEL}={stack}", "--format", "{{.Name}}").stdout.split()
        out.extend(f"{kind} {n}" for n in sorted(names))
    return out


def test_first_deploy_prints_docker_lines_then_redeploy_writes_nothing(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, BASIC)
    first = deploy(stack_name, file)
    s = stack_name
    assert (first.returncode, first.stdout) == (0, (
        f"Creating network {s}_default\nCreating secret {s}_pw\nCreating config {s}_conf\n"
        f"Creating service {s}_a\nCreating service {s}_b\n"
        f"Stack {s} deployed: 5 created, 0 updated, 0 replaced, 0 removed, 0 unchanged\n"
    )), first.stderr
    before = versions(stack_name)
    again = deploy(stack_name, file)
    assert (again.returncode, again.stdout) == (0, f"Stack {s} is up to date: nothing to change\n"), again.stderr
    assert versions(stack_name) == before
    dry = deploy(stack_name, file, "--dry-run")
    assert dry.returncode == 0, dry.stderr


def test_update_sends_whole_spec_and_keeps_force_update(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, BASIC)
    assert deploy(stack_name, file).returncode == 0
    docker("service", "update", "--detach", "--force", f"{stack_name}_a")
    docker("service", "update", "--detach", "--env-add", "MANUAL=1", f"{stack_name}_b")
    live_a = service(f"{stack_name}_a")
    assert live_a["Spec"]["TaskTemplate"]["ForceUpdate"] == 1
    file.write_text(BASIC.replace("GREETING: hello", "GREETING: bonjour"))
    dry = deploy(stack_name, file, "--dry-run")
    assert dry.returncode == 2, dry.stderr
    run = deploy(stack_name, file)
    s = stack_name
    b_id = service(f"{s}_b")["ID"]
    assert (run.returncode, run.stdout) == (0, (
        f"Updating service {s}_a (id: {live_a['ID']})\nUpdating service {s}_b (id: {b_id})\n"
        f"Stack {s} deployed: 0 created, 2 updated, 0 replaced, 0 removed, 3 unchanged\n"
    )), run.stderr
    a = service(f"{s}_a")
    assert a["Spec"]["TaskTemplate"]["ForceUpdate"] == 1
    assert a["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] == ["GREETING=bonjour"]
    assert a["Version"]["Index"] > live_a["Version"]["Index"]
    # the manual change to b is reverted: the whole spec is sent, never merged into the live one
    assert "Env" not in service(f"{s}_b")["Spec"]["TaskTemplate"]["ContainerSpec"]


def test_prune_removes_services_no_longer_in_the_file(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, BASIC)
    assert deploy(stack_name, file).returncode == 0
    file.write_text(BASIC.replace("  b: {<<: *svc}\n", ""))
    kept = deploy(stack_name, file)
    assert (kept.returncode, kept.stdout) == (0, f"Stack {stack_name} is up to date: nothing to change\n")
    assert f"service {stack_name}_b" in objects(stack_name)
    pruned = deploy(stack_name, file, "--prune")
    assert (pruned.returncode, pruned.stdout) == (0, (
        f"Removing service {stack_name}_b\n"
        f"Stack {stack_name} deployed: 0 created, 0 updated, 0 replaced, 1 removed, 4 unchanged\n"
    )), pruned.stderr
    assert f"service {stack_name}_b" not in objects(stack_name)


def test_engine_refusal_reports_what_was_applied_and_a_rerun_converges(tmp_path: Path, stack_name: str) -> None:
    # A refusal only the engine can make (validate refuses every bad value a file can hold): the
    # published port is taken by a service outside the stack.
    port = _free_port()
    blocker = random_name("csblock")
    docker("service", "create", "--detach", "--name", blocker, "--publish", f"{port}:80",
           "local/busybox:1", "sleep", "100000")
    try:
        blocker_id = docker("service", "inspect", blocker, "--format", "{{.ID}}").stdout.strip()
        bad = HEADER + f"""services:
  a: {{<<: *svc}}
  bad:
    <<: *svc
    ports: ["{port}:80"]
  z: {{<<: *svc}}
"""
        file = write(tmp_path, bad)
        run = deploy(stack_name, file)
        s = stack_name
        # docker's lines as the calls were made (a and z went through; the wave's calls run together)
        assert (run.returncode, run.stdout, run.stderr) == (1, (
            f"Creating network {s}_default\nCreating service {s}_a\nCreating service {s}_z\n"
        ), (
            f"error: create service {s}_bad: rpc error: code = InvalidArgument desc = port '{port}' is already in "
            f"use by service '{blocker}' ({blocker_id}) as an ingress port\n"
            f"applied: create network {s}_default, create service {s}_a, create service {s}_z\n"
            f"not applied: create service {s}_bad\n"
            "run the same command again to converge\n"
        ))
    finally:
        docker("service", "rm", blocker)
    fixed = deploy(stack_name, file)
    assert (fixed.returncode, fixed.stdout) == (0, (
        f"Creating service {s}_bad\nStack {s} deployed: 1 created, 0 updated, 0 replaced, 0 removed, 3 unchanged\n"
    )), fixed.stderr
    assert objects(stack_name) == [f"service {s}_a", f"service {s}_bad", f"service {s}_z", f"network {s}_default"]


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        pytest.param(None, 'network "{net}" is declared as external, but could not be found. You need to create '
                     "a swarm-scoped network before the stack is deployed", id="missing"),
        pytest.param("bridge", 'network "{net}" is declared as external, but it is not in the right scope: '
                     '"local" instead of "swarm"', id="local scope"),
    ],
)
def test_external_network_checked_before_any_write(tmp_path: Path, stack_name: str, driver: str | None, message: str) -> None:
    net = random_name("csext")
    file = write(tmp_path, BASIC + f"networks:\n  default: {{external: true, name: {net}}}\n")
    if driver is not None:
        docker("network", "create", "--driver", driver, net)
    try:
        run = deploy(stack_name, file)
        by_docker = docker("stack", "deploy", "--resolve-image", "never", "-c", str(file), stack_name, check=False)
    finally:
        if driver is not None:
            docker("network", "rm", net)
    assert (run.returncode, run.stdout, run.stderr) == (1, "", f"error: {message.format(net=net)}\n")
    assert by_docker.stderr.strip().splitlines()[-1] == message.format(net=net)
    assert objects(stack_name) == []


def test_missing_external_secret_is_refused_as_docker_does(tmp_path: Path, stack_name: str) -> None:
    name = random_name("csmissing")
    file = write(tmp_path, BASIC.replace("pw: {file: ./pw.txt}", f"pw: {{external: true, name: {name}}}"))
    run = deploy(stack_name, file)
    assert (run.returncode, run.stderr) == (1, f"error: service {stack_name}_a: secret not found: {name}\n")
    assert objects(stack_name) == []


@pytest.mark.parametrize(
    ("text", "stack", "stderr_start"),
    [
        pytest.param(BASIC.replace("  b: {<<: *svc}", "  b: {<<: *svc, replicas: 2}"), None, "error: ",
                     id="schema error"),
        pytest.param(BASIC, "' '", "error: invalid stack name: \"' '\"\n", id="stack name"),
        pytest.param(BASIC.replace("image: local/busybox:1", "image: Local/BusyBox"), None, "error: ",
                     id="bad image reference"),
    ],
)
def test_nothing_is_written_when_the_input_is_refused(tmp_path: Path, stack_name: str, text: str,
                                                     stack: str | None, stderr_start: str) -> None:
    file = write(tmp_path, text)
    run = deploy(stack or stack_name, file)
    assert (run.returncode, run.stdout) == (1, ""), run.stderr
    assert run.stderr.startswith(stderr_start), run.stderr
    assert objects(stack_name) == []


def test_resolve_image_option_checked_as_docker(tmp_path: Path, stack_name: str) -> None:
    run = deploy(stack_name, write(tmp_path, BASIC), "--resolve-image", "sometimes")
    assert (run.returncode, run.stderr) == (1, "error: Invalid option sometimes for flag --resolve-image\n")


def test_json_output(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, HEADER + "services:\n  a: {<<: *svc}\n")
    run = deploy(stack_name, file, "--output", "json")
    doc = json.loads(run.stdout)
    a_id = service(f"{stack_name}_a")["ID"]
    net_id = docker("network", "inspect", f"{stack_name}_default", "--format", "{{.Id}}").stdout.strip()
    assert doc == {
        "stack": stack_name,
        "applied": [
            {"kind": "network", "name": f"{stack_name}_default", "action": "create", "id": net_id},
            {"kind": "service", "name": f"{stack_name}_a", "action": "create", "id": a_id},
        ],
        "warnings": [],
        "rollout": [],
    }
    again = json.loads(deploy(stack_name, file, "--output", "json").stdout)
    assert again == {"stack": stack_name, "applied": [], "warnings": [], "rollout": []}


# --- images from a registry: --resolve-image and --with-registry-auth ------------------------------


def push(registry: Registry, source: str, ref: str) -> str:
    """Push SOURCE as REF; the repo@sha256 digest the registry holds."""
    docker("tag", source, ref)
    try:
        docker("push", ref, env=registry.env())
        digest: str = json.loads(docker("image", "inspect", ref).stdout)[0]["RepoDigests"]
        return [d for d in digest if d.startswith(ref.rsplit(":", 1)[0] + "@")][0]  # type: ignore[index]
    finally:
        docker("rmi", ref)


def image_of(name: str) -> tuple[str, Any]:
    task = service(name)["Spec"]["TaskTemplate"]
    return task["ContainerSpec"]["Image"], (task.get("Placement") or {}).get("Platforms")


def test_resolve_image_pins_digests_as_docker(tmp_path: Path, stack_name: str, registry: Registry) -> None:
    ref = f"{registry.address}/{random_name('csimg')}:1"
    pinned = push(registry, "local/busybox:1", ref)
    expected = f"{ref}@{pinned.split('@')[1]}"
    file = write(tmp_path, HEADER.replace("local/busybox:1", ref) + "services:\n  a: {<<: *svc}\n")
    theirs = random_name("csdk")
    try:
        docker("stack", "deploy", "--resolve-image", "always", "-c", str(file), theirs)
        by_docker = image_of(f"{theirs}_a")
    finally:
        remove_stack(theirs)
    first = deploy(stack_name, file, "--resolve-image", "always")
    assert first.returncode == 0, first.stderr
    assert image_of(f"{stack_name}_a") == by_docker == (expected, [{"Architecture": "amd64", "OS": "linux"}])

    for mode in ("changed", "never"):
        again = deploy(stack_name, file, "--resolve-image", mode)
        assert (again.returncode, again.stdout) == (0, f"Stack {stack_name} is up to date: nothing to change\n")

    # the tag moves: `changed` keeps the pinned digest
    moved = push(registry, "local/busybox:2", ref)
    assert moved != pinned
    kept = deploy(stack_name, file, "--resolve-image", "changed")
    assert (kept.returncode, kept.stdout) == (0, f"Stack {stack_name} is up to date: nothing to change\n")
    assert image_of(f"{stack_name}_a")[0] == expected


def test_resolve_image_always_follows_a_moved_tag(tmp_path: Path, stack_name: str, registry: Registry) -> None:
    ref = f"{registry.address}/{random_name('csimg')}:1"
    push(registry, "local/busybox:1", ref)
    file = write(tmp_path, HEADER.replace("local/busybox:1", ref) + "services:\n  a: {<<: *svc}\n")
    assert deploy(stack_name, file, "--resolve-image", "always").returncode == 0
    moved = push(registry, "local/busybox:2", ref)
    follows = deploy(stack_name, file, "--resolve-image", "always")
    assert follows.stdout.startswith(f"Updating service {stack_name}_a (id: "), follows.stderr
    assert image_of(f"{stack_name}_a")[0] == f"{ref}@{moved.split('@')[1]}"


def test_unreachable_image_gets_dockers_warning(tmp_path: Path, stack_name: str) -> None:
    ref = "127.0.0.1:1/nothing/here:1"
    file = write(tmp_path, HEADER.replace("local/busybox:1", ref) + "services:\n  a: {<<: *svc}\n")
    run = deploy(stack_name, file, "--resolve-image", "always")
    assert (run.returncode, run.stderr) == (0, digest_warning(ref)), run.stderr
    assert image_of(f"{stack_name}_a") == (ref, None)


def test_with_registry_auth(tmp_path: Path, stack_name: str, auth_registry: Registry) -> None:
    ref = f"{auth_registry.address}/{random_name('csimg')}:1"
    pinned = push(auth_registry, "local/busybox:1", ref)
    file = write(tmp_path, HEADER.replace("local/busybox:1", ref) + "services:\n  a: {<<: *svc}\n")
    with_auth = deploy(stack_name, file, "--resolve-image", "always", "--with-registry-auth", env=auth_registry.env())
    assert (with_auth.returncode, with_auth.stderr) == (0, ""), with_auth.stderr
    assert image_of(f"{stack_name}_a")[0] == f"{ref}@{pinned.split('@')[1]}"
    other = random_name("cs")
    try:
        without = deploy(other, file, "--resolve-image", "always", env=auth_registry.env())
        assert (without.returncode, without.stderr) == (0, digest_warning(ref)), without.stderr
        assert image_of(f"{other}_a")[0] == ref
    finally:
        remove_stack(other)


def test_changed_secret_is_rotated_not_refused(tmp_path: Path, stack_name: str) -> None:
    file = write(tmp_path, BASIC)
    assert deploy(stack_name, file).returncode == 0
    (tmp_path / "pw.txt").write_text("n3w s3cret\n")
    # --history-limit 1: no earlier revision stays to keep the old version for a rollback (docs/history.md)
    run = deploy(stack_name, file, "--history-limit", "1")
    s = stack_name
    rotated = [n for n in objects(s) if n.startswith(f"secret {s}_pw_")]
    assert len(rotated) == 1, objects(s)
    new = rotated[0].split(" ", 1)[1]
    a_id = service(f"{s}_a")["ID"]
    assert (run.returncode, run.stdout) == (0, (
        f"Creating secret {new} (new version of {s}_pw)\nUpdating service {s}_a (id: {a_id})\n"
        f"Removing secret {s}_pw (old version)\n"
        f"Stack {s} deployed: 0 created, 1 updated, 1 replaced, 0 removed, 3 unchanged\n"
    )), run.stderr
    refs = service(f"{s}_a")["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
    assert [(r["SecretName"], r["File"]["Name"]) for r in refs] == [(new, "pw")]
