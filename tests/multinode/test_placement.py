"""Placement on three nodes, checked from where the tasks landed: constraints, spread, max replicas
per node, global services (and a node added later)."""

from __future__ import annotations

from pathlib import Path

from tests.multinode.conftest import Bed, error_lines, outcome_of, poll, write_compose

SERVICE = """
    image: local/busybox:1
    init: true
    command: ["sleep", "1000000"]
"""


def test_constraints_on_role_hostname_and_labels(bed: Bed, stack: str, tmp_path: Path) -> None:
    compose = write_compose(tmp_path, f"""
version: "3.8"
x-svc: &svc {SERVICE}
services:
  managers:
    <<: *svc
    deploy: {{replicas: 2, placement: {{constraints: [node.role == manager]}}}}
  workers:
    <<: *svc
    deploy: {{replicas: 4, placement: {{constraints: [node.role == worker]}}}}
  pinned:
    <<: *svc
    deploy: {{replicas: 2, placement: {{constraints: [node.hostname == {bed.hostname(3)}]}}}}
  zone_b:
    <<: *svc
    deploy: {{replicas: 4, placement: {{constraints: [node.labels.zone == b]}}}}
  not_b:
    <<: *svc
    deploy: {{replicas: 2, placement: {{constraints: [node.labels.zone != b, node.labels.cs.node == 1]}}}}
""")
    proc = bed.deploy(stack, compose)
    assert proc.returncode == 0, outcome_of(proc)
    n1, n2, n3 = (bed.hostname(i) for i in (1, 2, 3))
    assert bed.placement(f"{stack}_managers") == {n1: 2}
    assert set(bed.placement(f"{stack}_workers")) == {n2, n3}  # 4 over both workers, none on the manager
    assert sum(bed.placement(f"{stack}_workers").values()) == 4
    assert bed.placement(f"{stack}_pinned") == {n3: 2}
    assert set(bed.placement(f"{stack}_zone_b")) == {n2, n3}
    assert bed.placement(f"{stack}_not_b") == {n1: 2}


def test_spread_preference_and_max_replicas_per_node(bed: Bed, stack: str, tmp_path: Path) -> None:
    def compose(capped: int) -> Path:
        return write_compose(tmp_path, f"""
version: "3.8"
x-svc: &svc {SERVICE}
services:
  spread:
    <<: *svc
    deploy:
      replicas: 4
      placement: {{preferences: [{{spread: node.labels.zone}}]}}
  capped:
    <<: *svc
    deploy:
      replicas: {capped}
      placement: {{max_replicas_per_node: 1}}
""")

    proc = bed.deploy(stack, compose(3))
    assert proc.returncode == 0, outcome_of(proc)
    # two zones: half the replicas in zone a (n1 alone), half in zone b (n2 and n3); without the
    # preference swarm spreads by node, 2/1/1 in some order
    spread = bed.placement(f"{stack}_spread")
    assert spread[bed.hostname(1)] == 2 and spread[bed.hostname(2)] + spread[bed.hostname(3)] == 2, spread
    assert bed.placement(f"{stack}_capped") == {bed.hostname(i): 1 for i in (1, 2, 3)}

    # a fourth replica has no node left: the wait says why and times out (exit 4)
    proc = bed.deploy(stack, compose(4), timeout=8)
    assert proc.returncode == 4, outcome_of(proc)
    assert len(error_lines(proc)) == 1, outcome_of(proc)
    assert "max replicas per node limit exceed" in error_lines(proc)[0], outcome_of(proc)
    assert bed.placement(f"{stack}_capped") == {bed.hostname(i): 1 for i in (1, 2, 3)}


def test_global_service_runs_on_every_node_and_on_a_node_added_later(bed: Bed, stack: str, tmp_path: Path) -> None:
    compose = write_compose(tmp_path, f"""
version: "3.8"
services:
  agent:
{SERVICE}
    deploy: {{mode: global}}
""")
    proc = bed.deploy(stack, compose)
    assert proc.returncode == 0, outcome_of(proc)
    assert bed.placement(f"{stack}_agent") == {bed.hostname(i): 1 for i in (1, 2, 3)}
    added = bed.add()
    try:
        poll(60, 0.5, lambda: bed.placement(f"{stack}_agent") == {bed.hostname(i): 1 for i in (1, 2, 3, added)},
             f"a task of {stack}_agent running on {bed.hostname(added)}")
    finally:
        # drained, the node takes no task of the tests after this one (removing it waits for its tasks
        # to stop, some 9 s); the bed's teardown removes it
        bed.docker("node", "update", "--availability", "drain", bed.hostname(added))
