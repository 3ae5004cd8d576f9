"""act.deploy: the checks of stack name and --resolve-image, and the engine checks (external networks,
secrets, configs) against the fake swarm."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from composeswarm.convert.stack import DesiredStack
from composeswarm.act.deploy import DeployOptions, check_resolve_mode, deploy
from composeswarm.act.external import check_external_files, check_external_networks, live_refs
from composeswarm.engine.live import LiveStack
from composeswarm.errors import EngineError, InputError
from tests.support.fake_swarm import FakeSwarm, named

if TYPE_CHECKING:
    from composeswarm.engine.gateway import Engine


def swarm(networks: dict[str, dict[str, Any]], secrets: Sequence[str] = (), configs: Sequence[str] = ()) -> FakeSwarm:
    """A swarm holding these networks (by name), secrets and configs."""
    return FakeSwarm(networks=[dict(net, Name=name) for name, net in networks.items()],
                     secrets=[named(n) for n in secrets], configs=[named(n) for n in configs])


def engine(fake: FakeSwarm) -> Engine:
    return cast("Engine", fake)


@pytest.mark.parametrize(
    ("networks", "names", "result"),
    [
        pytest.param({"proxy": {"Id": "p1", "Scope": "swarm"}}, ["proxy"], {"proxy": "p1"}, id="swarm scope"),
        pytest.param({}, ["host", "bridge", "none", "default", "container:x"], {}, id="built-ins never inspected"),
        pytest.param({}, ["proxy"], 'network "proxy" is declared as external, but could not be found. You need to '
                     "create a swarm-scoped network before the stack is deployed", id="missing"),
        pytest.param({"proxy": {"Id": "p1", "Scope": "local"}}, ["proxy"], 'network "proxy" is declared as external, '
                     'but it is not in the right scope: "local" instead of "swarm"', id="local scope"),
    ],
)
def test_external_networks(networks: dict[str, Any], names: list[str], result: Any) -> None:
    fake = swarm(networks)
    if isinstance(result, str):
        with pytest.raises(EngineError) as info:
            check_external_networks(engine(fake), names)
        assert str(info.value) == result
        return
    assert check_external_networks(engine(fake), names) == result
    assert fake.inspected == [n for n in names if n in networks]


def service(name: str, secrets: Sequence[str] = (), configs: Sequence[str] = ()) -> dict[str, Any]:
    return {"Name": name, "TaskTemplate": {"ContainerSpec": {
        "Secrets": [{"SecretName": s} for s in secrets], "Configs": [{"ConfigName": c} for c in configs]}}}


@pytest.mark.parametrize(
    ("secrets", "configs", "result"),
    [
        pytest.param(["ext", "ext_longer"], ["conf"], ({"ext": "id-ext"}, {"conf": "id-conf"}), id="exact names only"),
        pytest.param(["ext_longer"], ["conf"], "service s_web: secret not found: ext", id="missing secret"),
        pytest.param(["ext"], [], "service s_web: config not found: conf", id="missing config"),
    ],
)
def test_external_files(secrets: list[str], configs: list[str], result: Any) -> None:
    desired = DesiredStack(
        stack="s", external_secrets=["ext", "unused"], external_configs=["conf"],
        services={"s_db": service("s_db"), "s_web": service("s_web", ["ext"], ["conf"])},
    )
    fake = swarm({}, secrets, configs)
    if isinstance(result, str):
        with pytest.raises(EngineError) as info:
            check_external_files(engine(fake), desired)
        assert str(info.value) == result
        return
    assert check_external_files(engine(fake), desired) == result


def test_live_refs() -> None:
    live = LiveStack(
        stack="s",
        networks=[{"Name": "s_default", "Id": "n1"}],
        secrets=[{"ID": "s1", "Spec": {"Name": "s_pw"}}],
        configs=[{"ID": "c1", "Spec": {"Name": "s_conf"}}],
        services=[{"ID": "v1", "Spec": {"Name": "s_db"}}],
    )
    refs = live_refs(live)
    assert (refs.networks, refs.secrets, refs.configs, refs.services) == (
        {"s_default": "n1"}, {"s_pw": "s1"}, {"s_conf": "c1"}, {"s_db": "v1"}
    )


def test_resolve_mode() -> None:
    assert [check_resolve_mode(m) for m in ("always", "changed", "never")] == ["always", "changed", "never"]
    with pytest.raises(InputError) as info:
        check_resolve_mode("Always")
    assert str(info.value) == "Invalid option Always for flag --resolve-image"


def _compose(tmp_path: Path, deploy: str) -> list[str]:
    path = tmp_path / "compose.yml"
    path.write_text('version: "3.8"\nservices:\n  db:\n    image: local/busybox:1\n    deploy:\n' + deploy, encoding="utf-8")
    return [str(path)]


@pytest.mark.parametrize(
    ("deploy_keys", "strict", "error"),
    [
        pytest.param("      replicas: 3\n      placement:\n        max_replicas_per_node: 1\n", True,
                     "s_db: 2 of 3 replicas cannot be placed: 1 node, max 1 per node (--strict-placement: nothing deployed)",
                     id="strict: an error before any write"),
        pytest.param("      replicas: 3\n      placement:\n        max_replicas_per_node: 1\n", False, None,
                     id="not strict: deployed all the same"),
        pytest.param("      replicas: 3\n", True, None, id="strict and placeable"),
    ],
)
def test_strict_placement(tmp_path: Path, deploy_keys: str, strict: bool, error: str | None) -> None:
    fake = FakeSwarm(live=LiveStack(stack="s"))
    opts = DeployOptions(stack="s", files=_compose(tmp_path, deploy_keys), resolve_image="never", strict_placement=strict)
    if error is not None:
        with pytest.raises(InputError) as info:
            deploy(opts, engine=engine(fake))
        assert ([str(i) for i in info.value.issues], fake.calls_of("create", "update", "remove")) == ([error], [])
        return
    result = deploy(opts, engine=engine(fake))
    assert fake.calls_of("create") == ["create network s_default", "create service s_db"]
    assert fake.calls.count("list nodes") == 1
    change = next(c for c in result.plan.changes if c.name == "s_db")
    assert change.placement is not None and change.placement.warns == (not strict)
