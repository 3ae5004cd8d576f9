"""plan.sensitive: the values masked in free text (a failed task's log lines)."""

from __future__ import annotations

import pytest

from composeswarm.convert.stack import DesiredStack
from composeswarm.plan.sensitive import mask_text, sensitive_values

DESIRED = DesiredStack(
    stack="s",
    secrets={"s_pw": {"Name": "s_pw", "Data": b"hunter22\nsecond line of it\n"}, "s_ext": {"Name": "s_ext"}},
    services={"s_app": {"Name": "s_app", "Labels": {"deploy.token": "tok-1234"}, "TaskTemplate": {"ContainerSpec": {
        "Env": ["DB_PASSWORD=pa55word", "MODE=production", "API_KEY=k1", "EMPTY_SECRET="],
        "Labels": {"com.example.auth": "basic-xyz", "team": "web"},
    }}}},
)


def test_the_values_masked_in_free_text() -> None:
    # secret contents whole and line by line, credential-like environment values and labels; values
    # shorter than 4 characters ("k1") are left: every short word of a log would go
    assert sensitive_values(DESIRED) == (
        "hunter22\nsecond line of it", "second line of it", "basic-xyz", "hunter22", "pa55word", "tok-1234",
    )


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        pytest.param("connecting as admin:pa55word@db", "connecting as admin:(sensitive)@db", id="an environment value"),
        pytest.param("read hunter22 from /run/secrets/pw", "read (sensitive) from /run/secrets/pw", id="a secret line"),
        pytest.param("MODE=production", "MODE=production", id="not credential-like"),
    ],
)
def test_mask_text(line: str, masked: str) -> None:
    assert mask_text(line, sensitive_values(DESIRED)) == masked
