"""ContainerSpec pieces: environment, extra hosts, healthcheck, capabilities, ulimits, DNS, commands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.units import duration_or_none
from composeswarm.dockerrules.shellwords import split_words
from composeswarm.load.shortsyntax import hosts_list

CAP_ALL = "ALL"
CAP_RESET = "RESET"


def convert_environment(env: Mapping[str, Any] | list[Any] | None) -> list[str]:
    """`KEY=VALUE` (or bare `KEY` for a None value), sorted as Go's sort.Strings sorts."""
    if not env:
        return []
    if isinstance(env, list):
        pairs: dict[str, Any] = {}
        for item in env:
            key, eq, value = str(item).partition("=")
            pairs[key] = value if eq else None
        env = pairs
    out = [str(k) if v is None else f"{k}={v}" for k, v in env.items()]
    # Go compares UTF-8 bytes; Python compares code points, which orders the same
    return sorted(out)


def convert_extra_hosts(hosts: Mapping[str, Any] | list[Any] | None) -> list[str]:
    """`host:ip` -> `ip host` in the order given, as docker's converter does.

    The loader's parse (`shortsyntax.hosts_list`) is applied first, so the raw forms a caller may
    hand over are read by the same rule; normalised `host:ip` entries pass through it unchanged.
    """
    if not hosts:
        return []
    return [f"{ip} {host}" for host, _, ip in (entry.partition(":") for entry in hosts_list(hosts))]


def shell_words(value: Any) -> list[str] | None:
    """`command`/`entrypoint`: a list as is, a string split as google/shlex splits it, None if unset."""
    if value is None:
        return None
    if isinstance(value, str):
        return split_words(value)
    return [str(v) for v in value]


def convert_healthcheck(hc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """HealthConfig; `disable` gives `["NONE"]`; durations in ns; zero values left out."""
    if hc is None:
        return None
    test = hc.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if hc.get("disable"):
        if test:
            raise ConvertError((), "test and disable can't be set at the same time")
        return {"Test": ["NONE"]}
    out: dict[str, Any] = {}
    if test:
        out["Test"] = [str(t) for t in test]
    for key, field in (
        ("interval", "Interval"),
        ("timeout", "Timeout"),
        ("start_period", "StartPeriod"),
        ("start_interval", "StartInterval"),
    ):
        try:
            value = duration_or_none(hc.get(key))
        except ConvertError as exc:
            raise exc.under(key) from None
        if value:
            out[field] = value
    if hc.get("retries"):
        out["Retries"] = int(hc["retries"])
    return out


def normalize_capability(cap: str) -> str:
    """Trim, upper-case, add `CAP_` (except ALL and RESET)."""
    cap = cap.strip().upper()
    if cap in (CAP_ALL, CAP_RESET):
        return cap
    return cap if cap.startswith("CAP_") else "CAP_" + cap


def effective_caps(add: list[Any] | None, drop: list[Any] | None) -> tuple[list[str], list[str]]:
    """(CapabilityAdd, CapabilityDrop) as opts.EffectiveCapAddCapDrop computes them."""
    add_caps = {normalize_capability(str(c)) for c in add or []}
    drop_caps = {normalize_capability(str(c)) for c in drop or []}
    if CAP_ALL in add_caps:
        add_caps = {CAP_ALL}
    if CAP_ALL in drop_caps:
        drop_caps = {CAP_ALL}
    cap_drop = sorted(c for c in drop_caps if c not in add_caps and c != CAP_RESET)
    cap_add = sorted(c for c in add_caps if c != CAP_RESET)
    return cap_add, cap_drop


def convert_ulimits(ulimits: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """`nofile: 1024` sets soft = hard; `{soft, hard}` as given; sorted by name."""
    out = []
    for name, value in sorted((ulimits or {}).items()):
        if isinstance(value, Mapping):
            single = int(value.get("single") or 0)
            soft, hard = (single, single) if single else (int(value.get("soft") or 0), int(value.get("hard") or 0))
        else:
            soft = hard = int(value)
        out.append({"Name": str(name), "Hard": hard, "Soft": soft})
    return out


def convert_dns(dns: Any, dns_search: Any) -> dict[str, Any] | None:
    """DNSConfig, None unless `dns` or `dns_search` is set."""
    if dns is None and dns_search is None:
        return None
    out: dict[str, Any] = {}
    servers = [dns] if isinstance(dns, str) else list(dns or [])
    search = [dns_search] if isinstance(dns_search, str) else list(dns_search or [])
    if servers:
        out["Nameservers"] = [str(s) for s in servers]
    if search:
        out["Search"] = [str(s) for s in search]
    return out


def convert_credential_spec(spec: Mapping[str, Any] | None, config_name: str | None) -> dict[str, Any] | None:
    """Privileges.CredentialSpec; a `config` is named by its engine name until bind_ids puts the ID in."""
    spec = spec or {}
    given = [f'"{k.capitalize()}"' for k in ("config", "file", "registry") if spec.get(k)]
    if not given:
        return None
    if len(given) == 2:
        raise ConvertError((), f"invalid credential spec: cannot specify both {given[0]} and {given[1]}")
    if len(given) > 2:
        raise ConvertError((), f"invalid credential spec: cannot specify both {', '.join(given[:-1])}, and {given[-1]}")
    return {
        "Config": config_name or "",
        "File": str(spec.get("file") or ""),
        "Registry": str(spec.get("registry") or ""),
    }
