"""act.bind: names in converted specs bound to the IDs the engine gave them; the input left as it was."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.act.bind import bind_ids
from composeswarm.convert.stack import convert_project
from composeswarm.errors import InputError
from composeswarm.load.model import Project


def project(services: dict[str, Any], **sections: Any) -> Project:
    return Project(version="3.8", services=services, files=("stack.yml",), **sections)


def test_credential_spec_config_is_bound_to_its_id() -> None:
    svc = {"image": "app", "credential_spec": {"config": "gmsa"}}
    spec = convert_project(project({"web": svc}, configs={"gmsa": {"external": True}}), "st").services["st_web"]
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Configs"] == [{"Runtime": {}, "ConfigID": "", "ConfigName": "gmsa"}]
    assert container["Privileges"]["CredentialSpec"] == {"Config": "gmsa", "File": "", "Registry": ""}
    bound = bind_ids(spec, {"st_default": "n1"}, {}, {"gmsa": "c1"})
    bound_container = bound["TaskTemplate"]["ContainerSpec"]
    assert bound_container["Configs"][0]["ConfigID"] == "c1"
    assert bound_container["Privileges"]["CredentialSpec"]["Config"] == "c1"
    assert bound["TaskTemplate"]["Networks"][0]["Target"] == "n1"
    assert spec["TaskTemplate"]["Networks"][0]["Target"] == "st_default", "bind_ids must not change its input"


def test_bind_ids_secrets_and_unknown_network() -> None:
    svc = {"image": "app", "secrets": ["s"], "networks": {"hostnet": None}}
    desired = convert_project(project({"web": svc}, secrets={"s": {"external": True}},
                                      networks={"hostnet": {"external": True, "name": "host"}}), "st")
    bound = bind_ids(desired.services["st_web"], {}, {"s": "sid"}, {})
    assert bound["TaskTemplate"]["ContainerSpec"]["Secrets"][0]["SecretID"] == "sid"
    assert bound["TaskTemplate"]["Networks"] == [{"Target": "host"}]
    with pytest.raises(InputError) as info:
        bind_ids(desired.services["st_web"], {}, {}, {})
    assert str(info.value) == "secrets: service st_web: secret not found: s"
