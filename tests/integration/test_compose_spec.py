"""A Compose Specification file deployed to the swarm: profiles, a secret from the environment, a
config with inline content, env_file long form, x- keys; what was created, read from inside a task."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.conftest import docker, random_name, remove_stack
from tests.integration.test_deploy import cs

SPEC = """\
name: NAME
x-svc: &svc
  image: local/busybox:1
  init: true
  stop_grace_period: 1s
  command: ["sleep", "100000"]
  deploy:
    x-note: kept out
    endpoint_mode: dnsrr
services:
  web:
    <<: *svc
    env_file:
      - path: ./web.env
      - path: ./missing.env
        required: false
    pull_policy: always
    secrets: [token]
    configs: [motd]
  debug:
    <<: *svc
    profiles: [debug]
    depends_on:
      web:
        condition: service_started
        required: true
        restart: true
secrets:
  token:
    environment: SPEC_TOKEN
configs:
  motd:
    content: "hello ${SPEC_WHO}\\n"
"""


def _container_of(service: str, timeout: float = 120) -> str:
    """The ID of the running container of `service`'s task (single node)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}").stdout.split()
        if ids:
            return ids[0]
        time.sleep(1)
    raise AssertionError(f"no running container for {service} after {timeout:g}s")


def test_spec_file_deploys_with_profiles_secrets_and_content(tmp_path: Path) -> None:
    stack = random_name("spec")
    (tmp_path / "web.env").write_text("MODE=spec\n")
    file = tmp_path / "compose.yaml"
    file.write_text(SPEC.replace("NAME", "not-this-one"))  # the STACK argument wins over the file's name
    env = {"SPEC_TOKEN": "t0ken-from-env", "SPEC_WHO": "swarm"}
    try:
        done = cs("deploy", "--resolve-image", "never", "--detach", "-f", str(file), stack, env=env)
        assert done.returncode == 0, done.stderr
        assert f"{file}:17:5: services.web.pull_policy: ignored: swarm does not support 'pull_policy'" in done.stderr
        services = docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={stack}",
                          "--format", "{{.Name}}").stdout.split()
        assert services == [f"{stack}_web"]  # debug is in a profile nobody enabled
        spec = json.loads(docker("service", "inspect", f"{stack}_web").stdout)[0]["Spec"]
        assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["MODE=spec"]
        container = _container_of(f"{stack}_web")
        assert docker("exec", container, "cat", "/run/secrets/token").stdout == "t0ken-from-env"
        assert docker("exec", container, "cat", "/motd").stdout == "hello swarm\n"

        # the debug profile adds its service; a redeploy without it, even with --prune, keeps it
        done = cs("deploy", "--resolve-image", "never", "--detach", "--profile", "debug", "-f", str(file), stack, env=env)
        assert done.returncode == 0, done.stderr
        plan = cs("plan", "--prune", "-f", str(file), stack, env=env)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert f"note: service {stack}_debug is left out by the active profiles; it is kept, even with --prune" in plan.stderr
        assert "note: these files use Compose Specification keys (" in plan.stderr
        # a new value of the variable is a new secret version, rotated as a file's would be
        plan = cs("plan", "-f", str(file), stack, env={**env, "SPEC_TOKEN": "rotated", "COMPOSE_PROFILES": "debug"})
        assert plan.returncode == 2, plan.stdout + plan.stderr
        assert f"secret {stack}_token" in plan.stdout, plan.stdout
        # without STACK, the file's top-level name is the stack: the same files plan no change
        file.write_text(SPEC.replace("NAME", stack))
        plan = cs("plan", "-f", str(file), env={**env, "COMPOSE_PROFILES": "debug"})
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert plan.stdout.startswith(f"No changes: stack {stack} is as the files describe it."), plan.stdout
    finally:
        remove_stack(stack)


def test_strict_validate_refuses_a_spec_file(tmp_path: Path) -> None:
    file = tmp_path / "compose.yaml"
    file.write_text(SPEC.replace("NAME", "spec"))
    (tmp_path / "web.env").write_text("MODE=spec\n")
    env = {"SPEC_TOKEN": "t", "SPEC_WHO": "w"}
    ok = cs("validate", "-f", str(file), env=env)
    assert ok.returncode == 0, ok.stderr
    assert "note: these files use Compose Specification keys (name, " in ok.stdout
    strict = cs("validate", "--strict", "-f", str(file), env=env)
    assert strict.returncode == 1
    assert f"{file}:1:1: name: unknown key 'name': a project name is a Compose Specification feature" in strict.stderr
    refused = docker("stack", "deploy", "-c", str(file), random_name("spec"), check=False, env=env)
    assert refused.returncode != 0  # docker stack deploy refuses it too
