"""Time `composeswarm validate` against `docker stack config` on the corpus and a 500-service file.

Prints one line per input with the median wall time of each tool over N runs and the ratio, and
the cold (first) run of composeswarm on the generated file beside docker's first run on the same file in
the same run, and their ratio. Exits 1 when composeswarm's median on the 500-service file is slower than
docker's (issue 14's target: no slower than `docker stack config`); the first run's 0.5 s (the limit of
the first fast-path work) is printed, not enforced: one cold run on a busy machine says little.
Run: .venv/bin/python bench/bench_validate.py [RUNS]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"
COMPOSESWARM = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
COLD_LIMIT = 0.5


def generated(services: int) -> str:
    """A valid stack with `services` services using most common keys."""
    lines = ['version: "3.9"', "x-defaults: &defaults", "  stop_grace_period: 20s", "  logging:",
             "    driver: json-file", "    options: {max-size: 10m}", "services:"]
    for i in range(services):
        lines += [
            f"  svc{i}:",
            "    <<: *defaults",
            f"    image: registry.example.com/team/app{i}:1.{i}",
            f"    command: [\"serve\", \"--port\", \"{8000 + i % 1000}\"]",
            "    environment:",
            f"      - SERVICE_INDEX={i}",
            "      - LOG_LEVEL=${LOG_LEVEL:-info}",
            "    ports:",
            f"      - \"{10000 + i}:80\"",
            "    volumes:",
            f"      - data{i % 10}:/var/lib/app",
            "      - ./conf:/etc/app:ro",
            "    networks: [front, back]",
            "    healthcheck:",
            "      test: [\"CMD\", \"true\"]",
            "      interval: 30s",
            "    deploy:",
            f"      replicas: {1 + i % 3}",
            "      update_config: {parallelism: 1, delay: 10s, order: start-first}",
            "      resources:",
            "        limits: {cpus: '0.5', memory: 256M}",
            "      labels:",
            f"        com.example.index: \"{i}\"",
        ]
        if i:
            lines += ["    depends_on:", f"      - svc{i - 1}"]
    lines += ["networks:", "  front:", "  back:", "    driver: overlay", "volumes:"]
    lines += [f"  data{j}:" for j in range(10)]
    return "\n".join(lines) + "\n"


def timed_cpu(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run of `cmd`."""
    return timed_cpu(cmd, cwd, env)[0]


def compare(label: str, folder: Path, file: str, env: dict[str, str], runs: int) -> tuple[float, float]:
    ours = [timed([COMPOSESWARM, "validate", "-f", file], folder, env) for _ in range(runs)]
    theirs = [timed([DOCKER, "stack", "config", "-c", file], folder, env) for _ in range(runs)]
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"{label:70s} composeswarm {a * 1000:7.1f} ms  docker {b * 1000:7.1f} ms  ratio {a / b:5.2f}")
    return a, b


def main() -> int:
    """Run the benchmark; exit 1 when composeswarm is slower than docker on the generated file."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    base_env = dict(os.environ)
    totals = [0.0, 0.0]
    # what any composeswarm command costs before it does anything (interpreter, typer)
    startup = statistics.median(timed([COMPOSESWARM, "version"], REPO_ROOT, base_env) for _ in range(runs))
    print(f"{'startup (composeswarm version)':70s} composeswarm {startup * 1000:7.1f} ms")
    if CORPUS.is_dir():
        for folder in sorted(p for p in CORPUS.iterdir() if (p / "case.json").is_file()):
            meta = json.loads((folder / "case.json").read_text())
            if meta.get("docker_stack_deploy") != "deploys" or folder.name.startswith(("01-", "02-")):
                continue  # refused files, and the full example whose references validate rejects
            env = {**base_env, **meta.get("env", {})}
            a, b = compare(folder.name, folder, meta["compose_file"], env, runs)
            totals[0] += a
            totals[1] += b
        print(f"{'corpus total':70s} composeswarm {totals[0] * 1000:7.1f} ms  docker {totals[1] * 1000:7.1f} ms"
              f"  ratio {totals[0] / totals[1]:5.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "docker-compose.yml").write_text(generated(500))
        (folder / "conf").mkdir()
        cold, cold_cpu = timed_cpu([COMPOSESWARM, "validate", "-f", "docker-compose.yml"], folder, base_env)
        # docker's first run on the same new file, right after ours (issue 14: no slower than docker's)
        docker_cold, docker_cpu = timed_cpu([DOCKER, "stack", "config", "-c", "docker-compose.yml"], folder, base_env)
        ours, theirs = compare("generated: 500 services", folder, "docker-compose.yml", base_env, runs)
        print(f"cold run of composeswarm validate on 500 services: {cold * 1000:.1f} ms wall, "
              f"{cold_cpu * 1000:.1f} ms CPU ({'under' if cold < COLD_LIMIT else 'over'} "
              f"{COLD_LIMIT * 1000:.0f} ms)")
        print(f"cold run of docker stack config on the same file: {docker_cold * 1000:.1f} ms wall, "
              f"{docker_cpu * 1000:.1f} ms CPU; ratio composeswarm/docker {cold / docker_cold:.2f} wall, "
              f"{cold_cpu / docker_cpu:.2f} CPU")
        print(f"load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        verdict = "ok" if ours <= theirs else "SLOWER THAN DOCKER"
        print(f"500 services, medians of {runs}: composeswarm/docker {ours / theirs:.2f}: {verdict}")
        return 0 if ours <= theirs else 1


if __name__ == "__main__":
    sys.exit(main())
