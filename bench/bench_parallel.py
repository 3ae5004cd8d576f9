"""`composeswarm deploy --parallel N`: 200 services created with at most N write calls in flight, for each N.

    .venv/bin/python bench/bench_parallel.py [--services 200] [--parallel 1,2,4,8,16] [--rounds 1]

Each run, from nothing: `composeswarm deploy --detach --parallel N` (timed: the calls alone), then
`docker service ls` every 0.1 s until every replica runs (timed from the start: to converged), then the
stack is removed and its network gone. The fault proxy, in front of the engine, checks that at most N
creations were in flight. The default of --parallel (act/apply.py DEFAULT_PARALLEL) is the smallest N
within 5 % of the best time to converged: more calls at once only load the manager (moby#34126).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import cs_deploy, load, median, new_stack, proxy, remove, runs, stack_file, stack_on_disk, timed, wait_running  # noqa: E402
from tests.support.fault_proxy import most_in_flight  # noqa: E402


def one_run(file: Path, parallel: int) -> tuple[float, float, int]:
    """(seconds of the calls, seconds to converged, most creations in flight)."""
    stack = new_stack()
    try:
        with proxy() as p:
            start = time.monotonic()
            calls = timed(cs_deploy(file, stack, "--detach", "--parallel", str(parallel)), p.docker_host)
            converged = wait_running(stack, start)
            most = most_in_flight(p.calls_of("POST", r"^/services/create$"))
        return calls, converged, most
    finally:
        remove(stack)


def main() -> None:
    """Each N in turn, round after round; print medians and the N chosen."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--parallel", default="1,2,4,8,16")
    parser.add_argument("--rounds", type=int, default=1)
    opts = parser.parse_args()
    values = [int(v) for v in opts.parallel.split(",")]
    results: dict[int, list[tuple[float, float, int]]] = {n: [] for n in values}
    with stack_on_disk(stack_file(opts.services)) as file:
        for _ in range(opts.rounds):
            for n in values:
                results[n].append(one_run(file, n))
    print(f"\n{opts.services} services, --parallel N, {opts.rounds} round(s), medians (runs), load {load()}:")
    converged = {n: median([r[1] for r in rows]) for n, rows in results.items()}
    for n, rows in results.items():
        print(f"  --parallel {n:<3} calls {median([r[0] for r in rows]):6.2f} s ({runs([r[0] for r in rows])})   "
              f"to converged {converged[n]:6.2f} s ({runs([r[1] for r in rows])})   "
              f"most in flight {max(r[2] for r in rows)}")
    best = min(converged.values())
    chosen = min(n for n, s in converged.items() if s <= best * 1.05)
    print(f"  smallest N within 5 % of the best time to converged ({best:.2f} s): {chosen}")


if __name__ == "__main__":
    main()
