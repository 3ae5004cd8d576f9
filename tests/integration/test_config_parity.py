"""`composeswarm config` against `docker stack config` on every corpus case.

Needs only the docker CLI (28.2), not the engine. The JSON tree (`--format json`) is compared with
units normalised on both sides (durations to nanoseconds, memory sizes to bytes) and docker's
omitempty applied (docker drops false, zero and empty struct fields when it prints); the YAML output
is compared byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"
COMPOSESWARM = [sys.executable, "-m", "composeswarm"]

_DURATION_KEYS = {"delay", "window", "monitor", "interval", "timeout", "start_period", "start_interval",
                  "stop_grace_period"}
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
          "h": 3600 * 10**9}
_MEMORY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtTpP]?)[iI]?[bB]?\s*$")


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    compose_file: str
    env: dict[str, str]
    docker_refuses: bool


def cases() -> list[Case]:
    """Every corpus case (empty when the corpus is absent)."""
    out = []
    if not CORPUS.is_dir():
        return out
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "case.json").is_file()):
        meta = json.loads((folder / "case.json").read_text())
        out.append(Case(folder.name, folder, meta["compose_file"], dict(meta.get("env", {})),
                        meta.get("docker_stack_deploy") != "deploys"))
    return out


def _env(case: Case) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST",)}
    env.update(case.env)
    return env


def docker_config(case: Case) -> Any:
    """docker stack config's tree, or None when docker refuses the file."""
    proc = subprocess.run([DOCKER, "stack", "config", "-c", case.compose_file], cwd=case.folder,
                          env=_env(case), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return None
    return yaml.safe_load(proc.stdout)


def ours(case: Case) -> Any:
    """composeswarm config's tree, or None when it refuses the file."""
    proc = ours_proc(case)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)


def ours_proc(case: Case) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMPOSESWARM, "config", "--format", "json", "-f", case.compose_file], cwd=case.folder,
                          env=_env(case), capture_output=True, text=True, timeout=60)


def duration_ns(text: str) -> int:
    """Go duration text (1m0s, 90s, 1.5h) to nanoseconds."""
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ns|us|µs|μs|ms|s|m|h)", text):
        total += float(number) * _UNITS[unit]
    return round(total)


def memory_bytes(text: str) -> int:
    """go-units RAMInBytes: binary multipliers."""
    m = _MEMORY.match(text)
    assert m is not None, text
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def normalise(tree: Any, key: str = "", parent: str = "") -> Any:
    """Canonical units, docker's omitempty for struct fields (maps keep their null values)."""
    if isinstance(tree, dict):
        keep_nulls = key in ("environment", "networks", "args") and parent not in ("",)
        out = {}
        for k, v in tree.items():
            nv = normalise(v, k, key)
            if not keep_nulls and (nv is None or nv is False or nv == [] or nv == {} or nv == ""):
                if not (k in ("replicas", "init", "parallelism", "max_attempts") and nv is not None and nv is not False) \
                        and not (key in ("networks", "volumes", "secrets", "configs") and parent == "" and nv == {}):
                    continue
            out[k] = nv
        return out
    if isinstance(tree, list):
        return [normalise(v, key, parent) for v in tree]
    if isinstance(tree, str) and key in _DURATION_KEYS:
        return duration_ns(tree)
    if isinstance(tree, str) and key in ("memory", "required_bytes", "limit_bytes"):
        return memory_bytes(tree)
    return tree


CASES = cases()


@pytest.mark.skipif(not CASES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_config_matches_docker_stack_config(case: Case) -> None:
    expected = docker_config(case)
    proc = ours_proc(case)
    if expected is None:
        assert proc.returncode == 1, proc.stdout
        assert "error: " in proc.stderr and "Traceback" not in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    assert normalise(json.loads(proc.stdout)) == normalise(expected)


@pytest.mark.skipif(not CASES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if not c.docker_refuses])
def test_config_yaml_is_byte_identical(case: Case) -> None:
    docker = subprocess.run([DOCKER, "stack", "config", "-c", case.compose_file], cwd=case.folder,
                            env=_env(case), capture_output=True, text=True, timeout=60)
    proc = subprocess.run([*COMPOSESWARM, "config", "-f", case.compose_file], cwd=case.folder,
                          env=_env(case), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip("\n") == docker.stdout.rstrip("\n")


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        pytest.param("1m0s", 60 * 10**9, id="go form"),
        pytest.param("60s", 60 * 10**9, id="seconds"),
        pytest.param("1h2m3.5s", 3723_500_000_000, id="mixed"),
    ],
)
def test_duration_ns(text: str, ns: int) -> None:
    assert duration_ns(text) == ns


# --- differential: generated files (seeded) through both tools ------------------------------------


