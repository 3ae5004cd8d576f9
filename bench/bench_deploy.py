"""Wall time and writes of `composeswarm deploy` against `docker stack deploy` on one corpus case.

    .venv/bin/python bench/bench_deploy.py [CASE] [--rounds N]

For each round, under the corpus lock: a first deploy and an unchanged redeploy with docker
(`--resolve-image never`), stack removed; the same with composeswarm (`--detach`). A redeploy's
writes are counted from the engine: the objects whose version index moved. Prints medians.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"
COMPOSESWARM = str(REPO / ".venv" / "bin" / "composeswarm")
LABEL = "com.docker.stack.namespace"


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Run CMD, fail loudly, return its wall time in seconds."""
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr}")
    return took


def versions(stack: str) -> dict[str, int]:
    """Version index of every service, secret and config of the stack."""
    out = {}
    for kind in ("service", "secret", "config"):
        ids = subprocess.run([DOCKER, kind, "ls", "-q", "--filter", f"label={LABEL}={stack}"],
                             capture_output=True, text=True, check=True).stdout.split()
        if ids:
            for obj in json.loads(subprocess.run([DOCKER, kind, "inspect", *ids], capture_output=True, text=True,
                                                 check=True).stdout):
                out[f"{kind} {obj['Spec']['Name']}"] = obj["Version"]["Index"]
    return out


def remove(stack: str) -> None:
    """docker stack rm, then wait until the stack's networks are gone."""
    subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True, check=False)
    while subprocess.run([DOCKER, "network", "ls", "-q", "--filter", f"label={LABEL}={stack}"],
                         capture_output=True, text=True).stdout.strip():
        time.sleep(0.5)


def one_round(tool: str, file: Path, env: dict[str, str], stack: str) -> tuple[float, float, int]:
    """(first deploy s, unchanged redeploy s, objects written by the redeploy)."""
    if tool == "docker":
        cmd = [DOCKER, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet", "-c", str(file), stack]
    else:
        cmd = [COMPOSESWARM, "deploy", "--resolve-image", "never", "--detach", "-f", str(file), stack]
    try:
        first = run(cmd, env)
        before = versions(stack)
        again = run(cmd, env)
        after = versions(stack)
        return first, again, sum(1 for k in after if after[k] != before.get(k))
    finally:
        remove(stack)


def main() -> None:
    """Measure and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", nargs="?", default="22-swarmpit-swarmpit-docker-compose")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    case_dir = CORPUS / args.case
    if not case_dir.is_dir():
        sys.exit(f"no corpus case {case_dir}")
    case = json.loads((case_dir / "case.json").read_text())
    if any(case.get("external", {}).get(k) for k in ("networks", "secrets", "configs")):
        sys.exit(f"{args.case} needs external objects; pick a case without them")
    file = case_dir / case["compose_file"]
    env = {**os.environ, **{k: str(v) for k, v in (case.get("env") or {}).items()}}
    results: dict[str, list[tuple[float, float, int]]] = {"docker": [], "composeswarm": []}
    with open("/tmp/composeswarm-corpus.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for i in range(args.rounds):
            for tool in results:
                results[tool].append(one_round(tool, file, env, f"bench{os.getpid()}x{i}"))
    print(f"case {args.case}, {args.rounds} rounds, medians:")
    for tool, rows in results.items():
        first = statistics.median(r[0] for r in rows)
        again = statistics.median(r[1] for r in rows)
        writes = statistics.median(r[2] for r in rows)
        print(f"  {tool:12} first deploy {first:.2f} s   unchanged redeploy {again:.2f} s, {writes:g} objects written")


if __name__ == "__main__":
    main()
