"""A Compose Specification file with `include` and `extends` (and a secret from the environment)
deployed to the swarm: the services' specs as the merge rules make them, the secret read in a task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import docker, random_name, remove_stack
from tests.integration.test_compose_spec import _container_of
from tests.integration.test_deploy import cs

COMPOSE = """\
include:
  - path: db/db.yaml
services:
  web:
    extends: {service: base, file: lib/base.yml}
    environment: [MODE=web]
    labels: {tier: front}
    secrets: [token]
  job:
    extends: web
    command: ["sleep", "200000"]
secrets:
  token:
    environment: INC_TOKEN
"""
BASE = """\
services:
  base:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sleep", "100000"]
    environment: {MODE: base, KEEP: "1"}
    labels: {from: base}
    deploy:
      endpoint_mode: dnsrr
      labels: {team: "${TEAM}"}
"""
DB = """\
services:
  db:
    image: local/busybox:1
    init: true
    stop_grace_period: 1s
    command: ["sleep", "100000"]
    environment: {WHO: "${WHO}"}
    deploy:
      endpoint_mode: dnsrr
"""


@pytest.mark.slow
def test_include_and_extends_deploy(tmp_path: Path) -> None:
    stack = random_name("spec-extends")
    for name, text in {"compose.yaml": COMPOSE, "lib/base.yml": BASE, "db/db.yaml": DB, "db/.env": "WHO=db-env\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    env = {"INC_TOKEN": "t0ken-included", "TEAM": "core"}
    try:
        done = cs("deploy", "--resolve-image", "never", "--detach", "-f", str(tmp_path / "compose.yaml"), stack, env=env)
        assert done.returncode == 0, done.stderr
        services = sorted(docker("service", "ls", "--filter", f"label=com.docker.stack.namespace={stack}",
                                 "--format", "{{.Name}}").stdout.split())
        assert services == [f"{stack}_db", f"{stack}_job", f"{stack}_web"]
        specs = {s["Spec"]["Name"]: s["Spec"] for s in json.loads(docker("service", "inspect", *services).stdout)}
        web, job, db = specs[f"{stack}_web"], specs[f"{stack}_job"], specs[f"{stack}_db"]
        container = web["TaskTemplate"]["ContainerSpec"]
        assert sorted(container["Env"]) == ["KEEP=1", "MODE=web"]
        assert container["Args"] == ["sleep", "100000"]
        assert container["Labels"]["from"] == "base" and container["Labels"]["tier"] == "front"
        assert web["Labels"]["team"] == "core"
        assert [s["SecretName"] for s in container["Secrets"]] == [f"{stack}_token"]
        assert job["TaskTemplate"]["ContainerSpec"]["Args"] == ["sleep", "200000"]
        assert sorted(job["TaskTemplate"]["ContainerSpec"]["Env"]) == ["KEEP=1", "MODE=web"]
        assert db["TaskTemplate"]["ContainerSpec"]["Env"] == ["WHO=db-env"]  # the included project's .env
        task = _container_of(f"{stack}_job")
        assert docker("exec", task, "cat", "/run/secrets/token").stdout == "t0ken-included"
        # the same files plan no change
        plan = cs("plan", "-f", str(tmp_path / "compose.yaml"), stack, env=env)
        assert plan.returncode == 0, plan.stdout + plan.stderr
    finally:
        remove_stack(stack)
