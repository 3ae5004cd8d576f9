"""Rows for ls/services/ps from engine JSON, and their docker-style text and JSON views."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composeswarm.render.tables import (
    current_state_text,
    error_text,
    human_duration,
    ports_text,
    render_services,
    render_stacks,
    render_tasks,
    replicas_text,
    table,
)
from composeswarm.ops.rows import (
    Port,
    ServiceRow,
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

LABEL = "com.docker.stack.namespace"
T0 = "2026-11-29T11:14:08.79398882Z"
T0_NS = 1795950848_793988820


def svc(name: str, stack: str | None = "st", mode: dict[str, Any] | None = None, status: dict[str, int] | None = None,
        ports: list[dict[str, Any]] | None = None, image: str = "local/busybox:1", placement: dict[str, Any] | None = None,
        ident: str | None = None) -> dict[str, Any]:
    """A service as GET /services?status=true returns it."""
    labels = {LABEL: stack} if stack is not None else {}
    spec: dict[str, Any] = {
        "Name": name,
        "Labels": labels,
        "Mode": mode if mode is not None else {"Replicated": {"Replicas": 1}},
        "TaskTemplate": {"ContainerSpec": {"Image": image}, "Placement": placement or {}},
    }
    out: dict[str, Any] = {"ID": ident or f"id{name}".ljust(25, "x"), "Spec": spec}
    if status is not None:
        out["ServiceStatus"] = status
    if ports is not None:
        out["Endpoint"] = {"Ports": ports}
    return out


def task(ident: str, service: str, slot: int, created: str, state: str = "running", desired: str = "running",
         node: str = "n1", err: str = "", ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A task as GET /tasks returns it."""
    return {
        "ID": ident,
        "ServiceID": service,
        "Slot": slot,
        "NodeID": node,
        "CreatedAt": created,
        "DesiredState": desired,
        "Spec": {"ContainerSpec": {"Image": "local/busybox:1@sha256:" + "a" * 64}},
        "Status": {"State": state, "Timestamp": created, "Err": err, "PortStatus": {"Ports": ports} if ports else {}},
    }


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


def _ports(*specs: tuple[str, int, int]) -> list[Port]:
    return [Port(pub, tgt, proto, "ingress") for proto, tgt, pub in specs]


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        pytest.param([], "", id="none"),
        pytest.param(_ports(("tcp", 80, 8080)), "*:8080->80/tcp", id="one"),
        pytest.param(
            # docker/cli's own case (service/formatter_test.go TestServiceContext_Ports)
            _ports(("tcp", 80, 81), ("tcp", 80, 80), ("tcp", 95, 95), ("tcp", 90, 90), ("tcp", 91, 91), ("tcp", 92, 92),
                   ("tcp", 93, 93), ("tcp", 94, 94), ("udp", 95, 95), ("udp", 90, 90), ("udp", 96, 96), ("udp", 91, 91),
                   ("udp", 92, 92), ("udp", 93, 93), ("udp", 94, 94), ("tcp", 60, 60), ("tcp", 61, 61), ("tcp", 61, 62),
                   ("sctp", 97, 97), ("sctp", 98, 98)),
            "*:97-98->97-98/sctp, *:60-61->60-61/tcp, *:62->61/tcp, *:80-81->80/tcp, *:90-95->90-95/tcp, *:90-96->90-96/udp",
            id="docker folding",
        ),
        pytest.param(
            [Port(8080, 80, "tcp", "ingress"), Port(9000, 90, "tcp", "host")],
            "*:8080->80/tcp, *:9000->90/tcp (host)",
            id="host mode after ingress",
        ),
    ],
)
def test_ports_text(ports: list[Port], expected: str) -> None:
    assert ports_text(ports) == expected


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


# --- text and JSON --------------------------------------------------------------------------


def test_table_layout_is_tabwriter() -> None:
    text = table(("ID", "NAME", "PORTS"), [("abcdefghijkl", "st_web", ""), ("x", "st_a_long_name_here", "*:1->1/tcp")])
    assert text == (
        "ID             NAME                  PORTS\n"
        "abcdefghijkl   st_web                \n"
        "x              st_a_long_name_here   *:1->1/tcp\n"
    )


def test_render_stacks() -> None:
    stacks = [StackSummary("opsx", 4)]
    assert render_stacks(stacks, "text") == "NAME      SERVICES\nopsx      4\n"
    assert json.loads(render_stacks(stacks, "json")) == {"version": 1, "stacks": [{"name": "opsx", "services": 4}]}


