"""Benchmark the plan at scale: 10 to 2000 services, against an empty swarm and a deployed stack (issue 14).

Prints:
1. for each size, `composeswarm plan -o json` in a fresh process: wall time and peak memory
   (`/usr/bin/time -f '%e %M'`), median of --runs runs, once against an empty swarm and once against the
   same stack deployed by `docker stack deploy` (`replicas: 0`, `endpoint_mode: dnsrr`: no tasks, no
   virtual IPs; removed after); the read calls the plan makes (constant in N: one list call per kind);
   and the growth from the previous size (time per service should stay flat: linear);
2. for the largest size, each stage in this process, CPU time, median of --runs: load (schema among
   it), convert, the live read, make_plan against the deployed stack, render (text and JSON);
3. unless --skip-redeploy, an unchanged redeploy of a corpus stack: composeswarm's wall time and write
   calls (`Engine.calls`) against `docker stack deploy --resolve-image never`'s, measured in the same
   run; for docker the write calls are counted as the objects whose version index moved.

Targets (issue 14): plan of 2000 services at most 2 s in a fresh process and at most 300 MB.
Needs the engine (a swarm manager); stacks are named plan-scale-<random>.
Run: PYTHONPATH=$PWD .venv/bin/python bench/bench_plan.py [--sizes 10,100,500,2000] [--runs 3] [--skip-redeploy]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_CASE = "26-BretFisher-udemy-docker-mastery-example-voting-app-stack"
DOCKER = "/usr/local/bin/docker" if os.access("/usr/local/bin/docker", os.X_OK) else "docker"
COMPOSESWARM = str(REPO / ".venv" / "bin" / "composeswarm")
LOCK = "/tmp/composeswarm-corpus.lock"
TIME_LIMIT, MEMORY_LIMIT_MB = 2.0, 300


def generated_stack(services: int, cheap: bool = False) -> str:
    """A compose file with `services` services: env, labels, networks, a secret, resources, healthchecks.

    `cheap`: `replicas: 0` and `endpoint_mode: dnsrr`, so that a swarm holds thousands of them without
    tasks or virtual IPs (the overlay subnets stay free).
    """
    lines = ['version: "3.8"', "services:"]
    for i in range(services):
        lines += [
            f"  svc{i:03d}:",
            f"    image: local/busybox:{1 + i % 2}",
            "    command: [\"sh\", \"-c\", \"sleep 1000\"]",
            "    environment:",
            f"      INDEX: \"{i}\"",
            "      MODE: bench",
            "      DB_PASSWORD: not-a-secret",
            "    networks: [front, back]" if i % 3 == 0 else "    networks: [back]",
            "    secrets: [token]" if i % 5 == 0 else "    init: true",
            "    healthcheck:",
            "      test: [\"CMD\", \"true\"]",
            "      interval: 30s",
            "    deploy:",
            "      replicas: 0" if cheap else f"      replicas: {1 + i % 3}",
            *(["      endpoint_mode: dnsrr"] if cheap else []),
            "      labels:",
            f"        bench.index: \"{i}\"",
            "      resources:",
            "        limits: {cpus: \"0.5\", memory: 64M}",
            "      update_config: {parallelism: 2, delay: 5s}",
        ]
    lines += ["networks:", "  front: {}", "  back: {}", "secrets:", "  token:", "    file: ./token.txt", ""]
    return "\n".join(lines)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def cpu_median(runs: int, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """fn's result and the median CPU time (this process) of `runs` calls."""
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = fn(*args, **kwargs)
        times.append(time.process_time() - start)
    return result, statistics.median(times)


def fresh_plan(path: Path, stack: str, runs: int) -> tuple[float, float, dict[str, int]]:
    """Median wall seconds and peak MB of `composeswarm plan -o json` in a fresh process, and its summary."""
    walls, peaks, summary = [], [], {}
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as out:
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M", "-o", out.name, COMPOSESWARM, "plan", "-f", str(path), "-o", "json", stack],
                capture_output=True, text=True,
            )
            if proc.returncode not in (0, 2):
                raise SystemExit(f"plan exited {proc.returncode}: {proc.stderr}")
            wall, peak_kb = out.read().split()[-2:]
        walls.append(float(wall))
        peaks.append(int(peak_kb) / 1024)
        summary = json.loads(proc.stdout)["summary"]
    return statistics.median(walls), statistics.median(peaks), summary


