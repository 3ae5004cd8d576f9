"""Fill engine IDs into a ServiceSpec built with names (the step docker does with its list calls)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from composeswarm.errors import InputError, Issue


def bind_ids(
    spec: Mapping[str, Any],
    network_ids: Mapping[str, str],
    secret_ids: Mapping[str, str],
    config_ids: Mapping[str, str],
) -> dict[str, Any]:
    """A copy of `spec` with SecretID, ConfigID and the credential-spec config ID set from names.

    Network Targets are replaced by IDs when `network_ids` knows the name (the engine accepts names
    too, and stores IDs); names it does not know (e.g. `host`) are left as they are. A secret or
    config missing from its map raises InputError, worded as docker words it.
    """
    out: dict[str, Any] = copy.deepcopy(dict(spec))
    task = out.get("TaskTemplate") or {}
    for net in task.get("Networks") or []:
        net["Target"] = network_ids.get(net["Target"], net["Target"])
    container = task.get("ContainerSpec") or {}
    for ref in container.get("Secrets") or []:
        if ref["SecretName"] not in secret_ids:
            raise _missing(out, "secret", ref["SecretName"])
        ref["SecretID"] = secret_ids[ref["SecretName"]]
    for ref in container.get("Configs") or []:
        if ref["ConfigName"] not in config_ids:
            raise _missing(out, "config", ref["ConfigName"])
        ref["ConfigID"] = config_ids[ref["ConfigName"]]
    cred = (container.get("Privileges") or {}).get("CredentialSpec")
    if cred and cred.get("Config"):
        cred["Config"] = config_ids.get(cred["Config"], cred["Config"])
    return out


def _missing(spec: Mapping[str, Any], kind: str, name: str) -> InputError:
    """docker's `service <name>: secret not found: <x>` as an InputError."""
    message = f"service {spec.get('Name', '')}: {kind} not found: {name}"
    return InputError([Issue("", None, None, (f"{kind}s",), message)])
