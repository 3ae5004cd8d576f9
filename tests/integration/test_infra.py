"""The test bed itself: a swarm manager, the local images, registries that take pushes, clean teardown."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.integration.conftest import DOCKER_CLI, LABEL_NAMESPACE, Docker, Registry, random_name, remove_stack

pytestmark = pytest.mark.engine
REPO_ROOT = Path(__file__).resolve().parents[2]


def test_engine_is_a_swarm_manager(docker: Docker) -> None:
    swarm = json.loads(docker("info", "--format", "{{json .Swarm}}").stdout)
    assert (swarm["LocalNodeState"], swarm["ControlAvailable"]) == ("active", True)
    nodes = docker("node", "ls", "--format", "{{.Self}} {{.Status}} {{.Availability}}").stdout.splitlines()
    assert "true Ready Active" in nodes


def test_cli_is_28_2(docker: Docker) -> None:
    assert DOCKER_CLI == "/usr/local/bin/docker" or not os.path.exists("/usr/local/bin/docker")
    assert docker("version", "--format", "{{.Client.Version}}").stdout.startswith("28.2.")


@pytest.mark.parametrize(
    ("image", "rev"),
    [pytest.param("local/busybox:1", "1", id="busybox 1"), pytest.param("local/busybox:2", "2", id="busybox 2")],
)
def test_busybox_image(docker: Docker, image: str, rev: str) -> None:
    config = json.loads(docker("image", "inspect", image, "--format", "{{json .Config}}").stdout)
    assert (config["Labels"], config["Cmd"]) == ({"rev": rev}, ["/bin/sh"])
    # The applets test stacks rely on; busybox wget crashes here, so HTTP checks use nc.
    ran = docker("run", "--rm", image, "sh", "-c", "for a in nc sleep httpd cat echo; do [ -x /bin/$a ] && echo $a; done")
    assert ran.stdout.split() == ["nc", "sleep", "httpd", "cat", "echo"]


def test_busybox_images_differ(docker: Docker) -> None:
    ids = docker("image", "inspect", "local/busybox:1", "local/busybox:2", "--format", "{{.Id}}").stdout.split()
    assert len(set(ids)) == 2


def test_registry_image(docker: Docker) -> None:
    entrypoint = docker("image", "inspect", "local/registry:2", "--format", "{{json .Config.Entrypoint}}").stdout
    assert json.loads(entrypoint) == ["/usr/bin/docker-registry", "serve", "/etc/docker/registry/config.yml"]


def _push(docker: Docker, registry: Registry, source: str) -> tuple[str, str]:
    """Tag SOURCE into the registry under a random name, push it, drop the tag; (ref, repo@digest)."""
    ref = f"{registry.address}/{random_name('infra')}:1"
    docker("tag", source, ref)
    try:
        docker("push", ref, env=registry.env())
        digest = docker("image", "inspect", ref, "--format", "{{index .RepoDigests 0}}").stdout.strip()
    finally:
        docker("rmi", ref)
    return ref, digest


@pytest.mark.parametrize("which", [pytest.param("registry", id="open"), pytest.param("auth_registry", id="htpasswd")])
def test_registry_push_and_pull_by_digest(docker: Docker, request: pytest.FixtureRequest, which: str) -> None:
    registry: Registry = request.getfixturevalue(which)
    ref, digest = _push(docker, registry, "local/busybox:2")
    assert digest.startswith(ref.rsplit(":", 1)[0] + "@sha256:")
    docker("pull", digest, env=registry.env())
    try:
        label = docker("image", "inspect", digest, "--format", "{{.Config.Labels.rev}}").stdout.strip()
    finally:
        docker("rmi", digest)
    assert label == "2"


def test_auth_registry_refuses_anonymous_push(docker: Docker, auth_registry: Registry, tmp_path: Path) -> None:
    ref = f"{auth_registry.address}/{random_name('infra')}:1"
    docker("tag", "local/busybox:1", ref)
    try:
        # An empty DOCKER_CONFIG: no credentials at all.
        proc = docker("push", ref, check=False, env={"DOCKER_CONFIG": str(tmp_path)})
    finally:
        docker("rmi", ref)
    assert (proc.returncode, proc.stderr.strip()) == (1, "no basic auth credentials")


def test_service_from_registry_gets_pinned_digest(docker: Docker, registry: Registry, stack_name: str) -> None:
    _, digest = _push(docker, registry, "local/busybox:1")
    tag_ref = digest.split("@")[0] + ":1"
    docker("service", "create", "--detach", "--name", f"{stack_name}_probe", "--label", f"{LABEL_NAMESPACE}={stack_name}",
           "--stop-grace-period", "1s", tag_ref, "sleep", "600")
    image = docker("service", "inspect", f"{stack_name}_probe", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}")
    assert image.stdout.strip() == f"{tag_ref}@{digest.split('@')[1]}"


def test_remove_stack_removes_everything(docker: Docker) -> None:
    stack = random_name("cs")
    label = f"{LABEL_NAMESPACE}={stack}"
    try:
        docker("network", "create", "--driver", "overlay", "--label", label, f"{stack}_default")
        docker("secret", "create", "--label", label, f"{stack}_s", "-", input="x")
        docker("config", "create", "--label", label, f"{stack}_c", "-", input="x")
        docker("service", "create", "--detach", "--name", f"{stack}_web", "--label", label, "--init",
               "--network", f"{stack}_default", "--secret", f"{stack}_s", "--config", f"{stack}_c",
               "local/busybox:1", "sleep", "600")
    finally:
        remove_stack(stack)
    left = [
        docker(kind, "ls", "--filter", f"label={label}", "--format", "{{.Name}}").stdout.strip()
        for kind in ("service", "network", "secret", "config")
    ]
    assert left == ["", "", "", ""]


def test_swarm_up_is_a_no_op_on_a_manager(docker: Docker) -> None:
    name, server = docker("info", "--format", "{{.Name}} {{.ServerVersion}}").stdout.split()
    client = docker("version", "--format", "{{.Client.Version}}").stdout.strip()
    proc = subprocess.run([str(REPO_ROOT / "scripts" / "swarm-up.sh")], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, f"swarm-up.sh: swarm manager ready: {name} engine {server}, client {client}\n")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the self-test starts a second dockerd in a network namespace: root only")
def test_swarm_up_from_nothing() -> None:
    """swarm-up.sh and demo.sh against a second, empty dockerd of their own (scripts/selftest-swarm-up.sh)."""
    workdir = Path(tempfile.mkdtemp(prefix="cs-selftest-"))
    try:
        proc = subprocess.run(
            [str(REPO_ROOT / "scripts" / "selftest-swarm-up.sh"), "--demo"], capture_output=True, text=True, timeout=600,
            env={**os.environ, "COMPOSESWARM_SELFTEST_DIR": str(workdir / "e")},
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert (proc.returncode, failed, proc.stdout.splitlines()[-1]) == (0, [], "selftest: all checks passed"), proc.stderr
