"""Deploy-to-converged and unchanged redeploys of N services: composeswarm against the engine floor and docker.

    .venv/bin/python bench/bench_deploy.py [--services 10,30,200] [--rounds 3] [--multinode]

For each N, each round runs side by side, in turn, each from nothing and each stack removed (its
network gone) before the next run:
  floor         `docker stack deploy --detach` (every service created at once), then `docker service ls`
                every 0.1 s until every replica runs
                followed by `docker stack deploy --detach` again (docker's unchanged redeploy)
  docker        `docker stack deploy --detach=false` (first round only, N <= --docker-upto: it waits 5 s
                per service, one after another, so one run is what it is)
  composeswarm  `composeswarm deploy` (waits until converged), then the same again
All with --resolve-image never (no registry here). In the last round, composeswarm's two deploys go
through the fault proxy (tests/support/fault_proxy.py), which logs every engine call: reads and
writes of the first deploy, calls a second while it waits, reads and writes of the unchanged
redeploy. Docker's redeploy of the floor's stack is counted once more, untimed: docker's figures never
go through the proxy. The proxy relays each call through one more socket, so that round's composeswarm
times are, if anything, slower; counting in a round of its own cost one more deploy of N services
(two minutes at N = 200). Prints medians and ratios against the floor and docker.

--multinode: 30 services of 3 replicas on the three-node bed of scripts/multinode.sh (it must be up:
`scripts/multinode.sh up`), through its manager's socket.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import (  # noqa: E402
    DOCKER, REPO, cs_deploy, docker_deploy, docker_detached, floor, load, median, new_stack, proxy, remove, runs, stack_file,
    stack_on_disk, timed,
)
from tests.support.fault_proxy import Call  # noqa: E402  (lib put the repository on sys.path)


def one_round(file: Path, host: str | None, with_docker: bool, calls: dict[str, float] | None = None) -> dict[str, float]:
    """Seconds: floor; composeswarm first and again; docker --detach=false (when asked) and docker's redeploy.

    With `calls`, composeswarm's deploys and docker's redeploy go through the fault proxy, and `calls`
    gets what it counted (`counted`).
    """
    out: dict[str, float] = {}
    with ExitStack() as held:
        p = held.enter_context(proxy(host[len("unix://"):] if host else None)) if calls is not None else None
        through = p.docker_host if p is not None else host
        stack = new_stack()
        try:
            out["floor"] = floor(file, stack, host)
            # docker's unchanged redeploy, --detach: the form that waits for nothing, as composeswarm's waits
            # for nothing when nothing changed (--detach=false would wait 5 s per service again: it updates them all)
            out["docker again"] = timed(docker_detached(file, stack), host)
            if p is not None and calls is not None:
                # counted in a run of its own (untimed): docker's figures never go through the proxy
                p.reset()
                timed(docker_detached(file, stack), through)
                calls["docker again writes"] = sum(1 for c in p.calls if c.write)
                calls["docker again reads"] = sum(1 for c in p.calls if c.method == "GET")
        finally:
            remove(stack, host)
        if with_docker:
            stack = new_stack()
            try:
                out["docker"] = timed(docker_deploy(file, stack), host)
            finally:
                remove(stack, host)
        stack = new_stack()
        try:
            if p is not None:
                p.reset()
            out["composeswarm"] = timed(cs_deploy(file, stack), through)
            if p is not None and calls is not None:
                calls.update(counted(list(p.calls)))
                p.reset()
            out["composeswarm again"] = timed(cs_deploy(file, stack), through)
            if p is not None and calls is not None:
                calls["again reads"] = sum(1 for c in p.calls if c.method == "GET")
                calls["again writes"] = sum(1 for c in p.calls if c.write)
        finally:
            remove(stack, host)
    return out


def is_refresh(call: Call) -> bool:
    return call.method == "POST" and call.path.startswith("/configs/") and call.path.endswith("/update")


def waiting(calls: list[Call]) -> list[Call]:
    """The reads between the last service creation and the next write: the watcher's."""
    creates = [i for i, c in enumerate(calls) if c.method == "POST" and c.path == "/services/create"]
    if not creates:
        return []
    after = calls[creates[-1] + 1:]
    # the deploy lock's refresh (a label update of its config every 10 s) goes on during the wait
    end = next((i for i, c in enumerate(after) if c.write and not is_refresh(c)), len(after))
    return [c for c in after[:end] if c.method == "GET"]


