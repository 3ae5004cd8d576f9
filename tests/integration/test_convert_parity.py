"""Parity of composeswarm.convert.stack with `docker stack deploy` (CLI 28.2) on every corpus case.

For each case: create the case's external objects, deploy the file with docker itself under a random
stack name, read back every service, network, secret and config of that stack through the Engine
API, and compare field by field with `convert_project` (IDs bound from the live name -> ID maps,
engine defaults applied with `as_stored`). The Project is built from `docker stack config` output,
so this measures the converter alone; when composeswarm.load.project.load_project exists, the same
comparison runs on the Project it loads.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from composeswarm.act.bind import bind_ids
from composeswarm.convert.stack import DesiredStack, convert_project
from composeswarm.dockerrules.defaults import as_stored
from composeswarm.errors import InputError
from composeswarm.load.model import Project
from tests.integration.conftest import ExternalObjects
from tests.integration.specdiff import spec_diff

CORPUS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CASES = sorted(p.parent.name for p in CORPUS_DIR.glob("*/case.json")) if CORPUS_DIR.is_dir() else []
# Our own fixtures reach the keys the corpus does not (every converter key, ports tied on published).
FIXTURES_DIR = Path(__file__).resolve().parents[1] / "data" / "convert"
FIXTURES = sorted(p.name for p in FIXTURES_DIR.glob("*.yml"))
# edge-cases.yml has a bare `- BARE_FROM_SHELL` environment entry, filled from the process environment
FIXTURE_ENV = {"BARE_FROM_SHELL": "from-shell"}
LABEL = "com.docker.stack.namespace"
# Options the overlay driver adds to every network it creates; not part of what is sent.
ENGINE_NETWORK_OPTIONS = ("com.docker.network.driver.overlay.vxlanid_list",)

Docker = Callable[..., Any]


def _env_client_args() -> dict[str, object]:
    """base_url and TLS from DOCKER_HOST & co., so the test talks to the engine the CLI talks to."""
    from docker.utils import kwargs_from_env

    args = kwargs_from_env()
    return {k: v for k, v in args.items() if k in ("base_url", "tls")}


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((CORPUS_DIR / name / "case.json").read_text())
    return case


def project_from_stack_config(docker: Docker, path: Path, env: Mapping[str, str]) -> Project:
    """The Project `docker stack config` describes for `path` (the loader contract's exact shape)."""
    out = docker("stack", "config", "-c", str(path), env=dict(env)).stdout
    tree = yaml.safe_load(out)
    return Project(
        version=str(tree.get("version", "")),
        services=tree.get("services") or {},
        networks=tree.get("networks") or {},
        volumes=tree.get("volumes") or {},
        secrets=tree.get("secrets") or {},
        configs=tree.get("configs") or {},
        working_dir=str(path.parent),
        files=(str(path),),
    )


def diff(expected: Any, actual: Any) -> list[str]:
    """Every place where two JSON values differ."""
    return spec_diff(expected, actual, ("ours", "docker"))


def network_view(body: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a network the engine returns as sent (its IPAM pools get gateways it picks)."""
    options = {k: v for k, v in (body.get("Options") or {}).items() if k not in ENGINE_NETWORK_OPTIONS}
    ipam = body.get("IPAM") or {}
    return {
        "Name": body["Name"],
        "Driver": body["Driver"],
        "Internal": body["Internal"],
        "Attachable": body["Attachable"],
        "Labels": body.get("Labels") or {},
        "Options": options,
        "IPAM.Driver": ipam.get("Driver") or "default",
        "IPAM.Subnets": [c.get("Subnet") for c in ipam.get("Config") or []],
    }


def object_view(spec: Mapping[str, Any], data: bool) -> dict[str, Any]:
    """Name, labels, driver, templating and (configs only: the engine never returns secret data) data."""
    view = {k: spec.get(k) for k in ("Name", "Labels", "Driver", "Templating")}
    if data:
        raw = spec.get("Data")
        view["Data"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
    return view


def swarm_network_ids(api: Any, names: set[str], known: Mapping[str, str]) -> dict[str, str]:
    """`known` plus the swarm IDs of `names` it lacks: predefined networks such as `host` have a
    swarm-scope ID (`GET /networks/host?scope=swarm`) that the engine stores in Target."""
    out = dict(known)
    for name in sorted(names - set(out)):
        out[name] = api.inspect_network(name, scope="swarm")["Id"]
    return out


class Live:
    """Name -> ID maps and the stack's objects, read through the Engine API."""

    def __init__(self, stack: str) -> None:
        import docker as sdk

        self.api = sdk.APIClient(version="1.41", **_env_client_args())
        flt = {"label": f"{LABEL}={stack}"}
        self.services = {s["Spec"]["Name"]: s["Spec"] for s in self.api.services(filters=flt)}
        self.networks = {n["Name"]: n for n in self.api.networks(filters=flt)}
        self.secrets = {s["Spec"]["Name"]: s["Spec"] for s in self.api.secrets(filters=flt)}
        self.configs = {c["Spec"]["Name"]: c["Spec"] for c in self.api.configs(filters=flt)}
        self.network_ids = {n["Name"]: n["Id"] for n in self.api.networks() if n.get("Scope") == "swarm"}
        self.secret_ids = {s["Spec"]["Name"]: s["ID"] for s in self.api.secrets()}
        self.config_ids = {c["Spec"]["Name"]: c["ID"] for c in self.api.configs()}


def untie(spec: Mapping[str, Any]) -> dict[str, Any]:
    """`spec` with secret/config references that share a name ordered by file target.

    docker orders references by name only, after building them from a Go map, so two references
    to the same secret come out in random order (docs/differences.md); ours are sorted by target.
    """
    out = json.loads(json.dumps(spec))
    container = (out.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    for key, name in (("Secrets", "SecretName"), ("Configs", "ConfigName")):
        if container.get(key):
            container[key].sort(key=lambda r: (r[name], (r.get("File") or {}).get("Name", "")))
    return dict(out)


def compare(desired: DesiredStack, live: Live) -> list[str]:
    """Every difference between what we would create and what docker created."""
    problems: list[str] = []
    if sorted(desired.services) != sorted(live.services):
        problems.append(f"services: ours {sorted(desired.services)}, docker {sorted(live.services)}")
    targets = {n["Target"] for s in desired.services.values() for n in s["TaskTemplate"].get("Networks", [])}
    network_ids = swarm_network_ids(live.api, targets, live.network_ids)
    for name in sorted(set(desired.services) & set(live.services)):
        ours = as_stored(bind_ids(desired.services[name], network_ids, live.secret_ids, live.config_ids))
        problems += [f"service {name}: {d}" for d in diff(untie(ours), untie(live.services[name]))]
    if sorted(desired.networks) != sorted(live.networks):
        problems.append(f"networks: ours {sorted(desired.networks)}, docker {sorted(live.networks)}")
    for name in sorted(set(desired.networks) & set(live.networks)):
        ours_net, docker_net = network_view(desired.networks[name]), network_view(live.networks[name])
        if not ours_net["IPAM.Subnets"]:
            # no pool asked for: the engine picks one
            docker_net["IPAM.Subnets"] = []
        problems += [f"network {name}: {d}" for d in diff(ours_net, docker_net)]
    for kind, ours_objs, docker_objs in (
        ("secret", desired.secrets, live.secrets),
        ("config", desired.configs, live.configs),
    ):
        if sorted(ours_objs) != sorted(docker_objs):
            problems.append(f"{kind}s: ours {sorted(ours_objs)}, docker {sorted(docker_objs)}")
        for name in sorted(set(ours_objs) & set(docker_objs)):
            with_data = kind == "config"
            ours_view, docker_view = object_view(ours_objs[name], with_data), object_view(docker_objs[name], with_data)
            problems += [f"{kind} {name}: {d}" for d in diff(ours_view, docker_view)]
    return problems


@pytest.fixture
def externals(corpus_lock: None) -> Iterator[Callable[[Mapping[str, list[str]]], None]]:
    """Create a case's external networks, secrets and configs that do not exist yet; remove those after."""
    objects = ExternalObjects()
    try:
        yield objects.make
    finally:
        objects.remove()


PORT_SHIFT = 20000


def busy_ports(stack: str) -> set[int]:
    """Published ports held by services of other stacks (other tests share this engine)."""
    import docker as sdk

    busy: set[int] = set()
    for svc in sdk.APIClient(version="1.41", **_env_client_args()).services():
        if (svc["Spec"].get("Labels") or {}).get(LABEL) == stack:
            continue
        for port in (svc["Spec"].get("EndpointSpec") or {}).get("Ports") or []:
            busy.add(int(port.get("PublishedPort") or 0))
    busy.discard(0)
    return busy


def shift_ports(services: Mapping[str, Any], busy: set[int]) -> dict[str, Any]:
    """A copy of `services` whose published ports in `busy` move by PORT_SHIFT (nothing else changes)."""
    out = json.loads(json.dumps(services))
    for svc in out.values():
        for port in svc.get("ports") or []:
            if port.get("published") in busy:
                port["published"] += PORT_SHIFT if port["published"] + PORT_SHIFT < 65536 else -PORT_SHIFT
    return dict(out)


def _escape_dollars(value: Any) -> Any:
    """Every string value with `$` doubled (keys are never interpolated)."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_dollars(v) for v in value]
    return value


def deploy_shifted(docker: Docker, path: Path, env: Mapping[str, str], stack: str, busy: set[int]) -> Any:
    """Deploy the `docker stack config` form of `path` with busy ports moved, from stdin in its folder."""
    tree = yaml.safe_load(docker("stack", "config", "-c", str(path), env=dict(env)).stdout)
    # the printed form is already interpolated: keep its `$` literal when docker reads it again
    tree = _escape_dollars(tree)
    tree["services"] = shift_ports(tree["services"], busy)
    cli = docker("version", "--format", "{{.Client.Version}}").args[0]
    return subprocess.run(
        [cli, "stack", "deploy", "--resolve-image", "never", "--detach=true", "-c", "-", stack],
        input=yaml.safe_dump(tree), capture_output=True, text=True, cwd=path.parent,
        env={**os.environ, **env}, timeout=300,
    )


def _loaders() -> list[str]:
    """`stack-config` always; `load_project` once composeswarm.load.project provides it."""
    try:
        from composeswarm.load.project import load_project  # noqa: F401
    except ImportError:
        return ["stack-config"]
    return ["stack-config", "load_project"]


def _project(loader: str, docker: Docker, path: Path, env: Mapping[str, str]) -> Project:
    """The case's Project through `docker stack config` or through our own loader."""
    if loader == "stack-config":
        return project_from_stack_config(docker, path, env)
    from composeswarm.load.project import load_project

    project, _warnings = load_project([str(path)], environ={**os.environ, **env}, cwd=str(path.parent))
    return project


@pytest.mark.parametrize("case", CASES)
def test_convert_matches_docker_stack_deploy(
    case: str, docker: Docker, externals: Callable[[Mapping[str, list[str]]], None], stack_name: str
) -> None:
    """What docker created for the case equals what convert_project says, field by field.

    `externals` comes before `stack_name` so the stack is removed before its external objects.
    """
    meta = _case(case)
    path = CORPUS_DIR / case / meta["compose_file"]
    env = {k: str(v) for k, v in meta.get("env", {}).items()}
    externals(meta.get("external", {}))
    deployed = docker("stack", "deploy", "--resolve-image", "never", "--detach=true", "-c", str(path), stack_name,
                      env=env, check=False)
    if meta["docker_stack_deploy"] != "deploys":
        assert deployed.returncode != 0, f"docker deployed a file the corpus says it refuses: {deployed.stdout}"
        pytest.skip(f"docker refuses the file before conversion: {meta['docker_stack_deploy']}")
    busy: set[int] = set()
    if deployed.returncode != 0 and "is already in use by service" in deployed.stderr:
        # another test on this engine holds a published port; move only those ports and redeploy
        busy = busy_ports(stack_name)
        deployed = deploy_shifted(docker, path, env, stack_name, busy)
        warnings.warn(f"{case}: published ports {sorted(busy)} are held by other stacks; deployed moved by {PORT_SHIFT}")
    live = Live(stack_name)
    for loader in _loaders():
        try:
            project = _project(loader, docker, path, env)
            if busy:
                project = dataclasses.replace(project, services=shift_ports(project.services, busy))
            desired = convert_project(project, stack_name)
        except InputError as exc:
            # both refuse; docker may get further first (it creates networks before converting services)
            assert deployed.returncode != 0, f"{loader}: we refuse a file docker deploys:\n{exc}"
            continue
        assert deployed.returncode == 0, f"{loader}: docker refused a file we convert:\n{deployed.stderr}"
        problems = compare(desired, live)
        assert problems == [], f"{loader}: " + "\n".join(problems)


# Fixtures the converter can read straight from YAML (no short syntax, env_file or interpolation):
# they check the converter's own handling of raw forms, such as command strings.
RAW_FIXTURES = {"command-strings.yml"}
# Known gaps of another stage, seen through this test; remove an entry when the stage is fixed
# (the test then fails to say so).
# (fixture, loader) -> why that loader cannot match docker yet; empty while every loader matches.
KNOWN_LOADER_GAPS: dict[tuple[str, str], str] = {}


def raw_project(path: Path) -> Project:
    """The file itself as a Project, for fixtures written in the loader's output shape."""
    tree = yaml.safe_load(path.read_text())
    return Project(version=str(tree.get("version", "")), services=tree["services"], working_dir=str(path.parent),
                   files=(str(path),))


@pytest.mark.parametrize("fixture", FIXTURES)
def test_convert_matches_docker_stack_deploy_on_fixture(
    fixture: str, docker: Docker, corpus_lock: None, stack_name: str
) -> None:
    """Our fixtures deploy with docker and convert to exactly what docker created."""
    path = FIXTURES_DIR / fixture
    docker("stack", "deploy", "--resolve-image", "never", "--detach=true", "-c", str(path), stack_name, env=FIXTURE_ENV)
    live = Live(stack_name)
    assert live.services, "docker created no service"
    loaders = _loaders() + (["raw"] if fixture in RAW_FIXTURES else [])
    failures: dict[str, list[str]] = {}
    for loader in loaders:
        project = raw_project(path) if loader == "raw" else _project(loader, docker, path, FIXTURE_ENV)
        problems = compare(convert_project(project, stack_name), live)
        if problems:
            failures[loader] = problems
    gaps = {loader: reason for (name, loader), reason in KNOWN_LOADER_GAPS.items() if name == fixture}
    unexpected = {loader: probs for loader, probs in failures.items() if loader not in gaps}
    assert unexpected == {}, "\n".join(f"{loader}: {p}" for loader, probs in unexpected.items() for p in probs)
    fixed = sorted(set(gaps) & set(loaders) - set(failures))
    assert fixed == [], f"known gap fixed, remove it from KNOWN_LOADER_GAPS: {fixed}"
    if gaps:
        pytest.xfail("; ".join(f"{loader}: {reason}" for loader, reason in gaps.items()))
