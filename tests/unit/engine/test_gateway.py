"""engine.gateway: Engine.registry_auth_for, the X-Registry-Auth header from the docker CLI config, as text."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, cast

import pytest

from composeswarm.engine.gateway import Engine


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
