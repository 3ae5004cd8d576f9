"""convert.image: the tag normalisation the moby client applies before create and update."""

from __future__ import annotations

import pytest

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.imageref import normalize_image, parse_image

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("ref", "sent"),
    [
        pytest.param("redis", "redis:latest", id="official image gets latest"),
        pytest.param("redis:alpine", "redis:alpine", id="tag kept"),
        pytest.param("docker.io/library/redis", "redis:latest", id="docker.io library shortened"),
        pytest.param("index.docker.io/library/redis:7", "redis:7", id="legacy index domain"),
        pytest.param("docker.io/user/app", "user/app:latest", id="docker.io user repo"),
        pytest.param("dockersamples/examplevotingapp_worker", "dockersamples/examplevotingapp_worker:latest",
                     id="user repo from the voting app"),
        pytest.param("localhost:5000/app", "localhost:5000/app:latest", id="registry with port"),
        pytest.param("127.0.0.1:5000/app:2", "127.0.0.1:5000/app:2", id="ip registry with tag"),
        pytest.param("localhost/app", "localhost/app:latest", id="localhost domain"),
        pytest.param("ghcr.io/org/team/app", "ghcr.io/org/team/app:latest", id="nested path"),
        pytest.param(f"redis@{DIGEST}", f"redis@{DIGEST}", id="digest only: no tag added"),
        pytest.param(f"redis:7@{DIGEST}", f"redis:7@{DIGEST}", id="tag and digest"),
        pytest.param("Redis", "Redis", id="unparseable: sent as written"),
        pytest.param("a" * 64, "a" * 64, id="64 hex: sent as written"),
    ],
)
def test_normalize_image(ref: str, sent: str) -> None:
    assert normalize_image(ref) == sent


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("Redis", "invalid reference format: repository name (library/Redis) must be lowercase",
                     id="upper case"),
        pytest.param("redis:", "invalid reference format", id="empty tag"),
        pytest.param("a" * 64, f"invalid repository name ({'a' * 64}), cannot specify 64-byte hexadecimal strings",
                     id="image ID"),
    ],
)
def test_parse_image_errors(ref: str, message: str) -> None:
    with pytest.raises(ConvertError) as info:
        parse_image(ref)
    assert info.value.message == message
