"""Placement in the plan, on the engine: what the nodes cannot take is warned about before any write, and
swarm agrees (what was warned about stays pending; what was not converges); --strict-placement refuses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.integration.conftest import Docker, random_name

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

SVC = """\
    image: local/busybox:1
    init: true
    command: ["sleep", "100000"]
"""


def stack_file(tmp_path: Path, services: dict[str, str]) -> Path:
    """A compose file of busybox services, each with the given extra lines (a `deploy:` block)."""
    body = "".join(f"  {name}:\n{SVC}{extra}" for name, extra in services.items())
    path = tmp_path / "stack.yml"
    path.write_text('version: "3.8"\nservices:\n' + body)
    return path


def cs(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMPOSESWARM, *args], capture_output=True, text=True, timeout=timeout)


def schedulable_nodes(docker: Docker) -> list[dict[str, str]]:
    """The engine's nodes (hostname, ID); this file's expectations need every one ready and active."""
    nodes = [json.loads(line) for line in docker("node", "ls", "--format", "{{json .}}").stdout.splitlines()]
    assert all((n["Status"], n["Availability"]) == ("Ready", "Active") for n in nodes), nodes
    return nodes


def test_plan_warns_about_each_service_swarm_cannot_place_and_swarm_agrees(
    stack_name: str, tmp_path: Path, docker: Docker
) -> None:
    n = len(schedulable_nodes(docker))
    label = random_name("cslabel")  # a node label no node has
    file = stack_file(tmp_path, {
        "spread": f"    deploy:\n      replicas: {n + 2}\n      placement:\n        max_replicas_per_node: 1\n",
        "labelled": f"    deploy:\n      placement:\n        constraints: [node.labels.{label} == true]\n",
        "big": "    deploy:\n      resources:\n        reservations:\n          memory: 1024G\n",
    })  # fmt: skip
    plan = cs("plan", "-f", str(file), stack_name)
    nodes = f"{n} node" + ("" if n == 1 else "s")
    assert (plan.returncode, plan.stderr) == (2, (
        f"warning: {stack_name}_big: 1 of 1 replicas cannot be placed: no node has the 1TiB of memory reserved\n"
        f"warning: {stack_name}_labelled: 1 of 1 replicas cannot be placed: no node matches node.labels.{label} == true\n"
        f"warning: {stack_name}_spread: 2 of {n + 2} replicas cannot be placed: {nodes}, max 1 per node\n"
    ))

    doc = json.loads(cs("plan", "-f", str(file), "-o", "json", stack_name).stdout)
    placement = {c["name"]: c.get("placement") for c in doc["changes"]}
    assert placement == {
        f"{stack_name}_default": None,
        f"{stack_name}_big": {"nodes_matching": 0, "replicas": 1, "placeable": 0,
                              "reasons": ["no node has the 1TiB of memory reserved"]},
        f"{stack_name}_labelled": {"nodes_matching": 0, "replicas": 1, "placeable": 0,
                                   "reasons": [f"no node matches node.labels.{label} == true"]},
        f"{stack_name}_spread": {"nodes_matching": n, "replicas": n + 2, "placeable": n,
                                 "reasons": [nodes, "max 1 per node"]},
    }  # fmt: skip

    # a warning, not an error: the deploy goes on, and its wait finds what the plan said
    run = cs("deploy", "-f", str(file), "--resolve-image", "never", "--timeout", "10", stack_name)
    assert run.returncode == 4, run.stderr
    assert run.stderr.startswith(plan.stderr)  # said before any call was made
    for name, verdict in placement.items():
        if verdict is None:
            continue
        states = docker("service", "ps", name, "--filter", "desired-state=running",
                        "--format", "{{.CurrentState}}|{{.Error}}").stdout.splitlines()
        running = [s for s in states if s.startswith("Running")]
        pending = [s for s in states if s.startswith("Pending") and "no suitable node" in s]
        assert (len(running), len(pending)) == (verdict["placeable"], verdict["replicas"] - verdict["placeable"]), states
        assert f"{name}." in run.stderr


def test_no_warning_for_what_swarm_can_place(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    nodes = schedulable_nodes(docker)
    node = json.loads(docker("node", "inspect", nodes[0]["ID"]).stdout)[0]
    hostname, arch = node["Description"]["Hostname"], node["Description"]["Platform"]["Architecture"]
    file = stack_file(tmp_path, {
        "mgr": "    deploy:\n      placement:\n        constraints: [node.role == MANAGER]\n",
        "pinned": f"    deploy:\n      placement:\n        constraints: [node.hostname == {hostname}, node.id == {nodes[0]['ID']}]\n",
        "platform": f"    deploy:\n      placement:\n        constraints: [node.platform.os == linux, node.platform.arch == {arch}]\n",
        "without": f"    deploy:\n      placement:\n        constraints: [node.labels.{random_name('cslabel')} != true, "
                   "engine.labels.cs-nosuch != x]\n",
        "spread": f"    deploy:\n      replicas: {len(nodes)}\n      placement:\n        max_replicas_per_node: 1\n"
                  "      resources:\n        reservations:\n          memory: 16M\n          cpus: '0.01'\n",
    })  # fmt: skip
    plan = cs("plan", "-f", str(file), stack_name)
    assert (plan.returncode, plan.stderr) == (2, "")
    doc = json.loads(cs("plan", "-f", str(file), "-o", "json", stack_name).stdout)
    assert all(c["placement"]["placeable"] == c["placement"]["replicas"] for c in doc["changes"] if c["kind"] == "service")
    run = cs("deploy", "-f", str(file), "--resolve-image", "never", "--timeout", "90", stack_name)
    assert run.returncode == 0, run.stderr  # every replica found its node
    assert "warning:" not in run.stderr


def test_global_service_says_how_many_nodes(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    n = len(schedulable_nodes(docker))
    file = stack_file(tmp_path, {"agent": "    deploy:\n      mode: global\n"})
    dry = cs("deploy", "--dry-run", "-f", str(file), "--resolve-image", "never", stack_name)
    nodes = f"{n} node" + ("" if n == 1 else "s")
    assert (dry.returncode, dry.stderr) == (2, f"note: {stack_name}_agent: global service runs on {n} of {nodes}\n")
    doc = json.loads(cs("deploy", "--dry-run", "-o", "json", "-f", str(file), "--resolve-image", "never", stack_name).stdout)
    assert doc["changes"][1]["placement"] == {"nodes_matching": n, "replicas": None, "placeable": n, "reasons": []}


def test_strict_placement_refuses_and_writes_nothing(stack_name: str, tmp_path: Path, docker: Docker) -> None:
    schedulable_nodes(docker)
    label = random_name("cslabel")
    file = stack_file(tmp_path, {
        "ok": "",
        "db": f"    deploy:\n      placement:\n        constraints: [node.labels.{label} == true]\n",
    })  # fmt: skip
    run = cs("deploy", "--strict-placement", "-f", str(file), "--resolve-image", "never", stack_name)
    assert (run.returncode, run.stdout, run.stderr) == (1, "", (
        f"error: {stack_name}_db: 1 of 1 replicas cannot be placed: no node matches node.labels.{label} == true "
        "(--strict-placement: nothing deployed)\n"
    ))
    for kind in ("service", "network", "config"):
        assert docker(kind, "ls", "-q", "--filter", f"name={stack_name}").stdout == "", kind  # the lock is gone too
    as_json = cs("deploy", "--strict-placement", "-o", "json", "-f", str(file), "--resolve-image", "never", stack_name)
    assert (as_json.returncode, as_json.stdout) == (1, "")
    assert docker("service", "ls", "-q", "--filter", f"name={stack_name}").stdout == ""
