"""`composeswarm nodes STACK -o json` on three nodes agrees with `docker service ps` about which node runs
each task (issue 10's done-when), replicas spread over the nodes and a global service on each."""

from __future__ import annotations

import json
from pathlib import Path

from tests.multinode.conftest import Bed, outcome_of, write_compose

STACK = """
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sleep", "1000000"]
    deploy:
      replicas: 4
      placement: {max_replicas_per_node: 2}
  agent:
    image: local/busybox:1
    init: true
    command: ["sleep", "1000000"]
    deploy:
      mode: global
"""


def test_nodes_json_agrees_with_docker_service_ps_on_three_nodes(bed: Bed, stack: str, tmp_path: Path) -> None:
    proc = bed.deploy(stack, write_compose(tmp_path, STACK))
    assert proc.returncode == 0, outcome_of(proc)
    rows = bed.docker("service", "ps", f"{stack}_web", f"{stack}_agent", "--no-trunc", "--filter",
                      "desired-state=running", "--format", "{{.Name}}|{{.Node}}|{{.ID}}").stdout.splitlines()
    by_docker = {tuple(r.split("|")) for r in rows}

    nodes = bed.composeswarm("nodes", stack, "-o", "json")
    assert (nodes.returncode, nodes.stderr) == (0, ""), outcome_of(nodes)
    doc = json.loads(nodes.stdout)
    ours = {(t["name"], n["hostname"], t["id"]) for n in doc["nodes"] for t in n["tasks"]}
    assert ours == by_docker
    hosts = {host for _, host, _ in ours}
    up = {n["hostname"] for n in doc["nodes"] if n["state"] == "ready" and n["availability"] == "active"}
    assert hosts == up and len(up) >= 3  # web spread (max 2 per node) and the agent put tasks on every node
    assert {n["hostname"]: n["role"] for n in doc["nodes"] if n["hostname"] in (bed.hostname(1), bed.hostname(2))} == {
        bed.hostname(1): "manager", bed.hostname(2): "worker",
    }
