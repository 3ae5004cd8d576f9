"""Three managers: the leader's engine stopped during a deploy (composeswarm talks to another manager)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.conftest import random_name
from tests.multinode.conftest import Bed, error_lines, image_of, outcome_of, poll, say_outcome, update_state, write_compose


def compose(tmp_path: Path, rev: int) -> Path:
    return write_compose(tmp_path, f"""
version: "3.8"
services:
  web:
    image: local/busybox:{rev}
    init: true
    command: ["sleep", "1000000"]
    deploy:
      replicas: 3
      update_config: {{parallelism: 1, delay: 0s, monitor: 1s}}
""", name=f"v{rev}.yml")


def leader(bed: Bed, node: int) -> str:
    """The hostname of the leader, as the manager at `node` sees it ('' while there is none)."""
    for n in bed.api(node).nodes():
        if (n.get("ManagerStatus") or {}).get("Leader"):
            return str(n["Description"]["Hostname"])
    return ""


def test_the_leader_stopped_during_a_deploy(bed3: Bed, tmp_path: Path) -> None:
    """The deploy fails with one clear error, or completes against the new leader; a rerun converges."""
    stack, via = random_name("mn"), 2  # composeswarm talks to csm3-n2, a manager that is not the leader
    service = f"{stack}_web"
    assert leader(bed3, via) == bed3.hostname(1)
    first = bed3.deploy(stack, compose(tmp_path, 1), node=via)
    assert first.returncode == 0, outcome_of(first)
    timeout = 90
    proc = subprocess.Popen(
        bed3.command("deploy", stack, "-c", str(compose(tmp_path, 2)), "--resolve-image", "never",
                     "--timeout", str(timeout)),
        env=bed3.cs_env(via), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        poll(30, 0.1, lambda: update_state(bed3, service, via) == "updating", "the update in flight")
        bed3.stop(1)
        out, err = proc.communicate(timeout=timeout + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    say_outcome("the deploy with the leader stopped", done)
    assert "Traceback" not in done.stderr, outcome_of(done)
    if done.returncode == 0:
        assert f"{service}: converged" in done.stderr, outcome_of(done)
    else:
        assert done.returncode == 1, outcome_of(done)
        assert len(error_lines(done)) == 1, outcome_of(done)
    new_leader = poll(60, 0.5, lambda: leader(bed3, via), "a new leader")
    assert new_leader in (bed3.hostname(2), bed3.hostname(3))

    poll(90, 0.5, lambda: update_state(bed3, service, via) not in ("updating", "rollback_started"), "the update settled")
    again = bed3.deploy(stack, compose(tmp_path, 2), node=via, timeout=90)
    assert again.returncode == 0, outcome_of(again)

    def converged() -> bool:
        running = bed3.running(service, via)
        return len(running) == 3 and all(image_of(t) == "local/busybox:2" for t in running)

    poll(60, 0.5, converged, f"{service}: 3 tasks of local/busybox:2 running")
