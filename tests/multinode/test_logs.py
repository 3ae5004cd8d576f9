"""`logs STACK` on three nodes: the lines of every node's task, each prefixed `@node`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.multinode.conftest import Bed, outcome_of, poll, write_compose

# docker service logs' prefix: <service>.<slot or node ID>.<task ID>@<node hostname>
PREFIX = re.compile(r"^(?P<task>\S+)@(?P<node>\S+)\s+\| (?P<text>.*)$")


def test_logs_merge_the_tasks_of_every_node(bed: Bed, stack: str, tmp_path: Path) -> None:
    compose = write_compose(tmp_path, """
version: "3.8"
services:
  talk:
    image: local/busybox:1
    init: true
    environment:
      NODE: "{{.Node.Hostname}}"
    command: ["sh", "-c", "echo hello from $$NODE; exec sleep 1000000"]
    deploy: {mode: global}
""")
    proc = bed.deploy(stack, compose)
    assert proc.returncode == 0, outcome_of(proc)
    hosts = {bed.hostname(i) for i in (1, 2, 3)}

    def lines() -> dict[str, str] | None:
        logs = bed.composeswarm("logs", stack, "--no-color", timeout=60)
        assert logs.returncode == 0, outcome_of(logs)
        found = {}
        for line in logs.stdout.splitlines():
            match = PREFIX.match(line)
            assert match is not None, f"not a prefixed log line: {line!r}\n{outcome_of(logs)}"
            assert match["task"].startswith(f"{stack}_talk."), line
            found[match["node"]] = match["text"]
        return found if set(found) == hosts else None

    found = poll(30, 1, lines, "a log line from every node")
    assert found == {h: f"hello from {h}" for h in hosts}
