"""load.shortsyntax: short-syntax ports and volumes to the long syntax `docker stack config` prints."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.load.shortsyntax import parse_port, parse_volume

Tree = dict[str, Any]


def ingress(target: int, published: int | None = None, protocol: str = "tcp") -> Tree:
    out: Tree = {"mode": "ingress", "target": target}
    if published is not None:
        out["published"] = published
    out["protocol"] = protocol
    return out


@pytest.mark.parametrize(
    ("spec", "expected", "host_ip"),
    [
        pytest.param("3000", [ingress(3000)], "", id="target only"),
        pytest.param("8000:8000", [ingress(8000, 8000)], "", id="published:target"),
        pytest.param("53:53/udp", [ingress(53, 53, "udp")], "", id="udp"),
        pytest.param("3001-3002", [ingress(3001), ingress(3002)], "", id="target range"),
        pytest.param("9090-9091:8080-8081", [ingress(8080, 9090), ingress(8081, 9091)], "", id="both ranges"),
        pytest.param("127.0.0.1:8001:8001", [ingress(8001, 8001)], "127.0.0.1", id="host ip ignored"),
        pytest.param("127.0.0.1::80", [ingress(80)], "127.0.0.1", id="host ip without published"),
        pytest.param("[::1]:80:80", [ingress(80, 80)], "::1", id="ipv6 host ip"),
        pytest.param(
            "998-1001:998-1001",
            [ingress(1000, 1000), ingress(1001, 1001), ingress(998, 998), ingress(999, 999)],
            "",
            id="sorted as strings like docker",
        ),
    ],
)
def test_parse_port(spec: str, expected: list[Tree], host_ip: str) -> None:
    assert parse_port(spec) == (expected, host_ip)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("80/tcpx", "invalid protocol 'tcpx' in port '80/tcpx'; use tcp, udp or sctp", id="protocol"),
        pytest.param("8000-7000", "invalid port range '8000-7000' in '8000-7000': the end is before the start",
                     id="reversed range"),
        pytest.param("70000:80", "invalid port '70000:80': ports must be 1-65535", id="too big"),
        pytest.param("1-3:1-2", "invalid port '1-3:1-2': published and target ranges differ in size", id="sizes"),
    ],
)
def test_parse_port_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_port(spec)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("/var/lib/mysql", {"type": "volume", "target": "/var/lib/mysql"}, id="anonymous"),
        pytest.param("/opt/data:/var/lib/mysql", {"type": "bind", "source": "/opt/data", "target": "/var/lib/mysql"},
                     id="absolute bind"),
        pytest.param("./static:/www:ro", {"type": "bind", "source": "./static", "target": "/www", "read_only": True},
                     id="relative read-only"),
        pytest.param("~/c:/etc/c", {"type": "bind", "source": "~/c", "target": "/etc/c"}, id="home"),
        pytest.param("data:/data", {"type": "volume", "source": "data", "target": "/data"}, id="named"),
        pytest.param("data:/data:nocopy", {"type": "volume", "source": "data", "target": "/data",
                                           "volume": {"nocopy": True}}, id="nocopy"),
        pytest.param("/a:/b:rshared", {"type": "bind", "source": "/a", "target": "/b",
                                       "bind": {"propagation": "rshared"}}, id="propagation"),
        pytest.param("./x:/x:ro,z", {"type": "bind", "source": "./x", "target": "/x", "read_only": True},
                     id="unknown options dropped"),
        pytest.param("/x:/x:rw", {"type": "bind", "source": "/x", "target": "/x"}, id="rw"),
        pytest.param("C:\\data:/data", {"type": "bind", "source": "C:\\data", "target": "/data"}, id="windows drive"),
        pytest.param("a::b", {"type": "bind", "source": "a:", "target": "b"}, id="one letter is a drive, as in docker"),
        pytest.param("vol:c:/data", {"type": "volume", "source": "vol", "target": "c:/data"}, id="drive in target"),
    ],
)
def test_parse_volume(spec: str, expected: Tree) -> None:
    assert parse_volume(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("ab::c", "empty section between colons", id="empty section"),
        pytest.param("ab:cd:ro:x", "too many colons", id="too many"),
    ],
)
def test_parse_volume_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_volume(spec)
    assert str(info.value) == message
