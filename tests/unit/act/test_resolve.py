"""act.resolve: --resolve-image always|changed|never as docker stack deploy resolves, against the
fake swarm's registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from composeswarm.act.apply import apply_plan
from composeswarm.engine.live import LiveStack
from composeswarm.plan.builder import make_plan
from composeswarm.act.resolve import check_mode, digest_warning, platforms_of, resolve_images, with_digest
from tests.support.fake_swarm import FakeSwarm, bind_names

DIGEST = "sha256:" + "a" * 64
OLD = "sha256:" + "b" * 64
AMD64 = {"Descriptor": {"digest": DIGEST}, "Platforms": [{"architecture": "amd64", "os": "linux"}]}


def spec(image: str, placement: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Name": "s_web",
        "Labels": {"com.docker.stack.image": image, "com.docker.stack.namespace": "s"},
        "TaskTemplate": {"ContainerSpec": {"Image": image}, "Placement": placement or {}},
    }


def live(label: str, image: str, platforms: list[dict[str, str]] | None = None) -> dict[str, Any]:
    s = spec(label, {"Platforms": platforms} if platforms else None)
    s["TaskTemplate"]["ContainerSpec"]["Image"] = image
    return {"ID": "x", "Version": {"Index": 3}, "Spec": s}


PINNED_OLD = f"127.0.0.1:5000/app:1@{OLD}"
LIVE_SAME = live("127.0.0.1:5000/app:1", PINNED_OLD, [{"Architecture": "amd64", "OS": "linux"}])
LIVE_OTHER = live("127.0.0.1:5000/app:0", f"127.0.0.1:5000/app:0@{OLD}")
PLATFORMS = [{"Architecture": "amd64", "OS": "linux"}]


@pytest.mark.parametrize(
    ("mode", "live_service", "image", "platforms", "asked"),
    [
        pytest.param("always", None, f"127.0.0.1:5000/app:1@{DIGEST}", PLATFORMS, True, id="create always: pinned"),
        pytest.param("changed", None, f"127.0.0.1:5000/app:1@{DIGEST}", PLATFORMS, True, id="create changed: pinned"),
        pytest.param("never", None, "127.0.0.1:5000/app:1", None, False, id="create never: tag only"),
        pytest.param("always", LIVE_SAME, f"127.0.0.1:5000/app:1@{DIGEST}", PLATFORMS, True,
                     id="update always, same image: asked again"),
        # the plan keeps the live pin and platforms (test_live_pin_kept_through_the_plan)
        pytest.param("changed", LIVE_SAME, "127.0.0.1:5000/app:1", None, False, id="update changed, same image: not asked"),
        pytest.param("never", LIVE_SAME, "127.0.0.1:5000/app:1", None, False, id="update never, same image: not asked"),
        pytest.param("changed", LIVE_OTHER, f"127.0.0.1:5000/app:1@{DIGEST}", PLATFORMS, True,
                     id="update changed, new image: asked"),
        pytest.param("never", LIVE_OTHER, "127.0.0.1:5000/app:1", None, False, id="update never, new image: tag only"),
    ],
)
def test_modes(mode: str, live_service: dict[str, Any] | None, image: str,
               platforms: list[dict[str, str]] | None, asked: bool) -> None:
    reg = FakeSwarm(images={"127.0.0.1:5000/app:1": AMD64})
    out = resolve_images({"s_web": spec("127.0.0.1:5000/app:1")}, [live_service] if live_service else [],
                         check_mode(mode), reg)
    task = out.services["s_web"]["TaskTemplate"]
    assert (task["ContainerSpec"]["Image"], task["Placement"].get("Platforms"), bool(reg.asked), out.warnings) == (
        image, platforms, asked, []
    )


def test_tag_normalised_and_label_kept_raw() -> None:
    out = resolve_images({"s_web": spec("redis")}, [], "never", FakeSwarm())
    assert out.services["s_web"]["TaskTemplate"]["ContainerSpec"]["Image"] == "redis:latest"
    assert out.services["s_web"]["Labels"]["com.docker.stack.image"] == "redis"


def test_lookup_failure_keeps_tag_and_warns_as_docker() -> None:
    out = resolve_images({"s_web": spec("127.0.0.1:5000/nope")}, [], "always", FakeSwarm())
    assert out.services["s_web"]["TaskTemplate"]["ContainerSpec"]["Image"] == "127.0.0.1:5000/nope:latest"
    assert out.warnings == [
        "image 127.0.0.1:5000/nope:latest could not be accessed on a registry to record\n"
        "its digest. Each node will access 127.0.0.1:5000/nope:latest independently,\n"
        "possibly leading to different nodes running different\n"
        "versions of the image.\n"
    ]
    assert out.warnings == [digest_warning("127.0.0.1:5000/nope:latest")]


def test_registry_auth_used_for_lookup_only_when_asked() -> None:
    reg = FakeSwarm(images={"127.0.0.1:5000/app:1": AMD64}, auth={"127.0.0.1:5000/app:1": "AUTH"})
    resolve_images({"s_web": spec("127.0.0.1:5000/app:1")}, [], "always", reg, registry_auth=True)
    resolve_images({"s_web": spec("127.0.0.1:5000/app:1")}, [], "always", reg)
    assert reg.asked == [("127.0.0.1:5000/app:1", "AUTH"), ("127.0.0.1:5000/app:1", None)]


def test_input_specs_are_not_mutated() -> None:
    given = spec("redis")
    resolve_images({"s_web": given}, [], "never", FakeSwarm())
    assert given == spec("redis")


@pytest.mark.parametrize(
    ("platforms", "expected"),
    [
        pytest.param([{"architecture": "amd64", "os": "linux"}, {"architecture": "unknown", "os": "unknown"}],
                     [{"Architecture": "amd64", "OS": "linux"}], id="attestation entries dropped"),
        pytest.param([{"architecture": "arm", "os": "linux", "variant": "v7"}, {"architecture": "ARM", "os": "linux", "variant": "v6"}],
                     [{"OS": "linux"}], id="arm loses its architecture, duplicates removed"),
        pytest.param([{"architecture": "arm64", "os": "linux", "variant": "v8"}, {"architecture": "arm64", "os": "linux"}],
                     [{"Architecture": "arm64", "OS": "linux"}], id="variants collapse"),
        pytest.param([], [], id="none"),
    ],
)
def test_platforms(platforms: list[dict[str, str]], expected: list[dict[str, str]]) -> None:
    assert platforms_of({"Platforms": platforms}) == expected


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param("redis:latest", f"redis:latest@{DIGEST}", id="tagged"),
        pytest.param("docker.io/library/redis:7", f"redis:7@{DIGEST}", id="familiar form"),
        pytest.param(f"redis:7@{OLD}", f"redis:7@{OLD}", id="already pinned"),
    ],
)
def test_with_digest(image: str, expected: str) -> None:
    assert with_digest(image, DIGEST) == expected


def test_unknown_mode_is_refused_with_dockers_text() -> None:
    with pytest.raises(ValueError) as info:
        check_mode("sometimes")
    assert str(info.value) == "Invalid option sometimes for flag --resolve-image"


def test_several_lookups_keep_the_services_order() -> None:
    names = [f"s_{i}" for i in range(9)]
    specs = {n: spec(f"127.0.0.1:5000/{n.replace('_', '')}:1") for n in names}
    reg = FakeSwarm(images={"127.0.0.1:5000/s4:1": AMD64})
    out = resolve_images(specs, [], "changed", reg)
    assert out.queried == names
    assert sorted(a for a, _ in reg.asked) == sorted(f"127.0.0.1:5000/{n.replace('_', '')}:1" for n in names)
    assert out.warnings == [digest_warning(f"127.0.0.1:5000/{n.replace('_', '')}:1") for n in names if n != "s_4"]
    assert out.services["s_4"]["TaskTemplate"]["ContainerSpec"]["Image"] == f"127.0.0.1:5000/s4:1@{DIGEST}"


@dataclass
class Desired:
    """What make_plan reads of a DesiredStack: one service."""

    services: dict[str, Any]
    stack: str = "s"
    networks: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)
    external_networks: tuple[str, ...] = ()


@pytest.mark.parametrize(
    ("mode", "env", "expected"),
    [
        pytest.param("never", None, None, id="unchanged: no change, the registry not asked"),
        pytest.param("changed", ["A=1"], (PINNED_OLD, PLATFORMS), id="another field changed: live pin and platforms sent"),
        pytest.param("always", ["A=1"], (f"127.0.0.1:5000/app:1@{DIGEST}", PLATFORMS), id="always: the new pin sent"),
    ],
)
def test_live_pin_kept_through_the_plan(mode: str, env: list[str] | None, expected: tuple[str, Any] | None) -> None:
    """resolve -> plan -> apply: the carry-over of the pinned image is the plan's (done once)."""
    reg = FakeSwarm(images={"127.0.0.1:5000/app:1": AMD64})
    wanted = spec("127.0.0.1:5000/app:1")
    if env is not None:
        wanted["TaskTemplate"]["ContainerSpec"]["Env"] = env
    out = resolve_images({"s_web": wanted}, [LIVE_SAME], check_mode(mode), reg)
    plan = make_plan(Desired(out.services), LiveStack("s", services=[LIVE_SAME]))
    if expected is None:
        assert (plan.changes, reg.asked) == ((), [])
        return
    gw = FakeSwarm()
    apply_plan(plan, gw, bind=bind_names)
    task = gw.sent["update service s_web"][0]["TaskTemplate"]
    assert (task["ContainerSpec"]["Image"], task["Placement"]["Platforms"]) == expected
