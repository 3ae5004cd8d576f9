"""`ports` and `deploy.endpoint_mode` -> EndpointSpec (always present)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.gosort import go_sort_slice


def _port(index: int, port: Any) -> dict[str, Any]:
    """One long-syntax port, copied with no defaults (the engine fills tcp/ingress)."""
    if not isinstance(port, Mapping):
        raise ConvertError((index,), f"expected the long port syntax (a mapping), got {port!r}")
    out: dict[str, Any] = {}
    if port.get("protocol"):
        out["Protocol"] = str(port["protocol"])
    if port.get("target"):
        out["TargetPort"] = int(port["target"])
    if port.get("published"):
        out["PublishedPort"] = int(port["published"])
    if port.get("mode"):
        out["PublishMode"] = str(port["mode"])
    return out


def convert_endpoint_spec(endpoint_mode: Any, ports: list[Any] | None) -> dict[str, Any]:
    """EndpointSpec as CLI 28.2 builds it: ports ordered by Go's unstable sort on PublishedPort."""
    configs = [_port(i, p) for i, p in enumerate(ports or [])]
    configs = go_sort_slice(
        configs, lambda a, b: a.get("PublishedPort", 0) < b.get("PublishedPort", 0)
    )
    out: dict[str, Any] = {}
    mode = str(endpoint_mode or "").lower()
    if mode:
        out["Mode"] = mode
    if configs:
        out["Ports"] = configs
    return out