def reads_of_plan(path: Path, stack: str) -> int:
    """The engine calls a plan makes (in process: `Engine.reads`; a plan makes no write)."""
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.engine.gateway import Engine

    engine = Engine.connect()
    deploy(DeployOptions(stack=stack, files=[str(path)], resolve_image="never", dry_run=True), engine=engine)
    assert not engine.calls
    return engine.reads


def remove_stack(stack: str) -> None:
    """docker stack rm, then wait (bounded) until its networks are gone."""
    subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        left = subprocess.run([DOCKER, "network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"],
                              capture_output=True, text=True).stdout.split()
        if not left:
            return
        time.sleep(1)


def bench_sizes(sizes: list[int], runs: int) -> Path:
    """Part 1; returns the folder of the largest size's file (kept for the stage figures)."""
    keep = Path(tempfile.mkdtemp(prefix="plan-scale-"))
    print(f"composeswarm plan -o json, fresh process, median of {runs} runs "
          f"(limits at 2000 services: {TIME_LIMIT} s, {MEMORY_LIMIT_MB} MB)")
    # ms/svc: the wall time each service added since the previous size (flat when the time grows linearly)
    print(f"  {'services':>8s} {'against':9s} {'wall s':>7s} {'ms/svc':>7s} {'peak MB':>8s} {'reads':>5s}  summary")
    previous: dict[str, tuple[int, float]] = {}
    for n in sizes:
        folder = keep / str(n)
        folder.mkdir()
        path = folder / "stack.yml"
        path.write_text(generated_stack(n, cheap=True))
        (folder / "token.txt").write_text("t\n")
        stack = f"plan-scale-{secrets.token_hex(3)}"
        rows = []
        rows.append(("empty", *fresh_plan(path, stack, runs), reads_of_plan(path, stack)))
        try:
            subprocess.run([DOCKER, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet",
                            "-c", str(path), stack], capture_output=True, text=True, check=True, cwd=folder)
            rows.append(("deployed", *fresh_plan(path, stack, runs), reads_of_plan(path, stack)))
        finally:
            remove_stack(stack)
        for against, wall, peak, summary, reads in rows:
            brief = ", ".join(f"{k} {v}" for k, v in summary.items() if v)
            before_n, before_wall = previous.get(against, (0, 0.0))
            per = f"{(wall - before_wall) / (n - before_n) * 1000:7.2f}" if before_n else f"{'':7s}"
            previous[against] = (n, wall)
            print(f"  {n:8d} {against:9s} {wall:7.2f} {per} {peak:8.0f} {reads:5d}  {brief}")
    return keep / str(sizes[-1])


def bench_stages(folder: Path, runs: int) -> None:
    """Part 2: the stages of one plan, in this process, against the stack deployed again."""
    from composeswarm.convert.stack import convert_project
    from composeswarm.engine.gateway import Engine
    from composeswarm.load import schema
    from composeswarm.load.project import load_project
    from composeswarm.plan.builder import make_plan
    from composeswarm.render.plan_report import render_plan

    path = folder / "stack.yml"
    stack = f"plan-scale-{secrets.token_hex(3)}"
    seen: list[tuple[Any, str]] = []
    original = schema.validate
    schema.validate = lambda data, version, pos, file: (seen.append((data, version)), original(data, version, pos, file))[1]  # type: ignore[assignment]
    try:
        (project, _), t_load = cpu_median(runs, load_project, [str(path)], [])
    finally:
        schema.validate = original  # type: ignore[assignment]
    data, version = seen[0]
    fast = schema._fast(version)
    _, t_schema = cpu_median(runs, lambda: fast is not None and fast(schema._name_all(data)[0]))
    desired, t_convert = cpu_median(runs, convert_project, project, stack)
    try:
        subprocess.run([DOCKER, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet",
                        "-c", str(path), stack], capture_output=True, text=True, check=True, cwd=folder)
        engine = Engine.connect()
        live, t_read = timed(engine.read_stack, stack)
    finally:
        remove_stack(stack)
    plan, t_plan = cpu_median(runs, make_plan, desired, live)
    _, t_text = cpu_median(runs, render_plan, plan, "text", colour=False)
    _, t_json = cpu_median(runs, render_plan, plan, "json")
    print(f"{len(desired.services)} services, stage by stage in process (CPU s, median of {runs}; the live read wall s):")
    print(f"  load {t_load:.3f} (of it the schema fast path {t_schema:.3f}), convert {t_convert:.3f}, "
          f"read live {t_read:.3f} (4 list calls, {len(live.services)} services), make_plan {t_plan:.3f} "
          f"({plan.summary()['unchanged']} unchanged), render text {t_text:.3f}, json {t_json:.3f}")


