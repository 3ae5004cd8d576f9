"""Rollouts on three nodes: rolling updates observed batch by batch, a worker lost in the middle of a
rollout, the manager's engine restarted during the wait."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from composeswarm.dockerrules.timestamps import parse_time
from tests.multinode.conftest import (
    Bed, Json, error_lines, image_of, outcome_of, poll, say_outcome, update_state, write_compose,
)

V1, V2 = "local/busybox:1", "local/busybox:2"


def web(tmp_path: Path, image: str, replicas: int = 4) -> Path:
    """One service of `replicas` tasks, updated one task at a time (no delay, 1 s monitor).

    On the host network, not an overlay: these tests stop engines, and a dockerd 20.10 started again
    can fail to join an overlay network it had ("error creating vxlan interface: file exists": the
    vxlan device of its old sandbox still holds the VNI), which would make a rerun fail for a reason
    that is not composeswarm's.
    """
    return write_compose(tmp_path, f"""
version: "3.8"
services:
  web:
    image: {image}
    init: true
    command: ["sleep", "1000000"]
    networks: [hostnet]
    deploy:
      replicas: {replicas}
      update_config: {{parallelism: 1, delay: 0s, monitor: 1s}}
networks:
  hostnet: {{external: true, name: host}}
""", name=f"{image.split(':')[1]}.yml")


@dataclass(frozen=True)
class Sample:
    """Tasks whose container runs (whatever their desired state), by image."""

    old: int
    new: int

    @property
    def total(self) -> int:
        return self.old + self.new


def sample(bed: Bed, service: str) -> Sample:
    running = [t for t in bed.tasks(service) if t["Status"]["State"] == "running"]
    return Sample(sum(image_of(t) == V1 for t in running), sum(image_of(t) == V2 for t in running))


def when(task: Json) -> datetime:
    stamp = parse_time(str(task["Status"]["Timestamp"]))
    assert stamp is not None, task
    return stamp


def start_deploy(bed: Bed, stack: str, compose: Path, timeout: float, node: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        bed.command("deploy", stack, "-c", str(compose), "--resolve-image", "never", "--timeout", f"{timeout:g}"),
        env=bed.cs_env(node), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def all_new_running(bed: Bed, service: str, replicas: int = 4) -> bool:
    running = bed.running(service)
    return len(running) == replicas and all(image_of(t) == V2 for t in running)


def test_rolling_updates_go_one_task_at_a_time(bed: Bed, stack: str, tmp_path: Path) -> None:
    """Two services of 4 tasks over the 3 nodes updated at once, one stop-first, one start-first."""
    orders = {f"{stack}_stop": "stop-first", f"{stack}_start": "start-first"}

    def compose(image: str) -> Path:
        services = "".join(f"""
  {name.removeprefix(stack + "_")}:
    image: {image}
    init: true
    command: ["sleep", "1000000"]
    deploy:
      replicas: 4
      update_config: {{parallelism: 1, delay: 0s, monitor: 1s, order: {order}}}
