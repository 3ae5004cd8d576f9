"""A fault-injecting proxy for tests: a unix socket in front of the engine's socket.

It forwards every HTTP/1.1 request as it is (keep-alive connections, chunked and streamed answers such
as followed logs, hijacked connections after `101 Switching Protocols`) and records each call it saw
(method, path, status). Rules, set while it runs, change what a client sees:

- `kill_after(k)`: once the engine has answered the k-th write call (POST, DELETE, PUT) counted from
  now, SIGKILL the client that made it (its pid from SO_PEERCRED, or the pid given) before the answer
  reaches it: the engine did the write, the client never learnt of it. While the rule is set, writes
  go to the engine one at a time and none of the killed client's after the k-th: write k is exactly
  the last one the engine saw, even when the client sends several at once.
- `delay(seconds, ...)`: hold the answers to matching calls.
- `fail(method, path, nth=..., status=500)`: answer the n-th matching call itself with an engine-shaped
  error (`{"message": ...}`), or with `drop=True` close the connection without an answer; either way
  the engine never sees the call.
- `before(method, path, action, nth=...)`: run `action()` (e.g. `docker service scale`) just before
  the n-th matching call is forwarded, to make a race happen at an exact moment.

Paths are matched (`re.search`) and recorded without the `/v1.41` version prefix and the query.
Nothing in composeswarm knows about this module: point DOCKER_HOST at `proxy.docker_host`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

WRITE_METHODS = ("POST", "DELETE", "PUT")
_VERSION_PREFIX = re.compile(r"^/v\d+(\.\d+)?(?=/)")
# Heads and chunk-size lines longer than this are not HTTP from an engine or a docker client.
_LINE_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class Call:
    """One request the proxy saw and what became of it."""

    method: str
    path: str  # without the API version prefix and the query: /services/abc/update
    query: str
    status: int | None  # the engine's (or the injected) status; None when dropped or the client was killed
    injected: str = ""  # "", "fail", "drop", "kill" (answered by the engine, never relayed)
    sent: float = 0.0  # time.monotonic() when the proxy had read the whole request
    answered: float = 0.0  # time.monotonic() when the answer (after any delay) went back to the client

    @property
    def write(self) -> bool:
        """True for POST, DELETE and PUT: the calls that change the swarm."""
        return self.method in WRITE_METHODS

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status if self.status is not None else '-'}"


@dataclass
class _Rule:
    """Match calls by method and path; act on the n-th match (0: every match)."""

    method: str | None
    pattern: re.Pattern[str] | None
    nth: int
    seen: int = 0

    def hit(self, method: str, path: str) -> bool:
        """Count a matching call; True when this is the one to act on."""
        if self.method is not None and method != self.method:
            return False
        if self.pattern is not None and not self.pattern.search(path):
            return False
        self.seen += 1
        return self.nth == 0 or self.seen == self.nth


@dataclass
class _Fail(_Rule):
    status: int = 500
    message: str = "injected by the fault proxy"
    drop: bool = False


@dataclass
class _Delay(_Rule):
    seconds: float = 0.0


@dataclass
class _Before(_Rule):
    action: Callable[[], object] = field(default=lambda: None)


R = TypeVar("R", bound=_Rule)


@dataclass
class _Kill:
    after: int  # the k-th answered write, counted from when the rule was set
    pid: int | None
    writes: int = 0


class FaultProxy:
    """A unix-socket HTTP proxy in front of the engine, with rules that inject faults."""

    def __init__(self, socket_path: str | Path, upstream: str | Path | None = None) -> None:
        self.socket_path = str(socket_path)
        self.upstream = str(upstream) if upstream is not None else default_upstream()
        self.calls: list[Call] = []
        self.killed: list[int] = []  # pids SIGKILLed
        self.errors: list[str] = []  # what went wrong inside the proxy (a failing `before` action, a bug)
        self._lock = threading.Lock()
        self._fails: list[_Fail] = []
        self._delays: list[_Delay] = []
        self._befores: list[_Before] = []
        self._kill: _Kill | None = None
        self._serial = False  # writes one at a time (set by kill_after)
        self._gate = threading.Lock()
        self._dead: set[int] = set()  # killed clients: their writes still on the way are dropped
        self._open: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def docker_host(self) -> str:
        """The DOCKER_HOST that reaches the engine through this proxy."""
        return f"unix://{self.socket_path}"

    # --- running --------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Listen on the socket (replacing a stale one) and serve in a background thread."""
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self._server = _Server(self.socket_path, _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every open connection and remove the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            _close(conn)
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- rules ----------------------------------------------------------------------------------

    def kill_after(self, k: int, pid: int | None = None) -> None:
        """SIGKILL the client (or `pid`) once the engine answered the k-th write from now; no answer relayed."""
        if k < 1:
            raise ValueError(f"kill_after needs k >= 1, got {k}")
        with self._lock:
            self._kill = _Kill(k, pid)
            self._serial = True

    def fail(self, method: str | None, path: str | None, *, nth: int = 1, status: int = 500,
             message: str = "injected by the fault proxy", drop: bool = False) -> None:
        """Answer the n-th matching call (0: every one) with `status` and `message`, or drop its connection."""
        with self._lock:
            self._fails.append(_Fail(method, _compile(path), nth, status=status, message=message, drop=drop))

    def delay(self, seconds: float, method: str | None = None, path: str | None = None, *, nth: int = 0) -> None:
        """Hold the engine's answer to the matching calls (every one by default) for `seconds`."""
        with self._lock:
            self._delays.append(_Delay(method, _compile(path), nth, seconds=seconds))

    def before(self, method: str | None, path: str | None, action: Callable[[], object], *, nth: int = 1) -> None:
        """Run `action()` just before the n-th matching call is forwarded to the engine."""
        with self._lock:
            self._befores.append(_Before(method, _compile(path), nth, action=action))

    def reset(self) -> None:
        """Forget every rule and every recorded call."""
        with self._lock:
            self._fails.clear()
            self._delays.clear()
            self._befores.clear()
            self._kill = None
            self._serial = False
            self._dead.clear()
            self.calls.clear()
            self.killed.clear()
            self.errors.clear()

    # --- what was seen --------------------------------------------------------------------------

    def writes(self) -> list[Call]:
        """The write calls seen so far, in the order the engine answered them."""
        with self._lock:
            return [c for c in self.calls if c.write]

    def calls_of(self, method: str, path: str) -> list[Call]:
        """The recorded calls with this method whose path matches the pattern."""
        pattern = re.compile(path)
        with self._lock:
            return [c for c in self.calls if c.method == method and pattern.search(c.path)]

    # --- the handler's helpers ------------------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _match(self, rules: list[R], method: str, path: str) -> R | None:
        fired = None
        with self._lock:
            for rule in rules:  # every rule counts the call, the first that fires acts
                if rule.hit(method, path) and fired is None:
                    fired = rule
        return fired

    def _answered_write(self, peer: int) -> int | None:
        """Count a write the engine answered; the pid to kill when it is the k-th."""
        with self._lock:
            if self._kill is None:
                return None
            self._kill.writes += 1
            if self._kill.writes < self._kill.after:
                return None
            pid = peer if self._kill.pid is None else self._kill.pid
            self._kill = None
            self._dead.update((pid, peer))
            self.killed.append(pid)
            return pid

    def _track(self, conn: socket.socket, on: bool) -> None:
        with self._lock:
            (self._open.add if on else self._open.discard)(conn)


def most_in_flight(calls: list[Call]) -> int:
    """The most of these calls that were in flight at once (sent, not yet answered), from their times."""
    edges = sorted(e for c in calls if c.sent for e in ((c.sent, 1), (c.answered, -1)))
    most = now = 0
    for _, step in edges:  # at equal times an answer (-1) sorts before a new call (+1)
        now += step
        most = max(most, now)
    return most


def default_upstream() -> str:
    """The engine's socket: DOCKER_HOST when it is unix://, else /var/run/docker.sock."""
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return host[len("unix://"):]
    if host:
        raise ValueError(f"the fault proxy needs a unix socket, DOCKER_HOST is {host}")
    return "/var/run/docker.sock"


@contextmanager
def running_proxy(socket_path: str | Path, upstream: str | Path | None = None) -> Iterator[FaultProxy]:
    """A started proxy, stopped on leaving."""
    proxy = FaultProxy(socket_path, upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()


# --- the server -------------------------------------------------------------------------------------


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, path: str, handler: type[socketserver.BaseRequestHandler], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(path, handler)


class _Dropped(Exception):
    """The connection is to be closed now (a fault, a kill, or a side hung up)."""


class _Handler(socketserver.BaseRequestHandler):
    """One client connection: requests read one by one, each forwarded on one upstream connection."""

    def handle(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        client: socket.socket = self.request
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        proxy._track(client, True)
        proxy._track(upstream, True)
        try:
            upstream.connect(proxy.upstream)
            cin, uin = client.makefile("rb"), upstream.makefile("rb")
            peer = _peer_pid(client)
            while _Exchange(proxy, client, upstream, cin, uin, peer).run():
                pass
        except (_Dropped, OSError):
            pass
        except Exception as exc:  # a test must hear of it (proxy.errors), not find a traceback on stderr
            with proxy._lock:
                proxy.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            proxy._track(client, False)
            proxy._track(upstream, False)
            _close(upstream)
            _close(client)


class _Exchange:
    """One request and its answer."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, upstream: socket.socket,
                 cin: BinaryIO, uin: BinaryIO, peer: int) -> None:
        self.proxy, self.client, self.upstream, self.cin, self.uin = proxy, client, upstream, cin, uin
        self.peer = peer

    def run(self) -> bool:
        """Relay one exchange; False when the connection is done."""
        line = self.cin.readline(_LINE_LIMIT)
        if not line.strip():
            return False
        method, target, _ = line.decode("latin-1").split(" ", 2)
        raw_path, _, query = target.partition("?")
        path = _VERSION_PREFIX.sub("", raw_path)
        head = line + _read_head(self.cin)
        headers = _headers(head)
        request = head + _read_body(self.cin, headers)
        proxy = self.proxy
        sent = time.monotonic()

        fault = proxy._match(proxy._fails, method, path)
        if fault is not None:
            if fault.drop:
                proxy._record(Call(method, path, query, None, "drop"))
                raise _Dropped
            body = json.dumps({"message": fault.message}).encode()
            self.client.sendall(
                f"HTTP/1.1 {fault.status} Injected\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body
            )
            proxy._record(Call(method, path, query, fault.status, "fail"))
            return True
        before = proxy._match(proxy._befores, method, path)
        if before is not None:
            before.action()

        if method in WRITE_METHODS and proxy._serial:
            with proxy._gate:
                if self.peer in proxy._dead:  # sent by the killed client before it died: never reaches the engine
                    proxy._record(Call(method, path, query, None, "drop"))
                    raise _Dropped
                status, answer_head = self._forward(request, method, path, query)
                victim = proxy._answered_write(self.peer)
                if victim is not None:
                    os.kill(victim, signal.SIGKILL)
                    proxy._record(Call(method, path, query, status, "kill"))
                    raise _Dropped
        else:
            status, answer_head = self._forward(request, method, path, query)
        delay = proxy._match(proxy._delays, method, path)
        if delay is not None:
            time.sleep(delay.seconds)
        proxy._record(Call(method, path, query, status, sent=sent, answered=time.monotonic()))
        self.client.sendall(answer_head)
        return self._relay_body(method, status, _headers(answer_head))

    def _forward(self, request: bytes, method: str, path: str, query: str) -> tuple[int, bytes]:
        """Send the request to the engine; its status and the head of its answer."""
        self.upstream.sendall(request)
        status_line = self.uin.readline(_LINE_LIMIT)
        if not status_line:
            self.proxy._record(Call(method, path, query, None))
            raise _Dropped
        return int(status_line.split()[1]), status_line + _read_head(self.uin)

    def _relay_body(self, method: str, status: int, headers: dict[str, str]) -> bool:
        """Relay the answer's body as it comes; False when the connection ends with it."""
        if status == 101:  # hijacked: raw bytes both ways until one side closes
            _splice(self.cin, self.upstream, self.uin, self.client)
            return False
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return True
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:  # chunk by chunk, so a followed log stream reaches the client as it is written
                size_line = self.uin.readline(_LINE_LIMIT)
                if not size_line:
                    raise _Dropped
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.client.sendall(size_line + _read_head(self.uin))  # trailers and the blank line
                    break
                self.client.sendall(size_line + _read_exact(self.uin, size + 2))
        elif "content-length" in headers:
            left = int(headers["content-length"])
            while left > 0:
                chunk = self.uin.read1(min(left, 65536))  # type: ignore[attr-defined]
                if not chunk:
                    raise _Dropped
                self.client.sendall(chunk)
                left -= len(chunk)
        else:  # delimited by the end of the connection
            while chunk := self.uin.read1(65536):  # type: ignore[attr-defined]
                self.client.sendall(chunk)
            return False
        return "close" not in headers.get("connection", "").lower()


def _compile(path: str | None) -> re.Pattern[str] | None:
    return re.compile(path) if path is not None else None


def _read_head(stream: BinaryIO) -> bytes:
    """Header lines up to and including the blank line."""
    out = b""
    while True:
        line = stream.readline(_LINE_LIMIT)
        if not line:
            raise _Dropped
        out += line
        if line in (b"\r\n", b"\n"):
            return out


def _headers(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _read_body(stream: BinaryIO, headers: dict[str, str]) -> bytes:
    """A request's body, raw (chunked bodies keep their framing)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        out = b""
        while True:
            size_line = stream.readline(_LINE_LIMIT)
            if not size_line:
                raise _Dropped
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return out + size_line + _read_head(stream)
            out += size_line + _read_exact(stream, size + 2)
    return _read_exact(stream, int(headers.get("content-length", "0")))


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise _Dropped
    return data


def _splice(cin: BinaryIO, upstream: socket.socket, uin: BinaryIO, client: socket.socket) -> None:
    """Copy both ways until either side closes (what is already buffered goes first)."""

    def pump(src: BinaryIO, dst: socket.socket) -> None:
        try:
            while chunk := src.read1(65536):  # type: ignore[attr-defined]
                dst.sendall(chunk)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    other = threading.Thread(target=pump, args=(cin, upstream), daemon=True)
    other.start()
    pump(uin, client)
    other.join()


def _peer_pid(conn: socket.socket) -> int:
    """The pid of the process at the other end of a unix socket (Linux SO_PEERCRED)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid: int = struct.unpack("3i", creds)[0]
    return pid


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
