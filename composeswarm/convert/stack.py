"""Project -> the engine objects `docker stack deploy` (docker CLI 28.2) would create, byte for byte.

Pure: the only outside input is the content of secret/config files, read here because docker reads
them at the same point. IDs the engine assigns (network, secret, config) are not known yet: specs
carry names, and `act.bind.bind_ids` fills the IDs in once the objects exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.stacknames import Namespace
from composeswarm.convert.network import convert_networks
from composeswarm.convert.objects import convert_objects
from composeswarm.load.specfile import spec_note
from composeswarm.convert.service import convert_service
from composeswarm.errors import InputError, Issue, Path
from composeswarm.load.model import Project


# Engine API JSON bodies, as plain dicts (the keys Go's encoder writes, in its order).
NetworkSpec = dict[str, Any]
ObjectSpec = dict[str, Any]
ServiceSpec = dict[str, Any]


@dataclass(frozen=True)
class DesiredStack:
    """Everything a deploy of `stack` creates or needs, keyed by engine name."""

    stack: str
    networks: dict[str, NetworkSpec] = field(default_factory=dict)
    external_networks: list[str] = field(default_factory=list)
    secrets: dict[str, ObjectSpec] = field(default_factory=dict)
    configs: dict[str, ObjectSpec] = field(default_factory=dict)
    external_secrets: list[str] = field(default_factory=list)
    external_configs: list[str] = field(default_factory=list)
    services: dict[str, ServiceSpec] = field(default_factory=dict)
    # services of the files that the active profiles leave out (engine names): never pruned for that
    left_out: list[str] = field(default_factory=list)
    spec_note: str | None = None  # the files need composeswarm (load.specfile.spec_note)


def convert_project(project: Project, stack: str, *, read_files: bool = True) -> DesiredStack:
    """The desired stack for `project` deployed as `stack`; InputError lists every conversion error.

    Without `read_files`, secret and config files are not read (their Data is None): a rollback pins
    them to the content digests its revision recorded.
    """
    ns = Namespace(stack)
    issues: list[Issue] = []
    services: dict[str, ServiceSpec] = {}
    for name in sorted(project.services):
        try:
            spec = convert_service(
                name,
                project.services[name] or {},
                ns,
                project.networks,
                project.volumes,
                project.secrets,
                project.configs,
            )
        except ConvertError as exc:
            path: Path = ("services", name) + exc.path
            issues.append(project.issue_at(path, exc.message))
            continue
        services[spec["Name"]] = spec
    objects: dict[str, tuple[dict[str, ObjectSpec], list[str]]] = {}
    for kind, section, key in (("secret", project.secrets, "secrets"), ("config", project.configs, "configs")):
        try:
            objects[key] = convert_objects(kind, section, ns, project.working_dir,
                                           {n: d for (k, n), d in project.inline.items() if k == key}, read_files=read_files)
        except ConvertError as exc:
            issues.append(project.issue_at((key,) + exc.path, exc.message))
            objects[key] = ({}, [])
    if issues:
        raise InputError(issues)
    networks, external_networks = convert_networks(project.services, project.networks, ns)
    return DesiredStack(
        stack=stack,
        networks=networks,
        external_networks=external_networks,
        secrets=objects["secrets"][0],
        configs=objects["configs"][0],
        external_secrets=objects["secrets"][1],
        external_configs=objects["configs"][1],
        services=services,
        left_out=[ns.scope(name) for name in project.left_out],
        spec_note=spec_note(project.spec_keys),
    )
