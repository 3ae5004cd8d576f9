"""ops.logs: frames parsed, prefixes as docker prints them, a stack's streams merged in time order."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import pytest

from composeswarm.errors import EngineError, InputError
from composeswarm.ops.logs import (
    LogLine,
    LogOptions,
    LogRecord,
    Merger,
    parse_details,
    parse_frame,
    select_services,
    since_param,
    slot_width,
    stream_stack_logs,
    tail_param,
    task_prefix,
)
from tests.support.fake_swarm import FakeSwarm

LABEL = "com.docker.stack.namespace"
DETAILS = "com.docker.swarm.node.id={node},com.docker.swarm.service.id={service},com.docker.swarm.task.id={task}"


def frame(ts: str, service: str, task: str, text: str, node: str = "n1", stream: int = 1) -> tuple[int, bytes]:
    """A log frame as GET /services/{id}/logs?details=1&timestamps=1 sends it."""
    return stream, f"{ts} {DETAILS.format(node=node, service=service, task=task)} {text}\n".encode()


@pytest.mark.parametrize(
    ("text", "details"),
    [
        pytest.param("a=1,b=2", {"a": "1", "b": "2"}, id="plain"),
        pytest.param("a=x%2Cy,b%3D=z%20w", {"a": "x,y", "b=": "z w"}, id="escaped"),
        pytest.param("", {}, id="empty"),
    ],
)
def test_parse_details(text: str, details: dict[str, str]) -> None:
    assert parse_details(text) == details


def test_parse_frame() -> None:
    record = parse_frame(*frame("2026-11-29T11:16:35.086795882Z", "svc1", "task1", "hello  world", stream=2))
    assert record == LogRecord(
        time_ns=1795950995_086795882,
        timestamp="2026-11-29T11:16:35.086795882Z",
        service_id="svc1",
        task_id="task1",
        node_id="n1",
        stderr=True,
        text="hello  world",
    )


@pytest.mark.parametrize(
    ("slot", "width", "no_trunc", "prefix"),
    [
        pytest.param(2, 1, False, "opsx_web.2.4tvgcfncx3lh@vm", id="as docker service logs"),
        pytest.param(2, 2, False, "opsx_web.2.4tvgcfncx3lh@vm ", id="padded to ten replicas"),
        pytest.param(10, 2, False, "opsx_web.10.4tvgcfncx3lh@vm", id="two-digit slot"),
        pytest.param(0, 1, False, "opsx_web.0.4tvgcfncx3lh@vm", id="global task"),
        pytest.param(2, 1, True, "opsx_web.2.4tvgcfncx3lhsrog76pu6y797@vm", id="no-trunc"),
    ],
)
def test_task_prefix(slot: int, width: int, no_trunc: bool, prefix: str) -> None:
    assert task_prefix("opsx_web", slot, "4tvgcfncx3lhsrog76pu6y797", "vm", width, no_trunc) == prefix


@pytest.mark.parametrize(
    ("mode", "width"),
    [
        pytest.param({"Replicated": {"Replicas": 4}}, 1, id="four replicas"),
        pytest.param({"Replicated": {"Replicas": 12}}, 2, id="twelve replicas"),
        pytest.param({"Global": {}}, 1, id="global"),
    ],
)
def test_slot_width(mode: dict[str, Any], width: int) -> None:
    assert slot_width({"Spec": {"Mode": mode}}) == width


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "param"),
    [
        pytest.param("10m", "1799999400.000000000", id="minutes ago"),
        pytest.param("1h30m", "1799994600.000000000", id="compound duration"),
        pytest.param("1.5s", "1799999998.500000000", id="fractional seconds"),
        pytest.param("2026-01-02T13:23:37Z", "1767360217.000000000", id="RFC 3339"),
        pytest.param("2026-01-02T13:23:37.25+01:00", "1767356617.250000000", id="with offset"),
        pytest.param("2026-01-02T13:23:37.5Z", "1767360217.500000000", id="fraction"),
        pytest.param("1767312000", "1767312000", id="unix"),
    ],
)
def test_since_param(value: str, param: str) -> None:
    assert since_param(value, NOW) == param


@pytest.mark.parametrize(
    ("value", "local"),
    [
        pytest.param("2026-01-02", "2026-01-02T00:00:00", id="date"),
        pytest.param("2026-01-02T13:23", "2026-01-02T13:23:00", id="minutes"),
    ],
)
def test_since_param_without_zone_is_local_time(value: str, local: str) -> None:
    expected = datetime.fromisoformat(local).timestamp()
    assert since_param(value, NOW) == f"{int(expected)}.000000000"


def test_since_param_rejects_nonsense() -> None:
    with pytest.raises(InputError) as info:
        since_param("yesterday", NOW)
    assert str(info.value) == (
        "--since must be a duration like 10m, a time like 2026-01-02T13:23:37Z or a Unix time, got 'yesterday'"
    )


@pytest.mark.parametrize("value", ["all", "0", "25"])
def test_tail_param_accepts(value: str) -> None:
    assert tail_param(value) == value


def test_tail_param_rejects() -> None:
    with pytest.raises(InputError) as info:
        tail_param("-1")
    assert str(info.value) == "--tail must be a number or all, got '-1'"


def _rec(ns: int, text: str = "") -> LogRecord:
    return LogRecord(ns, str(ns), "s", "t", "n", False, text or str(ns))


def test_merger_holds_lines_for_older_ones() -> None:
    merger = Merger(delay=0.5)
    merger.push(_rec(30), arrived=10.0)
    merger.push(_rec(10), arrived=10.2)  # older, but arrived later from another stream
    assert merger.ready(now=10.4) == []
    assert [r.time_ns for r in merger.ready(now=10.7)] == [10, 30]
    merger.push(_rec(20), arrived=11.0)
    merger.push(_rec(5), arrived=11.0)
    assert [r.time_ns for r in merger.drain()] == [5, 20]


def test_merger_keeps_arrival_order_for_equal_times() -> None:
    merger = Merger(delay=0.0)
    for text in ("a", "b", "c"):
        merger.push(_rec(7, text), arrived=0.0)
    assert [r.text for r in merger.drain()] == ["a", "b", "c"]


def _service(ident: str, name: str, replicas: int | None = 1) -> dict[str, Any]:
    mode = {"Replicated": {"Replicas": replicas}} if replicas is not None else {"Global": {}}
    return {"ID": ident, "Spec": {"Name": name, "Labels": {LABEL: "st"}, "Mode": mode}}


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        pytest.param([], ["st_web", "st_db"], id="all"),
        pytest.param(["db"], ["st_db"], id="short name"),
        pytest.param(["st_web", "web"], ["st_web"], id="full name, once"),
    ],
)
def test_select_services(wanted: list[str], chosen: list[str]) -> None:
    services = [_service("1", "st_web"), _service("2", "st_db")]
    assert [s["Spec"]["Name"] for s in select_services("st", services, wanted)] == chosen


def test_select_services_unknown() -> None:
    with pytest.raises(InputError) as info:
        select_services("st", [_service("1", "st_web"), _service("2", "st_db")], ["nope", "db"])
    assert str(info.value) == "no such service in stack st: nope (services: db, web)"


def swarm(services: list[dict[str, Any]], frames: dict[str, list[tuple[int, bytes]]],
          tasks: list[dict[str, Any]] | None = None, **kwargs: Any) -> FakeSwarm:
    """A swarm holding these services and tasks, with log frames per service ID."""
    return FakeSwarm(services=services, frames=frames, tasks=tasks or [], **kwargs)


def _collect(gateway: FakeSwarm, opts: LogOptions, stop: threading.Event | None = None) -> list[LogLine]:
    lines: list[LogLine] = []
    stream_stack_logs(gateway, "st", opts, lines.append, stop)
    return lines


def test_streams_merged_in_time_order_with_prefixes() -> None:
    services = [_service("svcweb", "st_web", replicas=4), _service("svcdb", "st_db", replicas=None)]
    frames = {
        "svcweb": [frame("2026-11-29T11:00:01Z", "svcweb", "taskweb1xxxxxxx", "web one"),
                   frame("2026-11-29T11:00:03Z", "svcweb", "taskweb2xxxxxxx", "web two", stream=2)],
        "svcdb": [frame("2026-11-29T11:00:02.5Z", "svcdb", "taskdb0xxxxxxxx", "db"),
                  frame("2026-11-29T11:00:00Z", "svcdb", "vanished", "early")],
    }
    tasks = [{"ID": "taskweb1xxxxxxx", "Slot": 1}, {"ID": "taskweb2xxxxxxx", "Slot": 2}, {"ID": "taskdb0xxxxxxxx", "Slot": 0}]
    gateway = swarm(services, frames, tasks)
    lines = _collect(gateway, LogOptions(tail="5", since="100.0"))
    assert [(line.service, line.prefix, line.record.text, line.record.stderr) for line in lines] == [
        ("st_db", "st_db.0.vanished@vm", "early", False),
        ("st_web", "st_web.1.taskweb1xxxx@vm", "web one", False),
        ("st_db", "st_db.0.taskdb0xxxxx@vm", "db", False),
        ("st_web", "st_web.2.taskweb2xxxx@vm", "web two", True),
    ]
    assert sorted(gateway.opened) == [("svcdb", False, "5", "100.0"), ("svcweb", False, "5", "100.0")]
    assert gateway.inspected == ["vanished"]


def test_named_services_only() -> None:
    services = [_service("svcweb", "st_web"), _service("svcdb", "st_db")]
    frames = {"svcweb": [frame("2026-11-29T11:00:01Z", "svcweb", "t1", "w")],
              "svcdb": [frame("2026-11-29T11:00:01Z", "svcdb", "t2", "d")]}
    lines = _collect(swarm(services, frames, [{"ID": "t1", "Slot": 1}]), LogOptions(services=["web"]))
    assert [line.record.text for line in lines] == ["w"]


def test_unknown_stack() -> None:
    with pytest.raises(EngineError) as info:
        _collect(swarm([], {}), LogOptions())
    assert str(info.value) == "nothing found in stack: st"


def test_follow_picks_up_a_service_created_later() -> None:
    gateway = swarm([_service("svcweb", "st_web")],
                    {"svcweb": [frame("2026-11-29T11:00:01Z", "svcweb", "t1", "first")],
                     "svclate": [frame("2026-11-29T11:00:05Z", "svclate", "t2", "late")]},
                    [{"ID": "t1", "Slot": 1}, {"ID": "t2", "Slot": 1}])
    stop = threading.Event()
    lines: list[LogLine] = []

    def sink(line: LogLine) -> None:
        lines.append(line)
        if line.record.text == "first":
            gateway.services.append(_service("svclate", "st_late"))
        if line.record.text == "late":
            stop.set()

    opts = LogOptions(follow=True, poll=0.05, delay=0.05)
    runner = threading.Thread(target=stream_stack_logs, args=(gateway, "st", opts, sink, stop), daemon=True)
    started = time.monotonic()
    runner.start()
    runner.join(5)
    gateway.release.set()
    assert not runner.is_alive(), f"still following after {time.monotonic() - started:.1f}s"
    assert [(line.prefix, line.record.text) for line in lines] == [("st_web.1.t1@vm", "first"), ("st_late.1.t2@vm", "late")]
    assert [o[:2] for o in gateway.opened] == [("svcweb", True), ("svclate", True)]


def test_stream_error_reaches_the_caller() -> None:
    broken = swarm([_service("svcweb", "st_web")], {}, refuse={"read logs of service svcweb": "boom"})
    with pytest.raises(EngineError) as info:
        _collect(broken, LogOptions())
    assert str(info.value) == "read logs of service svcweb: boom"


def test_tty_service_skipped_with_a_warning() -> None:
    tty = _service("svctty", "st_tty")
    tty["Spec"]["TaskTemplate"] = {"ContainerSpec": {"TTY": True}}
    gateway = swarm([tty, _service("svcweb", "st_web")],
                    {"svcweb": [frame("2026-11-29T11:00:01Z", "svcweb", "t1", "w")]}, [{"ID": "t1", "Slot": 1}])
    warnings: list[str] = []
    lines: list[LogLine] = []
    stream_stack_logs(gateway, "st", LogOptions(), lines.append, warn=warnings.append)
    assert ([line.record.text for line in lines], [o[0] for o in gateway.opened]) == (["w"], ["svcweb"])
    assert warnings == ["skipping service st_tty: it has a tty, so its logs carry no task prefixes "
                        "(use docker service logs --raw st_tty)"]


def test_following_a_service_that_is_gone_ends_its_stream_quietly() -> None:
    gone = EngineError("read logs of service svcgone: no such service", status=404)
    gateway = swarm([_service("svcgone", "st_gone"), _service("svcweb", "st_web")],
                    {"svcweb": [frame("2026-11-29T11:00:01Z", "svcweb", "t1", "w")]}, [{"ID": "t1", "Slot": 1}],
                    refuse={"read logs of service svcgone": gone})
    stop = threading.Event()
    lines: list[LogLine] = []

    def sink(line: LogLine) -> None:
        lines.append(line)
        stop.set()

    stream_stack_logs(gateway, "st", LogOptions(follow=True, poll=0.05, delay=0.0), sink, stop)
    gateway.release.set()
    assert [line.record.text for line in lines] == ["w"]


def test_unreadable_frame_is_an_engine_error() -> None:
    gateway = swarm([_service("svcweb", "st_web")], {"svcweb": [(1, b"not-a-time oops hello\n")]})
    with pytest.raises(EngineError) as info:
        _collect(gateway, LogOptions())
    assert str(info.value) == (
        "read logs of service svcweb: unreadable line b'not-a-time oops hello\\n': "
        "log details without '=': 'oops'"
    )
