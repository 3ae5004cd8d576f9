"""A stack's memory on the real engine: three deploys make three revisions; rollback returns every
service's spec to revision 1's, its rotated secret included (read from inside a task); `deploy --atomic`
with a failing service puts the others back and exits 3; the history never counts as the stack's content."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.integration.conftest import Docker, inspect
from tests.integration.test_ops import cs

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    environment:
      RUN: "{run}"
    secrets: [db]
    deploy:
      replicas: {replicas}
      update_config: {{delay: 0s}}
  worker:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    environment:
      RUN: "{run}"
secrets:
  db:
    file: ./db.txt
"""


def _write(folder: Path, run: str, secret: str, replicas: int = 1) -> Path:
    (folder / "db.txt").write_text(secret)
    file = folder / "compose.yml"
    file.write_text(STACK.format(run=run, replicas=replicas))
    return file


def _deploy(stack: str, file: Path, *extra: str) -> Any:
    return cs("deploy", "-c", str(file), "--resolve-image", "never", "--timeout", "90", *extra, stack, timeout=200)


def _specs(stack: str) -> dict[str, Any]:
    return {name: inspect("service", f"{stack}_{name}")["Spec"] for name in ("web", "worker")}


def _secret_in_task(docker: Docker, service: str) -> str:
    """The secret as a running task of `service` reads it (/run/secrets/db), once the update has settled."""
    deadline = time.monotonic() + 60
    while True:
        ids = docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={service}").stdout.split()
        reads = {docker("exec", i, "cat", "/run/secrets/db", check=False).stdout for i in ids}
        if len(reads) == 1 or time.monotonic() > deadline:
            return reads.pop() if len(reads) == 1 else repr(reads)
        time.sleep(0.5)


def test_three_deploys_make_three_revisions_and_rollback_restores_revision_1(
    docker: Docker, stack_name: str, tmp_path: Path
) -> None:
    proc = _deploy(stack_name, _write(tmp_path, "one", "first secret\n"))
    assert proc.returncode == 0, proc.stderr
    first = _specs(stack_name)
    assert _deploy(stack_name, _write(tmp_path, "two", "second secret\n")).returncode == 0
    assert _deploy(stack_name, _write(tmp_path, "three", "second secret\n", replicas=2)).returncode == 0
    assert _secret_in_task(docker, f"{stack_name}_web") == "second secret\n"

    listed = cs("history", stack_name, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    revisions = json.loads(listed.stdout)["revisions"]
    assert [(r["revision"], r["outcome"]) for r in revisions] == [(1, "converged"), (2, "converged"), (3, "converged")]
    assert revisions[0]["summary"]["create"] == 4  # network, secret, two services
    assert (revisions[1]["summary"]["update"], revisions[1]["summary"]["replace"]) == (2, 1)
    assert revisions[1]["changes"][0].startswith(f"-/+ secret {stack_name}_db_")
    assert revisions[2]["changes"] == [
        f"~ service {stack_name}_web (environment.RUN, deploy.replicas)", f"~ service {stack_name}_worker (environment.RUN)"]
    assert all(r["user"] and r["host"] and r["version"] for r in revisions)
    text = cs("history", stack_name).stdout.splitlines()
    assert text[0].split() == ["REV", "TIME", "WHO", "COMMIT", "OUTCOME", "CHANGES"]
    assert [line.split()[0] for line in text[1:]] == ["1", "2", "3"]
    project = json.loads(cs("history", stack_name, "--revision", "1").stdout)
    assert project["services"]["web"]["environment"] == {"RUN": "one"}
    assert "first secret" not in cs("history", stack_name, "--revision", "1", "-o", "json").stdout

    # the history is no part of the stack: docker's own views and composeswarm ls are unchanged
    assert docker("stack", "services", stack_name, "--format", "{{.Name}}").stdout.split() == sorted(
        [f"{stack_name}_web", f"{stack_name}_worker"])
    assert f"{stack_name} " in docker("stack", "ls").stdout

    back = cs("rollback", stack_name, "--to", "1", "--timeout", "90", timeout=200)
    assert back.returncode == 0, back.stderr
    assert f"Updating service {stack_name}_web" in back.stdout
    after = _specs(stack_name)
    assert after == first
    assert _secret_in_task(docker, f"{stack_name}_web") == "first secret\n"
    revisions = json.loads(cs("history", stack_name, "-o", "json").stdout)["revisions"]
    assert (revisions[-1]["revision"], revisions[-1]["outcome"], revisions[-1]["rollback_of"]) == (4, "converged", 1)

    # rm removes the history with the stack
    assert cs("rm", stack_name, timeout=200).returncode == 0
    left = [n for n in docker("config", "ls", "--format", "{{.Name}}").stdout.split() if n.startswith(stack_name + "_")]
    assert left == []


def test_history_limit_prunes_revisions_and_the_versions_only_they_used(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    for run in ("a", "b", "c"):
        proc = _deploy(stack_name, _write(tmp_path, run, f"secret {run}\n"), "--history-limit", "2", "--detach")
        assert proc.returncode == 0, proc.stderr
    revisions = json.loads(cs("history", stack_name, "-o", "json").stdout)["revisions"]
    assert [(r["revision"], r["outcome"]) for r in revisions] == [(2, "detached"), (3, "detached")]
    secrets = sorted(n for n in docker("secret", "ls", "--format", "{{.Name}}").stdout.split() if n.startswith(stack_name))
    assert len(secrets) == 2  # revision 1's version went with it; 2's is kept for a rollback
    gone = cs("rollback", stack_name, "--to", "1")
    assert gone.returncode == 1
    assert f"stack {stack_name} has no revision 1 (kept: 2, 3)" in gone.stderr


ATOMIC = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
    environment:
      RUN: "{run}"
  api:
    image: local/busybox:1
    init: true
    command: {api}
    deploy:
      restart_policy: {{delay: 1s}}
      update_config: {{failure_action: pause}}
{extra}"""
EXTRA = """\
  extra:
    image: local/busybox:1
    init: true
    command: sh -c 'sleep 3600'
"""


def test_atomic_deploy_with_a_failing_service_restores_the_others_and_exits_3(
    docker: Docker, stack_name: str, tmp_path: Path
) -> None:
    file = tmp_path / "compose.yml"
    file.write_text(ATOMIC.format(run="one", api="sh -c 'sleep 3600'", extra=""))
    assert _deploy(stack_name, file).returncode == 0
    before = {name: inspect("service", f"{stack_name}_{name}")["Spec"] for name in ("web", "api")}

    file.write_text(ATOMIC.format(run="two", api="sh -c 'exit 1'", extra=EXTRA))
    proc = _deploy(stack_name, file, "--atomic")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "--atomic put the stack back as it was before this deploy" in proc.stderr
    assert f"restored service {stack_name}_web to its previous spec" in proc.stderr
    assert f"removed service {stack_name}_extra, which this deploy created" in proc.stderr
    after = {name: inspect("service", f"{stack_name}_{name}")["Spec"] for name in ("web", "api")}
    assert after == before
    assert docker("service", "inspect", f"{stack_name}_extra", check=False).returncode != 0
    revisions = json.loads(cs("history", stack_name, "-o", "json").stdout)["revisions"]
    assert revisions[-1]["outcome"] == "failed (undone)"
    assert f"removed service {stack_name}_extra, which this deploy created" in revisions[-1]["undone"]