def counted(calls: list[Call]) -> dict[str, float]:
    """A first deploy's engine calls, from the fault proxy's log: reads, writes, and the wait's calls a second."""
    out: dict[str, float] = {}
    wait = waiting(calls)
    out["first reads"] = sum(1 for c in calls if c.method == "GET") - len(wait)
    out["first writes"] = sum(1 for c in calls if c.write)
    # the rate over whole polls: the calls sent before the last poll began, over the time to it
    last_poll = max(i for i, c in enumerate(wait) if c.path == "/services") if wait else 0
    seconds = wait[last_poll].sent - wait[0].sent if wait else 0.0
    out["wait s"] = wait[-1].answered - wait[0].sent if wait else 0.0
    out["wait calls"] = len(wait)
    out["wait calls/s"] = last_poll / seconds if seconds else 0.0
    return out


def report(n: int, replicas: int, rounds: list[dict[str, float]], calls: dict[str, float]) -> None:
    med = {k: median([r[k] for r in rounds if k in r]) for k in rounds[0]}
    print(f"\n{n} services x {replicas} replica(s), {len(rounds)} round(s), medians (runs), load {load()}:")
    names = {"floor": "floor", "docker": "docker --detach=false", "composeswarm": "composeswarm deploy",
             "docker again": "docker again --detach", "composeswarm again": "composeswarm again"}
    for key, name in names.items():
        if key in med:
            print(f"  {name:24} {med[key]:7.2f} s   ({runs([r[key] for r in rounds if key in r])})")
    versus = f", composeswarm/docker {med['composeswarm'] / med['docker']:.2f}x" if "docker" in med else \
        " (docker --detach=false not run: 5 s per service, one after another)"
    print(f"  deploy-to-converged: composeswarm/floor {med['composeswarm'] / med['floor']:.2f}x{versus}")
    print(f"  unchanged redeploy:  composeswarm/docker {med['composeswarm again'] / med['docker again']:.2f}x")
    print(f"  engine calls (fault proxy): first deploy {calls['first reads']:g} reads + {calls['wait calls']:g} while "
          f"waiting ({calls['wait calls/s']:.1f}/s over {calls['wait s']:.1f} s), {calls['first writes']:g} writes "
          f"({n} services + 1 network + lock 2 + revision 1 = {n + 4})")
    print(f"  unchanged redeploy: composeswarm {calls['again reads']:g} reads, {calls['again writes']:g} writes "
          f"(no lock is taken for an unchanged plan); docker {calls['docker again reads']:g} reads, {calls['docker again writes']:g} writes")


def main() -> None:
    """Measure each N and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", default="10,30,200", help="comma-separated values of N")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--docker-upto", type=int, default=30, metavar="N",
                        help="run docker --detach=false (5 s a service, in turn) for N services at most, in round 1 only")
    parser.add_argument("--multinode", action="store_true", help="30 services x 3 replicas on the multinode bed")
    opts = parser.parse_args()
    host = None
    cases = [(int(n), 1) for n in opts.services.split(",")]
    if opts.multinode:
        state = Path(os.environ.get("COMPOSESWARM_MN_DIR", REPO / ".cache" / "composeswarm" / "multinode"))
        sock = state / "n1" / "docker.sock"
        if not sock.exists():
            sys.exit(f"no multinode bed ({sock} missing): run scripts/multinode.sh up first")
        host, cases = f"unix://{sock}", [(30, 3)]
    print(f"docker {DOCKER}; composeswarm from {REPO}")
    for n, replicas in cases:
        with stack_on_disk(stack_file(n, replicas)) as file:
            calls: dict[str, float] = {}
            rounds = [one_round(file, host, i == 0 and n <= opts.docker_upto, calls if i == opts.rounds - 1 else None)
                      for i in range(opts.rounds)]
        report(n, replicas, rounds, calls)


if __name__ == "__main__":
    main()
