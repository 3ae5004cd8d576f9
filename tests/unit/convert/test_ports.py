"""convert.ports: EndpointSpec, ports in the order docker CLI 28.2 leaves them."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import ConvertError
from composeswarm.convert.ports import convert_endpoint_spec


def port(target: int, published: int = 0, protocol: str | None = "tcp", mode: str | None = "ingress") -> dict[str, Any]:
    """A port as `docker stack config` prints it."""
    out: dict[str, Any] = {"target": target}
    if mode:
        out["mode"] = mode
    if published:
        out["published"] = published
    if protocol:
        out["protocol"] = protocol
    return out


@pytest.mark.parametrize(
    ("mode", "ports", "expected"),
    [
        pytest.param(
            "vip",
            [{"protocol": "udp", "target": 53, "published": 1053, "mode": "host"}, {"target": 8080, "published": 80}],
            {"Mode": "vip", "Ports": [{"TargetPort": 8080, "PublishedPort": 80},
                                      {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 1053, "PublishMode": "host"}]},
            id="docker: TestConvertEndpointSpec (no defaults added)",
        ),
        pytest.param(None, None, {}, id="always present, empty"),
        pytest.param("DNSRR", None, {"Mode": "dnsrr"}, id="mode lower-cased"),
        pytest.param(None, [port(80, 8080)],
                     {"Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]},
                     id="short syntax as stack config expands it"),
    ],
)
def test_convert_endpoint_spec(mode: Any, ports: Any, expected: dict[str, Any]) -> None:
    assert convert_endpoint_spec(mode, ports) == expected


def test_port_must_be_long_syntax() -> None:
    with pytest.raises(ConvertError) as info:
        convert_endpoint_spec(None, [port(80), "8080:80"])
    assert (info.value.path, info.value.message) == ((1,), "expected the long port syntax (a mapping), got '8080:80'")


# tests/data/convert/every-key.yml's `web` ports as `docker stack config` lists them, and the order
# docker stack deploy (CLI 28.2) stored them in, read back from the engine.
EVERY_KEY_PORTS = (
    [port(80, 47111), port(81, 47112, "udp"), port(9000, 47113, None, "host")]
    + [port(t) for t in range(3000, 3006)]
    + [port(4000), port(4001, protocol="udp"), port(5000, protocol=None, mode=None),
       port(5001, protocol="udp", mode=None)]
    + [port(t) for t in range(7000, 7004)]
    + [port(6000)]
)
EVERY_KEY_ORDER = [3005, 4001, 6000, 3000, 3001, 3002, 3003, 3004, 7003, 7002, 4000, 5000, 5001, 7000, 7001, 80, 81, 9000]


def test_ports_tied_on_published_keep_docker_28_2_order() -> None:
    """Go's unstable sort.Slice moves tied ports; a stable sort would not give docker's order."""
    ports = convert_endpoint_spec(None, EVERY_KEY_PORTS)["Ports"]
    assert [p["TargetPort"] for p in ports] == EVERY_KEY_ORDER
    stable = [p["target"] for p in sorted(EVERY_KEY_PORTS, key=lambda p: p.get("published", 0))]
    assert stable != EVERY_KEY_ORDER
