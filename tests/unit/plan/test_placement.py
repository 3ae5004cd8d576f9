"""plan.placement: swarmkit's constraint rules and scheduling filters over N nodes, as verdicts and lines."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.engine.live import LiveNode
from composeswarm.plan.changes import Change, Plan
from composeswarm.plan.placement import Placement, check_placement, matches, parse_constraint, place

GiB = 1 << 30
CPU = 1_000_000_000


def node(ident: str, hostname: str, **kw: Any) -> LiveNode:
    defaults: dict[str, Any] = {"role": "worker", "os": "linux", "arch": "x86_64", "nano_cpus": 2 * CPU,
                                "memory_bytes": 8 * GiB, "addr": "10.0.0.1"}
    return LiveNode(ident, hostname, **{**defaults, **kw})


THREE = [
    node("id1", "mgr1", role="manager", labels={"db": "true", "Zone": "a"}, engine_labels={"storage": "ssd"}, addr="10.0.0.1"),
    node("id2", "wrk1", labels={"db": "false", "zone": "b"}, addr="10.0.1.2", memory_bytes=16 * GiB, nano_cpus=4 * CPU),
    node("id3", "wrk2", arch="aarch64", addr="10.0.1.3"),
]


def spec(replicas: int | None = 1, *, mode: str = "replicated", constraints: tuple[str, ...] = (), max_per_node: int = 0,
         cpus: int = 0, memory: int = 0, platforms: tuple[tuple[str, str], ...] = (), host_port: int = 0) -> dict[str, Any]:
    modes: dict[str, Any] = {
        "replicated": {"Replicated": {} if replicas is None else {"Replicas": replicas}},
        "global": {"Global": {}},
        "job": {"ReplicatedJob": {"MaxConcurrent": replicas, "TotalCompletions": 10}},
    }
    placement: dict[str, Any] = {}
    if constraints:
        placement["Constraints"] = list(constraints)
    if max_per_node:
        placement["MaxReplicas"] = max_per_node
    if platforms:
        placement["Platforms"] = [{"OS": o, "Architecture": a} for o, a in platforms]
    task: dict[str, Any] = {"ContainerSpec": {"Image": "local/busybox:1"}, "Placement": placement}
    reservations = {k: v for k, v in (("NanoCPUs", cpus), ("MemoryBytes", memory)) if v}
    if reservations:
        task["Resources"] = {"Reservations": reservations}
    out: dict[str, Any] = {"Name": "s_web", "Mode": modes[mode], "TaskTemplate": task}
    if host_port:
        out["EndpointSpec"] = {"Ports": [{"TargetPort": 80, "PublishedPort": host_port, "PublishMode": "host"}]}
    return out


@pytest.mark.parametrize(
    ("constraint", "matching"),
    [
        pytest.param("node.role == manager", ["mgr1"], id="role"),
        pytest.param("node.role==MANAGER", ["mgr1"], id="role value in any case"),
        pytest.param("NODE.ROLE != manager", ["wrk1", "wrk2"], id="key in any case"),
        pytest.param("node.hostname == WRK1", ["wrk1"], id="hostname in any case"),
        pytest.param("node.hostname != wrk1", ["mgr1", "wrk2"], id="hostname not"),
        pytest.param("node.id == id3", ["wrk2"], id="id"),
        pytest.param("node.labels.db == true", ["mgr1"], id="label"),
        pytest.param("node.labels.db != true", ["wrk1", "wrk2"], id="missing label matches !="),
        pytest.param("node.labels.nosuch == yes", [], id="missing label never matches =="),
        pytest.param("node.labels.zone == a", [], id="label name is case-sensitive"),
        pytest.param("node.labels.Zone == A", ["mgr1"], id="label value in any case"),
        pytest.param("NODE.LABELS.zone == b", ["wrk1"], id="label prefix in any case"),
        pytest.param("engine.labels.storage == ssd", ["mgr1"], id="engine label"),
        pytest.param("engine.labels.storage != ssd", ["wrk1", "wrk2"], id="engine label not"),
        pytest.param("node.platform.os == linux", ["mgr1", "wrk1", "wrk2"], id="os"),
        pytest.param("node.platform.arch == x86_64", ["mgr1", "wrk1"], id="arch as the engine reports it"),
        pytest.param("node.platform.arch == amd64", [], id="no amd64 alias in constraints"),
        pytest.param("node.ip == 10.0.1.2", ["wrk1"], id="ip"),
        pytest.param("node.ip == 10.0.1.0/24", ["wrk1", "wrk2"], id="ip in a subnet"),
        pytest.param("node.ip != 10.0.1.0/24", ["mgr1"], id="ip outside a subnet"),
        pytest.param("node.ip == nonsense", [], id="malformed ip matches no node"),
        pytest.param("node.colour == blue", [], id="unknown key matches no node"),
        pytest.param("node.colour != blue", [], id="unknown key matches no node, even with !="),
    ],
)
def test_constraint_matching(constraint: str, matching: list[str]) -> None:
    parsed = parse_constraint(constraint)
    assert parsed is not None
    assert [n.hostname for n in THREE if matches(parsed, n)] == matching


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        pytest.param("node.labels.db==true", "node.labels.db == true", id="spaces added"),
        pytest.param("  node.role   !=  worker ", "node.role != worker", id="spaces trimmed"),
        pytest.param("node.role", None, id="no operator"),
        pytest.param("node.role == <x>", None, id="bad value"),
        pytest.param("x == y", None, id="key too short"),
    ],
)
def test_parse_constraint(text: str, parsed: str | None) -> None:
    result = parse_constraint(text)
    assert (None if result is None else str(result)) == parsed


@pytest.mark.parametrize(
    ("svc", "nodes", "verdict"),
    [
        pytest.param(spec(3), THREE, Placement("replicated", 3, 3, 3, 3), id="three on three"),
        pytest.param(spec(None), THREE, Placement("replicated", 3, 3, 1, 1), id="replicas unset means 1"),
        pytest.param(spec(3, constraints=("node.labels.db == true",), max_per_node=1), THREE,
                     Placement("replicated", 3, 1, 3, 1, ("1 node matches node.labels.db == true", "max 1 per node")),
                     id="the issue's example"),
        pytest.param(spec(3, max_per_node=1), THREE[:1], Placement("replicated", 1, 1, 3, 1, ("1 node", "max 1 per node")),
                     id="max per node on one node"),
        pytest.param(spec(4, max_per_node=2), THREE, Placement("replicated", 3, 3, 4, 4), id="max per node not binding"),
        pytest.param(spec(2, constraints=("node.labels.nosuch == yes",)), THREE,
                     Placement("replicated", 3, 0, 2, 0, ("no node matches node.labels.nosuch == yes",)), id="no node matches"),
        pytest.param(spec(2, constraints=("node.role == manager", "node.labels.db == true")), THREE,
                     Placement("replicated", 3, 1, 2, 2, ("1 node matches node.role == manager",)),
                     id="constraints in turn; no warning"),
        pytest.param(spec(2, constraints=("node.role != manager", "node.hostname == wrk9")), THREE,
                     Placement("replicated", 3, 0, 2, 0, ("2 nodes match node.role != manager", "no node matches node.hostname == wrk9")),
                     id="each constraint counted on what is left"),
        pytest.param(spec(2, memory=12 * GiB), THREE,
                     Placement("replicated", 3, 1, 2, 1, ("1 node has the 12GiB of memory reserved",
                                                          "the reservations fit 1 task in all")),
                     id="memory above two nodes' capacity"),
        pytest.param(spec(1, memory=64 * GiB), THREE,
                     Placement("replicated", 3, 0, 1, 0, ("no node has the 64GiB of memory reserved",)),
                     id="memory above every node's capacity"),
        pytest.param(spec(1, cpus=3 * CPU), THREE,
                     Placement("replicated", 3, 1, 1, 1, ("1 node has the 3 CPUs reserved",)), id="cpus: one node has them"),
        pytest.param(spec(5, memory=4 * GiB), THREE,
                     Placement("replicated", 3, 3, 5, 5), id="reservations fit several per node"),
        pytest.param(spec(9, memory=4 * GiB), THREE,
                     Placement("replicated", 3, 3, 9, 8, ("3 nodes", "the reservations fit 8 tasks in all")),
                     id="reservations fill the nodes"),
        pytest.param(spec(3, host_port=8080), THREE[:2],
                     Placement("replicated", 2, 2, 3, 2, ("2 nodes", "host-mode port 8080 takes 1 per node")), id="host port"),
        pytest.param(spec(2, platforms=(("linux", "arm64"),)), THREE,
                     Placement("replicated", 3, 1, 2, 2, ("1 node runs the image's platform (linux/arm64)",)),
                     id="platform: aarch64 is arm64"),
        pytest.param(spec(1, platforms=(("linux", "amd64"), ("linux", "arm64"))), THREE, Placement("replicated", 3, 3, 1, 1),
                     id="platform: x86_64 is amd64"),
        pytest.param(spec(1, platforms=(("windows", "amd64"),)), THREE,
                     Placement("replicated", 3, 0, 1, 0, ("no node runs the image's platform (windows/amd64)",)), id="no platform"),
        pytest.param(spec(3), [THREE[0], node("id4", "wrk3", availability="drain"), node("id5", "wrk4", state="down")],
                     Placement("replicated", 3, 1, 3, 3, ("1 node is down", "1 node is drained")),
                     id="drained and down: no per-node limit, all placeable"),
        pytest.param(spec(3, max_per_node=1), [THREE[0], node("id4", "wrk3", availability="pause"), node("id5", "wrk4", availability="drain", state="down")],
                     Placement("replicated", 3, 1, 3, 1, ("1 node is down", "1 node is paused", "max 1 per node")),
                     id="paused, and down before drained"),
        pytest.param(spec(None, mode="global"), THREE, Placement("global", 3, 3, None, 3), id="global everywhere"),
        pytest.param(spec(None, mode="global", constraints=("node.role == worker",)), THREE,
                     Placement("global", 3, 2, None, 2, ("2 nodes match node.role == worker",)), id="global on workers"),
        pytest.param(spec(2, mode="job", constraints=("node.labels.nosuch == yes",)), THREE,
                     Placement("replicated-job", 3, 0, 2, 0, ("no node matches node.labels.nosuch == yes",)), id="job"),
        pytest.param(spec(2), [], Placement("replicated", 0, 0, 2, 0, ("no node",)), id="no nodes at all"),
        pytest.param(spec(4, mode="job", max_per_node=1), THREE,
                     Placement("replicated-job", 3, 3, 4, 3, ("3 nodes", "max 1 per node")), id="job: max per node too"),
    ],
)
def test_place(svc: dict[str, Any], nodes: list[LiveNode], verdict: Placement) -> None:
    assert place(svc, nodes) == verdict


@pytest.mark.parametrize(
    ("verdict", "warns", "line"),
    [
        pytest.param(Placement("replicated", 3, 1, 3, 1, ("1 node matches node.labels.db == true", "max 1 per node")), True,
                     "shop_db: 2 of 3 replicas cannot be placed: 1 node matches node.labels.db == true, max 1 per node",
                     id="short of nodes"),
        pytest.param(Placement("replicated", 3, 3, 3, 3), False, "shop_db: all 3 replicas can be placed", id="all placed"),
        pytest.param(Placement("replicated", 3, 3, 0, 0), False, "shop_db: all 0 replicas can be placed", id="scaled to 0"),
        pytest.param(Placement("global", 3, 2, None, 2, ("1 node is drained",)), False,
                     "shop_db: global service runs on 2 of 3 nodes: 1 node is drained", id="global"),
        pytest.param(Placement("global", 1, 0, None, 0, ("no node matches node.role == worker",)), True,
                     "shop_db: global service runs on 0 of 1 node: no node matches node.role == worker", id="global nowhere"),
        pytest.param(Placement("replicated-job", 3, 1, 4, 1, ("max 1 per node",)), False,
                     "shop_db: 3 of 4 replicas cannot be placed: max 1 per node", id="job runs the rest later"),
        pytest.param(Placement("replicated-job", 3, 0, 4, 0, ("no node matches node.role == worker",)), True,
                     "shop_db: 4 of 4 replicas cannot be placed: no node matches node.role == worker", id="job cannot start"),
    ],
)
def test_verdict_line(verdict: Placement, warns: bool, line: str) -> None:
    assert (verdict.warns, verdict.line("shop_db")) == (warns, line)


def test_check_placement_judges_services_it_creates_or_updates() -> None:
    plan = Plan("s", changes=(
        Change("network", "s_default", "create", desired={"Name": "s_default"}),
        Change("service", "s_web", "create", desired=spec(3, max_per_node=1)),
        Change("service", "s_api", "update", desired=spec(1)),
        Change("service", "s_old", "remove", live={"ID": "x"}),
    ))  # fmt: skip
    checked = check_placement(plan, THREE[:2])
    assert [(c.name, c.placement) for c in checked.changes] == [
        ("s_default", None),
        ("s_web", Placement("replicated", 2, 2, 3, 2, ("2 nodes", "max 1 per node"))),
        ("s_api", Placement("replicated", 2, 2, 1, 1)),
        ("s_old", None),
    ]
