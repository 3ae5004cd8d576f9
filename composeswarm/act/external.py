"""What a stack needs the engine to hold already, and the IDs of what it holds.

External networks, secrets and configs are looked up before any write, with docker's errors when one is
missing or (a network) not swarm-scoped; `live_refs` gives the IDs of the stack's own objects, which the
specs are bound to (act.bind).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from composeswarm.act.apply import Refs
from composeswarm.dockerrules.gofmt import go_quote
from composeswarm.errors import EngineError

if TYPE_CHECKING:
    from composeswarm.convert.stack import DesiredStack
    from composeswarm.engine.gateway import Engine
    from composeswarm.engine.live import LiveStack

Json = dict[str, Any]

_BUILTIN_NETWORKS = ("default", "bridge", "host", "none")


def live_refs(live: LiveStack) -> Refs:
    """IDs by name of what the stack already has on the engine."""
    return Refs(
        networks={n["Name"]: n["Id"] for n in live.networks},
        secrets={s["Spec"]["Name"]: s["ID"] for s in live.secrets},
        configs={c["Spec"]["Name"]: c["ID"] for c in live.configs},
        services={s["Spec"]["Name"]: s["ID"] for s in live.services},
    )


def check_external_networks(engine: Engine, names: Iterable[str]) -> dict[str, str]:
    """IDs of the external networks; docker's errors when one is missing or not swarm-scoped."""
    ids: dict[str, str] = {}
    for name in sorted(set(names)):
        if name in _BUILTIN_NETWORKS or name.startswith("container:"):
            continue
        net = engine.inspect_network(name)
        if net is None:
            raise EngineError(
                f"network {go_quote(name)} is declared as external, but could not be found. "
                "You need to create a swarm-scoped network before the stack is deployed"
            )
        if net.get("Scope") != "swarm":
            raise EngineError(
                f"network {go_quote(name)} is declared as external, but it is not in the right scope: "
                f'{go_quote(str(net.get("Scope")))} instead of "swarm"'
            )
        ids[name] = str(net["Id"])
    return ids


def check_external_files(engine: Engine, desired: DesiredStack) -> tuple[dict[str, str], dict[str, str]]:
    """IDs of the external secrets and configs services use; docker's `secret not found` otherwise."""
    services = dict(desired.services)
    out: list[dict[str, str]] = []
    for kind, attr, ref_key, name_key in (
        ("secret", "external_secrets", "Secrets", "SecretName"),
        ("config", "external_configs", "Configs", "ConfigName"),
    ):
        wanted = sorted(set(getattr(desired, attr)))
        found: dict[str, str] = {}
        if wanted:
            listed = engine.list_secrets(wanted) if kind == "secret" else engine.list_configs(wanted)
            # the engine's name filter matches prefixes: keep exact names only
            found = {o["Spec"]["Name"]: str(o["ID"]) for o in listed if o["Spec"]["Name"] in wanted}
        for name in wanted:
            if name in found:
                continue
            user = _first_user(services, ref_key, name_key, name)
            if user is not None:  # docker only notices a missing one that a service uses
                raise EngineError(f"service {user}: {kind} not found: {name}")
        out.append(found)
    return out[0], out[1]


def _first_user(services: Mapping[str, Json], ref_key: str, name_key: str, name: str) -> str | None:
    for svc_name in sorted(services):
        container = (services[svc_name].get("TaskTemplate") or {}).get("ContainerSpec") or {}
        if any(ref.get(name_key) == name for ref in container.get(ref_key) or []):
            return svc_name
    return None
