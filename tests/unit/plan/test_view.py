"""plan.view service_view: what the engine stores and what was sent read the same; real changes do not."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.plan.view import service_view

Json = dict[str, Any]


def spec(task: Json | None = None, container: Json | None = None, **top: Any) -> Json:
    """A minimal ServiceSpec with the given parts."""
    out: Json = {
        "Name": "st_web",
        "Labels": {"com.docker.stack.image": "local/busybox:1", "com.docker.stack.namespace": "st"},
        "TaskTemplate": {"ContainerSpec": {"Image": "local/busybox:1", **(container or {})}, **(task or {})},
    }
    out.update(top)
    return out


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        pytest.param(spec(Mode={"Replicated": {}}), spec(Mode={"Replicated": {"Replicas": 1}}), id="nil replicas stored as 1"),
        pytest.param(spec(), spec(Mode={"Replicated": {"Replicas": 1}}), id="no mode at all"),
        pytest.param(
            spec(EndpointSpec={"Ports": [{"TargetPort": 80, "PublishedPort": 8080}]}),
            spec(EndpointSpec={"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}]}),
            id="port protocol and mode defaults",
        ),
        pytest.param(
            spec(EndpointSpec={"Ports": [{"TargetPort": 81, "PublishedPort": 9}, {"TargetPort": 80, "PublishedPort": 8}]}),
            spec(EndpointSpec={"Ports": [{"TargetPort": 80, "PublishedPort": 8}, {"TargetPort": 81, "PublishedPort": 9}]}),
            id="port order",
        ),
        pytest.param(
            spec(task={"Runtime": "", "ForceUpdate": 0}, container={"Isolation": ""}),
            spec(task={"Runtime": "container", "ForceUpdate": 7}, container={"Isolation": "default"}),
            id="runtime isolation force-update",
        ),
        pytest.param(
            spec(container={"Privileges": {"CredentialSpec": None, "SELinuxContext": None, "NoNewPrivileges": False}, "DNSConfig": {}}),
            spec(container={"Privileges": {"CredentialSpec": None, "SELinuxContext": None}}),
            id="empty privileges and dns",
        ),
        pytest.param(
            spec(UpdateConfig={"Parallelism": 2, "Order": "", "MaxFailureRatio": 0}),
            spec(UpdateConfig={"Parallelism": 2, "FailureAction": "pause", "Order": "stop-first", "MaxFailureRatio": 0}),
            id="update config defaults",
        ),
        pytest.param(
            spec(task={"RestartPolicy": {"Delay": 5_000_000_000}}),
            spec(task={"RestartPolicy": {"Condition": "any", "Delay": 5_000_000_000, "MaxAttempts": 0}}),
            id="restart policy defaults",
        ),
        pytest.param(
            spec(container={"Env": ["B=2", "A=1"]}),
            spec(container={"Env": ["A=1", "B=2"]}),
            id="env order",
        ),
        pytest.param(
            spec(task={"Networks": [{"Target": "st_b", "Aliases": ["web"]}, {"Target": "st_a", "Aliases": ["x", "web"]}]}),
            spec(task={"Networks": [{"Target": "ida", "Aliases": ["web", "x"]}, {"Target": "idb", "Aliases": ["web"]}]}),
            id="network IDs order and aliases",
        ),
        pytest.param(
            spec(container={"Secrets": [{"File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "", "SecretName": "st_s"}]}),
            spec(container={"Secrets": [{"File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "x1", "SecretName": "st_s"}]}),
            id="secret IDs",
        ),
        pytest.param(
            spec(task={"Placement": {"Constraints": ["b==1", "a==1"]}}),
            spec(task={"Placement": {"Constraints": ["a==1", "b==1"]}}),
            id="constraint order",
        ),
    ],
)
def test_same_meaning_same_view(sent: Json, stored: Json) -> None:
    names = {"ida": "st_a", "idb": "st_b"}
    assert service_view(sent, names) == service_view(stored, names)


@pytest.mark.parametrize(
    ("before", "after", "path"),
    [
        pytest.param(spec(Mode={"Replicated": {"Replicas": 1}}), spec(Mode={"Replicated": {"Replicas": 0}}), "deploy.replicas", id="scaled to zero"),
        pytest.param(spec(UpdateConfig={"Parallelism": 1}), spec(UpdateConfig={"Parallelism": 0}), "deploy.update_config.parallelism", id="parallelism 0 means all"),
        pytest.param(spec(container={"Env": ["A=1"]}), spec(container={"Env": ["A="]}), "environment.A", id="empty env value"),
        pytest.param(spec(container={"Env": ["A="]}), spec(container={"Env": ["A"]}), "environment.A", id="bare env name"),
        pytest.param(spec(container={"Args": ["a", "b"]}), spec(container={"Args": ["b", "a"]}), "command", id="argument order matters"),
        pytest.param(
            spec(container={"Image": "local/busybox:1"}),
            spec(container={"Image": "local/busybox:1@sha256:" + "b" * 64}),
            "TaskTemplate.ContainerSpec.Image",
            id="a pin is detail the plan decides on (it keeps the live one)",
        ),
        pytest.param(spec(container={"StopGracePeriod": 10**9}), spec(container={"StopGracePeriod": 2 * 10**9}), "stop_grace_period", id="grace period"),
    ],
)
def test_real_changes_show(before: Json, after: Json, path: str) -> None:
    a, b = service_view(before), service_view(after)
    assert [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)] == [path]


def test_view_uses_compose_words() -> None:
    view = service_view(
        spec(
            container={"Env": ["FOO=1"], "Args": ["sleep", "1"], "StopGracePeriod": 90 * 10**9, "Init": True},
            task={"Resources": {"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 52428800}}},
            Mode={"Replicated": {"Replicas": 3}},
            EndpointSpec={"Ports": [{"TargetPort": 80, "PublishedPort": 8080}]},
        )
    )
    assert view == {
        "image": "local/busybox:1",
        "deploy.labels.com.docker.stack.namespace": "st",
        "command": ["sleep", "1"],
        "init": True,
        "stop_grace_period": "1m30s",
        "environment.FOO": "1",
        "deploy.resources.limits.cpus": "0.5",
        "deploy.resources.limits.memory": 52428800,
        "deploy.mode": "replicated",
        "deploy.replicas": 3,
        "ports[0].published": 8080,
        "ports[0].target": 80,
        "ports[0].protocol": "tcp",
        "ports[0].mode": "ingress",
    }


def test_fields_without_compose_words_keep_their_api_path() -> None:
    view = service_view(spec(task={"Placement": {"Platforms": [{"OS": "linux"}]}}, container={"Unheard": "x"}))
    assert (view["TaskTemplate.Placement.Platforms"], view["TaskTemplate.ContainerSpec.Unheard"]) == ([{"OS": "linux"}], "x")
