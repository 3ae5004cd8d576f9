"""render.tables: the ls/services/ps tables and JSON as docker prints them, and the log line printer."""

from __future__ import annotations

import json

import pytest

from composeswarm.dockerrules.timestamps import parse_time_ns
from composeswarm.ops.rows import Port, ServiceRow, StackSummary, task_rows
from composeswarm.render.tables import (
    LogPrinter,
    current_state_text,
    error_text,
    human_duration,
    ports_text,
    render_services,
    render_stacks,
    render_tasks,
    table,
)
from tests.support.rows_json import T0, T0_NS, task


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


@pytest.mark.parametrize(
    ("timestamps", "colour", "text"),
    [
        pytest.param(False, False, "st_web.1.abc@vm    | hello\n", id="plain"),
        pytest.param(True, False, "2026-11-29T11:00:01Z st_web.1.abc@vm    | hello\n", id="timestamps"),
        pytest.param(False, True, "\x1b[36mst_web.1.abc@vm\x1b[0m    | hello\n", id="colour"),
    ],
)
def test_log_printer_line(timestamps: bool, colour: bool, text: str) -> None:
    printer = LogPrinter(timestamps=timestamps, colour=colour)
    assert printer.line("st_web", "st_web.1.abc@vm", "2026-11-29T11:00:01Z", "hello") == text


def test_log_printer_colour_per_service() -> None:
    printer = LogPrinter(timestamps=False, colour=True)
    assert [printer.colour_for(s) for s in ("web", "db", "web", "cache")] == ["36", "33", "36", "32"]
