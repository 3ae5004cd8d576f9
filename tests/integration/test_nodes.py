"""`composeswarm nodes [STACK]` on the engine: each node with the tasks on it, as `docker service ps` places them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.conftest import Docker

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sleep", "100000"]
    deploy:
      replicas: 3
  agent:
    image: local/busybox:1
    init: true
    command: ["sleep", "100000"]
    deploy:
      mode: global
"""


def cs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, timeout=180)


def placed_by_docker(docker: Docker, stack: str) -> set[tuple[str, str, str]]:
    """(task name, node hostname, task ID) of the stack's tasks swarm wants running, as docker service ps lists them."""
    services = docker("stack", "services", stack, "--format", "{{.Name}}").stdout.split()
    rows = docker("service", "ps", *services, "--no-trunc", "--filter", "desired-state=running",
                  "--format", "{{.Name}}|{{.Node}}|{{.ID}}").stdout.splitlines()
    return {tuple(r.split("|")) for r in rows}  # type: ignore[misc]


def test_nodes_json_agrees_with_docker_service_ps(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    (tmp_path / "stack.yml").write_text(STACK)
    deployed = cs("deploy", "-f", str(tmp_path / "stack.yml"), "--resolve-image", "never", "--timeout", "90", stack_name)
    assert deployed.returncode == 0, deployed.stderr

    proc = cs("nodes", stack_name, "-o", "json")
    assert (proc.returncode, proc.stderr) == (0, "")
    doc = json.loads(proc.stdout)
    ours = {(t["name"], n["hostname"], t["id"]) for n in doc["nodes"] for t in n["tasks"]}
    assert ours == placed_by_docker(docker, stack_name)
    assert doc["unassigned"] == []
    assert sorted(n["id"] for n in doc["nodes"]) == sorted(docker("node", "ls", "-q").stdout.split())
    assert {t["service"] for n in doc["nodes"] for t in n["tasks"]} == {f"{stack_name}_web", f"{stack_name}_agent"}
    assert all((t["state"], t["desired_state"], t["image"]) == ("running", "running", "local/busybox:1")
               for n in doc["nodes"] for t in n["tasks"])
    first = doc["nodes"][0]
    inspected = json.loads(docker("node", "inspect", first["id"]).stdout)[0]
    assert (first["hostname"], first["role"], first["availability"], first["state"], first["labels"]) == (
        inspected["Description"]["Hostname"], inspected["Spec"]["Role"], inspected["Spec"]["Availability"],
        inspected["Status"]["State"], inspected["Spec"].get("Labels") or {},
    )

    # every stack: ours is among them
    everything = json.loads(cs("nodes", "-o", "json").stdout)
    assert ours <= {(t["name"], n["hostname"], t["id"]) for n in everything["nodes"] for t in n["tasks"]}
    assert everything["stack"] is None

    # the list off a terminal: each node's line, its tasks beneath
    text = cs("nodes", stack_name)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    for name, host, _ in ours:
        header = next(i for i, line in enumerate(lines) if line.split()[:1] == [host])
        beneath = lines[header + 1:]
        block = beneath[: next((i for i, line in enumerate(beneath) if not line.startswith("    ")), len(beneath))]
        assert any(line.split()[:3] == [name, "running", "local/busybox:1"] for line in block), text.stdout


def test_nodes_of_an_unknown_stack(engine_available: None) -> None:
    proc = cs("nodes", "csnosuchstack0")
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "error: nothing found in stack: csnosuchstack0\n")
