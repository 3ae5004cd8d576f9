"""One validated file -> the shape `docker stack config` prints (docker CLI 28 `loader.Load`).

Short syntax becomes long syntax (ports, volumes, secrets, configs, build), string-or-list keys
become lists, list-or-mapping keys become mappings of strings, env_file is merged into
environment, bind sources and secret/config files become absolute, external objects get their
name. Problems found here (bad port specs, unreadable env files) are collected as Issues.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

from composeswarm.errors import Issue, Path
from composeswarm.load.model import Position
from composeswarm.convert.failure import ConvertError
from composeswarm.dockerrules.shellwords import split_words

Tree = dict[str, Any]
_BIND_OPTIONS = {"rprivate", "private", "rshared", "shared", "rslave", "slave"}


def go_sprint(value: object) -> str:
    """`fmt.Sprint` of a YAML scalar: how docker turns numbers and booleans into strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    return str(value)


def go_float(value: float) -> str:
    """Go's %v for float64: shortest digits, exponent form when exp < -4 or exp >= 6 (strconv %g)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(str(d) for d in digits)
    exp = len(text) + exponent - 1
    minus = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exponent >= 0:
        return minus + text + "0" * exponent
    point = len(text) + exponent
    if point > 0:
        return minus + text[:point] + "." + text[point:]
    return minus + "0." + "0" * (-point) + text


class Normalizer:
    """Normalises the sections of one file; `issues` collects what could not be read."""

    def __init__(
        self,
        file: str,
        version: str,
        working_dir: str,
        environ: Mapping[str, str],
        positions: Mapping[Path, Position],
    ) -> None:
        self.file = file
        self.version = version
        self.working_dir = working_dir
        self.environ = environ
        self.positions = positions
        self.issues: list[Issue] = []
        # id(long-syntax entry) -> where its short or long form was written, so positions can follow
        # entries that expansion (port ranges) and merging (re-sorting) move to other indices
        self.origins: dict[int, tuple[Position, dict[str, Position]]] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def issue(self, path: Path, message: str, severity: Literal["error", "warning"] = "error") -> None:
        """Record a problem at `path` (positioned at it or its nearest ancestor)."""
        probe = path
        pos = None
        while probe:
            pos = self.positions.get(probe)
            if pos is not None:
                break
            probe = probe[:-1]
        self.issues.append(
            Issue(self.file, pos.line if pos else None, pos.column if pos else None, path, message, severity)
        )

    def abspath(self, path: str) -> str:
        """filepath.Join(workingDir, path) unless already absolute (docker's absPath)."""
        if posixpath.isabs(path):
            return path
        return posixpath.normpath(posixpath.join(self.working_dir, path))

    def expand_user(self, path: str, where: Path) -> str:
        """docker's expandUser: replace the first `~` with $HOME (from the process environment)."""
        if not path.startswith("~"):
            return path
        home = self.environ.get("HOME")
        if home is None:
            self.issue(where, "cannot expand '~', because the environment lacks HOME", "warning")
            return path
        return path.replace("~", home, 1)

    def origin(self, entry: Tree, raw: Path) -> None:
        """Remember where list entry `entry` (a new dict) came from: the raw item at `raw`."""
        pos = self.positions.get(raw)
        if pos is not None:
            keys = {k: p for k in entry if (p := self.positions.get(raw + (k,))) is not None}
            self.origins[id(entry)] = (pos, keys)

    # --- top level -------------------------------------------------------------------------------

    def project(self, data: Tree) -> Tree:
        """The normalised file, sections in docker's order; x-* top-level keys kept."""
        out: Tree = {"version": self.version}
        services = data.get("services") or {}
        out["services"] = {
            name: self.service(name, svc or {}) for name, svc in sorted(services.items())
        }
        for section in ("networks", "volumes", "secrets", "configs"):
            entries = data.get(section) or {}
            fn = getattr(self, section[:-1])
            out[section] = {
                name: in_order(fn(name, entry or {}), _SECTION_ORDER[section]) for name, entry in sorted(entries.items())
            }
        for key, value in data.items():
            if key.startswith("x-"):
                out[key] = value
        return out

    def _external(self, kind: str, name: str, entry: Tree, out: Tree) -> None:
        """Resolve `external` / `external.name` / `name` as docker's loader does."""
        ext = entry.get("external")
        if isinstance(ext, dict):
            ext_name = ext.get("name")
            if ext_name is not None:
                if entry.get("name"):
                    self.issue(
                        (f"{kind}s", name, "external", "name"),
                        f"{kind}.external.name and {kind}.name conflict; only use {kind}.name",
                    )
                threshold = "3.4" if kind == "volume" else "3.5"
                if _version_ge(self.version, threshold):
                    self.issue(
                        (f"{kind}s", name, "external", "name"),
                        f"{kind}.external.name is deprecated in favor of {kind}.name",
                        "warning",
                    )
                out["name"] = ext_name
            elif not out.get("name"):
                out["name"] = name
            out["external"] = True
        elif ext is True:
            if not out.get("name"):
                out["name"] = name
            out["external"] = True

    def network(self, name: str, entry: Tree) -> Tree:
        """A top-level network as docker's LoadNetworks leaves it."""
        out: Tree = {}
        if "name" in entry:
            out["name"] = entry["name"]
        self._external("network", name, entry, out)
        for key in ("driver",):
            if entry.get(key):
                out[key] = entry[key]
        if entry.get("driver_opts"):
            out["driver_opts"] = {k: go_sprint(v) for k, v in sorted(entry["driver_opts"].items())}
        if entry.get("ipam"):
            out["ipam"] = entry["ipam"]
        if entry.get("internal"):
            out["internal"] = True
        if entry.get("attachable"):
            out["attachable"] = True
        if entry.get("labels") is not None:
            out["labels"] = labels(entry["labels"])
        if out.get("external"):
            _extras(entry, out)  # docker keeps x-* of external networks only (LoadNetworks)
        return out

    def volume(self, name: str, entry: Tree) -> Tree:
        """A top-level volume as docker's LoadVolumes leaves it."""
        out: Tree = {}
        if "name" in entry:
            out["name"] = entry["name"]
        if entry.get("external") not in (None, False):
            for key in ("driver", "driver_opts", "labels"):
                if entry.get(key):
                    self.issue(
                        ("volumes", name, key),
                        f'conflicting parameters "external" and "{key}" specified for volume "{name}"',
                    )
        self._external("volume", name, entry, out)
        if entry.get("driver"):
            out["driver"] = entry["driver"]
        if entry.get("driver_opts"):
            out["driver_opts"] = {k: go_sprint(v) for k, v in sorted(entry["driver_opts"].items())}
        if entry.get("labels") is not None:
            out["labels"] = labels(entry["labels"])
        if out.get("external"):
            _extras(entry, out)  # docker keeps x-* of external volumes only (LoadVolumes)
            out.pop("x-cluster-spec", None)
        if isinstance(entry.get("x-cluster-spec"), dict):
            out["x-cluster-spec"] = _cluster_spec(entry["x-cluster-spec"])
            capacity = out["x-cluster-spec"].get("capacity_range") or {}
            for key in ("required_bytes", "limit_bytes"):
                if isinstance(capacity.get(key), str) and not size_ok(capacity[key]):
                    self.issue(("volumes", name, "x-cluster-spec", "capacity_range", key),
                               f'invalid size "{capacity[key]}" (use e.g. 1G)')
        return out

    def _file_object(self, kind: str, name: str, entry: Tree) -> Tree:
        out: Tree = {}
        if "name" in entry:
            out["name"] = entry["name"]
        if entry.get("external") not in (None, False):
            self._external(kind, name, entry, out)
        elif entry.get("driver"):
            if entry.get("file"):
                self.issue(
                    (f"{kind}s", name, "driver"),
                    f"{kind}.driver and {kind}.file conflict; only use {kind}.driver",
                )
        else:
            # docker makes even a missing file absolute, i.e. the working folder (checks.py reports it)
            out["file"] = self.abspath(entry.get("file") or "")
        if entry.get("labels") is not None:
            out["labels"] = labels(entry["labels"])
        _extras(entry, out)  # printed before driver, as in docker's FileObjectConfig
        for key in ("driver", "driver_opts", "template_driver"):
            if entry.get(key):
                out[key] = (
                    {k: go_sprint(v) for k, v in entry[key].items()} if key == "driver_opts" else entry[key]
                )
        return out

    def secret(self, name: str, entry: Tree) -> Tree:
        """A top-level secret (file made absolute, external name resolved)."""
        return self._file_object("secret", name, entry)

    def config(self, name: str, entry: Tree) -> Tree:
        """A top-level config (file made absolute, external name resolved)."""
        return self._file_object("config", name, entry)

    # --- services --------------------------------------------------------------------------------

    def service(self, name: str, svc: Tree) -> Tree:
        """One service in docker stack config shape."""
        base: Path = ("services", name)
        out: Tree = {}
        for key, value in svc.items():
            if key in DROPPED_BY_DOCKER:
                continue
            handler = _SERVICE_KEYS.get(key)
            if value is None and key not in ("pid",):
                continue
            if handler is None:
                out[key] = value
            else:
                result = handler(self, value, base + (key,))
                if result is not None:
                    out[key] = result
        if "env_file" in svc or "environment" in svc:
            env = self.environment(svc, base)
            if env:
                out["environment"] = env
            elif "environment" in out:
                del out["environment"]
        return ordered_service(out)

    def environment(self, svc: Tree, base: Path) -> dict[str, str | None]:
        """env_file entries, then environment on top; empty or nil values filled from the shell."""
        env: dict[str, str | None] = {}
        files = svc.get("env_file")
        if files is not None:
            names = [files] if isinstance(files, str) else list(files)
            merged: dict[str, str | None] = {}
            for i, f in enumerate(names):
                where = base + ("env_file",) + ((i,) if not isinstance(files, str) else ())
                merged.update(self.read_env_file(self.abspath(f), where))
            self._update_env(env, merged)
        if svc.get("environment") is not None:
            self._update_env(env, mapping(svc["environment"], allow_nil=True))
        return {k: env[k] for k in sorted(env)}

    def _update_env(self, env: dict[str, str | None], values: Mapping[str, str | None]) -> None:
        for key, value in values.items():
            shell = self.environ.get(key)
            env[key] = shell if (value is None or value == "") and shell is not None else value

    def read_env_file(self, path: str, where: Path) -> dict[str, str | None]:
        """A `docker run --env-file` file (docker's kvfile): KEY=VALUE verbatim; a bare KEY comes
        from the shell and is left out when the shell does not have it."""
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            self.issue(where, f"cannot read env file {path}: {exc.strerror}")
            return {}
        out: dict[str, str | None] = {}
        # bufio.Scanner lines: split on \n, a trailing \r dropped
        for number, data in enumerate(raw.split(b"\n"), 1):
            data = data[:-1] if data.endswith(b"\r") else data
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            try:
                line = data.decode("utf-8")
            except UnicodeDecodeError:
                self.issue(where, f"invalid env file ({path}): invalid utf8 bytes at line {number}")
                return out
            line = line.lstrip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not key:
                self.issue(where, f"invalid env file ({path}): no variable name on line '{line}'")
                return out
            if " " in key or "\t" in key:
                self.issue(where, f"invalid env file ({path}): variable '{key}' contains whitespaces")
                return out
            if sep:
                out[key] = value
            elif key in self.environ:
                out[key] = self.environ[key]
        return out

    def ports(self, value: list[Any], path: Path) -> list[Tree]:
        """Short-syntax ports expanded to long syntax; long syntax copied without defaults."""
        out: list[Tree] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append({k: item[k] for k in ("mode", "target", "published", "protocol") if k in item})
                self.origin(out[-1], path + (i,))
                continue
            try:
                expanded, host_ip = parse_port(go_sprint(item) if not isinstance(item, str) else item)
            except ValueError as exc:
                self.issue(path + (i,), str(exc))
                continue
            if host_ip:
                self.issue(
                    path + (i,),
                    f"ignoring host IP {host_ip} in {item!r}: swarm publishes on every address (0.0.0.0)",
                    "warning",
                )
            for entry in expanded:
                self.origin(entry, path + (i,))
            out.extend(expanded)
        return out

    def volumes(self, value: list[Any], path: Path) -> list[Tree]:
        """Service volumes in long syntax; bind sources made absolute."""
        out: list[Tree] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                vol = {k: item[k] for k in _VOLUME_ORDER if k in item}
                for block, known in _VOLUME_BLOCKS.items():
                    if isinstance(vol.get(block), dict):
                        # docker reads only the fields it knows; others were warned about
                        vol[block] = {k: v for k, v in vol[block].items() if k in known}
            else:
                try:
                    vol = parse_volume(item)
                except ValueError as exc:
                    self.issue(path + (i,), f"invalid volume {item!r}: {exc}")
                    continue
            if vol.get("type") == "bind":
                source = vol.get("source") or ""
                if not source:
                    self.issue(path + (i,), 'invalid mount config for type "bind": field Source must not be empty')
                    continue
                source = self.expand_user(source, path + (i,))
                # docker keeps Windows absolute paths (C:\x, \\server\share) of bind mounts as they are
                vol["source"] = source if _windows_abs(source) else self.abspath(source)
            self.origin(vol, path + (i,))
            out.append(vol)
        return out


_VOLUME_ORDER = ("type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs")

# Field order of docker's types (cli/compose/types), so `config` prints keys where docker does.
SERVICE_ORDER = (
    "build cap_add cap_drop cgroupns_mode cgroup_parent command configs container_name credential_spec depends_on "
    "deploy devices dns dns_search domainname entrypoint environment env_file expose external_links extra_hosts "
    "hostname healthcheck image init ipc isolation labels links logging mac_address network_mode networks pid ports "
    "privileged read_only restart secrets security_opt shm_size stdin_open stop_grace_period stop_signal sysctls "
    "tmpfs tty ulimits user oom_score_adj userns_mode volumes working_dir"
).split()
# Keys the 3.x schema allows but docker 28.2's loader never reads (its struct tag has no name, so
# mapstructure looks for "oomscoreadj"); they never reach the engine.
DROPPED_BY_DOCKER = ("oom_score_adj",)
_UPDATE = ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order")
_NESTED_ORDER: dict[str, tuple[str, ...]] = {
    "build": ("context", "dockerfile", "args", "labels", "cache_from", "extra_hosts", "network", "target"),
    "deploy": ("mode", "replicas", "labels", "update_config", "rollback_config", "resources", "restart_policy",
               "placement", "endpoint_mode"),
    "healthcheck": ("test", "timeout", "interval", "retries", "start_period", "start_interval", "disable"),
    "update_config": _UPDATE,
    "rollback_config": _UPDATE,
    "resources": ("limits", "reservations"),
    "limits": ("cpus", "memory", "pids"),
    "reservations": ("cpus", "memory", "generic_resources"),
    "restart_policy": ("condition", "delay", "max_attempts", "window"),
    "placement": ("constraints", "preferences", "max_replicas_per_node"),
    "logging": ("driver", "options"),
}
_SECTION_ORDER = {
    "networks": ("name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "labels"),
    "volumes": ("name", "driver", "driver_opts", "external", "labels"),
    "secrets": ("name", "file", "external", "labels"),
    "configs": ("name", "file", "external", "labels"),
}


def in_order(tree: Tree, order: tuple[str, ...] | list[str]) -> Tree:
    """`tree` with the keys of `order` first, in that order, then the others (x-*) as they came."""
    out = {k: tree[k] for k in order if k in tree}
    out.update((k, v) for k, v in tree.items() if k not in out)
    return out


def ordered_service(svc: Tree) -> Tree:
    """A service with its keys, and those of its nested structs, in docker's order."""
    out = in_order(svc, SERVICE_ORDER)
    for key in ("build", "deploy", "healthcheck", "logging"):
        if isinstance(out.get(key), dict):
            out[key] = _ordered_nested(key, out[key])
    return out


def _ordered_nested(key: str, tree: Tree) -> Tree:
    out = in_order(tree, _NESTED_ORDER.get(key, ()))
    for sub, value in out.items():
        if isinstance(value, dict) and sub in _NESTED_ORDER:
            out[sub] = _ordered_nested(sub, value)
    return out
_VOLUME_BLOCKS = {"bind": ("propagation",), "volume": ("nocopy",), "tmpfs": ("size",)}


def _version_ge(version: str, other: str) -> bool:
    return tuple(int(x) for x in version.split(".")) >= tuple(int(x) for x in other.split("."))


def _cluster_spec(spec: Tree) -> Tree:
    """x-cluster-spec as docker reads it: topology segments as a mapping (sizes stay as written)."""
    out = in_order(spec, ("group", "access_mode", "accessibility_requirements", "capacity_range", "secrets",
                          "availability"))
    if isinstance(out.get("access_mode"), dict):
        out["access_mode"] = in_order(out["access_mode"], ("scope", "sharing", "mount_volume", "block_volume"))
    if isinstance(out.get("capacity_range"), dict):
        out["capacity_range"] = in_order(out["capacity_range"], ("required_bytes", "limit_bytes"))
    reqs = out.get("accessibility_requirements")
    if isinstance(reqs, dict):
        reqs = in_order(reqs, ("requisite", "preferred"))
        for kind in ("requisite", "preferred"):
            if isinstance(reqs.get(kind), list):
                reqs[kind] = [
                    {**t, "segments": labels(t["segments"])} if isinstance(t, dict) and "segments" in t else t
                    for t in reqs[kind]
                ]
        out["accessibility_requirements"] = reqs
    return out


def _extras(entry: Tree, out: Tree) -> None:
    for key, value in entry.items():
        if key.startswith("x-"):
            out[key] = value


def mapping(value: Any, allow_nil: bool, sep: str = "=") -> dict[str, str | None]:
    """list-or-mapping -> mapping of strings (docker's transformMappingOrList)."""
    out: dict[str, str | None] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out[key] = go_sprint(item) if item is not None else (None if allow_nil else "")
        return out
    for item in value or []:
        key, found, rest = str(item).partition(sep)
        out[key] = rest if found else (None if allow_nil else "")
    return out


def labels(value: Any) -> dict[str, str]:
    """Labels: mapping of strings, a missing value is the empty string."""
    return {k: v or "" for k, v in sorted(mapping(value, allow_nil=False).items())}


def string_list(value: Any) -> list[str]:
    """A string-or-list key as a list."""
    return [value] if isinstance(value, str) else list(value)


def shell_command(value: Any) -> list[str]:
    """command / entrypoint: a string is split like a shell (google/shlex) would split it."""
    if isinstance(value, str):
        return split_words(value)
    return list(value)


def _shell(self: Normalizer, value: Any, path: Path) -> list[str] | None:
    try:
        return shell_command(value) or None
    except ConvertError as exc:
        # docker: "EOF found when expecting closing quote"
        self.issue(path, f"cannot split {value!r} into words: {exc.message}")
        return None


def parse_port(spec: str) -> tuple[list[Tree], str]:
    """Short-syntax port (nat.ParsePortSpec) -> long-syntax entries and the ignored host IP."""
    proto = "tcp"
    body = spec
    if "/" in spec:
        body, proto = spec.rsplit("/", 1)
        proto = proto.lower()
        if proto not in ("tcp", "udp", "sctp"):
            raise ValueError(f"invalid protocol {proto!r} in port {spec!r}; use tcp, udp or sctp")
    parts = body.split(":")
    target = parts[-1]
    host_ip, published = "", ""
    if len(parts) == 2:
        published = parts[0]
    elif len(parts) == 3:
        host_ip, published = parts[0], parts[1]
    elif len(parts) > 3:
        host_ip, published = ":".join(parts[:-2]), parts[-2]
    host_ip = host_ip.strip("[]")
    start, end = _port_range(target, spec)
    if published:
        pstart, pend = _port_range(published, spec)
        if pend - pstart != end - start and end != start:
            raise ValueError(f"invalid port {spec!r}: published and target ranges differ in size")
    else:
        pstart = pend = 0
    entries: dict[str, Tree] = {}
    for offset in range(end - start + 1):
        entry: Tree = {"mode": "ingress", "target": start + offset}
        if published:
            entry["published"] = pstart + offset if pend - pstart == end - start else pstart
        entry["protocol"] = proto
        entries[f"{start + offset}/{proto}"] = entry
    # docker walks the expanded ports sorted as strings ("1000/tcp" < "998/tcp")
    return [entries[k] for k in sorted(entries)], host_ip


def _port_range(text: str, spec: str) -> tuple[int, int]:
    m = re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", text)
    if m is None:
        raise ValueError(f"invalid port {spec!r}")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else start
    if end < start:
        raise ValueError(f"invalid port range {text!r} in {spec!r}: the end is before the start")
    if start > 65535 or end > 65535:
        raise ValueError(f"invalid port {spec!r}: ports must be 1-65535")
    return start, end


def parse_volume(spec: str) -> Tree:
    """Short-syntax volume (docker 28.2 loader.ParseVolume) -> long syntax.

    Like docker, a one-letter segment followed by `:` is read as a Windows drive wherever it is,
    so `a::b` is the bind source `a:` and `vol:c:/data` targets `c:/data`.
    """
    if not spec:
        raise ValueError("empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": spec}
    source = target = ""
    options: list[str] = []
    buf = ""
    for ch in spec + "\0":
        if ch == ":" and len(buf) == 1 and buf.isalpha():
            buf += ch
            continue
        if ch not in (":", "\0"):
            buf += ch
            continue
        if not buf:
            raise ValueError("empty section between colons")
        if not source and ch == "\0":
            target = buf
        elif not source:
            source = buf
        elif not target:
            target = buf
        elif ch == ":":
            raise ValueError("too many colons")
        else:
            options = buf.split(",")
        buf = ""
    out: Tree = {"type": "bind" if _is_file_path(source) else "volume"}
    if source:
        out["source"] = source
    out["target"] = target
    read_only = False
    for option in options:
        if option == "ro":
            read_only = True
        elif option == "rw":
            read_only = False
        elif option == "nocopy":
            out["volume"] = {"nocopy": True}
        elif option in _BIND_OPTIONS:
            out["bind"] = {"propagation": option}
    if read_only:
        out["read_only"] = True
    return {k: out[k] for k in _VOLUME_ORDER if k in out}


def _windows_abs(path: str) -> bool:
    """docker's isAbs for Windows paths: a drive letter or UNC prefix followed by a separator."""
    if len(path) >= 3 and path[0].isalpha() and path[1] == ":":
        return path[2] in "\\/"
    if path.startswith(("\\\\", "//")):
        return True
    return False


def _is_file_path(source: str) -> bool:
    if not source:
        return False
    if source[0] in "./~":
        return True
    if len(source) == 1:
        return False
    return source.startswith("\\\\") or (source[0].isalpha() and source[1] == ":")


def _file_refs(self: Normalizer, value: list[Any], path: Path) -> list[Tree]:
    out: list[Tree] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append({"source": item})
        else:
            out.append({k: item[k] for k in ("source", "target", "uid", "gid", "mode") if k in item})
        self.origin(out[-1], path + (i,))
    return out


def _build(self: Normalizer, value: Any, path: Path) -> Tree:
    if isinstance(value, str):
        return {"context": value}
    out = dict(value)
    if "args" in out and out["args"] is not None:
        out["args"] = mapping(out["args"], allow_nil=True)
    if "labels" in out and out["labels"] is not None:
        out["labels"] = labels(out["labels"])
    if out.get("extra_hosts") is not None:
        out["extra_hosts"] = hosts_list(out["extra_hosts"])
    if isinstance(out.get("cache_from"), str):
        out["cache_from"] = [out["cache_from"]]
    return out


_SIZE = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?\s*[kKmMgGtTpP]?[iI]?[bB]?\s*$")  # go-units RAMInBytes


def size_ok(text: str) -> bool:
    """True when `text` is a size docker's loader reads (`512M`, `1.5g`, `1024`)."""
    return _SIZE.match(text) is not None


def _deploy(self: Normalizer, value: Any, path: Path) -> Tree | None:
    if not value:
        return None
    out = {k: v for k, v in value.items() if v is not None}
    if "labels" in out:
        out["labels"] = labels(out["labels"])
    resources = out.get("resources") or {}
    for part in ("limits", "reservations"):
        memory = (resources.get(part) or {}).get("memory")
        if isinstance(memory, str) and not size_ok(memory):
            # docker's loader fails here (transformSize), before anything else
            self.issue(path + ("resources", part, "memory"), f'invalid size "{memory}" (use e.g. 512M or 1.5G)')
    return out


def _healthcheck(self: Normalizer, value: Any, path: Path) -> Tree:
    out = {k: v for k, v in value.items() if v is not None}
    if isinstance(out.get("test"), str):
        out["test"] = ["CMD-SHELL", out["test"]]
    return out


def _logging(self: Normalizer, value: Any, path: Path) -> Tree:
    out = {k: v for k, v in value.items() if v is not None}
    if "options" in out:
        out["options"] = {k: go_sprint(v) if v is not None else "" for k, v in sorted(out["options"].items())}
    return out


def _service_networks(self: Normalizer, value: Any, path: Path) -> Tree:
    if isinstance(value, list):
        return {name: None for name in sorted(value)}
    return {k: value[k] for k in sorted(value)}


def hosts_list(value: Any) -> list[str]:
    """extra_hosts as docker's transformHostsList: `host:ip` strings, `[ip]` brackets removed.

    A mapping is sorted and drops null values; a list entry may use `=` or `:` and is dropped
    without either.
    """
    pairs: list[str] = []
    if isinstance(value, dict):
        pairs = sorted(f"{k}:{go_sprint(v)}" for k, v in value.items() if v is not None)
    else:
        for entry in value:
            text = go_sprint(entry)
            for sep in ("=", ":"):
                host, found, ip = text.partition(sep)
                if found:
                    pairs.append(f"{host}:{ip}")
                    break
    out = []
    for pair in pairs:
        host, _, ip = pair.partition(":")
        if len(ip) > 2 and ip[0] == "[" and ip[-1] == "]":
            ip = ip[1:-1]
        out.append(f"{host}:{ip}")
    return out


def _extra_hosts(self: Normalizer, value: Any, path: Path) -> list[str]:
    return hosts_list(value)


def _expose(self: Normalizer, value: Any, path: Path) -> list[str]:
    return [go_sprint(v) for v in value]


def _ignored_env(self: Normalizer, value: Any, path: Path) -> Any:
    # env_file is printed as written; its content is merged into environment by `service`
    return string_list(value) if value is not None else None


_Handler = Callable[[Normalizer, Any, Path], Any]
_SERVICE_KEYS: dict[str, _Handler] = {
    "build": _build,
    "command": _shell,
    "entrypoint": _shell,
    "configs": _file_refs,
    "secrets": _file_refs,
    "deploy": _deploy,
    "dns": lambda self, v, p: string_list(v),
    "dns_search": lambda self, v, p: string_list(v),
    "tmpfs": lambda self, v, p: string_list(v),
    "env_file": _ignored_env,
    "environment": lambda self, v, p: None,  # filled in by Normalizer.environment
    "expose": _expose,
    "extra_hosts": _extra_hosts,
    "healthcheck": _healthcheck,
    "labels": lambda self, v, p: labels(v),
    "logging": _logging,
    "networks": _service_networks,
    "ports": Normalizer.ports,
    "sysctls": lambda self, v, p: {k: go_sprint(x) if x is not None else "" for k, x in sorted(mapping(v, False).items())},
    "volumes": Normalizer.volumes,
}


def default_environ() -> dict[str, str]:
    """The process environment (what docker interpolates from)."""
    return dict(os.environ)
