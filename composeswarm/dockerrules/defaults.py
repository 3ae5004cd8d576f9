"""What the engine on this machine (dockerd 20.10, API 1.41) stores for a spec we send.

`docker stack deploy` and composeswarm send the same bytes; the engine then fills defaults and
drops fields it does not know. `as_stored(spec)` predicts `GET /services/{id}` `.Spec` from the
spec sent, so the parity test can compare like with like and the plan can read a live spec right.
Each rule was measured on the engine (tests/integration/test_convert_parity.py); see
docs/engine-defaults.md.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# Fields API 1.41 (Engine 20.10) does not know: the engine ignores them when decoding the request.
_UNKNOWN_CONTAINER_FIELDS = ("OomScoreAdj",)
_UNKNOWN_HEALTHCHECK_FIELDS = ("StartInterval",)
_UNKNOWN_PRIVILEGE_FIELDS = ("NoNewPrivileges",)
# A spec that sets each of them (the plan asks which of its fields an older engine may drop).
SPEC_OF_UNKNOWN_FIELDS: dict[str, Any] = {
    "TaskTemplate": {
        "ContainerSpec": {
            **{key: 1 for key in _UNKNOWN_CONTAINER_FIELDS},
            "Healthcheck": {key: 1 for key in _UNKNOWN_HEALTHCHECK_FIELDS},
            "Privileges": {key: True for key in _UNKNOWN_PRIVILEGE_FIELDS},
        }
    }
}

# What the engine stores for a field the sender left empty.
ISOLATION = "default"
RUNTIME = "container"
ENDPOINT_MODE = "vip"
UPDATE_FAILURE_ACTION = "pause"
UPDATE_ORDER = "stop-first"
RESTART_CONDITION = "any"


def as_stored(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`spec` (a ServiceSpec as sent, IDs bound) as the engine returns it after create/update."""
    out: dict[str, Any] = copy.deepcopy(dict(spec))
    task = out.setdefault("TaskTemplate", {})
    container = task.get("ContainerSpec")
    if container is not None:
        for key in _UNKNOWN_CONTAINER_FIELDS:
            container.pop(key, None)
        health = container.get("Healthcheck")
        if health is not None:
            for key in _UNKNOWN_HEALTHCHECK_FIELDS:
                health.pop(key, None)
        privileges = container.get("Privileges")
        if privileges is not None:
            for key in _UNKNOWN_PRIVILEGE_FIELDS:
                privileges.pop(key, None)
        container.setdefault("Isolation", ISOLATION)
    restart = task.get("RestartPolicy")
    if restart is not None:
        restart.setdefault("Condition", RESTART_CONDITION)
        restart.setdefault("MaxAttempts", 0)
        task["RestartPolicy"] = _ordered(restart, ("Condition", "Delay", "MaxAttempts", "Window"))
    task.setdefault("ForceUpdate", 0)
    task.setdefault("Runtime", RUNTIME)
    mode = out.setdefault("Mode", {})
    if not mode:
        mode["Replicated"] = {}
    if "Replicated" in mode:
        mode["Replicated"].setdefault("Replicas", 1)
    if "ReplicatedJob" in mode:
        mode["ReplicatedJob"].setdefault("MaxConcurrent", 1)
        mode["ReplicatedJob"].setdefault("TotalCompletions", 1)
    for key in ("UpdateConfig", "RollbackConfig"):
        update = out.get(key)
        if update is not None:
            update.setdefault("FailureAction", UPDATE_FAILURE_ACTION)
            if not update.get("Order"):
                update["Order"] = UPDATE_ORDER
            out[key] = _ordered(
                update, ("Parallelism", "Delay", "FailureAction", "Monitor", "MaxFailureRatio", "Order")
            )
    endpoint = out.setdefault("EndpointSpec", {})
    endpoint.setdefault("Mode", ENDPOINT_MODE)
    for port in endpoint.get("Ports") or []:
        port.setdefault("Protocol", "tcp")
        port.setdefault("PublishMode", "ingress")
    return out


def _ordered(value: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """`value` with its keys in Go's field order."""
    return {k: value[k] for k in order if k in value}
