"""Stack-wide logs: one engine log stream per service, merged in time order, prefixed per task.

The engine is asked for timestamps and details always: the timestamp orders lines across services,
the details name the task (ID, node, service) for the `stack_web.1.meb3inrben6p@node` prefix that
`docker service logs` prints. Following, a poll of the stack's services starts streams for services
created later; the engine's own service stream picks up tasks that start later.

No printing here: lines go to a `sink` callable (cli.py hands it render.status.LogPrinter.write).
"""

from __future__ import annotations

import heapq
import queue
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote

from composeswarm.errors import EngineError, InputError, Issue
from composeswarm.dockerrules.timestamps import parse_time_ns
from composeswarm.dockerrules.units import is_duration, parse_duration
from composeswarm.ops.rows import Json, node_names
from composeswarm.dockerrules.stacknames import stack_filter

NODE_KEY = "com.docker.swarm.node.id"
SERVICE_KEY = "com.docker.swarm.service.id"
TASK_KEY = "com.docker.swarm.task.id"


class LogGateway(Protocol):
    """The engine calls `logs` needs (composeswarm.engine.gateway.Engine has them)."""

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...
    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]: ...
    def list_nodes(self) -> list[Json]: ...
    def inspect_task(self, ident: str) -> Json: ...
    def service_log_frames(
        self, ident: str, *, follow: bool, tail: str = "all", since: str | None = None
    ) -> Iterator[tuple[int, bytes]]: ...


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One log line as the engine sent it, with its context parsed out."""

    time_ns: int
    timestamp: str
    service_id: str
    task_id: str
    node_id: str
    stderr: bool
    text: str  # without the trailing newline


@dataclass(frozen=True, slots=True)
class LogLine:
    """A record ready to print: which service (for its colour) and the docker-style task prefix."""

    record: LogRecord
    service: str
    prefix: str


def parse_details(text: str) -> dict[str, str]:
    """`k=v,k=v` with URL-escaped parts, as the engine writes log details."""
    out = {}
    for pair in text.split(","):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"log details without '=': {pair!r}")
        out[unquote(key)] = unquote(value)
    return out


def parse_frame(stream: int, payload: bytes) -> LogRecord:
    """A frame `<timestamp> <details> <text>` of a service log stream -> LogRecord."""
    text = payload.decode("utf-8", "replace")
    parts = text.split(" ", 2)
    if len(parts) < 3:
        parts += [""] * (3 - len(parts))
    timestamp, details_text, message = parts
    details = parse_details(details_text)
    return LogRecord(
        time_ns=parse_time_ns(timestamp),
        timestamp=timestamp,
        service_id=details.get(SERVICE_KEY, ""),
        task_id=details.get(TASK_KEY, ""),
        node_id=details.get(NODE_KEY, ""),
        stderr=stream == 2,
        text=message[:-1] if message.endswith("\n") else message,
    )


def task_prefix(service: str, slot: int, task_id: str, node: str, width: int, no_trunc: bool = False) -> str:
    """`stack_web.1.meb3inrben6p@node`, padded as docker pads slots shorter than the replica count."""
    ident = task_id if no_trunc else task_id[:12]
    return f"{service}.{slot}.{ident}@{node}" + " " * max(0, width - len(str(slot)))


def slot_width(service: Json) -> int:
    """Digits of the replica count: the width docker pads slot numbers to (1 when not replicated)."""
    replicated = ((service.get("Spec") or {}).get("Mode") or {}).get("Replicated") or {}
    replicas = replicated.get("Replicas")
    return len(str(int(replicas))) if replicas is not None else 1


def since_param(value: str, now: float) -> str:
    """--since as the docker CLI sends it: a Go duration (`10m`, `1h30m`) is relative to now;
    RFC 3339 times and dates are absolute; a number is already a Unix time. Returns `sec.nanos`."""
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d{1,9})?", text):
        return text
    if text and not text.startswith(("-", "+")) and is_duration(text):
        return _unix(now - parse_duration(text) / 1e9)
    m = re.fullmatch(r"(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:\d\d)?)?", text)
    if m:
        date, clock, zone = m.groups()
        clock = clock or "00:00:00"
        if clock.count(":") == 1:
            clock += ":00"
        frac = ""
        if "." in clock:
            clock, frac = clock.split(".")
        if zone is None:  # no zone: local time, as the docker CLI reads it
            local = datetime.fromisoformat(f"{date}T{clock}").timestamp()
            return f"{int(local)}.{(frac or '0')[:9].ljust(9, '0')}"
        ns = parse_time_ns(f"{date}T{clock}.{frac or '0'}{zone}")
        return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"
    raise InputError(
        [
            Issue(
                "", None, None, (),
                f"--since must be a duration like 10m, a time like 2026-01-02T13:23:37Z or a Unix time, got {value!r}",
            )
        ]
    )


def tail_param(value: str) -> str:
    """--tail N or all."""
    if value == "all" or re.fullmatch(r"\d+", value):
        return value
    raise InputError([Issue("", None, None, (), f"--tail must be a number or all, got {value!r}")])


def _unix(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole}.{int(round((seconds - whole) * 1e9)):09d}"


@dataclass
class Merger:
    """Orders records from several streams by timestamp.

    Following, a record is held `delay` seconds after it arrives so that a slightly older record from
    another stream can still go before it; at the end everything left comes out sorted.
    """

    delay: float = 0.3
    _heap: list[tuple[int, int, float, LogRecord]] = field(default_factory=list)
    _seq: int = 0

    def push(self, record: LogRecord, arrived: float) -> None:
        """Hold a record."""
        self._seq += 1
        heapq.heappush(self._heap, (record.time_ns, self._seq, arrived, record))

    def ready(self, now: float) -> list[LogRecord]:
        """Records whose hold time is over, oldest first (a held older record holds back newer ones)."""
        out = []
        while self._heap and self._heap[0][2] + self.delay <= now:
            out.append(heapq.heappop(self._heap)[3])
        return out

    def drain(self) -> list[LogRecord]:
        """Everything still held, oldest first."""
        out = [heapq.heappop(self._heap)[3] for _ in range(len(self._heap))]
        return out


class TaskNames:
    """Resolves a record's task to its prefix, caching tasks, nodes and services seen."""

    def __init__(self, gateway: LogGateway, stack: str, no_trunc: bool = False) -> None:
        self.gateway = gateway
        self.no_trunc = no_trunc
        self.services: dict[str, Json] = {}
        self.slots: dict[str, int] = {}
        self.nodes: dict[str, str] = {}
        for task in gateway.list_tasks(stack_filter(stack)):
            self.slots[str(task.get("ID"))] = int(task.get("Slot") or 0)
        self._load_nodes()

    def _load_nodes(self) -> None:
        self.nodes.update(node_names(self.gateway.list_nodes()))

    def add_service(self, service: Json) -> None:
        """Remember a service (its name and replica count)."""
        self.services[str(service.get("ID"))] = service

    def line(self, record: LogRecord) -> LogLine:
        """The printable line for a record."""
        service = self.services.get(record.service_id) or {}
        name = str((service.get("Spec") or {}).get("Name") or record.service_id)
        if record.task_id not in self.slots:
            try:
                self.slots[record.task_id] = int(self.gateway.inspect_task(record.task_id).get("Slot") or 0)
            except EngineError:
                self.slots[record.task_id] = 0  # the task is gone already: docker would fail; we print slot 0
        if record.node_id not in self.nodes:
            self._load_nodes()
            self.nodes.setdefault(record.node_id, record.node_id)
        prefix = task_prefix(
            name,
            self.slots[record.task_id],
            record.task_id,
            self.nodes[record.node_id],
            slot_width(service),
            self.no_trunc,
        )
        return LogLine(record, name, prefix)


