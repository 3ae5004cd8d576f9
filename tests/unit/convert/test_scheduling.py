"""convert.scheduling: mode, restart policy, update/rollback config, placement. Cases from docker/cli cli/compose/convert/service_test.go (v28.2.2) are marked."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.convert.scheduling import convert_mode, convert_placement, convert_restart_policy, convert_update_config
from composeswarm.errors import ConvertError


@pytest.mark.parametrize(
    ("mode", "replicas", "expected"),
    [
        pytest.param(None, None, {"Replicated": {}}, id="replicated without replicas: engine stores 1"),
        pytest.param("replicated", 0, {"Replicated": {"Replicas": 0}}, id="explicit zero survives"),
        pytest.param("replicated", 6, {"Replicated": {"Replicas": 6}}, id="replicas"),
        pytest.param("global", None, {"Global": {}}, id="global"),
        pytest.param("replicated-job", 3, {"ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 3}}, id="replicated job"),
        pytest.param("replicated-job", None, {"ReplicatedJob": {}}, id="replicated job without replicas"),
        pytest.param("global-job", None, {"GlobalJob": {}}, id="global job"),
    ],
)
def test_convert_mode(mode: Any, replicas: Any, expected: dict[str, Any]) -> None:
    assert convert_mode(mode, replicas) == expected


@pytest.mark.parametrize(
    ("mode", "replicas", "path", "message"),
    [
        pytest.param("global", 2, ("replicas",), "replicas can only be used with replicated or replicated-job mode",
                     id="global with replicas"),
        pytest.param("global-job", 1, ("replicas",), "replicas can only be used with replicated or replicated-job mode",
                     id="global job with replicas"),
        pytest.param("daemonset", None, ("mode",), "Unknown mode: daemonset", id="unknown mode"),
    ],
)
def test_convert_mode_errors(mode: str, replicas: Any, path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_mode(mode, replicas)
    assert (info.value.path, info.value.message) == (path, message)


@pytest.mark.parametrize(
    ("restart", "policy", "expected"),
    [
        pytest.param("no", None, None, id="docker: from none"),
        pytest.param(None, None, None, id="neither key"),
        pytest.param("always", None, {"Condition": "any"}, id="docker: from always"),
        pytest.param("unless-stopped", None, {"Condition": "any"}, id="unless-stopped"),
        pytest.param("always:3", None, {"Condition": "any"}, id="28.2 ignores a count on always"),
        pytest.param("on-failure:4", None, {"Condition": "on-failure", "MaxAttempts": 4}, id="docker: from failure"),
        pytest.param("on-failure", None, {"Condition": "on-failure", "MaxAttempts": 0},
                     id="28.2: on-failure without count is MaxAttempts 0"),
        pytest.param("on-failure:-1", None, {"Condition": "on-failure", "MaxAttempts": 2**64 - 1},
                     id="28.2: negative count wraps as uint64"),
        pytest.param("always", {"condition": "on-failure"}, {"Condition": "on-failure"},
                     id="restart_policy wins, no defaults"),
        pytest.param(None, {"condition": "on-failure", "delay": "5s", "max_attempts": 3, "window": "2m0s"},
                     {"Condition": "on-failure", "Delay": 5_000_000_000, "MaxAttempts": 3, "Window": 120_000_000_000},
                     id="full restart_policy"),
        pytest.param(None, {"delay": "0s", "max_attempts": 0}, {"Delay": 0, "MaxAttempts": 0},
                     id="explicit zeros survive (pointers in Go)"),
        pytest.param(None, {}, {}, id="empty restart_policy is an empty policy"),
    ],
)
def test_convert_restart_policy(restart: Any, policy: Any, expected: Any) -> None:
    assert convert_restart_policy(restart, policy) == expected


@pytest.mark.parametrize(
    ("restart", "policy", "path", "message"),
    [
        pytest.param("unknown", None, ("restart",), "unknown restart policy: unknown", id="docker: from unknown"),
        pytest.param(":3", None, ("restart",), "invalid restart policy format: no policy provided before colon",
                     id="no policy before colon"),
        pytest.param("on-failure:x", None, ("restart",),
                     "invalid restart policy format: maximum retry count must be an integer", id="count not a number"),
        pytest.param(None, {"delay": "5"}, ("deploy", "restart_policy", "delay"), 'time: missing unit in duration "5"',
                     id="bad delay"),
    ],
)
def test_convert_restart_policy_errors(restart: Any, policy: Any, path: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_restart_policy(restart, policy)
    assert (info.value.path, info.value.message) == (path, message)


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        pytest.param(None, None, id="absent: nil, no defaults"),
        pytest.param({}, {"Parallelism": 1, "MaxFailureRatio": 0, "Order": ""}, id="docker: defaults (parallelism 1, order empty)"),
        pytest.param({"parallelism": 4}, {"Parallelism": 4, "MaxFailureRatio": 0, "Order": ""}, id="docker: parallelism"),
        pytest.param({"parallelism": 0}, {"Parallelism": 0, "MaxFailureRatio": 0, "Order": ""}, id="explicit 0 means all at once"),
        pytest.param({"order": "start-first"}, {"Parallelism": 1, "MaxFailureRatio": 0, "Order": "start-first"},
                     id="docker: order start-first"),
        pytest.param(
            {"parallelism": 3, "delay": "10s", "failure_action": "continue", "monitor": "1m0s",
             "max_failure_ratio": 0.3, "order": "start-first"},
            {"Parallelism": 3, "Delay": 10_000_000_000, "FailureAction": "continue", "Monitor": 60_000_000_000,
             "MaxFailureRatio": 0.3, "Order": "start-first"},
            id="full-example update_config",
        ),
        pytest.param({"delay": "0s"}, {"Parallelism": 1, "MaxFailureRatio": 0, "Order": ""}, id="zero delay left out"),
    ],
)
def test_convert_update_config(cfg: Any, expected: Any) -> None:
    assert convert_update_config(cfg) == expected


def test_update_config_keys_in_go_order() -> None:
    out = convert_update_config({"order": "stop-first", "monitor": "5s", "failure_action": "pause", "delay": "1s"})
    assert list(out or {}) == ["Parallelism", "Delay", "FailureAction", "Monitor", "MaxFailureRatio", "Order"]


@pytest.mark.parametrize(
    ("placement", "expected"),
    [
        pytest.param(None, {}, id="always present, empty"),
        pytest.param(
            {"constraints": ["node=foo"], "preferences": [{"spread": "node.labels.az"}], "max_replicas_per_node": 5},
            {"Constraints": ["node=foo"], "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.az"}}], "MaxReplicas": 5},
            id="full-example placement",
        ),
        pytest.param({"constraints": []}, {}, id="empty lists left out"),
    ],
)
def test_convert_placement(placement: Any, expected: dict[str, Any]) -> None:
    assert convert_placement(placement) == expected
