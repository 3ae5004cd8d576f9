"""engine.gateway: Engine.registry_auth_for, the X-Registry-Auth header from the docker CLI config, as text."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, cast

import pytest

from composeswarm.engine.endpoints import Endpoint
from composeswarm.engine.gateway import Engine
from composeswarm.errors import EngineError, EngineUnreachable


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("127.0.0.1:5000/app:1", {"username": "user", "password": "pw", "serveraddress": "127.0.0.1:5000"},
                     id="logged in: the credentials, base64 text"),
        pytest.param("127.0.0.1:5000/app:1@sha256:" + "a" * 64,
                     {"username": "user", "password": "pw", "serveraddress": "127.0.0.1:5000"}, id="pinned image"),
        pytest.param("127.0.0.1:6000/app:1", None, id="not logged in: no header"),
    ],
)
def test_registry_auth_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, image: str,
                              expected: dict[str, str] | None) -> None:
    token = base64.b64encode(b"user:pw").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"127.0.0.1:5000": {"auth": token}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    engine = Engine(cast(Any, None), cast(Any, None))  # reads only the CLI config: no engine needed
    header = engine.registry_auth_for(image)
    if expected is None:
        assert header is None
        return
    assert isinstance(header, str)
    decoded = json.loads(base64.urlsafe_b64decode(header))
    assert {k: decoded.get(k) for k in expected} == expected


class _FakeAPI:
    """The APIClient methods Engine's plumbing uses: every request answers an empty JSON document."""

    class _Response:
        content = b"{}"

        def json(self) -> dict[str, Any]:
            return {"ID": "x", "Id": "x"}

    def _url(self, path: str) -> str:
        return path

    def _get(self, url: str, **kwargs: Any) -> Any:
        return self._Response()

    def _post(self, url: str, **kwargs: Any) -> Any:
        return self._Response()

    def _delete(self, url: str, **kwargs: Any) -> Any:
        return self._Response()

    def _result(self, response: Any, json: bool) -> Any:
        return [] if json else ""

    def _raise_for_status(self, response: Any) -> None:
        return None

    def info(self) -> dict[str, Any]:
        return {}


def test_reads_are_counted_and_writes_listed() -> None:
    # the deploy's metrics split the engine calls into reads and writes
    engine = Engine(cast(Any, _FakeAPI()), cast(Any, None))
    engine.info()
    engine.read_stack("s")  # four list calls
    engine.inspect_service("abc")
    engine.create_network({"Name": "s_default"})
    engine.remove_service("abc", "s_web")
    assert (engine.reads, engine.calls) == (6, ["create network s_default", "remove service s_web"])


# --- retries: reads only, bounded, with backoff ------------------------------------------------------


def _refused() -> Exception:
    """What requests raises when nobody listens on the socket (the SDK's wrapping, innermost the OSError)."""
    import errno

    import requests

    inner = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    outer = requests.exceptions.ConnectionError(inner)
    outer.__cause__ = inner
    return outer


def _server_error(status: int) -> Exception:
    import docker.errors
    import requests

    response = requests.Response()
    response.status_code = status
    return docker.errors.APIError("injected", response, explanation="injected by the test")


class _ScriptedAPI(_FakeAPI):
    """Each request raises the next scripted error, then answers; every request is recorded."""

    timeout = 60

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = list(errors)
        self.sent: list[str] = []

    def _answer(self, method: str, url: str) -> Any:
        self.sent.append(f"{method} {url}")
        if self.errors:
            raise self.errors.pop(0)
        return self._Response()

    def _get(self, url: str, **kwargs: Any) -> Any:
        return self._answer("GET", url)

    def _post(self, url: str, **kwargs: Any) -> Any:
        return self._answer("POST", url)

    def _delete(self, url: str, **kwargs: Any) -> Any:
        return self._answer("DELETE", url)


ENDPOINT = Endpoint("unix:///x/docker.sock", "DOCKER_HOST")


def scripted(errors: list[Exception]) -> tuple[Engine, _ScriptedAPI, list[float]]:
    api = _ScriptedAPI(errors)
    slept: list[float] = []
    return Engine(cast(Any, api), ENDPOINT, sleep=slept.append), api, slept


@pytest.mark.parametrize(
    ("errors", "sent", "slept"),
    [
        pytest.param([_refused()], 2, [0.25], id="refused once: tried again"),
        pytest.param([_server_error(500)], 2, [0.25], id="500 once: tried again"),
        pytest.param([_server_error(503), _server_error(502)], 3, [0.25, 0.5], id="503 then 502: backoff doubles"),
    ],
)
def test_a_read_is_tried_again_after_a_transient_failure(errors: list[Exception], sent: int, slept: list[float]) -> None:
    engine, api, pauses = scripted(errors)
    assert engine.list_services() == []
    assert (len(api.sent), pauses, engine.retries, engine.reads) == (sent, slept, sent - 1, 1)


def test_reads_are_tried_three_times_at_most() -> None:
    engine, api, pauses = scripted([_refused()] * 5)
    with pytest.raises(EngineUnreachable) as caught:
        engine.list_tasks()
    assert str(caught.value) == (
        "list tasks: cannot reach the Docker engine at unix:///x/docker.sock (from DOCKER_HOST): "
        "connection refused (a socket nobody listens on: is dockerd running?)"
    )
    assert (len(api.sent), pauses) == (3, [0.25, 0.5])


@pytest.mark.parametrize(
    "error",
    [pytest.param(_server_error(404), id="404"), pytest.param(_server_error(400), id="400")],
)
def test_a_read_the_engine_refused_is_not_tried_again(error: Exception) -> None:
    engine, api, pauses = scripted([error])
    with pytest.raises(EngineError) as caught:
        engine.inspect_service("abc")
    assert (len(api.sent), pauses, caught.value.status) == (1, [], cast(Any, error).status_code)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda e: e.create_network({"Name": "s_default"}), _server_error(500), id="create: 500"),
        pytest.param(lambda e: e.update_service("abc", 3, {"Name": "s_web"}), _refused(), id="update: refused"),
        pytest.param(lambda e: e.remove_service("abc", "s_web"), _server_error(503), id="remove: 503"),
    ],
)
def test_a_write_is_never_tried_again(call: Any, error: Exception) -> None:
    engine, api, pauses = scripted([error])
    with pytest.raises(EngineError):
        call(engine)
    assert (len(api.sent), pauses, engine.retries) == (1, [], 0)


def test_a_slow_read_times_out_and_is_tried_again(tmp_path: Path) -> None:
    """A real HTTP exchange on a unix socket: the first answer comes after the client's timeout."""
    import socket
    import threading

    from docker.api.client import APIClient

    path = str(tmp_path / "engine.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    seen: list[float] = []

    def answer(conn: socket.socket, slow: bool) -> None:
        import time

        with conn:
            conn.recv(65536)
            seen.append(time.monotonic())
            if slow:
                time.sleep(1.0)  # slower than the client's 0.3 s
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
            except OSError:
                pass  # the client gave up on this one

    def serve() -> None:
        for n in range(2):
            conn, _ = server.accept()
            threading.Thread(target=answer, args=(conn, n == 0), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    api = APIClient(base_url=f"unix://{path}", version="1.41", timeout=0.3)
    engine = Engine(api, Endpoint(f"unix://{path}", "DOCKER_HOST"))
    try:
        assert engine.list_nodes() == []
    finally:
        api.close()
        server.close()
    assert (len(seen), engine.retries) == (2, 1)