def service_versions(stack: str) -> dict[str, int]:
    """Version index of every service, secret and config of the stack."""
    out: dict[str, int] = {}
    for kind in ("service", "secret", "config"):
        ids = subprocess.run(
            [DOCKER, kind, "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        if not ids:
            continue
        data = json.loads(subprocess.run([DOCKER, kind, "inspect", *ids], capture_output=True, text=True, check=True).stdout)
        for obj in data:
            out[f"{kind} {obj['Spec']['Name']}"] = int(obj["Version"]["Index"])
    return out


def moved(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


def bench_redeploy(case: str) -> None:
    from composeswarm.act.deploy import DeployOptions, deploy
    from composeswarm.engine.gateway import Engine

    meta = json.loads((CORPUS / case / "case.json").read_text())
    path = CORPUS / case / meta["compose_file"]
    env = {k: str(v) for k, v in meta.get("env", {}).items()}
    os.environ.update(env)
    stack = "plan-scale-" + secrets.token_hex(4)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            opts = DeployOptions(stack=stack, files=[str(path)], resolve_image="never", detach=True)
            deploy(opts, engine=Engine.connect())
            time.sleep(2)
            print(f"unchanged redeploy of corpus case {case} ({len(service_versions(stack))} services, secrets, configs)")

            before = service_versions(stack)
            engine = Engine.connect()
            result, wall = timed(deploy, opts, engine=engine)
            after = service_versions(stack)
            print(f"  composeswarm deploy, in process: {wall:6.3f} s  write calls {len(engine.calls)}  "
                  f"objects whose version moved {len(moved(before, after))}  (plan: {result.plan.summary()})")

            before = after
            start = time.perf_counter()
            proc = subprocess.run(
                [COMPOSESWARM, "deploy", "--resolve-image", "never", "--detach", "-f", str(path), stack],
                capture_output=True, text=True, env={**os.environ, **env},
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"composeswarm deploy failed: {proc.stderr}")
            after = service_versions(stack)
            print(f"  composeswarm deploy, fresh process: {wall:6.3f} s  objects whose version moved "
                  f"{len(moved(before, after))}  ({proc.stdout.strip().splitlines()[-1]})")

            before = after
            start = time.perf_counter()
            proc = subprocess.run(
                [DOCKER, "stack", "deploy", "--resolve-image", "never", "--detach=true", "--quiet", "-c", str(path), stack],
                capture_output=True, text=True, env={**os.environ, **env},
            )
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"docker stack deploy failed: {proc.stderr}")
            after = service_versions(stack)
            changed = moved(before, after)
            print(f"  docker stack deploy: {wall:6.3f} s  write calls >= {len(changed)} "
                  f"(objects whose version moved: {', '.join(changed)})")
        finally:
            remove_stack(stack)
            fcntl.flock(lock, fcntl.LOCK_UN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,500,2000", help="comma-separated service counts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--case", default=DEFAULT_CASE)
    parser.add_argument("--skip-redeploy", action="store_true", help="skip the corpus redeploy against docker")
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs")
    largest = bench_sizes([int(n) for n in args.sizes.split(",")], args.runs)
    bench_stages(largest, args.runs)
    if args.skip_redeploy:
        return
    if CORPUS.is_dir():
        bench_redeploy(args.case)
    else:
        print(f"no corpus at {CORPUS}: redeploy comparison skipped")


if __name__ == "__main__":
    main()