def test_render_services_text_and_json() -> None:
    row = ServiceRow("opi6rhjzxfxka6nb22etjdnfm", "opsx_web", "replicated", 1, 2, 0, None, 0,
                     "local/busybox:1@sha256:" + "a" * 64, (Port(18080, 80, "tcp", "ingress"),))
    assert render_services("opsx", [row], "text") == (
        "ID             NAME       MODE         REPLICAS   IMAGE             PORTS\n"
        "opi6rhjzxfxk   opsx_web   replicated   1/2        local/busybox:1   *:18080->80/tcp\n"
    )
    assert json.loads(render_services("opsx", [row], "json")) == {
        "version": 1,
        "stack": "opsx",
        "services": [
            {
                "id": "opi6rhjzxfxka6nb22etjdnfm", "name": "opsx_web", "mode": "replicated", "replicas": "1/2",
                "running": 1, "desired": 2, "completed": 0, "total_completions": None, "max_per_node": 0,
                "image": "local/busybox:1@sha256:" + "a" * 64,
                "ports": [{"published": 18080, "target": 80, "protocol": "tcp", "mode": "ingress"}],
            }
        ],
    }


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"), (119, "About a minute"),
        (120, "2 minutes"), (3599, "59 minutes"), (3600, "About an hour"), (5399, "About an hour"), (5400, "2 hours"),
        (47 * 3600, "47 hours"), (48 * 3600, "2 days"), (14 * 86400, "2 weeks"), (60 * 86400, "2 months"),
        (730 * 86400, "2 years"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("error", "trunc", "shown"),
    [
        pytest.param("", True, "", id="none"),
        pytest.param("task: non-zero exit (3)", True, '"task: non-zero exit (3)"', id="short"),
        pytest.param("no suitable node (host-mode port already in use on 1 node)", True,
                     '"no suitable node (host-mode p…"', id="truncated to 30"),
        pytest.param("no suitable node (host-mode port already in use on 1 node)", False,
                     '"no suitable node (host-mode port already in use on 1 node)"', id="no-trunc"),
    ],
)
def test_error_text(error: str, trunc: bool, shown: str) -> None:
    assert error_text(error, trunc) == shown


def test_render_tasks_text_with_history_and_json() -> None:
    tasks = [
        task("cjozeengs75nu31mze2fkzgg1", "s", 1, "2026-11-29T11:14:12Z", state="failed", desired="shutdown",
             err="task: non-zero exit (3)"),
        task("srlh2zt2v84m6baddcthzhoaw", "s", 1, "2026-11-29T11:14:10Z", state="failed", desired="shutdown",
             err="task: non-zero exit (3)"),
    ]
    rows = task_rows(tasks, {"s": "opsx_bad"}, {"n1": "vm"}, include_history=True)
    now = parse_time_ns("2026-11-29T11:17:12Z")
    assert current_state_text(rows[0], now) == "Failed 3 minutes ago"
    assert render_tasks("opsx", rows, "text", now) == (
        "ID             NAME             IMAGE             NODE      DESIRED STATE   CURRENT STATE          ERROR                       PORTS\n"
        'cjozeengs75n   opsx_bad.1       local/busybox:1   vm        Shutdown        Failed 3 minutes ago   "task: non-zero exit (3)"   \n'
        'srlh2zt2v84m    \\_ opsx_bad.1   local/busybox:1   vm        Shutdown        Failed 3 minutes ago   "task: non-zero exit (3)"   \n'
    )
    doc = json.loads(render_tasks("opsx", rows[:1], "json", now))
    assert doc == {
        "version": 1,
        "stack": "opsx",
        "tasks": [
            {
                "id": "cjozeengs75nu31mze2fkzgg1", "name": "opsx_bad.1", "service": "opsx_bad", "slot": 1,
                "image": "local/busybox:1@sha256:" + "a" * 64, "node_id": "n1", "node": "vm",
                "desired_state": "shutdown", "state": "failed", "state_since": "2026-11-29T11:14:12.000000000Z",
                "error": "task: non-zero exit (3)", "ports": [], "history": False,
            }
        ],
    }


def test_render_tasks_no_trunc_keeps_ids_images_and_errors() -> None:
    long_error = "no suitable node (host-mode port already in use on 1 node)"
    rows = task_rows([task("wtnuui1zht07abcdefghijklm", "s", 1, T0, state="pending", err=long_error, node="")],
                     {"s": "w"}, {})
    text = render_tasks("st", rows, "text", T0_NS + 5 * 10**9, trunc=False)
    assert text.splitlines()[1] == (
        "wtnuui1zht07abcdefghijklm   w.1       local/busybox:1@sha256:" + "a" * 64
        + "             Running         Pending 5 seconds ago   \"" + long_error + "\"   "
    )
