"""tests/support/fault_proxy.py against a small HTTP server on a unix socket (no engine): what it forwards, records and injects."""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fault_proxy import FaultProxy

REPO_ROOT = Path(__file__).resolve().parents[2]


class _Upstream(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    seen: list[str]


class _Engine(http.server.BaseHTTPRequestHandler):
    """Answers like the engine would, in the framings the proxy must relay."""

    protocol_version = "HTTP/1.1"
    server: _Upstream

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.seen.append(f"GET {self.path}")
        if self.path.endswith("/stream"):  # chunked, written over time: followed logs
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.endswith("/eof"):  # no length: the body ends with the connection
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
        else:
            self._answer(200, b'{"ok": true}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append(f"POST {self.path} {body.decode()}")
        if self.path.endswith("/attach"):  # hijacked: raw bytes both ways after the 101
            self.send_response(101)
            self.send_header("Upgrade", "tcp")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            self.wfile.write(b"echo:" + self.rfile.readline())
            self.close_connection = True
            return
        self._answer(201, json.dumps({"Id": "x"}).encode())


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="csfp", dir="/tmp") as name:  # unix socket paths are short
        yield Path(name)


@pytest.fixture
def upstream(folder: Path) -> Iterator[_Upstream]:
    server = _Upstream(str(folder / "engine.sock"), _Engine)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(folder: Path, upstream: _Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(folder / "proxy.sock", folder / "engine.sock") as running:
        yield running


def request(conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    res = conn.getresponse()
    return res.status, res.read()


def test_forwards_every_framing_on_one_connection_and_records_the_calls(proxy: FaultProxy) -> None:
    conn = _UnixConnection(proxy.socket_path)
    assert request(conn, "GET", "/v1.41/services?filters=x") == (200, b'{"ok": true}')
    assert request(conn, "POST", "/v1.41/services/create", '{"Name": "a"}') == (201, b'{"Id": "x"}')
    assert request(conn, "GET", "/v1.41/stream") == (200, b"one two three")
    assert request(conn, "GET", "/v1.41/eof") == (200, b"until the end")
    assert [str(c) for c in proxy.calls] == [
        "GET /services 200", "POST /services/create 201", "GET /stream 200", "GET /eof 200",
    ]
    assert proxy.calls[0].query == "filters=x"
    assert [str(c) for c in proxy.writes()] == ["POST /services/create 201"]


def test_a_hijacked_connection_is_spliced(proxy: FaultProxy) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(proxy.socket_path)
        sock.sendall(b"POST /v1.41/containers/c/attach HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        sock.sendall(b"hello\n")
        sock.settimeout(10)
        got = b""
        while chunk := sock.recv(4096):
            got += chunk
    assert got.startswith(b"HTTP/1.1 101 ")
    assert got.endswith(b"\r\n\r\necho:hello\n")


def test_fail_answers_the_nth_match_itself(proxy: FaultProxy, upstream: _Upstream) -> None:
    proxy.fail("POST", r"^/services/create$", nth=2, message="update out of sequence")
    conn = _UnixConnection(proxy.socket_path)
    assert request(conn, "POST", "/v1.41/services/create", "1")[0] == 201
    assert request(conn, "POST", "/v1.41/services/create", "2") == (500, b'{"message": "update out of sequence"}')
    assert request(conn, "POST", "/v1.41/services/create", "3")[0] == 201
    assert upstream.seen == ["POST /v1.41/services/create 1", "POST /v1.41/services/create 3"]
    assert [(str(c), c.injected) for c in proxy.calls] == [
        ("POST /services/create 201", ""), ("POST /services/create 500", "fail"), ("POST /services/create 201", ""),
    ]


def test_drop_closes_the_connection_without_an_answer(proxy: FaultProxy, upstream: _Upstream) -> None:
    proxy.fail("GET", r"^/info$", drop=True)
    conn = _UnixConnection(proxy.socket_path)
    with pytest.raises(http.client.RemoteDisconnected):
        request(conn, "GET", "/v1.41/info")
    assert upstream.seen == []
    assert [str(c) for c in proxy.calls] == ["GET /info -"]


def test_delay_holds_the_answer(proxy: FaultProxy) -> None:
    proxy.delay(0.3, "GET", r"^/slow$")
    conn = _UnixConnection(proxy.socket_path)
    started = time.monotonic()
    request(conn, "GET", "/v1.41/fast")
    fast = time.monotonic() - started
    request(conn, "GET", "/v1.41/slow")
    assert time.monotonic() - started - fast >= 0.3
    assert fast < 0.3


def test_before_runs_just_before_the_call_is_forwarded(proxy: FaultProxy, upstream: _Upstream) -> None:
    proxy.before("POST", r"/update$", lambda: upstream.seen.append("someone scaled it"), nth=2)
    conn = _UnixConnection(proxy.socket_path)
    request(conn, "POST", "/v1.41/services/a/update", "1")
    request(conn, "POST", "/v1.41/services/a/update", "2")
    assert upstream.seen == ["POST /v1.41/services/a/update 1", "someone scaled it", "POST /v1.41/services/a/update 2"]


CLIENT = """
import http.client, socket, sys
from concurrent.futures import ThreadPoolExecutor
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
def post(i):
    c = C("localhost", timeout=10); c.request("POST", f"/v1.41/things/{i}", body=str(i)); c.getresponse().read()
with ThreadPoolExecutor(4) as pool:  # several writes at once, as apply sends a wave of services
    list(pool.map(post, range(6)))
"""


def test_kill_after_the_kth_write_the_engine_answered(proxy: FaultProxy, upstream: _Upstream) -> None:
    proxy.kill_after(3)
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, proxy.socket_path], stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -9, err
    assert proxy.killed == [proc.pid]
    posts = [s for s in upstream.seen if s.startswith("POST")]
    assert len(posts) == 3  # the engine saw exactly k writes, though the client sent them four at a time
    answered = [c for c in proxy.writes() if c.status is not None]
    assert len(answered) == 3 and answered[-1].injected == "kill"


def test_a_failing_action_is_recorded_and_the_call_dropped(proxy: FaultProxy, upstream: _Upstream) -> None:
    def broken() -> None:
        raise RuntimeError("docker service scale exited 1")

    proxy.before("GET", r"^/info$", broken)
    conn = _UnixConnection(proxy.socket_path)
    with pytest.raises(http.client.RemoteDisconnected):
        request(conn, "GET", "/v1.41/info")
    assert proxy.errors == ["RuntimeError: docker service scale exited 1"]
    assert upstream.seen == []
