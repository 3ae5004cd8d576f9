"""engine.endpoints and Engine.connect: an engine that cannot be reached is one line naming the endpoint and the reason in plain words."""

from __future__ import annotations

import errno
import http.client
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docker.errors
import pytest
import requests
import urllib3.exceptions

from composeswarm.engine.endpoints import docker_reason, unreachable_reason
from composeswarm.engine.gateway import Engine
from composeswarm.errors import EngineError


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="csep", dir="/tmp") as name:  # unix socket paths are short
        yield Path(name)


def _missing(folder: Path) -> Path:
    return folder / "docker.sock"


def _regular_file(folder: Path) -> Path:
    (folder / "docker.sock").write_text("")
    return folder / "docker.sock"


def _dead_socket(folder: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "docker.sock"))  # bound, never listening: what a crashed dockerd leaves
    sock.close()
    return folder / "docker.sock"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(_missing, "no such socket", id="no socket at the path"),
        pytest.param(_regular_file, "not a socket", id="a regular file"),
        pytest.param(lambda folder: folder, "not a socket", id="a folder"),
        pytest.param(_dead_socket, "connection refused (a socket nobody listens on: is dockerd running?)",
                     id="a socket nobody listens on"),
    ],
)
def test_connect_names_the_endpoint_and_the_reason(
    folder: Path, monkeypatch: pytest.MonkeyPatch, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(folder)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    with pytest.raises(EngineError) as info:
        Engine.connect(timeout=5)
    assert str(info.value) == f"cannot reach the Docker engine at unix://{path} (from DOCKER_HOST): {reason}"


def _sdk_chain(inner: BaseException) -> Exception:
    """The wrappers docker-py puts around a socket error: DockerException <- requests <- urllib3 <- inner."""
    try:
        try:
            try:
                raise urllib3.exceptions.ProtocolError("Connection aborted.", inner)
            except urllib3.exceptions.ProtocolError as exc:
                raise requests.exceptions.ConnectionError(exc) from exc
        except requests.exceptions.ConnectionError as exc:
            raise docker.errors.DockerException(f"Error while fetching server API version: {exc}") from exc
    except docker.errors.DockerException as exc:
        caught: Exception = exc
        return caught
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("inner", "host", "timeout", "reason"),
    [
        pytest.param(PermissionError(errno.EACCES, "Permission denied"), "unix:///var/run/docker.sock", None,
                     "permission denied (is this user in the docker group?)", id="permission denied"),
        pytest.param(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "tcp://10.0.0.1:2375", None,
                     "connection refused (is dockerd running and listening there?)", id="tcp refused"),
        pytest.param(socket.gaierror(-2, "Name or service not known"), "tcp://nowhere:2375", None,
                     "unknown host name", id="unknown host"),
        pytest.param(TimeoutError("timed out"), "tcp://10.0.0.1:2375", 60, "no answer within 60 s", id="timeout"),
        pytest.param(http.client.RemoteDisconnected("Remote end closed connection without response"),
                     "unix:///var/run/docker.sock", None, "the engine closed the connection without answering",
                     id="the engine hung up"),
        pytest.param(OSError(errno.EHOSTUNREACH, "No route to host"), "tcp://10.0.0.1:2375", None,
                     "no route to the host", id="no route"),
    ],
)
def test_reasons_in_plain_words(inner: BaseException, host: str, timeout: float | None, reason: str) -> None:
    exc = _sdk_chain(inner)
    assert unreachable_reason(exc, host, timeout) == reason
    assert docker_reason(exc, host, timeout) == reason


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        pytest.param(docker.errors.APIError("500 Server Error", explanation="update out of sequence"),
                     "update out of sequence", id="the engine's own message stays"),
        pytest.param(docker.errors.DockerException("Error while fetching server API version: 404 page not found"),
                     "Error while fetching server API version: 404 page not found", id="not a connection failure"),
    ],
)
def test_other_errors_keep_their_text(exc: Exception, reason: str) -> None:
    assert unreachable_reason(exc) is None
    assert docker_reason(exc) == reason
