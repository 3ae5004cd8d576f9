"""The plan's time grows linearly in the number of services (issue 14): load, convert, plan, render; no engine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from composeswarm.convert.stack import convert_project
from composeswarm.dockerrules.defaults import as_stored
from composeswarm.engine.live import LiveStack
from composeswarm.load.project import load_project
from composeswarm.plan.builder import make_plan
from composeswarm.render.plan_report import render_plan

# Four times the services may take at most this many times as long: linear is 4, quadratic 16. The
# margin is for a shared machine; the figures are the fastest of three runs, in CPU time.
BOUND = 6.0


def stack_file(services: int) -> str:
    """A stack of `services` services with the common keys (env, labels, networks, a secret, resources)."""
    lines = ['version: "3.8"', "services:"]
    for i in range(services):
        lines += [
            f"  svc{i}:",
            f"    image: local/busybox:{1 + i % 2}",
            '    command: ["sh", "-c", "sleep 1000"]',
            "    environment:",
            f'      INDEX: "{i}"',
            "    networks: [front, back]" if i % 3 == 0 else "    networks: [back]",
            "    secrets: [token]" if i % 5 == 0 else "    init: true",
            "    healthcheck: {test: [CMD, \"true\"], interval: 30s}",
            "    deploy:",
            f"      replicas: {i % 3}",
            f"      labels: {{index: \"{i}\"}}",
            "      resources: {limits: {cpus: \"0.5\", memory: 64M}}",
            "      update_config: {parallelism: 2, delay: 5s}",
        ]
    lines += ["networks: {front: {}, back: {}}", "secrets:", "  token: {file: ./token.txt}", ""]
    return "\n".join(lines)


def deployed(desired: Any) -> tuple[LiveStack, dict[str, str]]:
    """The same services as the engine stores them (network IDs in place of names)."""
    services = []
    for i, spec in enumerate(desired.services.values()):
        body = as_stored(spec)
        for net in body["TaskTemplate"].get("Networks") or []:
            net["Target"] = "id-" + net["Target"]
        services.append({"ID": f"s{i}", "Version": {"Index": 1}, "Spec": body})
    return LiveStack(desired.stack, services=services), {"id-" + name: name for name in desired.networks}


def plan_seconds(folder: Path, services: int) -> tuple[float, dict[str, int]]:
    """CPU seconds (fastest of three) of load, convert, make_plan against empty and deployed, render."""
    path = folder / f"stack{services}.yml"
    path.write_text(stack_file(services))
    (folder / "token.txt").write_text("t\n")
    best, summary = float("inf"), {}
    for _ in range(3):
        start = time.process_time()
        project, _ = load_project([str(path)], [])
        desired = convert_project(project, "scale")
        render_plan(make_plan(desired, LiveStack("scale")), "json")
        live, names = deployed(desired)
        plan = make_plan(desired, live, network_names=names)
        render_plan(plan, "text", colour=False)
        best = min(best, time.process_time() - start)
        summary = plan.summary()
    return best, summary


@pytest.mark.slow
def test_plan_time_grows_linearly(tmp_path: Path) -> None:
    small, small_summary = plan_seconds(tmp_path, 500)
    large, large_summary = plan_seconds(tmp_path, 2000)
    # the deployed side is the file's own services, every one compared and none changed; its two
    # networks and the secret are not on it
    assert [(s["unchanged"], s["create"]) for s in (small_summary, large_summary)] == [(500, 3), (2000, 3)]
    assert large / small <= BOUND, f"500 services {small:.3f} s, 2000 services {large:.3f} s"
