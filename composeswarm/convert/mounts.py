"""Service `volumes` (long syntax) -> ContainerSpec.Mounts, one converter per mount type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.stacknames import Namespace, str_map, with_stack_label
from composeswarm.convert.network import engine_name, is_external
from composeswarm.dockerrules.units import ram_in_bytes

_OPTION_BLOCKS = ("bind", "volume", "image", "tmpfs", "cluster")
# the words docker uses for each option block in its "incompatible" errors
_BLOCK_WORD = {"bind": "bind", "volume": "volume", "image": "image", "tmpfs": "tmpfs", "cluster": "cluster"}


def _base(vol: Mapping[str, Any], mount_type: str) -> dict[str, Any]:
    """The fields every mount type copies as written."""
    out: dict[str, Any] = {"Type": mount_type}
    if vol.get("source"):
        out["Source"] = str(vol["source"])
    if vol.get("target"):
        out["Target"] = str(vol["target"])
    if vol.get("read_only"):
        out["ReadOnly"] = True
    if vol.get("consistency"):
        out["Consistency"] = str(vol["consistency"])
    return out


def _reject_blocks(vol: Mapping[str, Any], mount_type: str, allowed: tuple[str, ...], order: tuple[str, ...]) -> None:
    """docker's `<x> options are incompatible with type <y>`, checked in docker's order."""
    for block in order:
        if block not in allowed and vol.get(block) is not None:
            word = "images" if (block == "image" and mount_type == "volume") else _BLOCK_WORD[block]
            raise ConvertError((block,), f"{word} options are incompatible with type {mount_type}")


def _volume_mount(vol: Mapping[str, Any], volumes: Mapping[str, Any], ns: Namespace) -> dict[str, Any]:
    out = _base(vol, "volume")
    _reject_blocks(vol, "volume", ("volume",), ("image", "tmpfs", "bind", "cluster"))
    source = vol.get("source")
    if not source:
        return out
    if source not in volumes:
        raise ConvertError(("source",), f'undefined volume "{source}"')
    cfg = volumes[source] or {}
    out["Source"] = engine_name(str(source), cfg, ns)
    opts: dict[str, Any] = {}
    block = vol.get("volume") or {}
    if block.get("nocopy"):
        opts["NoCopy"] = True
    if not is_external(cfg):
        opts["Labels"] = with_stack_label(ns, cfg.get("labels"))
    if block.get("subpath"):
        opts["Subpath"] = str(block["subpath"])
    if not is_external(cfg) and (cfg.get("driver") or cfg.get("driver_opts") is not None):
        driver: dict[str, Any] = {}
        if cfg.get("driver"):
            driver["Name"] = str(cfg["driver"])
        if cfg.get("driver_opts"):
            driver["Options"] = str_map(cfg["driver_opts"])
        opts["DriverConfig"] = driver
    out["VolumeOptions"] = opts
    return out


def _bind_mount(vol: Mapping[str, Any]) -> dict[str, Any]:
    out = _base(vol, "bind")
    if not vol.get("source"):
        raise ConvertError(("source",), "invalid bind source, source cannot be empty")
    _reject_blocks(vol, "bind", ("bind",), ("volume", "image", "tmpfs", "cluster"))
    if vol.get("bind") is not None:
        out["BindOptions"] = _propagation(vol["bind"])
    return out


def _propagation(block: Mapping[str, Any]) -> dict[str, Any]:
    prop = (block or {}).get("propagation")
    return {"Propagation": str(prop)} if prop else {}


def _tmpfs_mount(vol: Mapping[str, Any]) -> dict[str, Any]:
    out = _base(vol, "tmpfs")
    if vol.get("source"):
        raise ConvertError(("source",), "invalid tmpfs source, source must be empty")
    _reject_blocks(vol, "tmpfs", ("tmpfs",), ("bind", "volume", "image", "cluster"))
    if vol.get("tmpfs") is not None:
        size = (vol["tmpfs"] or {}).get("size")
        try:
            size_bytes = ram_in_bytes(size) if size is not None else 0
        except ConvertError as exc:
            raise exc.under("tmpfs", "size") from None
        out["TmpfsOptions"] = {"SizeBytes": size_bytes} if size_bytes else {}
    return out


def _npipe_mount(vol: Mapping[str, Any]) -> dict[str, Any]:
    out = _base(vol, "npipe")
    if not vol.get("source"):
        raise ConvertError(("source",), "invalid npipe source, source cannot be empty")
    _reject_blocks(vol, "npipe", ("bind",), ("volume", "image", "tmpfs"))
    if vol.get("bind") is not None:
        out["BindOptions"] = _propagation(vol["bind"])
    return out


def _cluster_mount(vol: Mapping[str, Any], volumes: Mapping[str, Any], ns: Namespace) -> dict[str, Any]:
    source = vol.get("source")
    if not source:
        raise ConvertError(("source",), "invalid cluster source, source cannot be empty")
    _reject_blocks(vol, "cluster", (), ("tmpfs", "bind", "volume"))
    out = _base(vol, "cluster")
    out["ClusterOptions"] = {}
    if not str(source).startswith("group:"):
        # a volume group is not namespaced and need not be declared
        if source not in volumes:
            raise ConvertError(("source",), f'undefined volume "{source}"')
        out["Source"] = engine_name(str(source), volumes[source] or {}, ns)
    return _ordered(out)


def _ordered(mount: dict[str, Any]) -> dict[str, Any]:
    """Keys in mount.Mount's field order, so the JSON matches Go's byte for byte."""
    order = ("Type", "Source", "Target", "ReadOnly", "Consistency", "BindOptions", "VolumeOptions",
             "ImageOptions", "TmpfsOptions", "ClusterOptions")
    return {k: mount[k] for k in order if k in mount}


def convert_mount(vol: Any, volumes: Mapping[str, Any], ns: Namespace) -> dict[str, Any]:
    """One service volume entry -> mount.Mount JSON."""
    if not isinstance(vol, Mapping):
        raise ConvertError((), f"expected the long volume syntax (a mapping), got {vol!r}")
    mount_type = vol.get("type") or "volume"
    if mount_type == "volume":
        return _ordered(_volume_mount(vol, volumes, ns))
    if mount_type == "bind":
        return _ordered(_bind_mount(vol))
    if mount_type == "tmpfs":
        return _ordered(_tmpfs_mount(vol))
    if mount_type == "npipe":
        return _ordered(_npipe_mount(vol))
    if mount_type == "cluster":
        return _cluster_mount(vol, volumes, ns)
    if mount_type == "image":
        out = _base(vol, "image")
        if not vol.get("source"):
            raise ConvertError(("source",), "invalid image source, source cannot be empty")
        _reject_blocks(vol, "image", ("image",), ("volume", "bind", "tmpfs", "cluster"))
        if vol.get("image") is not None:
            sub = (vol["image"] or {}).get("subpath")
            out["ImageOptions"] = {"Subpath": str(sub)} if sub else {}
        return _ordered(out)
    raise ConvertError(("type",), "volume type must be volume, bind, tmpfs, npipe, or cluster")


def convert_mounts(volumes_list: list[Any] | None, volumes: Mapping[str, Any], ns: Namespace) -> list[dict[str, Any]]:
    """All of a service's volumes, in the order written."""
    out = []
    for index, vol in enumerate(volumes_list or []):
        try:
            out.append(convert_mount(vol, volumes, ns))
        except ConvertError as exc:
            raise exc.under(index) from None
    return out
