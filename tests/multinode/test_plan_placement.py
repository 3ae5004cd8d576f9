"""`plan` on three nodes (1 manager, 2 workers; zone=a on n1, zone=b on n2 and n3): it warns about every
placement the stack cannot satisfy, and never about one it can. Then the deploy agrees: the services it
warned about keep tasks pending, the others run in full."""

from __future__ import annotations

import json
from pathlib import Path

from tests.multinode.conftest import Bed, outcome_of, write_compose

SERVICE = """
    image: local/busybox:1
    init: true
    command: ["sleep", "1000000"]
"""

# service -> (its deploy: section, replicas swarm can place, replicas asked for)
CASES = {
    "workers_one_each": ("{replicas: 2, placement: {constraints: [node.role == worker], max_replicas_per_node: 1}}", 2, 2),
    "zone_b": ("{replicas: 4, placement: {constraints: [node.labels.zone == b]}}", 4, 4),
    "not_zone_b": ("{replicas: 2, placement: {constraints: [node.labels.zone != b]}}", 2, 2),
    "pinned": ("{replicas: 2, placement: {constraints: [node.hostname == HOST3]}}", 2, 2),
    "one_per_node": ("{replicas: 3, placement: {max_replicas_per_node: 1}}", 3, 3),
    "workers_too_many": ("{replicas: 3, placement: {constraints: [node.role == worker], max_replicas_per_node: 1}}", 2, 3),
    "zone_a_capped": ("{replicas: 2, placement: {constraints: [node.labels.zone == a], max_replicas_per_node: 1}}", 1, 2),
    "no_such_zone": ("{replicas: 2, placement: {constraints: [node.labels.zone == c]}}", 0, 2),
    "too_big": ("{replicas: 1, resources: {reservations: {memory: 100000G}}}", 0, 1),
}


def _compose(bed: Bed) -> str:
    lines = ['version: "3.8"', f"x-svc: &svc {SERVICE}", "services:"]
    for name, (deploy, _, _) in CASES.items():
        lines += [f"  {name}:", "    <<: *svc", f"    deploy: {deploy.replace('HOST3', bed.hostname(3))}"]
    return "\n".join(lines) + "\n"


def test_plan_warns_about_each_placement_it_cannot_satisfy_and_no_other(bed: Bed, stack: str, tmp_path: Path) -> None:
    compose = write_compose(tmp_path, _compose(bed))
    proc = bed.composeswarm("plan", stack, "-c", str(compose), "-o", "json")
    assert proc.returncode == 2, outcome_of(proc)
    placement = {c["name"].removeprefix(f"{stack}_"): c["placement"] for c in json.loads(proc.stdout)["changes"]
                 if c["kind"] == "service"}
    assert {name: (p["placeable"], p["replicas"]) for name, p in placement.items()} == {
        name: (placeable, replicas) for name, (_, placeable, replicas) in CASES.items()
    }
    warned = sorted(line.split(":")[1].strip().removeprefix(f"{stack}_") for line in proc.stderr.splitlines()
                    if line.startswith("warning:") and "cannot be placed" in line)
    assert warned == sorted(name for name, (_, placeable, replicas) in CASES.items() if placeable < replicas)
    [capped] = [line for line in proc.stderr.splitlines() if line.startswith(f"warning: {stack}_zone_a_capped: ")]
    # other tests may leave a drained node behind (a node added, then removed): a reason of its own
    assert capped.startswith(f"warning: {stack}_zone_a_capped: 1 of 2 replicas cannot be placed: "), capped
    assert capped.endswith("1 node matches node.labels.zone == a, max 1 per node"), capped


def test_what_the_plan_said_is_what_swarm_does(bed: Bed, stack: str, tmp_path: Path) -> None:
    compose = write_compose(tmp_path, _compose(bed))
    proc = bed.deploy(stack, compose, "--detach")
    assert proc.returncode == 0, outcome_of(proc)
    import time

    deadline = time.monotonic() + 90
    while True:
        running = {name: len(bed.running(f"{stack}_{name}")) for name in CASES}
        if running == {name: placeable for name, (_, placeable, _) in CASES.items()} or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert running == {name: placeable for name, (_, placeable, _) in CASES.items()}
    for name, (_, placeable, replicas) in CASES.items():
        if placeable < replicas:
            pending = [t for t in bed.tasks(f"{stack}_{name}") if t["Status"]["State"] == "pending"]
            assert pending and all("no suitable node" in t["Status"].get("Err", "") for t in pending), (name, pending)
