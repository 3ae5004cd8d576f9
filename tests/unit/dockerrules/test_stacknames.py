"""dockerrules.stacknames: docker's stack name check and the stack filter."""

from __future__ import annotations

import pytest

from composeswarm.dockerrules.stacknames import check_stack_name, stack_filter
from composeswarm.errors import InputError


@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param("web", None, id="plain"),
        pytest.param("my-stack_1", None, id="dashes and underscores"),
        pytest.param("", 'invalid stack name: ""', id="empty"),
        pytest.param("' '", "invalid stack name: \"' '\"", id="quotes and space (docker's own test)"),
        pytest.param('\t"\n', 'invalid stack name: "\\t\\"\\n"', id="whitespace and quote"),
    ],
)
def test_stack_name(name: str, error: str | None) -> None:
    if error is None:
        check_stack_name(name)
        return
    with pytest.raises(InputError) as info:
        check_stack_name(name)
    assert str(info.value) == error


def test_stack_filter_is_the_namespace_label() -> None:
    assert stack_filter("web") == {"label": ["com.docker.stack.namespace=web"]}
