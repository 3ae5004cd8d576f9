"""Secrets and configs: the objects a stack creates and the references services carry."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.limits import data_limit, data_problem
from composeswarm.load.reading import TooLarge, read_bounded
from composeswarm.dockerrules.stacknames import Namespace, str_map, with_stack_label
from composeswarm.convert.network import declared_name, engine_name, is_external

DEFAULT_FILE_MODE = 0o444


def _read(path: str, kind: str) -> bytes:
    """The content of a secret/config file, with the os error worded as Go's os.ReadFile words it.

    Read up to swarm's limit only (`file: /dev/zero` must not fill memory): more is refused.
    """
    try:
        return read_bounded(path, data_limit(kind) - 1)
    except TooLarge:
        raise ConvertError(("file",), f"read {path}: {data_problem(kind, data_limit(kind))}") from None
    except IsADirectoryError:
        raise ConvertError(("file",), f"read {path}: is a directory") from None
    except FileNotFoundError:
        raise ConvertError(("file",), f"open {path}: no such file or directory") from None
    except PermissionError:
        raise ConvertError(("file",), f"open {path}: permission denied") from None
    except OSError as exc:
        raise ConvertError(("file",), f"open {path}: {exc.strerror}") from None


def convert_objects(
    kind: str, objects: Mapping[str, Any], ns: Namespace, working_dir: str, inline: Mapping[str, bytes] | None = None,
    *, read_files: bool = True,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(engine name -> spec for each non-external secret/config, sorted external engine names).

    `kind` is "secret" or "config". Every non-external entry is created, used or not, as docker does.
    Without `read_files` (a rollback: the content is the recorded digest's), a file-based one has Data None.
    `inline` is the data of a Compose Specification file's `environment:` or `content:` entries, by name.
    """
    inline = inline or {}
    created: dict[str, dict[str, Any]] = {}
    external: list[str] = []
    for key in sorted(objects):
        cfg = objects[key] or {}
        if is_external(cfg):
            external.append(declared_name(cfg) or key)
            continue
        name = declared_name(cfg) or ns.scope(key)
        spec: dict[str, Any] = {"Name": name, "Labels": with_stack_label(ns, cfg.get("labels"))}
        try:
            driver = cfg.get("driver") if kind == "secret" else None
            if driver:
                if cfg.get("file"):
                    raise ConvertError(
                        ("driver",), f"secret {key}: secret.driver and secret.file conflict; only use secret.driver"
                    )
                spec["Data"] = b""
                spec["Driver"] = {"Name": str(driver)}
                if cfg.get("driver_opts"):
                    spec["Driver"]["Options"] = str_map(cfg["driver_opts"])
            elif key in inline:
                spec["Data"] = inline[key]
                problem = data_problem(kind, len(inline[key]))
                if problem is not None:
                    raise ConvertError(("environment" if "environment" in cfg else "content",), problem)
            elif not read_files:
                spec["Data"] = None
            else:
                path = str(cfg.get("file") or "")
                # docker resolves an empty `file` to the working directory, and then fails to read it
                spec["Data"] = _read(os.path.join(working_dir, path) if path else working_dir, kind)
        except ConvertError as exc:
            raise exc.under(key) from None
        if cfg.get("template_driver"):
            spec["Templating"] = {"Name": str(cfg["template_driver"])}
        created[name] = spec
    return created, sorted(set(external))


def _reference(
    kind: str, index: int, ref: Any, objects: Mapping[str, Any], ns: Namespace
) -> dict[str, Any]:
    """One service-level secret/config reference with docker's file defaults (uid/gid 0, mode 0444)."""
    if isinstance(ref, str):
        ref = {"source": ref}
    source = str(ref.get("source") or "")
    if source not in objects:
        raise ConvertError((index, "source"), f'undefined {kind} "{source}"')
    name = engine_name(source, objects[source], ns)
    mode = ref.get("mode")
    file_target = {
        "Name": str(ref.get("target") or source),
        "UID": str(ref.get("uid") or "0"),
        "GID": str(ref.get("gid") or "0"),
        "Mode": DEFAULT_FILE_MODE if mode is None else int(mode),
    }
    if kind == "secret":
        return {"File": file_target, "SecretID": "", "SecretName": name}
    return {"File": file_target, "ConfigID": "", "ConfigName": name}


def sort_key(entry: Mapping[str, Any], name_key: str) -> tuple[str, int, str]:
    """Order of references: by name (docker's rule, a stable sort), file references before the
    Runtime one docker appends for a credential spec, then by file target where docker's is random."""
    file_target = entry.get("File")
    if file_target is None:
        return (str(entry[name_key]), 1, "")
    return (str(entry[name_key]), 0, str(file_target.get("Name", "")))


def convert_references(kind: str, refs: list[Any] | None, objects: Mapping[str, Any], ns: Namespace) -> list[dict[str, Any]]:
    """A service's `secrets:` or `configs:` -> references, sorted by name then file target."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, ref in enumerate(refs or []):
        entry = _reference(kind, index, ref, objects, ns)
        target = entry["File"]["Name"]
        if target in seen:
            name = entry["SecretName" if kind == "secret" else "ConfigName"]
            raise ConvertError((index,), f"duplicate {kind} target for {name} not allowed")
        seen.add(target)
        out.append(entry)
    key = "SecretName" if kind == "secret" else "ConfigName"
    out.sort(key=lambda e: sort_key(e, key))
    return out


def credential_spec_config(
    service: Mapping[str, Any], configs: Mapping[str, Any], ns: Namespace
) -> dict[str, Any] | None:
    """The Runtime config reference a `credential_spec: {config: x}` adds, or None."""
    spec = service.get("credential_spec") or {}
    key = spec.get("config")
    if not key:
        return None
    if key not in configs:
        raise ConvertError(("credential_spec", "config"), f'undefined config "{key}"')
    name = engine_name(str(key), configs[key], ns)
    return {"Runtime": {}, "ConfigID": "", "ConfigName": name}
