"""Networks: which ones a stack creates (create bodies), which must exist, and service attachments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.stacknames import Namespace, str_map, with_stack_label

DEFAULT_NETWORK = "default"
DEFAULT_DRIVER = "overlay"
# NetworkMode.IsUserDefined on Linux: these names are not user-defined networks
_BUILTIN = ("default", "bridge", "host", "none")


def is_user_defined(name: str) -> bool:
    """False for `host`, `bridge`, `none`, `default` and `container:<x>` (no aliases there)."""
    return name not in _BUILTIN and not name.startswith("container:")


def is_external(cfg: Mapping[str, Any] | None) -> bool:
    """`external: true` or the old `external: {name: x}` form."""
    ext = (cfg or {}).get("external")
    if isinstance(ext, Mapping):
        return bool(ext.get("external", True))
    return bool(ext)


def declared_name(cfg: Mapping[str, Any] | None) -> str:
    """The `name:` of a top-level object, or the old `external: {name: x}` form, or ""."""
    cfg = cfg or {}
    if cfg.get("name"):
        return str(cfg["name"])
    ext = cfg.get("external")
    if isinstance(ext, Mapping) and ext.get("name"):
        return str(ext["name"])
    return ""


def service_network_keys(service: Mapping[str, Any]) -> list[str]:
    """The network keys a service attaches to (`default` when it names none)."""
    nets = service.get("networks")
    if not nets:
        return [DEFAULT_NETWORK]
    return [str(n) for n in nets]


def engine_name(key: str, cfg: Mapping[str, Any] | None, ns: Namespace) -> str:
    """The engine name of top-level object `key`: its `name:`, the key itself when external (docker's
    loader fills `name` with the key for externals), else `<stack>_<key>`."""
    name = declared_name(cfg)
    if name:
        return name
    if is_external(cfg):
        return key
    return ns.scope(key)


def network_target(key: str, cfg: Mapping[str, Any] | None, ns: Namespace) -> str:
    """The engine name of network `key` (see `engine_name`)."""
    return engine_name(key, cfg, ns)


def create_body(name: str, cfg: Mapping[str, Any], ns: Namespace) -> dict[str, Any]:
    """The POST /networks/create body docker stack deploy sends (API 1.41: CheckDuplicate true)."""
    ipam_cfg = cfg.get("ipam") or {}
    ipam: dict[str, Any] | None = None
    if ipam_cfg.get("driver") or ipam_cfg.get("config"):
        ipam = {
            "Driver": str(ipam_cfg.get("driver") or ""),
            "Options": None,
            "Config": [{"Subnet": str(p["subnet"])} if p.get("subnet") else {} for p in ipam_cfg.get("config") or []]
            or None,
        }
    options = str_map(cfg.get("driver_opts")) if cfg.get("driver_opts") is not None else None
    return {
        "Driver": str(cfg.get("driver") or DEFAULT_DRIVER),
        "Scope": "",
        "IPAM": ipam,
        "Internal": bool(cfg.get("internal")),
        "Attachable": bool(cfg.get("attachable")),
        "Ingress": False,
        "ConfigOnly": False,
        "ConfigFrom": None,
        "Options": options,
        "Labels": with_stack_label(ns, cfg.get("labels")),
        "Name": name,
        "CheckDuplicate": True,
    }


def convert_networks(
    services: Mapping[str, Mapping[str, Any]], networks: Mapping[str, Any], ns: Namespace
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(engine name -> create body for networks the stack creates, sorted external names to check).

    Like docker, the external names left to check are the user-defined ones: `host`, `bridge`,
    `none` and `container:x` exist on every node as local networks and are not looked up.
    """
    used = sorted({key for svc in services.values() for key in service_network_keys(svc)})
    created: dict[str, dict[str, Any]] = {}
    external: list[str] = []
    for key in used:
        cfg = networks.get(key) or {}
        if is_external(cfg):
            target = network_target(key, cfg, ns)
            if is_user_defined(target):
                external.append(target)
            continue
        if key not in networks and key != DEFAULT_NETWORK:
            # docker reports this while converting the service, which names the service
            continue
        name = declared_name(cfg) or ns.scope(key)
        created[name] = create_body(name, cfg, ns)
    return dict(sorted(created.items())), sorted(set(external))


def convert_service_networks(
    service_nets: Any, networks: Mapping[str, Any], ns: Namespace, service_name: str
) -> list[dict[str, Any]]:
    """TaskTemplate.Networks: network names in Target, the service name appended to aliases, by Target."""
    if not service_nets:
        service_nets = {DEFAULT_NETWORK: None}
    if isinstance(service_nets, list):
        service_nets = {str(n): None for n in service_nets}
    out = []
    for key, attach in service_nets.items():
        if key not in networks and key != DEFAULT_NETWORK:
            raise ConvertError((key,), f'undefined network "{key}"')
        target = network_target(key, networks.get(key), ns)
        attach = attach or {}
        entry: dict[str, Any] = {"Target": target}
        aliases = [str(a) for a in attach.get("aliases") or []]
        if is_user_defined(target):
            aliases.append(service_name)
        if aliases:
            entry["Aliases"] = aliases
        if attach.get("driver_opts"):
            entry["DriverOpts"] = str_map(attach["driver_opts"])
        out.append(entry)
    # Go's sort.Slice by Target; targets are unique per service, so the order is total
    out.sort(key=lambda e: e["Target"])
    return out
