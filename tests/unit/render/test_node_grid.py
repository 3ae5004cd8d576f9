"""render.node_grid: the node view as JSON, as a list off a terminal, and as a grid on one."""

from __future__ import annotations

from typing import Any

from composeswarm.ops.nodes import NodeView, view_of
from composeswarm.render.node_grid import nodes_grid, nodes_json, nodes_text
from tests.support.fake_swarm import node, service, task


def view() -> NodeView:
    manager = dict(node("n1", "mgr1"), Spec={"Role": "manager", "Availability": "active", "Labels": {"db": "true"}},
                   Description={"Hostname": "mgr1", "Engine": {"EngineVersion": "20.10.24"}})
    drained = dict(node("n2", "wrk1"), Spec={"Role": "worker", "Availability": "drain"})
    tasks = [
        task("st_web", 1, node="n1"),
        task("st_web", 2, "failed", node="n1"),
        task("st_agent", None, "starting", node="n2"),
        task("st_web", 3, "pending", node=""),
    ]
    for t in tasks:
        t["Spec"] = {"ContainerSpec": {"Image": "docker.io/library/busybox:1.36@sha256:abc"}}
    services: list[dict[str, Any]] = [service("st_web"), service("st_agent", mode="global")]
    return view_of([manager, drained], tasks, services, "st")


def test_json() -> None:
    image = "docker.io/library/busybox:1.36@sha256:abc"
    assert nodes_json(view()) == {
        "version": 1,
        "stack": "st",
        "nodes": [
            {"id": "n1", "hostname": "mgr1", "role": "manager", "availability": "active", "state": "ready",
             "labels": {"db": "true"}, "engine_version": "20.10.24", "tasks": [
                 {"id": "t-st_web-1-running-:01", "name": "st_web.1", "service": "st_web", "slot": 1, "state": "running",
                  "desired_state": "running", "image": image},
                 {"id": "t-st_web-2-failed-:01", "name": "st_web.2", "service": "st_web", "slot": 2, "state": "failed",
                  "desired_state": "running", "image": image}]},
            {"id": "n2", "hostname": "wrk1", "role": "worker", "availability": "drain", "state": "ready",
             "labels": {}, "engine_version": "", "tasks": [
                 {"id": "t-st_agent-None-starting-:01", "name": "st_agent.n2", "service": "st_agent", "slot": 0,
                  "state": "starting", "desired_state": "running", "image": image}]},
        ],
        "unassigned": [{"id": "t-st_web-3-pending-:01", "name": "st_web.3", "service": "st_web", "slot": 3,
                        "state": "pending", "desired_state": "running", "image": image}],
    }  # fmt: skip


def test_text() -> None:
    assert nodes_text(view()) == (
        "mgr1  manager  active  ready  20.10.24  db=true\n"
        "    st_web.1     running   busybox:1.36\n"
        "    st_web.2     failed    busybox:1.36\n"
        "wrk1  worker  drain  ready  -  -\n"
        "    st_agent.n2  starting  busybox:1.36\n"
        "(no node)\n"
        "    st_web.3     pending   busybox:1.36\n"
    )


def test_grid_without_colour_names_the_states() -> None:
    assert nodes_grid(view(), width=120) == (
        "mgr1                         wrk1                           (no node)\n"
        "manager active ready         worker drain ready\n"
        "20.10.24                     -\n"
        "db=true                      -\n"
        "───────────────────────────  ─────────────────────────────  ────────────────────────────\n"
        "web.1 busybox:1.36           agent busybox:1.36 (starting)  web.3 busybox:1.36 (pending)\n"
        "web.2 busybox:1.36 (failed)\n"
    )


def test_grid_colours_tasks_by_state_and_wraps_to_the_width() -> None:
    lines = nodes_grid(view(), width=30, colour=True).splitlines()
    assert lines[:6] == [
        "\x1b[1mmgr1\x1b[0m",
        "manager active ready",
        "20.10.24",
        "db=true",
        "────────────────────",
        "\x1b[32mweb.1 busybox:1.36\x1b[0m",
    ]
    assert lines[6] == "\x1b[31mweb.2 busybox:1.36\x1b[0m"
    assert lines[7] == ""  # the next band: the next node
    assert "\x1b[33magent busybox:1.36\x1b[0m" in lines
    assert "\x1b[33mweb.3 busybox:1.36\x1b[0m" in lines


def test_no_tasks() -> None:
    empty = view_of([node("n1", "vm")], [], [], None)
    assert nodes_text(empty) == "vm  worker  active  ready  -  -\n    (no tasks)\n"
