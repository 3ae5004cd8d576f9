"""One validated file -> the shape `docker stack config` prints (docker CLI 28 `loader.Load`).

Short syntax becomes long syntax (ports, volumes, secrets, configs, build), string-or-list keys
become lists, list-or-mapping keys become mappings of strings, env_file is merged into
environment, bind sources and secret/config files become absolute, external objects get their
name. Problems found here (bad port specs, unreadable env files) are collected as Issues.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, Literal

from composeswarm.dockerrules.gofmt import go_sprint
from composeswarm.dockerrules.units import is_size
from composeswarm.errors import Issue, Path
from composeswarm.load.envfiles import read_env_file
from composeswarm.load.keyorder import DROPPED_BY_DOCKER, SECTION_ORDER, VOLUME_ORDER, in_order, ordered_service
from composeswarm.load.model import Entries, Position, issue_at
from composeswarm.load.servicekeys import SERVICE_KEYS
from composeswarm.load.shortsyntax import VOLUME_BLOCKS, labels, mapping, parse_port, parse_volume, windows_abs

Tree = dict[str, Any]


class Normalizer:
    """Normalises the sections of one file; `issues` collects what could not be read."""

    def __init__(
        self,
        file: str,
        version: str,
        working_dir: str,
        environ: Mapping[str, str],
        positions: Mapping[Path, Position],
        spec_env: Mapping[str, str] | None = None,
    ) -> None:
        self.file = file
        self.version = version
        self.working_dir = working_dir
        self.environ = environ
        # a Compose Specification file: its interpolation environment (process environment over .env or
        # --env-file), which compose-go fills value-less `environment:` and env_file entries from; docker
        # stack deploy (3.x files) reads neither file and fills them from the process environment
        self.spec_env = spec_env
        self.positions = positions
        self.issues: list[Issue] = []
        # id(long-syntax entry) -> where its short or long form was written, so positions can follow
        # entries that expansion (port ranges) and merging (re-sorting) move to other indices
        self.origins: dict[int, tuple[Position, dict[str, Position]]] = {}
        # service networks and depends_on, keyed by name once normalised: where each name was written
        self.entries: Entries = {}

    # --- helpers ---------------------------------------------------------------------------------

    def issue(self, path: Path, message: str, severity: Literal["error", "warning"] = "error") -> None:
        """Record a problem at `path` (positioned at it or its nearest ancestor)."""
        self.issues.append(issue_at(self.positions, path, message, self.file, severity))

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

    def entry(self, path: Path, raw: Path) -> None:
        """Remember that the name-keyed entry at `path` was written at `raw` (a list item or a key)."""
        pos = self.positions.get(raw)
        if pos is not None:
            self.entries[path] = (raw, pos)

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
                name: in_order(fn(name, entry or {}), SECTION_ORDER[section]) for name, entry in sorted(entries.items())
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
                if isinstance(capacity.get(key), str) and not is_size(capacity[key]):
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
            handler = SERVICE_KEYS.get(key)
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
        """env_file entries, then environment on top; empty or nil values filled from the shell, as docker
        does; in a Compose Specification file a nil value (`- KEY`) from the interpolation environment, as
        compose-go does (`KEY=` is still filled from the shell: docker stack deploy reads a file without
        `version:` so, where compose-go keeps it empty)."""
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
            if value is None and self.spec_env is not None:
                env[key] = self.spec_env.get(key)
            else:
                env[key] = shell if (value is None or value == "") and shell is not None else value

    def read_env_file(self, path: str, where: Path) -> dict[str, str | None]:
        """A service's env_file (docker's kvfile rules, `envfiles.read_env_file`); a problem is an Issue."""
        values, problem = read_env_file(path, self.environ if self.spec_env is None else self.spec_env)
        if problem is not None:
            self.issue(where, problem)
        return values

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
                vol = {k: item[k] for k in VOLUME_ORDER if k in item}
                for block, known in VOLUME_BLOCKS.items():
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
                vol["source"] = source if windows_abs(source) else self.abspath(source)
            self.origin(vol, path + (i,))
            out.append(vol)
        return out


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
