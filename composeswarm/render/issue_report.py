"""Text for the loading stage: issue lines, the validate OK line, and the resolved config."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from composeswarm.dockerrules.units import canonical_duration, ram_in_bytes
from composeswarm.errors import ConvertError, safe_text

if TYPE_CHECKING:
    from composeswarm.errors import Issue
    from composeswarm.load.model import Project


def issue_line(issue: Issue) -> str:
    """`error: FILE:LINE:COL: path: message` (or `warning: ...`)."""
    return f"{issue.severity}: {issue}"


def print_warnings(issues: Iterable[Issue], stream: Any = None) -> None:
    """Each warning on its own line on stderr."""
    out = stream if stream is not None else sys.stderr
    for issue in issues:
        out.write(issue_line(issue) + "\n")


def _shown(file: str) -> str:
    """A file as the user would name it: <stdin>, or relative to the current folder when inside it."""
    import os

    if file == "-":
        return "<stdin>"
    rel = os.path.relpath(file)
    return file if rel.startswith("..") else rel


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ok_line(project: Project, warnings: int) -> str:
    """The one-line summary `validate` prints when the files are valid."""
    files = ", ".join(_shown(f) for f in project.files)
    parts = [_count(len(project.services), "service")]
    for name in ("networks", "volumes", "secrets", "configs"):
        n = len(getattr(project, name))
        if n:
            parts.append(_count(n, name[:-1]))
    tail = f", {_count(warnings, 'warning')}" if warnings else ""
    # file names come from the command line: escaped as every message is (STYLE.md rule 11)
    kind = "Compose Specification" if project.spec else f"compose {project.version}"
    return f"ok: {safe_text(files)} ({kind}): {', '.join(parts)}{tail}"


def spec_notes(project: Project) -> list[str]:
    """`validate`'s note when the files use Compose Specification keys (they need composeswarm)."""
    from composeswarm.load.specfile import spec_note

    note = spec_note(project.spec_keys)
    return [] if note is None else [note]


def render_config(project: Project, fmt: str) -> str:
    """The resolved project as `docker stack config` prints it (yaml) or as JSON."""
    data = _sorted_maps(_omit_empty(_docker_units(project.to_dict())), ())
    if project.name:  # the Compose Specification's `name`, first as docker compose config prints it
        data = {"name": project.name, **data}
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    from composeswarm.load.yamltree import YAML12_IMPLICIT

    class _Dumper(yaml.SafeDumper):
        # docker (yaml.v3) indents list items under their key; PyYAML does not by default
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

        # yaml.v3 double-quotes strings that would read back as another type ("3.9", "true") and
        # single-quotes those that are merely not plain ('{{.Node.ID}}'); PyYAML single-quotes both
        def choose_scalar_style(self) -> str:
            style: str = super().choose_scalar_style()
            event = self.event
            if style == "'" and isinstance(event, yaml.ScalarEvent) and not event.implicit[0]:
                return '"'
            return style

    # quote every string yaml.v3 would read back as a number, boolean or null ("0o440", "1e3", "08")
    for tag, regexp, first in YAML12_IMPLICIT:
        _Dumper.add_implicit_resolver(tag, regexp, first)
    # ...and, like yaml.v3, the YAML 1.1 leftovers: base-60 numbers ("01:00") and y/n booleans
    _Dumper.add_implicit_resolver(
        "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$"),
        list("-+0123456789"),
    )
    _Dumper.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^[yYnN]$"), list("yYnN"))

    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 30
    )
    return text


# Mappings whose keys are names (Go maps in docker's types): yaml.v3 prints them sorted.
_TOP_MAPS = {("services",), ("networks",), ("volumes",), ("secrets",), ("configs",)}
_MAP_KEYS = {
    "environment", "labels", "sysctls", "ulimits", "networks", "driver_opts", "options", "args", "segments",
}


def _sorted_maps(tree: Any, path: tuple[str, ...]) -> Any:
    """Sort the keys of name-keyed mappings the way yaml.v3 does; struct fields keep their order."""
    if isinstance(tree, list):
        return [_sorted_maps(v, path) for v in tree]
    if not isinstance(tree, dict):
        return tree
    # x-* values are untyped (Go maps all the way down)
    untyped = any(p.startswith("x-") for p in path) and "x-cluster-spec" not in path
    is_map = path in _TOP_MAPS or (len(path) > 2 and path[-1] in _MAP_KEYS) or untyped
    keys = sorted(tree, key=_V3Key) if is_map else list(tree)
    return {k: _sorted_maps(tree[k], path + (k,)) for k in keys}


