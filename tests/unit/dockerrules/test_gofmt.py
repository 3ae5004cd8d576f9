"""dockerrules.gofmt: floats written as Go's %v writes them."""

from __future__ import annotations

import pytest

from composeswarm.dockerrules.gofmt import go_float


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(1.5, "1.5", id="plain"),
        pytest.param(1000000.0, "1e+06", id="large"),
        pytest.param(123456.0, "123456", id="six digits"),
        pytest.param(0.00001, "1e-05", id="small"),
        pytest.param(0.0001, "0.0001", id="small but plain"),
        pytest.param(-2.25, "-2.25", id="negative"),
        pytest.param(0.0, "0", id="zero"),
    ],
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text
