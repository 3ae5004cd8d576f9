"""convert.resources: limits and reservations as the engine takes them. Cases from docker/cli
cli/compose/convert/service_test.go (v28.2.2) are marked."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.convert.resources import convert_resources
from composeswarm.errors import ConvertError


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param(None, {}, id="always present, empty"),
        pytest.param(
            {"limits": {"cpus": "0.003", "memory": "300000000"}, "reservations": {"cpus": "0.002", "memory": "200000000"}},
            {"Limits": {"NanoCPUs": 3_000_000, "MemoryBytes": 300_000_000},
             "Reservations": {"NanoCPUs": 2_000_000, "MemoryBytes": 200_000_000}},
            id="docker: TestConvertResourcesFull",
        ),
        pytest.param(
            {"limits": {"memory": "300000000"}, "reservations": {"memory": "200000000"}},
            {"Limits": {"MemoryBytes": 300_000_000}, "Reservations": {"MemoryBytes": 200_000_000}},
            id="docker: TestConvertResourcesOnlyMemory",
        ),
        pytest.param(
            {"limits": {"cpus": "0.001", "memory": "50M", "pids": 100},
             "reservations": {"generic_resources": [{"discrete_resource_spec": {"kind": "gpu", "value": 2}}]}},
            {"Limits": {"NanoCPUs": 1_000_000, "MemoryBytes": 52_428_800, "Pids": 100},
             "Reservations": {"GenericResources": [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 2}}]}},
            id="pids, units and generic resources",
        ),
        pytest.param({"limits": {}}, {"Limits": {}}, id="limits key present but empty"),
    ],
)
def test_convert_resources(resources: Any, expected: dict[str, Any]) -> None:
    assert convert_resources(resources) == expected


def test_resources_error_path() -> None:
    with pytest.raises(ConvertError) as info:
        convert_resources({"limits": {"cpus": "0.0000000001"}})
    assert (info.value.path, info.value.message) == (("limits", "cpus"), "value is too precise")