def generated_stack(seed: int) -> dict[str, Any]:
    """A random but valid stack built from common keys in short and long forms (deterministic per seed)."""
    import random

    rng = random.Random(seed)

    def pick(*xs: Any) -> Any:
        return rng.choice(xs)

    def maybe(p: float = 0.5) -> bool:
        return rng.random() < p

    def duration() -> str:
        return str(pick("10s", "1m", "90s", "1h30m", "500ms", "0s", "2.5s", "1m0s"))

    def svc() -> dict[str, Any]:
        s: dict[str, Any] = {"image": pick("nginx", "nginx:1.25", "redis:7", "registry.example.com/a/b:1")}
        if maybe():
            s["command"] = pick("echo hi", ["a", "b c"], "sh -c 'x y'", [])
        if maybe(0.3):
            s["entrypoint"] = pick("/bin/sh", ["/x", "-c"])
        if maybe():
            s["environment"] = pick({"A": "1", "B": None, "C": 2, "D": 1.5, "E": ""}, ["A=1", "B", "C=x=y", "D="])
        if maybe():
            s["labels"] = pick({"a": "1", "b": None, "c": 3}, ["a=1", "b", "c=d=e"])
        if maybe():
            s["ports"] = rng.sample(["80", "8080:80", "53:53/udp", "9000-9001:9000-9001", "127.0.0.1:81:81", 3000,
                                     {"target": 90}, {"target": 91, "published": 9091, "protocol": "udp",
                                                      "mode": "host"}], rng.randint(1, 4))
        if maybe():
            s["volumes"] = rng.sample(["/data", "data:/data", "./x:/x:ro", "/a:/b:rshared", "data:/d2:nocopy",
                                       {"type": "bind", "source": "./y", "target": "/y", "read_only": True},
                                       {"type": "tmpfs", "target": "/t", "tmpfs": {"size": 100}},
                                       {"type": "volume", "source": "data", "target": "/v",
                                        "volume": {"nocopy": True}}], rng.randint(1, 3))
        if maybe():
            deploy = {
                "mode": pick("replicated", "global", None), "replicas": pick(0, 1, 3, None),
                "labels": pick({"x": "1"}, ["y=2"], None),
                "update_config": pick({"parallelism": 2, "delay": duration(), "order": "start-first"},
                                      {"monitor": duration(), "max_failure_ratio": 0.5}, None),
                "restart_policy": pick({"condition": "on-failure", "delay": duration(), "max_attempts": 3,
                                        "window": duration()}, None),
                "resources": pick({"limits": {"cpus": "0.5", "memory": pick("50M", "1G", "512m", "1.5g")}},
                                  {"reservations": {"memory": "20M"}}, None),
                "placement": pick({"constraints": ["node.role==worker"], "preferences": [{"spread": "node.labels.z"}]},
                                  None),
                "endpoint_mode": pick("vip", None),
            }
            s["deploy"] = {k: v for k, v in deploy.items() if v is not None}
            if s["deploy"].get("mode") == "global":
                s["deploy"].pop("replicas", None)
        if maybe():
            s["healthcheck"] = pick({"test": "curl x", "interval": duration(), "retries": 3},
                                    {"test": ["CMD", "true"], "timeout": duration(), "start_period": duration()},
                                    {"disable": True})
        if maybe(0.3):
            s["extra_hosts"] = pick(["a:1.2.3.4", "b=::1"], {"z": "1.1.1.1", "a": "[::1]"})
        if maybe(0.3):
            s["sysctls"] = pick({"net.core.somaxconn": 1024}, ["a.b=1"])
        if maybe(0.3):
            s["ulimits"] = pick({"nproc": 10}, {"nofile": {"soft": 1, "hard": 2}})
        if maybe(0.3):
            s["logging"] = pick({"driver": "syslog", "options": {"a": 1}}, {"options": {"max-size": "1m"}})
        if maybe(0.3):
            s["stop_grace_period"] = duration()
        if maybe(0.2):
            s["networks"] = pick(["front"], {"front": {"aliases": ["a"]}}, {"front": None})
        if maybe(0.2):
            s["secrets"] = pick(["s"], [{"source": "s", "target": "t", "mode": 0o440}])
        for key in ("privileged", "read_only", "tty", "stdin_open", "init"):
            if maybe(0.1):
                s[key] = pick(True, False)
        if maybe(0.1):
            s["x-meta"] = {"b": 1, "a": [1, 2]}
        return s

    return {
        "version": "3.13",
        "services": {f"s{i}": svc() for i in range(rng.randint(1, 3))},
        "networks": {"front": pick(None, {"driver": "overlay", "attachable": True}, {"external": True})},
        "volumes": {"data": pick(None, {"driver": "local"}, {"external": True, "name": "d"})},
        "secrets": {"s": pick({"file": "./s.txt"}, {"external": True})},
    }


@pytest.mark.parametrize(
    "seeds",
    [pytest.param((seed,), id=f"file {seed}") for seed in range(1, 21)]
    + [pytest.param((seed, seed + 1000), id=f"files {seed}+{seed + 1000}") for seed in range(1, 21)],
)
def test_generated_files_match_docker(tmp_path: Path, seeds: tuple[int, ...]) -> None:
    (tmp_path / "s.txt").write_text("s\n")
    names = []
    for seed in seeds:
        name = f"stack{seed}.yml"
        (tmp_path / name).write_text(yaml.safe_dump(generated_stack(seed), sort_keys=False))
        names.append(name)
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    docker = subprocess.run([DOCKER, "stack", "config", *[a for n in names for a in ("-c", n)]], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    ours = subprocess.run([*COMPOSESWARM, "config", *[a for n in names for a in ("-f", n)]], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)
    assert (ours.returncode, ours.stdout.rstrip("\n")) == (docker.returncode, docker.stdout.rstrip("\n"))
