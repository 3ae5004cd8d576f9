"""engine.live: nodes as GET /nodes returns them, in the shape the plan and the node view read."""

from __future__ import annotations

from composeswarm.engine.live import LiveNode, node_from_json

GiB = 1 << 30
CPU = 1_000_000_000


def test_node_from_json() -> None:
    raw = {
        "ID": "p7vg", "Spec": {"Labels": {"db": "true"}, "Role": "manager", "Availability": "drain"},
        "Description": {"Hostname": "vm", "Platform": {"Architecture": "x86_64", "OS": "linux"},
                        "Resources": {"NanoCPUs": 2 * CPU, "MemoryBytes": 8 * GiB},
                        "Engine": {"EngineVersion": "20.10.24", "Labels": {"storage": "ssd"}}},
        "Status": {"State": "ready", "Addr": "10.0.0.1"},
    }  # fmt: skip
    assert node_from_json(raw) == LiveNode(
        "p7vg", "vm", role="manager", availability="drain", state="ready", addr="10.0.0.1", labels={"db": "true"},
        engine_labels={"storage": "ssd"}, os="linux", arch="x86_64", nano_cpus=2 * CPU, memory_bytes=8 * GiB,
        engine_version="20.10.24",
    )
    assert node_from_json({"ID": "n"}) == LiveNode("n", "", state="unknown")