def select_services(stack: str, services: list[Json], wanted: list[str]) -> list[Json]:
    """The services of the stack that `wanted` names (`web` or `stack_web`); all when none named."""
    if not wanted:
        return services
    by_name = {str((s.get("Spec") or {}).get("Name")): s for s in services}
    chosen = []
    missing = []
    for name in wanted:
        full = name if name in by_name else f"{stack}_{name}"
        if full in by_name:
            if by_name[full] not in chosen:
                chosen.append(by_name[full])
        else:
            missing.append(name)
    if missing:
        names = ", ".join(sorted(n[len(stack) + 1 :] for n in by_name))
        raise InputError(
            [Issue("", None, None, (), f"no such service in stack {stack}: {', '.join(missing)} (services: {names})")]
        )
    return chosen


@dataclass
class LogOptions:
    """What `logs` was asked for."""

    services: list[str] = field(default_factory=list)
    follow: bool = False
    tail: str = "all"
    since: str | None = None
    no_trunc: bool = False
    poll: float = 1.0  # following: how often to look for new services
    delay: float = 0.3  # following: how long a line waits for older lines from other streams


def stream_stack_logs(
    gateway: LogGateway,
    stack: str,
    opts: LogOptions,
    sink: Callable[[LogLine], None],
    stop: threading.Event | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> int:
    """Print the stack's logs through `sink`, merged in time order; returns the number of lines.

    Without follow it returns when every stream has ended. Following, it returns when `stop` is set
    (KeyboardInterrupt reaches the caller from the main thread as usual).
    """
    stop = stop or threading.Event()
    label = stack_filter(stack)
    services = gateway.list_services(label)
    if not services:
        raise EngineError(f"nothing found in stack: {stack}")
    chosen = select_services(stack, services, opts.services)
    names = TaskNames(gateway, stack, opts.no_trunc)
    inbox: queue.Queue[tuple[str, str, Any]] = queue.Queue()
    started: set[str] = set()
    open_streams = 0

    def reader(service_id: str) -> None:
        # Ctrl-C goes to the main thread only: delivered here, it would leave the main thread blocked
        # in a read (over ssh, one that may take long to return) with the interrupt unnoticed
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            for stream, payload in gateway.service_log_frames(
                service_id, follow=opts.follow, tail=opts.tail, since=opts.since
            ):
                try:
                    record = parse_frame(stream, payload)
                except ValueError as exc:
                    what = f"read logs of service {service_id}: unreadable line {payload[:80]!r}"
                    raise EngineError(f"{what}: {exc}") from exc
                inbox.put(("record", service_id, record))
        except EngineError as exc:
            if not (opts.follow and exc.status == 404):  # following, a service may go away: its stream ends
                inbox.put(("error", service_id, exc))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises
            inbox.put(("error", service_id, exc))
        finally:
            inbox.put(("end", service_id, None))

    def start(service: Json) -> None:
        nonlocal open_streams
        ident = str(service.get("ID"))
        names.add_service(service)
        if ident in started:
            return
        started.add(ident)
        spec = service.get("Spec") or {}
        if ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("TTY"):
            # a tty service's log is one raw stream without task details: docker needs --raw for it
            warn(f"skipping service {spec.get('Name')}: it has a tty, so its logs carry no task prefixes "
                 f"(use docker service logs --raw {spec.get('Name')})")
            return
        open_streams += 1
        threading.Thread(target=reader, args=(ident,), name=f"logs-{ident[:12]}", daemon=True).start()

    for service in chosen:
        start(service)
    merger = Merger(delay=opts.delay if opts.follow else 0.0)
    count = 0
    next_poll = time.monotonic() + opts.poll

    while not stop.is_set():
        if not opts.follow and open_streams == 0:
            break
        try:
            kind, _service_id, item = inbox.get(timeout=0.1)
        except queue.Empty:
            kind = ""
        if kind == "record":
            merger.push(item, time.monotonic())
        elif kind == "error":
            raise item
        elif kind == "end":
            open_streams -= 1
        if opts.follow:
            for record in merger.ready(time.monotonic()):
                sink(names.line(record))
                count += 1
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + opts.poll
                fresh = gateway.list_services(label)
                for service in select_or_new(stack, fresh, opts.services):
                    start(service)
    for record in merger.drain():
        sink(names.line(record))
        count += 1
    return count


def select_or_new(stack: str, services: list[Json], wanted: list[str]) -> list[Json]:
    """While following: every service of the stack when none were named, else the named ones that exist."""
    if not wanted:
        return services
    full = {w if w.startswith(f"{stack}_") else f"{stack}_{w}" for w in wanted}
    return [s for s in services if (s.get("Spec") or {}).get("Name") in full]
