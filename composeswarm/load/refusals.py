"""Values the schema lets through but docker refuses: its loader (numbers decoded into Go unsigned
integers) or, once networks and secrets were already created, the engine (swarmkit's validation).

`unsigned` runs per file after the schema, as docker's loader does (so `config` refuses them too);
`check_service` runs with the whole-project checks, because `docker stack config` prints such files.
Messages are docker's and the engine's, as measured with CLI 28.2 and dockerd 20.10.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from composeswarm.dockerrules.units import float32, parse_cpus, parse_duration, ram_in_bytes
from composeswarm.errors import ConvertError, Issue, Path, Severity
from composeswarm.load.model import Position, issue_at

Reporter = Callable[[Path, str, Severity], None]

# Service keys docker decodes into unsigned integers, with the field names its decoder reports.
_UNSIGNED: dict[tuple[str, ...], tuple[str, int]] = {
    ("deploy", "replicas"): ("Deploy.Replicas", 64),
    ("deploy", "update_config", "parallelism"): ("Deploy.update_config.Parallelism", 64),
    ("deploy", "rollback_config", "parallelism"): ("Deploy.rollback_config.Parallelism", 64),
    ("deploy", "restart_policy", "max_attempts"): ("Deploy.restart_policy.max_attempts", 64),
    ("deploy", "placement", "max_replicas_per_node"): ("Deploy.Placement.max_replicas_per_node", 64),
    ("healthcheck", "retries"): ("HealthCheck.Retries", 64),
}
_MAX_INT64 = (1 << 63) - 1


def _get(tree: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def _overflow(name: str, value: Any, bits: int) -> str | None:
    """docker's refusal of `value` for an unsigned field, or None."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if value < 0:
        return f"cannot parse '{name}', {value} overflows uint"
    if value >= 1 << bits:
        # docker reads a number this large as a float and wraps it around; refuse it instead
        return f"cannot parse '{name}', {value} overflows uint{bits}"
    return None


def unsigned(data: Mapping[str, Any], file: str, positions: Mapping[Path, Position]) -> list[Issue]:
    """Negative (or too large) numbers where docker wants an unsigned integer."""
    issues: list[Issue] = []
    services = data.get("services")
    for name, svc in (services or {}).items() if isinstance(services, dict) else ():
        for keys, (field, bits) in _UNSIGNED.items():
            problem = _overflow(field, _get(svc, keys), bits)
            if problem is not None:
                issues.append(issue_at(positions, ("services", name) + keys, problem, file))
        for kind in ("secrets", "configs"):
            refs = svc.get(kind) if isinstance(svc, dict) else None
            for i, ref in enumerate(refs if isinstance(refs, list) else []):
                problem = _overflow(f"{kind.capitalize()}[{i}].Mode", _get(ref, ("mode",)), 32)
                if problem is not None:
                    issues.append(issue_at(positions, ("services", name, kind, i, "mode"), problem, file))
    return issues


# --- what the engine refuses (the merged, normalised project) ------------------------------------

_CONDITIONS = ("none", "on-failure", "any")
_FAILURE_ACTIONS = ("pause", "continue", "rollback")
_HEALTH_DURATIONS = (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod"),
                     ("start_interval", "StartInterval"))
_MIN_HEALTH_NS = 1_000_000  # 1ms
# swarmkit's constraint grammar (manager/constraint): KEY == VALUE or KEY != VALUE
_CONSTRAINT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9\-_.]+")
_CONSTRAINT_VALUE = re.compile(r"[A-Za-z0-9:\-_\t\n\f\r .*()?+\[\]\\^$|/]+")


def _nanos(value: Any) -> int | None:
    """A duration in ns, or None when absent or not a duration (the schema reports those)."""
    if value is None or value == "":
        return None
    try:
        return parse_duration(value)
    except ConvertError:
        return None


def check_service(svc: Mapping[str, Any], base: Path, report: Reporter) -> None:
    """What the engine would refuse when the service is created, after the stack's networks were."""
    deploy = svc.get("deploy") or {}
    _check_policies(deploy, base + ("deploy",), report)
    health = svc.get("healthcheck") or {}
    for key, field in _HEALTH_DURATIONS:
        ns = _nanos(health.get(key))
        if ns is not None and ns != 0 and ns < _MIN_HEALTH_NS:
            report(base + ("healthcheck", key),
                   f'{field} in HealthConfig cannot be less than 1ms, got "{health[key]}"', "error")
    mode = str(deploy.get("endpoint_mode") or "").lower()
    if mode not in ("", "vip", "dnsrr"):
        report(base + ("deploy", "endpoint_mode"),
               f'invalid resolution mode: "{deploy["endpoint_mode"]}"; use vip or dnsrr', "error")
    if deploy.get("replicas") is not None and deploy["replicas"] > _MAX_INT64:
        report(base + ("deploy", "replicas"),
               f"number of replicas must be non-negative: the engine reads {deploy['replicas']} as negative "
               f"(at most {_MAX_INT64})", "error")
    if deploy.get("mode") in ("replicated-job", "global-job") and deploy.get("update_config") is not None:
        report(base + ("deploy", "update_config"), "jobs may not have an update config", "error")
    _check_resources(deploy.get("resources") or {}, base + ("deploy", "resources"), report)
    for i, constraint in enumerate((deploy.get("placement") or {}).get("constraints") or []):
        problem = constraint_problem(str(constraint))
        if problem is not None:
            report(base + ("deploy", "placement", "constraints", i), problem, "error")
    _check_duplicates(svc, base, report)