class _V3Key:
    """yaml.v3's key order: letters by code point, runs of digits by value, letters before others."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _V3Key) -> bool:
        a, b = self.text, other.text
        digits = False
        for i in range(min(len(a), len(b))):
            if a[i] == b[i]:
                digits = a[i].isdigit()
                continue
            al, bl = a[i].isalpha(), b[i].isalpha()
            if al and bl:
                return a[i] < b[i]
            if al or bl:
                return al if digits else bl
            an = bn = 0
            if a[i] == "0" or b[i] == "0":
                j = i - 1
                while j >= 0 and a[j].isdigit():
                    if a[j] != "0":
                        an = bn = 1
                        break
                    j -= 1
            ai = i
            while ai < len(a) and a[ai].isdigit():
                an = an * 10 + int(a[ai])
                ai += 1
            bi = i
            while bi < len(b) and b[bi].isdigit():
                bn = bn * 10 + int(b[bi])
                bi += 1
            if an != bn:
                return an < bn
            if ai != bi:
                return ai < bi
            return a[i] < b[i]
        return len(a) < len(b)


# --- units as docker prints them (the Project keeps what the user wrote) -------------------------

_DURATIONS = {
    ("stop_grace_period",), ("healthcheck", "interval"), ("healthcheck", "timeout"),
    ("healthcheck", "start_period"), ("healthcheck", "start_interval"),
    ("deploy", "update_config", "delay"), ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"), ("deploy", "rollback_config", "monitor"),
    ("deploy", "restart_policy", "delay"), ("deploy", "restart_policy", "window"),
}
_SIZES = {("deploy", "resources", "limits", "memory"), ("deploy", "resources", "reservations", "memory")}
def _bytes_text(text: str) -> str:
    """A size as docker prints it after loading: a string of bytes; unparsable text as is."""
    try:
        return str(ram_in_bytes(text.strip()))
    except ConvertError:
        return text


def _docker_units(data: dict[str, Any]) -> dict[str, Any]:
    """Durations in Go's form and memory in bytes, as `docker stack config` prints them."""
    import copy

    out = copy.deepcopy(data)
    for svc in (out.get("services") or {}).values():
        for path in _DURATIONS | _SIZES:
            parent: Any = svc
            for key in path[:-1]:
                parent = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(parent, dict) and isinstance(parent.get(path[-1]), str):
                convert = canonical_duration if path in _DURATIONS else _bytes_text
                parent[path[-1]] = convert(parent[path[-1]])
    for vol in (out.get("volumes") or {}).values():
        capacity = ((vol or {}).get("x-cluster-spec") or {}).get("capacity_range")
        if isinstance(capacity, dict):
            for key in ("required_bytes", "limit_bytes"):
                if isinstance(capacity.get(key), str):
                    capacity[key] = _bytes_text(capacity[key])
    return out


# --- docker's omitempty: zero values of non-pointer struct fields are not printed ----------------

# Fields that are pointers in docker's types: printed even when zero (`replicas: 0`, `init: false`).
_POINTER_FIELDS = {
    "replicas", "parallelism", "max_attempts", "retries", "init", "mode", "delay", "window", "timeout",
    "interval", "start_period", "start_interval", "stop_grace_period", "limits", "reservations", "bind",
    "volume", "tmpfs", "update_config", "rollback_config", "restart_policy", "healthcheck", "logging",
    "credential_spec", "resources", "placement", "deploy", "build",
}
# Durations that are plain values (not pointers) in docker's UpdateConfig.
_PLAIN_DURATIONS = {("update_config", "delay"), ("update_config", "monitor"), ("rollback_config", "delay"),
                    ("rollback_config", "monitor")}
# Mappings of names: their null or empty values are data, not empty fields.
_NAME_MAPS = {"environment", "labels", "args", "sysctls", "options", "driver_opts", "networks", "extra_hosts"}


def _zero(value: Any) -> bool:
    return value is False or value is None or value == "" or value == 0 or value == [] or value == {}


def _omit_fields(tree: dict[str, Any], parent: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if key.startswith("x-"):
            out[key] = value
            continue
        if isinstance(value, dict) and key not in _NAME_MAPS:
            value = _omit_fields(value, key)
        elif isinstance(value, list):
            value = [_omit_fields(v, key) if isinstance(v, dict) else v for v in value]
        if key in _NAME_MAPS or parent in ("ulimits",):
            out[key] = value
            continue
        plain_duration = (parent, key) in _PLAIN_DURATIONS and value in ("0s", "0")
        no_bytes = key in ("memory", "required_bytes", "limit_bytes") and value == "0"  # UnitBytes(0)
        if plain_duration or no_bytes or (_zero(value) and key not in _POINTER_FIELDS):
            continue
        if key == "mode" and parent != "secrets" and parent != "configs" and value == "":
            continue
        out[key] = value
    return out


def _omit_empty(data: dict[str, Any]) -> dict[str, Any]:
    """The zero values docker leaves out when it prints (its types use omitempty)."""
    out = dict(data)
    services = {}
    for name, svc in (data.get("services") or {}).items():
        svc = _omit_fields(svc, "service")
        limits = svc.get("ulimits")
        if isinstance(limits, dict):
            # a single 0 prints as an empty soft/hard struct, as docker's UlimitsConfig does
            svc["ulimits"] = {k: ({} if v == 0 else {s: n for s, n in v.items() if n} if isinstance(v, dict) else v)
                              for k, v in limits.items()}
        services[name] = svc
    out["services"] = services
    for section in ("networks", "volumes", "secrets", "configs"):
        if section in data:
            out[section] = {k: _omit_fields(v or {}, section) for k, v in data[section].items()}
    return out
