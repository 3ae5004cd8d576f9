"""Benchmark the plan: a 500-service stack against an empty swarm, and an unchanged redeploy vs docker's.

Prints:
1. the plan for a generated 500-service stack against an empty swarm: `composeswarm plan` wall time
   in a fresh process (cold: interpreter start, imports, load, convert, read live, plan, render), then
   each stage measured in this process; and make_plan for the same 500 services against a live
   stack that already holds them (every service compared field by field);
2. an unchanged redeploy of a corpus stack: composeswarm's wall time and write calls
   (`Engine.calls`) against `docker stack deploy --resolve-image never`'s, measured in the same run;
   for docker the write calls are counted as the objects whose version index moved (a read of every
   service, secret and config before and after).

Needs the engine (a swarm manager) and /work/shared/corpus; holds the corpus lock while it deploys.
Run: .venv/bin/python bench/bench_plan.py [--services 500] [--case NAME]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
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


def generated_stack(services: int) -> str:
    """A compose file with `services` services: env, labels, networks, a secret, resources, healthchecks."""
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
            f"      replicas: {1 + i % 3}",
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


def bench_big(services: int) -> None:
    from composeswarm.convert.stack import convert_project
    from composeswarm.dockerrules.defaults import as_stored
    from composeswarm.engine.gateway import Engine
    from composeswarm.engine.live import LiveStack
    from composeswarm.load.project import load_project
    from composeswarm.plan.builder import make_plan
    from composeswarm.render.plan_report import render_plan

    stack = "bench" + secrets.token_hex(4)  # nothing of it on the engine: an empty swarm for this stack
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stack.yml"
        path.write_text(generated_stack(services))
        (Path(tmp) / "token.txt").write_text("t\n")
        start = time.perf_counter()
        proc = subprocess.run([COMPOSESWARM, "plan", "-f", str(path), "-o", "json", stack], capture_output=True, text=True)
        cold = time.perf_counter() - start
        if proc.returncode != 2:
            raise SystemExit(f"plan exited {proc.returncode}: {proc.stderr}")
        summary = json.loads(proc.stdout)["summary"]
        print(f"{services}-service stack against an empty swarm")
        print(f"  composeswarm plan, fresh process (cold):   {cold:6.3f} s  summary {summary}")

        (project, _), t_load = timed(load_project, [str(path)], [])
        desired, t_convert = timed(convert_project, project, stack)
        engine = Engine.connect()
        live, t_read = timed(engine.read_stack, stack)
        plan, t_plan = timed(make_plan, desired, live)
        _, t_render = timed(render_plan, plan, "text", colour=False)
        print(f"  in process: load {t_load:.3f} s, convert {t_convert:.3f} s, read live {t_read:.3f} s "
              f"(4 list calls), make_plan {t_plan:.3f} s, render {t_render:.3f} s")

        # The same services already live (as the engine stores them): every one compared field by field.
        stored = []
        for i, spec in enumerate(desired.services.values()):
            body = as_stored(spec)
            for net in body["TaskTemplate"].get("Networks") or []:
                net["Target"] = "id-" + net["Target"]
            stored.append({"ID": f"s{i}", "Version": {"Index": 1}, "Spec": body})
        names = {"id-" + name: name for name in desired.networks}
        live_full = LiveStack(stack, services=stored)
        plan, t_full = timed(make_plan, desired, live_full, network_names=names)
        updates = sum(1 for c in plan.changes if c.kind == "service")
        print(f"  make_plan against {services} live services (all compared): {t_full:.3f} s, "
              f"{updates} service changes")


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
    stack = "bench" + secrets.token_hex(4)
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
            subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                left = subprocess.run([DOCKER, "network", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={stack}"],
                                      capture_output=True, text=True).stdout.split()
                if not left:
                    break
                time.sleep(1)
            fcntl.flock(lock, fcntl.LOCK_UN)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--case", default=DEFAULT_CASE)
    args = parser.parse_args()
    bench_big(args.services)
    if CORPUS.is_dir():
        bench_redeploy(args.case)
    else:
        print(f"no corpus at {CORPUS}: redeploy comparison skipped")


if __name__ == "__main__":
    main()