def _check_policies(deploy: Mapping[str, Any], base: Path, report: Reporter) -> None:
    policy = deploy.get("restart_policy") or {}
    condition = policy.get("condition")
    if condition not in (None, "") and condition not in _CONDITIONS:
        report(base + ("restart_policy", "condition"),
               f'invalid RestartCondition: "{condition}"; use none, on-failure or any', "error")
    for key in ("delay", "window"):
        ns = _nanos(policy.get(key))
        if ns is not None and ns < 0:
            report(base + ("restart_policy", key), f'restart-{key} cannot be negative, got "{policy[key]}"', "error")
    for block in ("update_config", "rollback_config"):
        cfg = deploy.get(block) or {}
        action = cfg.get("failure_action")
        if action not in (None, "") and action not in _FAILURE_ACTIONS:
            report(base + (block, "failure_action"),
                   f"unrecognized update failure action {action}; use pause, continue or rollback", "error")
        for key in ("delay", "monitor"):
            ns = _nanos(cfg.get(key))
            if ns is not None and ns < 0:
                report(base + (block, key), f'update-{key} cannot be negative, got "{cfg[key]}"', "error")
        ratio = cfg.get("max_failure_ratio")
        if isinstance(ratio, (int, float)) and not 0 <= float32(ratio) <= 1:
            report(base + (block, "max_failure_ratio"),
                   f"update-maxfailureratio cannot be less than 0 or bigger than 1, got {ratio}", "error")


def _check_resources(resources: Mapping[str, Any], base: Path, report: Reporter) -> None:
    for part in ("limits", "reservations"):
        spec = resources.get(part) or {}
        try:
            cpus = parse_cpus(spec["cpus"]) if spec.get("cpus") not in (None, "") else 0
        except ConvertError:
            cpus = 0  # reported by the checks of the CPU syntax
        if 0 < cpus < 1_000_000:
            report(base + (part, "cpus"), f"invalid cpu value {spec['cpus']}: Must be at least 0.001", "error")
        try:
            memory = ram_in_bytes(spec["memory"]) if spec.get("memory") not in (None, "") else 0
        except ConvertError:
            memory = 0
        if 0 < memory < 4 * 1024 * 1024:
            report(base + (part, "memory"), f"invalid memory value {memory}: Must be at least 4MiB", "error")


def constraint_problem(constraint: str) -> str | None:
    """Why swarm refuses a placement constraint (its grammar: `KEY == VALUE`, `KEY != VALUE`), or None."""
    for op in ("==", "!="):
        if op not in constraint:
            continue
        key, _, value = constraint.partition(op)
        key, value = key.strip(), value.strip()
        if _CONSTRAINT_KEY.fullmatch(key) is None:
            return f"key '{key}' is invalid (in constraint '{constraint}')"
        if _CONSTRAINT_VALUE.fullmatch(value) is None:
            return f"value '{value}' is invalid (in constraint '{constraint}')"
        return None
    return f"constraint expected one operator from ==, != (in '{constraint}')"


def _check_duplicates(svc: Mapping[str, Any], base: Path, report: Reporter) -> None:
    """Published ports (per protocol) and mount targets must be unique in a service."""
    published: dict[tuple[int, str], int] = {}
    for i, port in enumerate(svc.get("ports") or []):
        number = port.get("published")
        if not number:
            continue
        key = (number, str(port.get("protocol") or "tcp"))
        if key in published:
            report(base + ("ports", i), f"duplicate published port {number}/{key[1]} (also ports[{published[key]}])",
                   "error")
        published.setdefault(key, i)
    targets: dict[str, int] = {}
    for i, vol in enumerate(svc.get("volumes") or []):
        target = vol.get("target") if isinstance(vol, dict) else None
        if not target:
            continue
        if target in targets:
            report(base + ("volumes", i), f"duplicate mount point: {target} (also volumes[{targets[target]}])", "error")
        targets.setdefault(target, i)
