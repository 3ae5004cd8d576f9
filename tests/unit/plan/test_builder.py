"""make_plan: desired against live, as data (no engine: live objects are the JSON the engine returns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from composeswarm.dockerrules.defaults import as_stored
from composeswarm.engine.live import LiveStack
from composeswarm.plan.builder import make_plan
from composeswarm.plan.changes import FieldChange
from composeswarm.plan.rotation import DIGEST_LABEL, content_digest, versioned_name

Json = dict[str, Any]


@dataclass
class Desired:
    stack: str = "st"
    networks: dict[str, Json] = field(default_factory=dict)
    external_networks: list[str] = field(default_factory=list)
    secrets: dict[str, Json] = field(default_factory=dict)
    configs: dict[str, Json] = field(default_factory=dict)
    services: dict[str, Json] = field(default_factory=dict)


def sent(name: str = "st_web", image: str = "local/busybox:1", **extra: Any) -> Json:
    """A ServiceSpec as the converter builds it (what docker stack deploy sends)."""
    container: Json = {"Image": image, "Labels": {"com.docker.stack.namespace": "st"}, "Privileges": {"CredentialSpec": None, "SELinuxContext": None}}
    container.update(extra.pop("container", {}))
    spec: Json = {
        "Name": name,
        "Labels": {"com.docker.stack.image": image, "com.docker.stack.namespace": "st"},
        "TaskTemplate": {"ContainerSpec": container, "Resources": {}, "Placement": {}, "Networks": [{"Target": "st_default", "Aliases": ["web"]}]},
        "Mode": {"Replicated": {}},
        "EndpointSpec": {"Mode": "vip"},
    }
    spec.update(extra)
    return spec


def stored(spec: Json, ident: str = "svc1", index: int = 10) -> Json:
    """The same spec as the engine returns it: defaults filled (`as_stored`), network IDs, pinned image."""
    s = as_stored(spec)
    task = s["TaskTemplate"]
    task["ForceUpdate"] = 3
    task["Networks"] = [dict(n, Target="netid1") for n in task["Networks"]]
    task["ContainerSpec"]["Image"] += "@sha256:" + "a" * 64
    return {"ID": ident, "Version": {"Index": index}, "Spec": s}


NET = {"Name": "st_default", "Id": "netid1", "Driver": "overlay", "Labels": {"com.docker.stack.namespace": "st"}}


def test_unchanged_stack_plans_nothing() -> None:
    spec = sent(EndpointSpec={"Mode": "vip", "Ports": [{"TargetPort": 80, "PublishedPort": 8080}]})
    desired = Desired(networks={"st_default": {"Name": "st_default", "Driver": "overlay", "Labels": NET["Labels"]}}, services={"st_web": spec})
    live = LiveStack("st", services=[stored(spec)], networks=[NET])
    plan = make_plan(desired, live)
    assert plan.changes == ()
    assert plan.unchanged == (("network", "st_default"), ("service", "st_web"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"Mode": {"Replicated": {"Replicas": 4}}}, [FieldChange("deploy.replicas", 1, 4)], id="replicas"),
        pytest.param(
            {"container": {"Env": ["FOO=2"]}},
            [FieldChange("environment.FOO", "1", "2")],
            id="env value",
        ),
        pytest.param(
            {"container": {"Env": ["DB_PASSWORD=2"]}},
            [FieldChange("environment.DB_PASSWORD", "1", "2", sensitive=True)],
            id="sensitive env value",
        ),
    ],
)
def test_one_changed_field(change: Json, expected: list[FieldChange]) -> None:
    base_env = {"container": {"Env": ["DB_PASSWORD=1" if "DB_PASSWORD" in str(change) else "FOO=1"]}}
    live_spec = sent(**base_env)
    desired = Desired(services={"st_web": sent(**{**base_env, **change})})
    plan = make_plan(desired, LiveStack("st", services=[stored(live_spec)], networks=[NET]))
    assert [c.action for c in plan.changes] == ["update"]
    assert list(plan.changes[0].fields) == expected


def test_update_keeps_force_update_and_pinned_image() -> None:
    live = stored(sent())
    desired = Desired(services={"st_web": sent(Mode={"Replicated": {"Replicas": 2}})})
    change = make_plan(desired, LiveStack("st", services=[live], networks=[NET])).changes[0]
    assert change.desired is not None
    assert change.desired["TaskTemplate"]["ForceUpdate"] == 3
    assert change.desired["TaskTemplate"]["ContainerSpec"]["Image"] == "local/busybox:1@sha256:" + "a" * 64


def test_new_image_tag_is_sent_unpinned() -> None:
    live = stored(sent())
    desired = Desired(services={"st_web": sent(image="local/busybox:2")})
    change = make_plan(desired, LiveStack("st", services=[live], networks=[NET])).changes[0]
    assert change.fields == (FieldChange("image", "local/busybox:1", "local/busybox:2"),)
    assert change.desired is not None
    assert change.desired["TaskTemplate"]["ContainerSpec"]["Image"] == "local/busybox:2"


def test_mode_change_is_a_replace() -> None:
    live = stored(sent())
    desired = Desired(services={"st_web": sent(Mode={"Global": {}})})
    change = make_plan(desired, LiveStack("st", services=[live], networks=[NET])).changes[0]
    assert (change.action, change.fields) == (
        "replace",
        (FieldChange("deploy.mode", "replicated", "global"), FieldChange("deploy.replicas", 1, None)),
    )


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        pytest.param("paused", "its update is paused: sent again to resume", id="paused"),
        pytest.param("rollback_paused", "its rollback is paused: sent again to resume", id="rollback paused"),
    ],
)
def test_a_paused_update_of_an_unchanged_service_is_sent_again(state: str, reason: str) -> None:
    live = dict(stored(sent()), UpdateStatus={"State": state, "Message": "update paused due to failure"})
    plan = make_plan(Desired(services={"st_web": sent()}), LiveStack("st", services=[live], networks=[NET]))
    assert [(c.action, c.name, c.fields, c.reason) for c in plan.changes] == [("update", "st_web", (), reason)]


def test_a_completed_update_plans_nothing() -> None:
    live = dict(stored(sent()), UpdateStatus={"State": "completed", "Message": "update completed"})
    assert make_plan(Desired(services={"st_web": sent()}), LiveStack("st", services=[live], networks=[NET])).changes == ()


@pytest.mark.parametrize("prune", [pytest.param(False, id="kept"), pytest.param(True, id="pruned")])
def test_service_not_in_file(prune: bool) -> None:
    live = LiveStack("st", services=[stored(sent("st_old"))])
    plan = make_plan(Desired(), live, prune=prune)
    assert [(c.action, c.name) for c in plan.changes] == ([("remove", "st_old")] if prune else [])
    assert plan.notes == (() if prune else ("service st_old is not in the file; --prune removes it",))


def test_empty_swarm_creates_everything_in_order() -> None:
    desired = Desired(
        networks={"st_default": {"Name": "st_default"}},
        secrets={"st_s": {"Name": "st_s", "Labels": {}, "Data": b"x"}},
        configs={"st_c": {"Name": "st_c", "Labels": {}, "Data": b"y"}},
        services={"st_web": sent()},
    )
    plan = make_plan(desired, LiveStack("st"))
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [
        ("network", "create", "st_default"),
        ("secret", "create", "st_s"),
        ("config", "create", "st_c"),
        ("service", "create", "st_web"),
    ]
    assert plan.changes[1].desired == {"Name": "st_s", "Labels": {DIGEST_LABEL: content_digest(b"x")}, "Data": b"x"}


def _secret(name: str, digest: str | None, ident: str = "sec1") -> Json:
    labels = {"com.docker.stack.namespace": "st"}
    if digest:
        labels[DIGEST_LABEL] = digest
    return {"ID": ident, "Version": {"Index": 5}, "Spec": {"Name": name, "Labels": labels}}


def _with_secret(name: str) -> Json:
    ref = {"File": {"Name": "s", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "", "SecretName": name}
    return sent(container={"Secrets": [ref]})


def test_rotation_creates_version_moves_services_then_removes_old() -> None:
    old = content_digest(b"old")
    new_name = versioned_name("st_s", content_digest(b"new"))
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": {"com.docker.stack.namespace": "st"}, "Data": b"new"}}, services={"st_web": _with_secret("st_s")})
    live_service = stored(_with_secret("st_s"))
    live = LiveStack("st", services=[live_service], networks=[NET], secrets=[_secret("st_s", old)])
    plan = make_plan(desired, live)
    assert [(c.kind, c.action, c.name, c.part_of) for c in plan.changes] == [
        ("secret", "replace", new_name, None),
        ("service", "update", "st_web", None),
        ("secret", "remove", "st_s", new_name),
    ]
    assert plan.changes[1].fields == (FieldChange("secrets[0].source", "st_s", new_name),)
    assert plan.summary() == {"create": 0, "update": 1, "replace": 1, "remove": 0, "unchanged": 0}


def test_rotated_secret_unchanged_keeps_its_versioned_name() -> None:
    digest = content_digest(b"new")
    name = versioned_name("st_s", digest)
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": {"com.docker.stack.namespace": "st"}, "Data": b"new"}}, services={"st_web": _with_secret("st_s")})
    live = LiveStack("st", services=[stored(_with_secret(name))], networks=[NET], secrets=[_secret(name, digest)])
    plan = make_plan(desired, live)
    assert plan.changes == ()
    assert plan.unchanged == (("secret", name), ("service", "st_web"))


def test_secret_without_digest_counts_as_unchanged() -> None:
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": {"com.docker.stack.namespace": "st"}, "Data": b"new"}})
    plan = make_plan(desired, LiveStack("st", secrets=[_secret("st_s", None)]))
    assert plan.changes == ()
    assert plan.unchanged == (("secret", "st_s"),)
    assert plan.notes == (
        "secret st_s has no content digest (not created by composeswarm): "
        "the engine never returns secret data, so it is taken as unchanged",
    )


def test_versioned_name_respects_swarm_limit() -> None:
    name = versioned_name("s" * 70, "0123456789abcdef")
    assert (len(name), name[-11:]) == (64, "_0123456789")


def test_unchanged_image_keeps_resolved_platforms() -> None:
    live = stored(sent())
    platforms = [{"Architecture": "amd64", "OS": "linux"}]
    live["Spec"]["TaskTemplate"]["Placement"] = {"Platforms": platforms}
    plan = make_plan(Desired(services={"st_web": sent()}), LiveStack("st", services=[live], networks=[NET]))
    assert plan.changes == ()


def test_host_network_id_nobody_lists_pairs_with_the_name() -> None:
    spec = sent()
    spec["TaskTemplate"]["Networks"] = [{"Target": "st_default", "Aliases": ["web"]}, {"Target": "host"}]
    live = stored(spec)
    live["Spec"]["TaskTemplate"]["Networks"] = [{"Target": "netid1", "Aliases": ["web"]}, {"Target": "swarmhostid"}]
    plan = make_plan(Desired(services={"st_web": spec}), LiveStack("st", services=[live], networks=[NET]))
    assert plan.changes == ()


@pytest.mark.parametrize(
    ("body", "note"),
    [
        pytest.param(
            {"Name": "st_default", "Driver": "overlay", "Labels": NET["Labels"], "Attachable": True},
            "network st_default differs from the file (attachable False -> True); networks are never updated "
            "(as with docker stack deploy): remove the stack to recreate it",
            id="changed network is a note",
        ),
        pytest.param(None, "network st_default is no longer used by the files; it is left in place (as docker does)", id="unused network"),
    ],
)
def test_networks_are_never_changed(body: Json | None, note: str) -> None:
    desired = Desired(networks={"st_default": body} if body else {})
    plan = make_plan(desired, LiveStack("st", networks=[NET]))
    assert (plan.changes, plan.notes) == ((), (note,))


def test_rotated_credential_spec_config_follows() -> None:
    new_name = versioned_name("st_cred", content_digest(b"new"))
    spec = sent(container={
        "Configs": [{"Runtime": {}, "ConfigID": "", "ConfigName": "st_cred"}],
        "Privileges": {"CredentialSpec": {"Config": "st_cred"}, "SELinuxContext": None},
    })
    live_spec = stored(spec)
    live_spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"][0]["ConfigID"] = "cid"
    live_spec["Spec"]["TaskTemplate"]["ContainerSpec"]["Privileges"]["CredentialSpec"]["Config"] = "cid"
    old_config = {"ID": "cid", "Version": {"Index": 3}, "Spec": {"Name": "st_cred", "Labels": {}, "Data": "b2xk"}}
    desired = Desired(configs={"st_cred": {"Name": "st_cred", "Labels": {}, "Data": b"new"}}, services={"st_web": spec})
    plan = make_plan(desired, LiveStack("st", services=[live_spec], networks=[NET], configs=[old_config]))
    assert plan.changes[1].fields == (
        FieldChange("credential_spec.config", "st_cred", new_name),
        FieldChange("configs[0].source", "st_cred", new_name),
    )


@pytest.mark.parametrize(
    ("desired_image", "fields"),
    [
        pytest.param("local/busybox:1", (), id="not asked again: the live pin stays"),
        pytest.param("local/busybox:1@sha256:" + "a" * 64, (), id="asked again: same digest"),
        pytest.param(
            "local/busybox:1@sha256:" + "c" * 64,
            (FieldChange("image", "local/busybox:1@sha256:" + "a" * 64, "local/busybox:1@sha256:" + "c" * 64),),
            id="asked again: the tag moved",
        ),
    ],
)
def test_resolved_digest_under_an_unchanged_label(desired_image: str, fields: tuple[FieldChange, ...]) -> None:
    desired_spec = sent()
    desired_spec["TaskTemplate"]["ContainerSpec"]["Image"] = desired_image
    plan = make_plan(Desired(services={"st_web": desired_spec}), LiveStack("st", services=[stored(sent())], networks=[NET]))
    assert tuple(f for c in plan.changes for f in c.fields) == fields


def test_leftover_old_version_is_removed_unless_a_service_outside_the_plan_uses_it() -> None:
    digest = content_digest(b"new")
    name = versioned_name("st_s", digest)
    labels = {"com.docker.stack.namespace": "st"}
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": labels, "Data": b"new"}}, services={"st_web": _with_secret("st_s")})
    live_secrets = [_secret("st_s", content_digest(b"old"), "sec0"), _secret(name, digest, "sec1")]
    plan = make_plan(desired, LiveStack("st", services=[stored(_with_secret(name))], networks=[NET], secrets=live_secrets))
    assert [(c.kind, c.action, c.name, c.part_of) for c in plan.changes] == [("secret", "remove", "st_s", None)]

    stray = stored(_with_secret("st_s"), ident="svc2")
    stray["Spec"]["Name"] = "st_stray"
    plan = make_plan(desired, LiveStack("st", services=[stored(_with_secret(name)), stray], secrets=live_secrets), network_names={"netid1": "st_default"})
    assert (plan.changes, plan.notes) == (
        (),
        (
            "secret st_s is an old version but service st_stray still uses it; it is kept",
            "service st_stray is not in the file; --prune removes it",
        ),
    )


def test_a_version_a_retained_revision_uses_is_kept_not_retired() -> None:
    old, new = content_digest(b"old"), content_digest(b"new")
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": {"com.docker.stack.namespace": "st"}, "Data": b"new"}}, services={"st_web": _with_secret("st_s")})
    live = LiveStack("st", services=[stored(_with_secret("st_s"))], networks=[NET], secrets=[_secret("st_s", old)])
    plan = make_plan(desired, live, keep={"st_s"})
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [
        ("secret", "replace", versioned_name("st_s", new)), ("service", "update", "st_web"),
    ]
    assert "secret st_s is an old version kept for the stack's history (--history-limit)" in plan.notes


def test_a_pinned_secret_without_data_goes_back_to_the_version_with_that_digest() -> None:
    old, new = content_digest(b"old"), content_digest(b"new")
    new_name = versioned_name("st_s", new)
    desired = Desired(secrets={"st_s": {"Name": "st_s", "Labels": {"com.docker.stack.namespace": "st"}, "Data": None}}, services={"st_web": _with_secret("st_s")})
    live = LiveStack("st", services=[stored(_with_secret(new_name))], networks=[NET],
                     secrets=[_secret("st_s", old, "sec1"), _secret(new_name, new, "sec2")])
    plan = make_plan(desired, live, pinned={"st_s": old}, keep={new_name})
    assert [(c.kind, c.action, c.name) for c in plan.changes] == [("service", "update", "st_web")]
    assert plan.changes[0].fields == (FieldChange("secrets[0].source", new_name, "st_s"),)
    assert ("secret", "st_s") in plan.unchanged


@dataclass
class SpecDesired(Desired):
    left_out: list[str] = field(default_factory=list)
    spec_note: str | None = None


@pytest.mark.parametrize("prune", [pytest.param(False, id="without --prune"), pytest.param(True, id="with --prune")])
def test_service_left_out_by_profiles_is_kept(prune: bool) -> None:
    live = LiveStack("st", services=[stored(sent("st_debug")), stored(sent("st_old"))])
    desired = SpecDesired(left_out=["st_debug"], spec_note="note: these files use Compose Specification keys (x)")
    plan = make_plan(desired, live, prune=prune)
    assert [(c.action, c.name) for c in plan.changes] == ([("remove", "st_old")] if prune else [])
    assert plan.notes == (
        "these files use Compose Specification keys (x)",
        "service st_debug is left out by the active profiles; it is kept, even with --prune",
    ) + (() if prune else ("service st_old is not in the file; --prune removes it",))
