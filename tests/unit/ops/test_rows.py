"""ops.rows: rows for ls/services/ps from engine JSON (their text and JSON are in render/test_tables.py)."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.render.tables import replicas_text
from composeswarm.ops.rows import (
    Port,
    StackSummary,
    display_image,
    is_terminal,
    natural_key,
    node_names,
    parse_time_ns,
    service_rows,
    stack_summaries,
    task_rows,
)
from tests.support.rows_json import T0, T0_NS, svc, task


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        pytest.param([], [], id="no stacks"),
        pytest.param(
            [svc("a_x", "a"), svc("b_x", "b"), svc("a_y", "a")],
            [StackSummary("a", 2), StackSummary("b", 1)],
            id="counts per stack",
        ),
        pytest.param(
            [svc("s10_x", "s10"), svc("s2_x", "s2"), svc("S1_x", "S1")],
            [StackSummary("S1", 1), StackSummary("s2", 1), StackSummary("s10", 1)],
            id="natural order",
        ),
        pytest.param([svc("lone", None)], [], id="unlabelled service ignored"),
    ],
)
def test_stack_summaries(services: list[dict[str, Any]], expected: list[StackSummary]) -> None:
    assert stack_summaries(services) == expected


@pytest.mark.parametrize(
    ("service", "replicas", "mode"),
    [
        pytest.param(svc("w", mode={"Replicated": {"Replicas": 4}}, status={"RunningTasks": 2, "DesiredTasks": 4}),
                     "2/4", "replicated", id="replicated"),
        pytest.param(svc("w", mode={"Global": {}}, status={"RunningTasks": 1, "DesiredTasks": 1}),
                     "1/1", "global", id="global"),
        pytest.param(svc("w", mode={"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 5}},
                         status={"RunningTasks": 0, "DesiredTasks": 2, "CompletedTasks": 3}),
                     "0/2 (3/5 completed)", "replicated job", id="replicated job"),
        pytest.param(svc("w", mode={"GlobalJob": {}}, status={"RunningTasks": 1, "DesiredTasks": 1, "CompletedTasks": 2}),
                     "1/1 (2/3 completed)", "global job", id="global job"),
        pytest.param(svc("w", mode={"Replicated": {"Replicas": 3}}, status={"RunningTasks": 3, "DesiredTasks": 3},
                         placement={"MaxReplicas": 1}),
                     "3/3 (max 1 per node)", "replicated", id="max per node"),
        pytest.param(svc("w", mode={"Global": {}}, status={"RunningTasks": 1, "DesiredTasks": 1}, placement={"MaxReplicas": 1}),
                     "1/1", "global", id="max per node ignored for global"),
        pytest.param(svc("w"), "0/0", "replicated", id="no service status"),
    ],
)
def test_service_replicas_and_mode(service: dict[str, Any], replicas: str, mode: str) -> None:
    [row] = service_rows([service])
    assert (replicas_text(row), row.mode) == (replicas, mode)


def test_service_rows_sorted_naturally_with_ports_from_endpoint() -> None:
    services = [
        svc("st_web10", ports=[{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]),
        svc("st_web2"),
    ]
    rows = service_rows(services)
    assert [(r.name, r.ports) for r in rows] == [
        ("st_web2", ()),
        ("st_web10", (Port(8080, 80, "tcp", "ingress"),)),
    ]


def test_service_ports_fall_back_to_spec() -> None:
    service = svc("st_web")
    service["Spec"]["EndpointSpec"] = {"Ports": [{"TargetPort": 53, "PublishedPort": 53, "Protocol": "udp", "PublishMode": "host"}]}
    assert service_rows([service])[0].ports == (Port(53, 53, "udp", "host"),)


def test_task_rows_names_order_and_history() -> None:
    tasks = [
        task("old1", "s1", 1, "2026-11-29T10:00:00Z", state="failed", desired="shutdown", err="task: non-zero exit (3)"),
        task("new1", "s1", 1, "2026-11-29T10:00:05Z"),
        task("t10", "s1", 10, "2026-11-29T10:00:01Z"),
        task("t2", "s1", 2, "2026-11-29T10:00:01Z", node="gone"),
        task("g1", "s2", 0, "2026-11-29T10:00:01Z", node="n1"),
        task("p1", "s1", 3, "2026-11-29T10:00:01Z", state="pending", node=""),
    ]
    names = {"s1": "st_web", "s2": "st_glob"}
    nodes = {"n1": "vm"}
    current = task_rows(tasks, names, nodes)
    assert [(r.id, r.name, r.node, r.history) for r in current] == [
        ("g1", "st_glob.n1", "vm", False),
        ("new1", "st_web.1", "vm", False),
        ("t2", "st_web.2", "gone", False),
        ("p1", "st_web.3", "", False),
        ("t10", "st_web.10", "vm", False),
    ]
    everything = task_rows(tasks, names, nodes, include_history=True)
    assert [(r.id, r.history, r.error) for r in everything][1:3] == [
        ("new1", False, ""),
        ("old1", True, "task: non-zero exit (3)"),
    ]


def test_task_ports_deduplicated() -> None:
    port = {"Protocol": "tcp", "TargetPort": 81, "PublishedPort": 18081, "PublishMode": "host"}
    [row] = task_rows([task("t", "s", 1, T0, ports=[port, dict(port)])], {"s": "st_web"}, {})
    assert row.ports == (Port(18081, 81, "tcp", "host"),)


def test_node_names() -> None:
    nodes = [
        {"ID": "n1", "Description": {"Hostname": "vm"}},
        {"ID": "n2", "Description": {}},
        {"ID": "n3", "Spec": {"Name": "edge"}, "Description": {"Hostname": "vm3"}},
    ]
    assert node_names(nodes) == {"n1": "vm", "n2": "n2", "n3": "edge"}


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        pytest.param(T0, T0_NS, id="nanoseconds"),
        pytest.param("2026-11-29T11:14:08Z", T0_NS - 793988820, id="no fraction"),
        pytest.param("2026-11-29T12:14:08.5+01:00", T0_NS - 293988820, id="offset"),
        pytest.param("", 0, id="absent"),
        pytest.param("0001-01-01T00:00:00Z", -62135596800 * 1_000_000_000, id="zero time"),
    ],
)
def test_parse_time_ns(text: str, ns: int) -> None:
    assert parse_time_ns(text) == ns


@pytest.mark.parametrize(
    ("image", "shown"),
    [
        pytest.param("local/busybox:1", "local/busybox:1", id="tagged"),
        pytest.param("local/busybox:1@sha256:" + "a" * 64, "local/busybox:1", id="digest dropped"),
        pytest.param("docker.io/library/nginx:1.25", "nginx:1.25", id="official image"),
        pytest.param("docker.io/me/app:2", "me/app:2", id="docker hub user"),
        pytest.param("127.0.0.1:5000/app:2@sha256:" + "b" * 64, "127.0.0.1:5000/app:2", id="registry with port"),
        pytest.param("127.0.0.1:5000/app", "127.0.0.1:5000/app", id="untagged with port"),
        pytest.param("nginx@sha256:" + "c" * 64, "nginx@sha256:" + "c" * 64, id="digest only kept"),
    ],
)
def test_display_image(image: str, shown: str) -> None:
    assert display_image(image) == shown


@pytest.mark.parametrize(
    ("state", "terminal"),
    [("running", False), ("pending", False), ("complete", True), ("shutdown", True), ("failed", True),
     ("rejected", True), ("", False)],
)
def test_is_terminal(state: str, terminal: bool) -> None:
    assert is_terminal(state) is terminal


def test_natural_key() -> None:
    assert sorted(["a.10", "a.2", "a.1", "b"], key=natural_key) == ["a.1", "a.2", "a.10", "b"]
