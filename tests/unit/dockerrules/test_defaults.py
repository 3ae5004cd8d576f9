"""dockerrules.defaults: as_stored, a spec as the engine keeps it (its defaults filled, what API 1.41
does not know dropped)."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.dockerrules.defaults import as_stored


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        pytest.param(
            {"TaskTemplate": {"ContainerSpec": {"Image": "a", "Privileges": {"CredentialSpec": None, "SELinuxContext": None,
                                                                             "NoNewPrivileges": False},
                                                "Healthcheck": {"Test": ["NONE"], "StartInterval": 1}, "OomScoreAdj": 3}},
             "Mode": {"Replicated": {}}, "EndpointSpec": {}},
            {"TaskTemplate": {"ContainerSpec": {"Image": "a", "Privileges": {"CredentialSpec": None, "SELinuxContext": None},
                                                "Healthcheck": {"Test": ["NONE"]}, "Isolation": "default"},
                              "ForceUpdate": 0, "Runtime": "container"},
             "Mode": {"Replicated": {"Replicas": 1}}, "EndpointSpec": {"Mode": "vip"}},
            id="fields API 1.41 does not know dropped; defaults filled",
        ),
        pytest.param(
            {"TaskTemplate": {"RestartPolicy": {"Delay": 5}}, "Mode": {"ReplicatedJob": {}},
             "UpdateConfig": {"Parallelism": 1, "MaxFailureRatio": 0, "Order": ""},
             "EndpointSpec": {"Mode": "dnsrr", "Ports": [{"TargetPort": 80}]}},
            {"TaskTemplate": {"RestartPolicy": {"Condition": "any", "Delay": 5, "MaxAttempts": 0}, "ForceUpdate": 0,
                              "Runtime": "container"},
             "Mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}},
             "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "MaxFailureRatio": 0, "Order": "stop-first"},
             "EndpointSpec": {"Mode": "dnsrr", "Ports": [{"TargetPort": 80, "Protocol": "tcp", "PublishMode": "ingress"}]}},
            id="restart policy, job counts, update config and port defaults",
        ),
    ],
)
def test_as_stored(sent: dict[str, Any], stored: dict[str, Any]) -> None:
    assert as_stored(sent) == stored
