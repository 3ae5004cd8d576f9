"""The rest of `deploy:`: mode and replicas, restart policy (with the legacy `restart:`), update and
rollback configs, placement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.units import duration_or_none, float32, parse_duration

_UINT64 = 1 << 64


def convert_mode(mode: Any, replicas: Any) -> dict[str, Any]:
    """ServiceMode; Replicas stays absent when not written (the engine then stores 1)."""
    mode = mode or ""
    if mode in ("global", "global-job"):
        if replicas is not None:
            raise ConvertError(("replicas",), "replicas can only be used with replicated or replicated-job mode")
        return {"Global": {}} if mode == "global" else {"GlobalJob": {}}
    if mode == "replicated-job":
        job: dict[str, Any] = {}
        if replicas is not None:
            job = {"MaxConcurrent": int(replicas), "TotalCompletions": int(replicas)}
        return {"ReplicatedJob": job}
    if mode in ("replicated", ""):
        return {"Replicated": {} if replicas is None else {"Replicas": int(replicas)}}
    raise ConvertError(("mode",), f"Unknown mode: {mode}")


def _legacy_restart(restart: str) -> dict[str, Any] | None:
    """CLI 28.2's reading of the service-level `restart:` (before the 29.5 rewrite)."""
    if restart == "":
        return None
    name, colon, count_text = restart.partition(":")
    if colon and name == "":
        raise ConvertError((), "invalid restart policy format: no policy provided before colon")
    count = 0
    if count_text != "":
        try:
            count = int(count_text, 10)
        except ValueError:
            raise ConvertError((), "invalid restart policy format: maximum retry count must be an integer") from None
    if name in ("", "no"):
        return None
    if name in ("always", "unless-stopped"):
        return {"Condition": "any"}
    if name == "on-failure":
        # Go converts the int to uint64, so a negative count wraps around
        return {"Condition": "on-failure", "MaxAttempts": count % _UINT64}
    raise ConvertError((), f"unknown restart policy: {restart}")


def convert_restart_policy(restart: Any, policy: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """RestartPolicy or None; `deploy.restart_policy` (copied, no defaults) wins over `restart:`.

    Error paths are relative to the service.
    """
    if policy is None:
        try:
            return _legacy_restart(str(restart or ""))
        except ConvertError as exc:
            raise exc.under("restart") from None
    out: dict[str, Any] = {}
    if policy.get("condition"):
        out["Condition"] = str(policy["condition"])
    for key, field in (("delay", "Delay"), ("max_attempts", "MaxAttempts"), ("window", "Window")):
        value = policy.get(key)
        if value is None:
            continue
        if key == "max_attempts":
            out[field] = int(value)
            continue
        try:
            out[field] = parse_duration(value)
        except ConvertError as exc:
            raise exc.under("deploy", "restart_policy", key) from None
    return out


def convert_update_config(cfg: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """UpdateConfig/RollbackConfig: None when absent; Parallelism 1 when omitted; no other defaults."""
    if cfg is None:
        return None
    out: dict[str, Any] = {"Parallelism": 1 if cfg.get("parallelism") is None else int(cfg["parallelism"])}
    for key, field in (("delay", "Delay"), ("failure_action", "FailureAction"), ("monitor", "Monitor")):
        value = cfg.get(key)
        if value in (None, ""):
            continue
        if field == "FailureAction":
            out[field] = str(value)
            continue
        try:
            ns = parse_duration(value)
        except ConvertError as exc:
            raise exc.under(key) from None
        if ns:
            out[field] = ns
    out["MaxFailureRatio"] = float32(cfg.get("max_failure_ratio") or 0)
    out["Order"] = str(cfg.get("order") or "")
    # Go writes struct fields in declaration order
    order = ("Parallelism", "Delay", "FailureAction", "Monitor", "MaxFailureRatio", "Order")
    return {k: out[k] for k in order if k in out}


def convert_placement(placement: Mapping[str, Any] | None) -> dict[str, Any]:
    """Placement (always present): Constraints, Spread preferences, MaxReplicas."""
    placement = placement or {}
    out: dict[str, Any] = {}
    if placement.get("constraints"):
        out["Constraints"] = [str(c) for c in placement["constraints"]]
    prefs = [
        {"Spread": {"SpreadDescriptor": str((p or {}).get("spread") or "")}}
        for p in placement.get("preferences") or []
    ]
    if prefs:
        out["Preferences"] = prefs
    if placement.get("max_replicas_per_node"):
        out["MaxReplicas"] = int(placement["max_replicas_per_node"])
    return out


def stop_grace_period(value: Any) -> int | None:
    """`stop_grace_period` in ns, or None when unset."""
    return duration_or_none(value)
