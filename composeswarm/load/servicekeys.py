"""How each service key is normalised: one handler per key, called by `Normalizer.service`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from composeswarm.dockerrules.gofmt import go_sprint
from composeswarm.dockerrules.units import is_size
from composeswarm.errors import ConvertError, Path
from composeswarm.load.shortsyntax import hosts_list, labels, mapping, shell_command, string_list

Tree = dict[str, Any]


class NormalizerLike(Protocol):
    """What a handler asks of the normalizer that calls it (`load.normalizer.NormalizerLike`)."""

    def issue(self, path: Path, message: str) -> None: ...

    def origin(self, entry: Tree, raw: Path) -> None: ...

    def entry(self, path: Path, raw: Path) -> None: ...

    def ports(self, value: list[Any], path: Path) -> list[Tree]: ...

    def volumes(self, value: list[Any], path: Path) -> list[Tree]: ...


def _shell(self: NormalizerLike, value: Any, path: Path) -> list[str] | None:
    try:
        return shell_command(value) or None
    except ConvertError as exc:
        # docker: "EOF found when expecting closing quote"
        self.issue(path, f"cannot split {value!r} into words: {exc.message}")
        return None


def _file_refs(self: NormalizerLike, value: list[Any], path: Path) -> list[Tree]:
    out: list[Tree] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append({"source": item})
        else:
            out.append({k: item[k] for k in ("source", "target", "uid", "gid", "mode") if k in item})
        self.origin(out[-1], path + (i,))
    return out


def _build(self: NormalizerLike, value: Any, path: Path) -> Tree:
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


def _deploy(self: NormalizerLike, value: Any, path: Path) -> Tree | None:
    if not value:
        return None
    out = {k: v for k, v in value.items() if v is not None}
    if "labels" in out:
        out["labels"] = labels(out["labels"])
    resources = out.get("resources") or {}
    for part in ("limits", "reservations"):
        memory = (resources.get(part) or {}).get("memory")
        if isinstance(memory, str) and not is_size(memory):
            # docker's loader fails here (transformSize), before anything else
            self.issue(path + ("resources", part, "memory"), f'invalid size "{memory}" (use e.g. 512M or 1.5G)')
    return out


def _healthcheck(self: NormalizerLike, value: Any, path: Path) -> Tree:
    out = {k: v for k, v in value.items() if v is not None}
    if isinstance(out.get("test"), str):
        out["test"] = ["CMD-SHELL", out["test"]]
    return out


def _logging(self: NormalizerLike, value: Any, path: Path) -> Tree:
    out = {k: v for k, v in value.items() if v is not None}
    if "options" in out:
        out["options"] = {k: go_sprint(v) if v is not None else "" for k, v in sorted(out["options"].items())}
    return out


def _service_networks(self: NormalizerLike, value: Any, path: Path) -> Tree:
    _name_entries(self, value, path)
    if isinstance(value, list):
        return {name: None for name in sorted(value)}
    return {k: value[k] for k in sorted(value)}


def _depends_on(self: NormalizerLike, value: Any, path: Path) -> Any:
    _name_entries(self, value, path)
    return value


def _name_entries(self: NormalizerLike, value: Any, path: Path) -> None:
    """Where each name of a list-or-mapping of names was written: `[0]` in a list, the key in a mapping."""
    if isinstance(value, list):
        for i, name in enumerate(value):
            self.entry(path + (str(name),), path + (i,))
    elif isinstance(value, dict):
        for name in value:
            self.entry(path + (str(name),), path + (name,))


def _extra_hosts(self: NormalizerLike, value: Any, path: Path) -> list[str]:
    return hosts_list(value)


def _expose(self: NormalizerLike, value: Any, path: Path) -> list[str]:
    return [go_sprint(v) for v in value]


def _ignored_env(self: NormalizerLike, value: Any, path: Path) -> Any:
    # env_file is printed as written; its content is merged into environment by `service`
    return string_list(value) if value is not None else None


_Handler = Callable[[NormalizerLike, Any, Path], Any]


SERVICE_KEYS: dict[str, _Handler] = {
    "build": _build,
    "command": _shell,
    "entrypoint": _shell,
    "configs": _file_refs,
    "secrets": _file_refs,
    "deploy": _deploy,
    "depends_on": _depends_on,
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
    "ports": lambda self, v, p: self.ports(v, p),
    "sysctls": lambda self, v, p: {k: go_sprint(x) if x is not None else "" for k, x in sorted(mapping(v, False).items())},
    "volumes": lambda self, v, p: self.volumes(v, p),
}
