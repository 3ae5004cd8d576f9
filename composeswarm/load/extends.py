"""`extends` on a service (Compose Specification): the base service merged under the extending one.

compose-go's rules (loader/extends.go, override/merge.go, override/uncity.go in docker compose 2.40),
applied here to services already normalised (long syntax): every key of the base is inherited
(`depends_on` included, as compose-go does); mappings merge key by key, the extending service's
value winning; `command`, `entrypoint` and `healthcheck.test` are replaced whole; lists are the
base's entries then the extending service's, and where compose-go keeps one entry per key
(ports by address/published/target/protocol, volumes by target, secrets by target or
/run/secrets/SOURCE, configs by target or /SOURCE, dns, cap_add, ... by value) a later entry
replaces the earlier one in place; `logging` is replaced whole when the drivers differ.

A base in another file (`extends: {service, file}`, relative to the extending file) is read as its
own file: its relative paths resolve against its folder, interpolated with the same variables.
Chains are followed; a cycle is an error.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from composeswarm.errors import Issue, Path
from composeswarm.load.keyorder import ordered_service
from composeswarm.load.model import Entries, Position, issue_at
from composeswarm.load.specfile import Lowered

Tree = dict[str, Any]
Origins = dict[int, tuple[Position, dict[str, Position]]]


@dataclass
class Unit:
    """One file (or included project) loaded and normalised, with what the spec lowering found."""

    file: str  # the name errors use
    path: str  # absolute
    tree: Tree
    positions: dict[Path, Position]
    origins: Origins = field(default_factory=dict)
    entries: Entries = field(default_factory=dict)
    # what the spec lowering found: `extends` requests, profiles, optional dependencies, ...
    found: Lowered = field(default_factory=Lowered)


# reads another file for `extends: {file}`: (absolute path) -> its Unit, None when it has errors
# (reported), or why it cannot be read
LoadBase = Callable[[str], "Unit | str | None"]


def check_request(value: Any) -> str | None:
    """What is wrong with an `extends` value as written, or None."""
    if isinstance(value, str):
        return None if value else "extends needs a service name"
    if not isinstance(value, dict):
        return "extends must be a service name or a mapping with service (and file)"
    unknown = sorted(str(k) for k in value if k not in ("service", "file"))
    if unknown:
        return f"unknown key '{unknown[0]}' in extends; use service and file"
    if not isinstance(value.get("service"), str) or not value["service"]:
        return "extends.service is required (the name of the service to extend)"
    if "file" in value and (not isinstance(value["file"], str) or not value["file"]):
        return "extends.file must be a file name"
    return None


class Resolver:
    """Applies `extends` to the services of units; errors go to `issues`."""

    def __init__(self, load_base: LoadBase, issues: list[Issue]) -> None:
        self.load_base = load_base
        self.issues = issues
        self._units: dict[str, Unit | str | None] = {}
        self._done: set[tuple[str, str]] = set()

    def apply(self, unit: Unit) -> None:
        """Every service of `unit` that extends another, merged with its base."""
        self._units.setdefault(unit.path, unit)
        for name in sorted(unit.found.extends):
            self._resolve(unit, name, [])

    def _error(self, unit: Unit, path: Path, message: str) -> None:
        self.issues.append(issue_at(unit.positions, path, message, unit.file))

    def _resolve(self, unit: Unit, name: str, chain: list[tuple[Unit, str]]) -> Tree | None:
        services = unit.tree.get("services") or {}
        svc = services.get(name)
        request = unit.found.extends.get(name)
        if request is None or (unit.path, name) in self._done:
            return svc
        at: Path = ("services", name, "extends")
        problem = check_request(request)
        if problem is not None:
            self._done.add((unit.path, name))
            self._error(unit, at, problem)
            return None
        if any(u.path == unit.path and n == name for u, n in chain):
            links = [f"{n} ({u.file})" for u, n in chain] + [f"{name} ({unit.file})"]
            first = chain[0]
            self._error(first[0], ("services", first[1], "extends"), "extends cycle: " + " -> ".join(links))
            return None
        ref = request if isinstance(request, str) else request["service"]
        target = unit
        if isinstance(request, dict) and "file" in request:
            file = os.path.normpath(os.path.join(os.path.dirname(unit.path), request["file"]))
            if file not in self._units:
                self._units[file] = self.load_base(file)
            loaded = self._units[file]
            if isinstance(loaded, str):
                self._error(unit, at + ("file",), loaded)
                self._units[file] = None
                return None
            if loaded is None:
                return None  # its errors are reported
            target = loaded
        if ref not in (target.tree.get("services") or {}):
            where = at + ("service",) if isinstance(request, dict) else at
            self._error(unit, where, f'service "{ref}" not found in {target.file}')
            return None
        base = self._resolve(target, ref, chain + [(unit, name)])
        self._done.add((unit.path, name))
        if base is None or svc is None:
            return None
        memo: dict[int, Any] = {}
        inherited = copy.deepcopy(base, memo)
        for old, origin in list(target.origins.items()):
            new = memo.get(old)
            if new is not None:
                unit.origins[id(new)] = origin
        merged = merge_service(inherited, svc)
        services[name] = merged
        self._inherit_positions(unit, name, target, ref, svc)
        self._inherit_lowered(unit, name, target, ref, svc)
        return merged

    @staticmethod
    def _inherit_positions(unit: Unit, name: str, target: Unit, ref: str, svc: Tree) -> None:
        """Inherited keys point where the base wrote them (in its file); the service's own win."""
        src: Path = ("services", ref)
        dst: Path = ("services", name)
        own = {k for k in svc}
        for path, pos in list(target.positions.items()):
            if len(path) > 2 and path[:2] == src and path[2] not in own:
                unit.positions.setdefault(dst + path[2:], pos)
        for path, written in list(target.entries.items()):
            if len(path) > 3 and path[:2] == src and (dst + path[2:]) not in unit.entries:
                unit.entries[dst + path[2:]] = written

    @staticmethod
    def _inherit_lowered(unit: Unit, name: str, target: Unit, ref: str, svc: Tree) -> None:
        base_profiles = target.found.profiles.get(ref)
        if base_profiles:
            unit.found.profiles[name] = _unique_values(base_profiles + unit.found.profiles.get(name, []))
        own_deps = svc.get("depends_on") or ()
        for service, dep in list(target.found.optional):
            if service == ref and dep not in own_deps:
                unit.found.optional.add((name, dep))