""" for name, order in orders.items())
        return write_compose(tmp_path, f'version: "3.8"\nservices:{services}', name=f"{image.split(':')[1]}.yml")

    first = bed.deploy(stack, compose(V1))
    assert first.returncode == 0, outcome_of(first)
    for service in orders:
        assert len(bed.placement(service)) == 3, bed.placement(service)  # 4 replicas over the 3 nodes

    proc = start_deploy(bed, stack, compose(V2), timeout=120)
    samples: dict[str, list[Sample]] = {service: [sample(bed, service)] for service in orders}
    while proc.poll() is None:
        for service, seen in samples.items():
            now = sample(bed, service)
            if now != seen[-1]:
                seen.append(now)
        time.sleep(0.1)
    done = finish(proc, 10)
    assert done.returncode == 0, outcome_of(done)
    for service, order in orders.items():
        seen = samples[service]
        assert seen[-1] == Sample(0, 4), (order, seen)
        # batch by batch: the tasks of the new image start one at a time
        news = [s.new for s in seen]
        assert all(0 <= b - a <= 1 for a, b in zip(news, news[1:])), (order, seen)
        if order == "stop-first":
            assert all(3 <= s.total <= 4 for s in seen), (order, seen)  # one task down at a time, never one more
            assert min(s.total for s in seen) == 3, (order, seen)
        else:
            # never one fewer; an old task may run on for a few seconds while it is told to stop (its
            # container leaves the overlay network first), so there is no upper bound of one more
            assert all(s.total >= 4 for s in seen), (order, seen)
            assert max(s.total for s in seen) > 4, (order, seen)

        # what the engine recorded, slot by slot: the old task stopped before (stop-first) or after
        # (start-first) its replacement ran, and each replacement was made after the one before ran
        tasks = bed.tasks(service)
        new = sorted((t for t in tasks if image_of(t) == V2), key=lambda t: parse_time(t["CreatedAt"]) or when(t))
        old = {t["Slot"]: t for t in tasks if image_of(t) == V1}
        assert len(new) == 4 and len(old) == 4, (order, tasks)
        for task in new:
            stopped, started = when(old[task["Slot"]]), when(task)
            assert (stopped <= started) if order == "stop-first" else (started <= stopped), (order, task["Slot"])
        for before, after in zip(new, new[1:]):
            assert parse_time(after["CreatedAt"]) >= when(before), f"{order}: a batch began before the one before it ran"


def test_a_worker_lost_during_a_rollout_is_named_and_a_rerun_converges(bed: Bed, stack: str, tmp_path: Path) -> None:
    service, lost = f"{stack}_web", 3
    first = bed.deploy(stack, web(tmp_path, V1, replicas=3))
    assert first.returncode == 0, outcome_of(first)
    timeout = 25
    started = time.monotonic()
    proc = start_deploy(bed, stack, web(tmp_path, V2, replicas=3), timeout=timeout)
    try:
        poll(60, 0.1, lambda: sample(bed, service).new >= 1, "the rollout's first new task running")
        bed.stop(lost)
        done = finish(proc, timeout + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    elapsed = time.monotonic() - started
    say_outcome("the wait with a worker lost", done)
    try:
        # the wait ends within its timeout (plus the time to read and report), with a clear outcome
        assert elapsed <= timeout + 15, (elapsed, outcome_of(done))
        assert done.returncode in (0, 4), outcome_of(done)
        hostname = bed.hostname(lost)
        named = [line for line in done.stderr.splitlines() if f"{service}: node {hostname} is down, with task" in line]
        assert len(named) == 1, outcome_of(done)
        tasks = named[0].split(", with tasks " if ", with tasks " in named[0] else ", with task ")[1].split(", ")
        node_id = next(i for i, h in bed.node_names().items() if h == hostname)
        slots_there = {f"{service}.{t['Slot']}" for t in bed.tasks(service) if t["NodeID"] == node_id}
        assert tasks and set(tasks) <= slots_there, (tasks, slots_there)
        if done.returncode == 4:  # swarm's updater waits for a new task it put on the lost node
            assert len(error_lines(done)) == 1 and hostname in error_lines(done)[0], outcome_of(done)
    finally:
        bed.start(lost)
    bed.wait_ready()
    # the worker is back: swarm finishes or pauses the update it was in; then a rerun converges
    poll(60, 0.5, lambda: update_state(bed, service) not in ("updating", "rollback_started"), "the update settled")
    again = bed.deploy(stack, web(tmp_path, V2, replicas=3))
    assert again.returncode == 0, outcome_of(again)
    poll(30, 0.5, lambda: all_new_running(bed, service, replicas=3), f"{service}: 3 tasks of {V2} running")
    assert update_state(bed, service) in (None, "completed")  # a resumed paused update may leave no status


def test_the_manager_restarted_during_the_wait(bed: Bed, stack: str, tmp_path: Path) -> None:
    """The wait reconnects within its timeout and finishes, or says the outcome is unknown (exit 1,
    one line). A rerun converges (issue 16, item 5)."""
    service = f"{stack}_web"
    first = bed.deploy(stack, web(tmp_path, V1, replicas=2))
    assert first.returncode == 0, outcome_of(first)
    timeout = 60
    proc = start_deploy(bed, stack, web(tmp_path, V2, replicas=2), timeout=timeout)
    try:
        poll(30, 0.1, lambda: update_state(bed, service) == "updating", "the update in flight")
        bed.stop(1)
        time.sleep(1)
        bed.start(1)
        done = finish(proc, timeout + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    say_outcome("the wait across a manager restart", done)
    assert "Traceback" not in done.stderr, outcome_of(done)
    if done.returncode == 0:
        assert f"{service}: converged" in done.stderr, outcome_of(done)
    else:
        # "it reports that the outcome is unknown (exit 1, one line)"
        assert done.returncode == 1, outcome_of(done)
        assert len(error_lines(done)) == 1, outcome_of(done)
        assert "unknown" in error_lines(done)[0], outcome_of(done)
    bed.wait_ready()
    poll(60, 0.5, lambda: update_state(bed, service) not in ("updating", "rollback_started"), "the update settled")
    again = bed.deploy(stack, web(tmp_path, V2, replicas=2))
    assert again.returncode == 0, outcome_of(again)
    poll(30, 0.5, lambda: all_new_running(bed, service, replicas=2), f"{service}: 2 tasks of {V2} running")
