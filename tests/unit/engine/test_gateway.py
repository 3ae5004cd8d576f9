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
