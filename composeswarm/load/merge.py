"""Merge several normalised files as `docker stack deploy -c a -c b` does (docker/cli loader/merge.go).

The first file is the base, later files override it in order. Top-level networks, volumes,
secrets and configs are replaced whole per key; services with the same name are deep-merged with
docker's special cases (ports keyed by published port, volumes by target, secrets and configs by
source, logging, ulimits, service networks, command/entrypoint).
"""

from __future__ import annotations

from typing import Any

from composeswarm.dockerrules.units import is_duration, parse_duration
from composeswarm.load.keyorder import ordered_service

Tree = dict[str, Any]

# *uint64 fields in docker's types (merged by its mergeUint64): an explicit 0 still overrides.
# Every other zero value (false, "", 0, a zero duration, even behind a pointer like init) does not.
_POINTERS = {"replicas", "parallelism", "max_attempts", "retries"}
_DURATIONS = {"delay", "window", "monitor", "interval", "timeout", "start_period", "start_interval",
              "stop_grace_period"}


def merge_files(files: list[Tree]) -> Tree:
    """Fold normalised files left to right into one project tree."""
    base = files[0]
    for override in files[1:]:
        services = dict(base.get("services", {}))
        for name, svc in override.get("services", {}).items():
            services[name] = merge_service(services[name], svc) if name in services else svc
        base = dict(base)
        base["services"] = {k: services[k] for k in sorted(services)}
        for section in ("networks", "volumes", "secrets", "configs"):
            merged = dict(base.get(section, {}))
            merged.update(override.get(section, {}))
            base[section] = {k: merged[k] for k in sorted(merged)}
    return base


def merge_service(base: Tree, override: Tree) -> Tree:
    """One service: mergo WithOverride + WithAppendSlice + docker's transformers."""
    out = dict(base)
    for key, value in override.items():
        if key not in out:
            out[key] = value
            continue
        special = _SPECIAL.get(key)
        out[key] = special(out[key], value) if special else _merge_value(key, out[key], value)
    # mergo runs docker's slice transformers for every list the base has, even when the override
    # does not set it: those lists are re-keyed (duplicates collapse) and sorted all the same
    for key in _KEYED:
        if key in base and key not in override:
            out[key] = _SPECIAL[key](base[key], [])
    return ordered_service(out)


def _empty(value: Any, key: str = "") -> bool:
    if key in _DURATIONS and isinstance(value, str):
        # "0s", "0", "0m0s": a zero time.Duration is an empty value to mergo
        return is_duration(value) and parse_duration(value) == 0
    return value is None or value is False or value == 0 or value == "" or value == [] or value == {}


def _merge_value(key: str, base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            if k in out:
                out[k] = _merge_value(k, out[k], v)
            elif v is not None:
                out[k] = v
        return out
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    if _empty(override, key) and not (key in _POINTERS and override is not None):
        return base
    return override


def _keyed(field: str) -> Any:
    """docker's mergeSlice: entries keyed by `field` (later wins), then sorted by it."""

    def merge(base: list[Tree], override: list[Tree]) -> list[Tree]:
        table: dict[Any, Tree] = {}
        for item in base + override:
            table[item.get(field, 0 if field == "published" else "")] = item
        return sorted(table.values(), key=lambda item: item.get(field, 0 if field == "published" else ""))

    return merge


def _logging(base: Tree, override: Tree) -> Tree:
    b, o = base.get("driver", ""), override.get("driver", "")
    if b == o or not b or not o:
        out = dict(base)
        if o:
            out["driver"] = o
        options = dict(base.get("options", {}))
        options.update(override.get("options", {}))
        if options:
            out["options"] = options
        return out
    return override


def _shell(base: list[str], override: list[str]) -> list[str]:
    return override if override else base


def _ulimits(base: Tree, override: Tree) -> Tree:
    out = dict(base)
    out.update(override)
    return out


def _networks(base: Tree, override: Tree) -> Tree:
    out = dict(base)
    for name, cfg in override.items():
        current = out.get(name)
        if name not in out or current is None:
            out[name] = cfg
            continue
        if cfg is None:
            continue
        merged = dict(current)
        if "aliases" in cfg:
            merged["aliases"] = cfg["aliases"]
        else:
            merged.pop("aliases", None)
        for ip in ("ipv4_address", "ipv6_address"):
            if cfg.get(ip):
                merged[ip] = cfg[ip]
        out[name] = merged
    return {k: out[k] for k in sorted(out)}


_KEYED = ("ports", "volumes", "secrets", "configs")
_SPECIAL: dict[str, Any] = {
    "ports": _keyed("published"),
    "volumes": _keyed("target"),
    "secrets": _keyed("source"),
    "configs": _keyed("source"),
    "logging": _logging,
    "command": _shell,
    "entrypoint": _shell,
    "ulimits": _ulimits,
    "networks": _networks,
}
