"""`deploy.resources` -> TaskTemplate.Resources (always present, `{}` when nothing is set)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.units import parse_cpus, ram_in_bytes


def _cpus_memory(block: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        cpus = parse_cpus(block["cpus"]) if block.get("cpus") not in (None, "") else 0
    except ConvertError as exc:
        raise exc.under("cpus") from None
    try:
        memory = ram_in_bytes(block["memory"]) if block.get("memory") not in (None, "") else 0
    except ConvertError as exc:
        raise exc.under("memory") from None
    if cpus:
        out["NanoCPUs"] = cpus
    if memory:
        out["MemoryBytes"] = memory
    return out


def _generic(resources: list[Any] | None) -> list[dict[str, Any]]:
    out = []
    for res in resources or []:
        entry: dict[str, Any] = {}
        spec = (res or {}).get("discrete_resource_spec")
        if spec is not None:
            discrete: dict[str, Any] = {}
            if spec.get("kind"):
                discrete["Kind"] = str(spec["kind"])
            if spec.get("value"):
                discrete["Value"] = int(spec["value"])
            entry["DiscreteResourceSpec"] = discrete
        out.append(entry)
    return out


def convert_resources(resources: Mapping[str, Any] | None) -> dict[str, Any]:
    """Limits `{NanoCPUs, MemoryBytes, Pids}` and Reservations `{NanoCPUs, MemoryBytes, GenericResources}`."""
    resources = resources or {}
    out: dict[str, Any] = {}
    limits = resources.get("limits")
    if limits is not None:
        try:
            block = _cpus_memory(limits)
        except ConvertError as exc:
            raise exc.under("limits") from None
        if limits.get("pids"):
            block["Pids"] = int(limits["pids"])
        out["Limits"] = block
    reservations = resources.get("reservations")
    if reservations is not None:
        try:
            block = _cpus_memory(reservations)
        except ConvertError as exc:
            raise exc.under("reservations") from None
        generic = _generic(reservations.get("generic_resources"))
        if generic:
            block["GenericResources"] = generic
        out["Reservations"] = block
    return out
