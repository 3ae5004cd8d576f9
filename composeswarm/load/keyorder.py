"""Docker's key order (the field order of cli/compose/types), so `config` prints keys where docker does."""

from __future__ import annotations

from typing import Any

Tree = dict[str, Any]

VOLUME_ORDER = ("type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs")


# Field order of docker's types (cli/compose/types), so `config` prints keys where docker does.
SERVICE_ORDER = tuple((
    "build cap_add cap_drop cgroupns_mode cgroup_parent command configs container_name credential_spec depends_on "
    "deploy devices dns dns_search domainname entrypoint environment env_file expose external_links extra_hosts "
    "hostname healthcheck image init ipc isolation labels links logging mac_address network_mode networks pid ports "
    "privileged read_only restart secrets security_opt shm_size stdin_open stop_grace_period stop_signal sysctls "
    "tmpfs tty ulimits user oom_score_adj userns_mode volumes working_dir"
).split())


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


SECTION_ORDER = {
    "networks": ("name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "labels"),
    "volumes": ("name", "driver", "driver_opts", "external", "labels"),
    "secrets": ("name", "file", "external", "labels"),
    "configs": ("name", "file", "external", "labels"),
}


_RANKS: dict[tuple[str, ...], dict[str, int]] = {}


def in_order(tree: Tree, order: tuple[str, ...]) -> Tree:
    """`tree` with the keys of `order` first, in that order, then the others (x-*) as they came."""
    if len(order) > 2 * len(tree):
        # a service names a few of the 56 keys: sort its own (a stable sort keeps the others' order)
        rank = _RANKS.get(order)
        if rank is None:
            rank = _RANKS[order] = {k: i for i, k in enumerate(order)}
        last = len(order)
        return {k: tree[k] for k in sorted(tree, key=lambda k: rank.get(k, last))}
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
