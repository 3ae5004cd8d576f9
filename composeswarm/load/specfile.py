"""Compose Specification files lowered to the 3.x shape the rest of the loader reads.

A file is a Compose Specification file when it has no `version:` key. Such a file goes through the
3.x path unchanged unless it uses a key only the specification has: `lower` takes those keys out
(after interpolation, before the 3.13 schema) and records what they mean, so a file `docker stack
deploy` accepts gives exactly what it gives today. The rules are compose-go's (docker compose):

- top-level `name`: the project (stack) name;
- top-level `include` and service `extends`: taken out here and recorded; applied by `include.py`
  and `extends.py` once the file is normalised;
- `profiles`: kept per service here, applied by `apply_profiles` after the files are merged;
- secrets and configs from `environment:` (the variable's value) and configs with inline `content:`
  (interpolated as any value): the data is kept aside, the entry keeps what was written;
- `env_file` entries `{path, required, format}`: a missing optional file is skipped;
- `depends_on` long form `required` and `restart`: `restart` is for containers (ignored), an
  optional dependency on a service that is not deployed is dropped;
- `x-` keys anywhere: dropped where the 3.x schema does not allow them;
- keys swarm cannot honour: a warning each, and taken out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from composeswarm.errors import Issue, Path
from composeswarm.load.model import Position, issue_at

# service keys that only the specification has, that swarm cannot honour: why, as the warning says
IGNORED_SERVICE_KEYS: dict[str, str] = {
    "develop": "development watch rules are for docker compose",
    "pull_policy": "swarm nodes pull images themselves (see --resolve-image)",
    "platform": "use deploy.placement.constraints",
    "attach": "there is no attached terminal in swarm",
    "mem_swappiness": "services have no memory swappiness",
    "post_start": "lifecycle hooks are for containers",
    "pre_stop": "lifecycle hooks are for containers",
    "scale": "use deploy.replicas",
    "provider": "providers are for docker compose",
    "models": "models are for docker compose",
    "gpus": "use deploy.resources.reservations.generic_resources",
}
IGNORED_PORT_KEYS: dict[str, str] = {
    "host_ip": "swarm publishes on every address",
    "app_protocol": "swarm has no application protocol on ports",
    "name": "swarm ports have no name",
}
IGNORED_NETWORK_KEYS: dict[str, str] = {
    "priority": "swarm attaches a service's networks in no order",
    "gw_priority": "swarm chooses the gateway itself",
}
# deploy.resources.reservations keys the 3.x schema lacks
IGNORED_RESERVATION_KEYS: dict[str, str] = {
    "devices": "use deploy.resources.reservations.generic_resources",
}
_DEFINITIONS = ("services", "networks", "volumes", "secrets", "configs")
_ENV_FILE_FORMATS = ("raw",)


@dataclass
class Lowered:
    """What a specification file said beyond the 3.x shape."""

    name: str | None = None
    # service -> its profiles, as written
    profiles: dict[str, list[str]] = field(default_factory=dict)
    # (section, name) -> (key written, the data: a variable's value or the inline content)
    inline: dict[tuple[str, str], tuple[str, str, bytes]] = field(default_factory=dict)
    # (service, dependency) of depends_on entries with `required: false`
    optional: set[tuple[str, str]] = field(default_factory=set)
    # the spec-only keys used, where they were written (for the note)
    used: list[Path] = field(default_factory=list)
    # this file's top-level `include` and each service's `extends`, as written (never merged across files)
    include: Any = None
    extends: dict[str, Any] = field(default_factory=dict)
    # the folders of included projects (an inline secret's entry gets its project's folder as `file`)
    dirs: set[str] = field(default_factory=set)


def is_spec(data: Any) -> bool:
    """A file without a `version:` key is read as a Compose Specification file."""
    return isinstance(data, dict) and "version" not in data


def lower(
    data: dict[str, Any], positions: Mapping[Path, Position], file: str, env: Mapping[str, str],
    working_dir: str, issues: list[Issue], found: Lowered,
) -> dict[str, Any]:
    """The file with its specification-only keys taken out (recorded in `found`, warnings in `issues`)."""

    def report(path: Path, message: str, severity: str = "warning") -> None:
        issues.append(issue_at(positions, path, message, file, severity))  # type: ignore[arg-type]

    out = dict(data)
    if "name" in out:
        found.used.append(("name",))
        found.name = str(out.pop("name"))
    if "include" in out:
        found.used.append(("include",))
        found.include = out.pop("include")
    for section in _DEFINITIONS:
        entries = out.get(section)
        if not isinstance(entries, dict):
            continue
        out[section] = {
            name: _strip_extensions(entry, (section, name), found) for name, entry in entries.items()
        }
    for kind in ("secrets", "configs"):
        objects = out.get(kind)
        for name, entry in objects.items() if isinstance(objects, dict) else ():
            if isinstance(entry, dict):
                out[kind][name] = _inline(kind, name, entry, env, found)
                variable = entry.get("environment")
                if variable is not None and not env.get(str(variable)):
                    report((kind, name, "environment"), f'variable "{variable}" is not set or empty: '
                           f"the {kind[:-1]} would be empty, and swarm refuses empty data", "error")
    declared = out.get("services")
    for name, svc in declared.items() if isinstance(declared, dict) else ():
        if isinstance(svc, dict):
            out["services"][name] = _service(name, svc, working_dir, found, report)
    return out


# blocks where the 3.x schema allows no other key, so an `x-` key there is spec-only ("*": any name
# or index); everywhere else (labels, environment, ...) a key starting with x- is data and stays
_CLOSED: tuple[tuple[str, ...], ...] = (
    ("services", "*", "deploy"), ("services", "*", "deploy", "resources"),
    ("services", "*", "deploy", "resources", "limits"), ("services", "*", "deploy", "resources", "reservations"),
    ("services", "*", "deploy", "restart_policy"), ("services", "*", "deploy", "update_config"),
    ("services", "*", "deploy", "rollback_config"), ("services", "*", "deploy", "placement"),
    ("services", "*", "healthcheck"), ("services", "*", "logging"), ("services", "*", "credential_spec"),
    ("services", "*", "ports", "*"), ("services", "*", "volumes", "*"), ("services", "*", "volumes", "*", "bind"),
    ("services", "*", "volumes", "*", "volume"), ("services", "*", "volumes", "*", "tmpfs"),
    ("services", "*", "secrets", "*"), ("services", "*", "configs", "*"), ("services", "*", "networks", "*"),
    ("networks", "*", "ipam"), ("networks", "*", "ipam", "config", "*"),
)


def _closed(path: Path) -> bool:
    return any(len(p) == len(path) and all(a in ("*", b) for a, b in zip(p, path)) for p in _CLOSED)


def _strip_extensions(value: Any, path: Path, found: Lowered) -> Any:
    """`x-` keys where the 3.x schema allows none (it allows them on the definitions themselves)."""
    if isinstance(value, dict):
        kept = {}
        closed = _closed(path)
        for key, item in value.items():
            if closed and isinstance(key, str) and key.startswith("x-"):
                found.used.append(path + (key,))
                continue
            kept[key] = _strip_extensions(item, path + (key,), found)
        return kept
    if isinstance(value, list):
        return [_strip_extensions(item, path + (i,), found) for i, item in enumerate(value)]
    return value


def _inline(kind: str, name: str, entry: dict[str, Any], env: Mapping[str, str], found: Lowered) -> dict[str, Any]:
    """A secret/config from `environment:` or (configs) inline `content:`: the data kept aside."""
    out = dict(entry)
    if "environment" in out:
        variable = str(out.pop("environment"))
        found.used.append((kind, name, "environment"))
        found.inline[(kind, name)] = ("environment", variable, env.get(variable, "").encode())
    elif "content" in out and kind == "configs":
        content = str(out.pop("content"))
        found.used.append((kind, name, "content"))
        found.inline[(kind, name)] = ("content", content, content.encode())
    return out


def _service(name: str, svc: dict[str, Any], working_dir: str, found: Lowered, report: Any) -> dict[str, Any]:
    out = dict(svc)
    base: Path = ("services", name)
    if "extends" in out:
        found.used.append(base + ("extends",))
        found.extends[name] = out.pop("extends")
    if "profiles" in out:
        found.used.append(base + ("profiles",))
        profiles = out.pop("profiles")
        found.profiles[name] = [str(p) for p in profiles] if isinstance(profiles, list) else [str(profiles)]
    for key, why in IGNORED_SERVICE_KEYS.items():
        if key in out:
            found.used.append(base + (key,))
            report(base + (key,), f"ignored: swarm does not support '{key}' ({why})")
            out.pop(key)
    ports = out.get("ports")
    if isinstance(ports, list):
        out["ports"] = [_port(p, base + ("ports", i), found, report) for i, p in enumerate(ports)]
    networks = out.get("networks")
    if isinstance(networks, dict):
        out["networks"] = {net: _drop(cfg, IGNORED_NETWORK_KEYS, base + ("networks", net), "on service networks",
                                      found, report) for net, cfg in networks.items()}
    deploy = out.get("deploy")
    resources = deploy.get("resources") if isinstance(deploy, dict) else None
    if isinstance(resources, dict) and isinstance(resources.get("reservations"), dict):
        kept = _drop(resources["reservations"], IGNORED_RESERVATION_KEYS, base + ("deploy", "resources", "reservations"),
                     "in reservations", found, report)
        out["deploy"] = dict(deploy, resources=dict(resources, reservations=kept))  # type: ignore[arg-type]
    env_files = out.get("env_file")
    if isinstance(env_files, list) and any(isinstance(e, dict) for e in env_files):
        out["env_file"] = _env_files(env_files, base + ("env_file",), working_dir, found, report)
    depends = out.get("depends_on")
    if isinstance(depends, dict):
        out["depends_on"] = {dep: _dependency(name, dep, cfg, base, found) for dep, cfg in depends.items()}
    return out


def _drop(block: Any, keys: dict[str, str], path: Path, where: str, found: Lowered, report: Any) -> Any:
    """`block` without the spec-only `keys` swarm cannot honour, a warning each."""
    if not isinstance(block, dict):
        return block
    out = dict(block)
    for key, why in keys.items():
        if key in out:
            found.used.append(path + (key,))
            report(path + (key,), f"ignored: swarm does not support '{key}' {where} ({why})")
            out.pop(key)
    return out


def _port(port: Any, path: Path, found: Lowered, report: Any) -> Any:
    out = _drop(port, IGNORED_PORT_KEYS, path, "on ports", found, report)
    published = out.get("published") if isinstance(out, dict) else None
    if isinstance(published, str) and published.isdigit():
        # the specification allows a string (for ranges); one port as a string is that number
        found.used.append(path + ("published",))
        out["published"] = int(published)
    return out


def _env_files(entries: list[Any], path: Path, working_dir: str, found: Lowered, report: Any) -> list[Any]:
    """Long-form entries become paths; an optional file that does not exist is skipped."""
    out: list[Any] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            out.append(entry)
            continue
        found.used.append(path + (i,))
        file = entry.get("path")
        fmt = entry.get("format")
        if fmt is not None and fmt not in _ENV_FILE_FORMATS:
            report(path + (i, "format"), f"unsupported env_file format \"{fmt}\"; use raw or leave format out", "error")
        optional = entry.get("required", True) is False
        if optional and isinstance(file, str) and not os.path.exists(os.path.join(working_dir, file)):
            continue
        out.append(file)
    return out


def _dependency(service: str, dep: str, cfg: Any, base: Path, found: Lowered) -> Any:
    if not isinstance(cfg, dict):
        return cfg
    out = dict(cfg)
    for key in ("required", "restart"):
        if key in out:
            found.used.append(base + ("depends_on", dep, key))
    if out.pop("required", True) is False:
        found.optional.add((service, dep))
    out.pop("restart", None)
    return out


def merge(into: Lowered, other: Lowered) -> None:
    """A later file's findings over an earlier file's (a later `name` wins, as in compose-go)."""
    if other.name is not None:
        into.name = other.name
    into.dirs |= other.dirs
    into.profiles.update(other.profiles)
    into.inline.update(other.inline)
    into.optional |= other.optional
    into.used.extend(other.used)


def spec_note(used: tuple[Path, ...] | list[Path]) -> str | None:
    """The note that the files need composeswarm (they use Compose Specification keys), or None."""
    if not used:
        return None
    shown = list(dict.fromkeys(".".join(str(p) for p in path) for path in used))
    listed = ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
    return (f"note: these files use Compose Specification keys ({listed}): docker stack deploy refuses them, "
            "composeswarm deploys them (validate --strict checks a file as docker would)")


def active_profiles(chosen: list[str] | None, environ: Mapping[str, str]) -> set[str]:
    """--profile values, or COMPOSE_PROFILES (comma-separated) when none is given."""
    if chosen:
        return {p for p in chosen if p}
    return {p.strip() for p in environ.get("COMPOSE_PROFILES", "").split(",") if p.strip()}


def apply_profiles(
    merged: dict[str, Any], found: Lowered, active: set[str], positions: Mapping[Path, Position], file: str,
    issues: list[Issue],
) -> list[str]:
    """Take out the services whose profiles are all inactive; return their names.

    A service without profiles is always in; `*` enables every profile. A dependency on a service
    left out is an error, unless it is `required: false`, when it is dropped.
    """
    services: dict[str, Any] = merged.get("services") or {}
    left_out = sorted(
        name for name, profiles in found.profiles.items()
        if name in services and profiles and "*" not in active and not set(profiles) & active
    )
    for name in left_out:
        del services[name]
    for name, svc in services.items():
        depends = svc.get("depends_on") if isinstance(svc, dict) else None
        if not isinstance(depends, (dict, list)):
            continue
        for index, dep in enumerate(list(depends)):
            if dep not in left_out:
                continue
            if (name, dep) not in found.optional:
                at: Path = ("services", name, "depends_on", dep if isinstance(depends, dict) else index)
                issues.append(issue_at(positions, at, f'service "{name}" depends on service "{dep}", which its '
                                       f"profiles leave out (enable it with --profile {found.profiles[dep][0]})", file))
        # reported above, or optional: taken out so that the checks do not call it undefined
        kept = [d for d in depends if d not in left_out]
        if not kept:
            svc.pop("depends_on", None)
        else:
            svc["depends_on"] = {d: depends[d] for d in kept} if isinstance(depends, dict) else kept
    return left_out
