"""Waiting for 30 independent services: `docker stack deploy --detach=false` against `composeswarm deploy`.

docker waits for one service after another (each one converged, then watched for the 5 s update
monitor); composeswarm watches every service of a wave at once. Both deploy the same file of N
busybox services (init: true) under random stack names, with --resolve-image never, from nothing,
and each stack is removed (and its network gone) before the next run. Prints both wall times and
the ratio.

    .venv/bin/python bench/bench_wait.py [--services 30] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"


def stack_file(count: int) -> str:
    """COUNT independent services that start at once and keep running."""
    lines = ['version: "3.8"', "services:"]
    for i in range(count):
        lines += [f"  s{i:02d}:", "    image: local/busybox:1", "    init: true", '    command: ["sleep", "100000"]']
    return "\n".join(lines) + "\n"


def timed(args: list[str]) -> float:
    """Run ARGS; its wall time in seconds (fails loudly on a non-zero exit)."""
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO_ROOT)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return seconds


def remove(stack: str) -> None:
    """Remove the stack and wait until its services and network are gone."""
    subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        left = subprocess.run(
            [DOCKER, "network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"],
            capture_output=True, text=True,
        ).stdout.strip()
        if not left:
            return
        time.sleep(0.5)
    sys.exit(f"stack {stack} was not removed within 120 s")


def main() -> None:
    """Deploy with each tool, print the times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "stack.yml"
        file.write_text(stack_file(opts.services))
        tools = {
            "docker stack deploy --detach=false": [DOCKER, "stack", "deploy", "--detach=false", "--resolve-image",
                                                   "never", "-c", str(file)],
            "composeswarm deploy": [sys.executable, "-m", "composeswarm", "deploy", "--resolve-image", "never",
                                    "-f", str(file)],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        for _ in range(opts.rounds):
            for name, args in tools.items():
                stack = f"bench{secrets.token_hex(3)}"
                try:
                    times[name].append(timed([*args, stack]))
                finally:
                    remove(stack)
    best = {name: min(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name}: {best[name]:.1f} s (runs: {', '.join(f'{v:.1f}' for v in values)})")
    docker_s, ours = best["docker stack deploy --detach=false"], best["composeswarm deploy"]
    print(f"{opts.services} services: docker {docker_s:.1f} s, composeswarm {ours:.1f} s, ratio {docker_s / ours:.1f}x")


if __name__ == "__main__":
    main()