# --- the merge rules -------------------------------------------------------------------------------

_REPLACED = {"command", "entrypoint"}
# service lists where compose-go keeps one entry per key (EnforceUnicity); others are appended
_BY_VALUE = {"cap_add", "cap_drop", "dns", "dns_opt", "dns_search", "env_file", "expose", "links", "profiles",
             "tmpfs", "sysctls", "annotations"}


def _key_value(entry: Any) -> Any:
    return str(entry).split("=", 1)[0] if isinstance(entry, str) else repr(entry)


def _port_key(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return repr(entry)
    return (entry.get("host_ip", "0.0.0.0"), entry.get("published"), entry.get("target"), entry.get("protocol", "tcp"))


def _target_key(default: str) -> Callable[[Any], Any]:
    def key(entry: Any) -> Any:
        if not isinstance(entry, dict):
            return f"{default}/{entry}"
        return entry["target"] if entry.get("target") is not None else f"{default}/{entry.get('source')}"

    return key


def _volume_key(entry: Any) -> Any:
    return entry.get("target") if isinstance(entry, dict) else repr(entry)


_KEYED: dict[str, Callable[[Any], Any]] = {
    "ports": _port_key,
    "volumes": _volume_key,
    "devices": _volume_key,
    "secrets": _target_key("/run/secrets"),
    "configs": _target_key(""),
    **{key: _key_value for key in _BY_VALUE},
}


def _unique(entries: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    """One entry per key: a later entry takes the place of the earlier one (compose-go's unicity)."""
    out: list[Any] = []
    index: dict[Any, int] = {}
    for entry in entries:
        k = key(entry)
        if k in index:
            out[index[k]] = entry
        else:
            index[k] = len(out)
            out.append(entry)
    return out


def _unique_values(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def merge_service(base: Tree, over: Tree) -> Tree:
    """The extending service `over` merged onto a copy of its (resolved) `base`."""
    out = dict(base)
    for key, value in over.items():
        if key not in out:
            out[key] = value
        elif value is not None:
            out[key] = _merge_key(key, out[key], value)
    for key, index in _KEYED.items():
        if isinstance(out.get(key), list):
            out[key] = _unique(out[key], index)
    return ordered_service(out)


def _merge_key(key: str, base: Any, over: Any) -> Any:
    if key in _REPLACED:
        return over
    if key == "logging" and isinstance(base, dict) and isinstance(over, dict):
        same = base.get("driver") == over.get("driver") or "driver" not in base or "driver" not in over
        return _merge(base, over, ("logging",)) if same else over
    if key == "ulimits" and isinstance(base, dict) and isinstance(over, dict):
        return {**base, **over}  # each limit replaced whole (compose-go's mergeUlimit)
    if key in ("networks", "depends_on"):
        return _merge_named(key, base, over)
    if key == "extra_hosts" and isinstance(base, list) and isinstance(over, list):
        return base + [h for h in over if h not in base]
    return _merge(base, over, (key,))


def _merge(base: Any, over: Any, path: tuple[str, ...]) -> Any:
    """mergeYaml: mappings key by key, lists appended, anything else replaced."""
    if over is None:
        return base
    if path == ("healthcheck", "test"):
        return over
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(out[k], v, path + (str(k),)) if k in out else v
        return out
    if isinstance(base, list) and isinstance(over, list):
        merged = base + over
        if len(path) == 3 and path[0] == "networks" and path[2] in ("aliases", "link_local_ips"):
            return _unique(merged, _key_value)
        return merged
    return over


def _merge_named(key: str, base: Any, over: Any) -> Any:
    """Service networks and depends_on: lists become mappings when the other side is one."""
    if isinstance(base, list) and isinstance(over, list):
        return _unique_values(base + over)
    default: Any = {"condition": "service_started"} if key == "depends_on" else None
    left = base if isinstance(base, dict) else {n: copy.deepcopy(default) for n in base or ()}
    right = over if isinstance(over, dict) else {n: copy.deepcopy(default) for n in over or ()}
    out = dict(left)
    for name, value in right.items():
        if name in out and isinstance(out[name], dict) and isinstance(value, dict):
            out[name] = _merge(out[name], value, (key, str(name)))
        elif name not in out or value is not None:
            out[name] = value
    return out
