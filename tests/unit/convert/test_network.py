"""convert.network: which networks a stack creates, their create bodies, and service attachments.
Cases from docker/cli cli/compose/convert/{compose,service}_test.go (v28.2.2) are marked."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.stacknames import Namespace
from composeswarm.convert.network import convert_networks, convert_service_networks, create_body

NS = Namespace("foo")


def body(name: str, **over: Any) -> dict[str, Any]:
    """The create body docker sends with nothing set in the file."""
    out: dict[str, Any] = {
        "Driver": "overlay", "Scope": "", "IPAM": None, "Internal": False, "Attachable": False, "Ingress": False,
        "ConfigOnly": False, "ConfigFrom": None, "Options": None, "Labels": {"com.docker.stack.namespace": "foo"},
        "Name": name, "CheckDuplicate": True,
    }
    out.update(over)
    return out


def test_convert_networks_docker_table() -> None:
    """docker: TestNetworks (plus the default network and an unused one)."""
    networks = {
        "normal": {"driver": "overlay", "driver_opts": {"opt": "value"},
                   "ipam": {"driver": "driver", "config": [{"subnet": "10.0.0.0"}]}, "labels": {"something": "labeled"}},
        "outside": {"external": True, "name": "special"},
        "attachablenet": {"driver": "overlay", "attachable": True},
        "named": {"name": "othername"},
        "unused": {},
    }
    services = {
        "a": {"networks": {"normal": None, "outside": None, "attachablenet": None, "named": None}},
        "b": {},
    }
    created, external = convert_networks(services, networks, NS)
    assert created == {
        "foo_attachablenet": body("foo_attachablenet", Attachable=True),
        "foo_default": body("foo_default"),
        "foo_normal": body(
            "foo_normal",
            IPAM={"Driver": "driver", "Options": None, "Config": [{"Subnet": "10.0.0.0"}]},
            Options={"opt": "value"},
            Labels={"com.docker.stack.namespace": "foo", "something": "labeled"},
        ),
        "othername": body("othername"),
    }
    assert external == ["special"]


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        pytest.param({"internal": True}, {"Internal": True}, id="internal"),
        pytest.param({"driver_opts": {}}, {"Options": {}}, id="empty driver_opts sent as empty map"),
        pytest.param({"ipam": {"config": [{"subnet": "10.1.0.0/24"}, {"subnet": "10.2.0.0/24"}]}},
                     {"IPAM": {"Driver": "", "Options": None, "Config": [{"Subnet": "10.1.0.0/24"}, {"Subnet": "10.2.0.0/24"}]}},
                     id="only subnets carried"),
        pytest.param({"driver": "bridge"}, {"Driver": "bridge"}, id="driver as written"),
    ],
)
def test_create_body(cfg: dict[str, Any], expected: dict[str, Any]) -> None:
    assert create_body("foo_n", cfg, NS) == body("foo_n", **expected)


def test_builtin_external_networks_are_not_checked() -> None:
    """docker's validateExternalNetworks skips host, bridge, none and container:x."""
    services = {"a": {"networks": {"h": None, "p": None}}}
    networks = {"h": {"external": True, "name": "host"}, "p": {"external": True, "name": "proxy"}}
    assert convert_networks(services, networks, NS) == ({}, ["proxy"])


def test_external_network_by_key_and_old_name_form() -> None:
    services = {"a": {"networks": {"plain": None, "old": None}}}
    networks = {"plain": {"external": True}, "old": {"external": {"name": "legacy"}}}
    assert convert_networks(services, networks, NS) == ({}, ["legacy", "plain"])


@pytest.mark.parametrize(
    ("service_nets", "networks", "expected"),
    [
        pytest.param(None, {}, [{"Target": "foo_default", "Aliases": ["service"]}], id="docker: only default"),
        pytest.param(
            {"front": {"aliases": ["something"], "driver_opts": {"driver.opt1": "optval1", "driver.opt2": "optval2"}},
             "back": {"aliases": ["other"]}},
            {"front": {"external": True, "name": "fronttier"}, "back": {}},
            [{"Target": "foo_back", "Aliases": ["other", "service"]},
             {"Target": "fronttier", "Aliases": ["something", "service"],
              "DriverOpts": {"driver.opt1": "optval1", "driver.opt2": "optval2"}}],
            id="docker: aliases, driver opts, sorted by target",
        ),
        pytest.param({}, {"default": {"external": True, "name": "custom"}}, [{"Target": "custom", "Aliases": ["service"]}],
                     id="docker: custom default"),
        pytest.param({"hostnet": None}, {"hostnet": {"external": True, "name": "host"}}, [{"Target": "host"}],
                     id="no alias on host"),
        pytest.param(["b", "a"], {"a": {}, "b": {}},
                     [{"Target": "foo_a", "Aliases": ["service"]}, {"Target": "foo_b", "Aliases": ["service"]}],
                     id="list form"),
    ],
)
def test_convert_service_networks(service_nets: Any, networks: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    assert convert_service_networks(service_nets, networks, NS, "service") == expected


def test_undefined_network() -> None:
    with pytest.raises(ConvertError) as info:
        convert_service_networks({"nope": None}, {}, NS, "service")
    assert (info.value.path, info.value.message) == (("nope",), 'undefined network "nope"')
