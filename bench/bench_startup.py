"""Start-up: composeswarm --version, validate and plan on a small file, against docker --version,
docker stack config and docker stack deploy --detach on the same file.

    .venv/bin/python bench/bench_startup.py [--rounds 7]

Each command runs --rounds times, in turn with the others (so the file cache is as warm for one as for
the other); the medians and the ratios are printed. `plan` and the redeploy run against the small stack,
deployed once before (docker stack deploy --detach: an unchanged redeploy, one update per service).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import COMPOSESWARM, DOCKER, env, load, median, new_stack, remove, runs, stack_file, stack_on_disk, timed  # noqa: E402


def version_args() -> list[str]:
    """`--version` (issue 14), or the `version` command of a checkout before it."""
    proc = subprocess.run([COMPOSESWARM, "--version"], capture_output=True, env=env())
    return ["--version"] if proc.returncode == 0 else ["version"]


def main() -> None:
    """Time each pair and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    opts = parser.parse_args()
    stack = new_stack()
    with stack_on_disk(stack_file(3)) as file:
        f = str(file)
        pairs = {
            "--version": ([COMPOSESWARM, *version_args()], [DOCKER, "--version"]),
            "validate / stack config": ([COMPOSESWARM, "validate", "-f", f], [DOCKER, "stack", "config", "-c", f]),
            "plan / stack deploy --detach": (
                [COMPOSESWARM, "plan", "-f", f, stack],
                [DOCKER, "stack", "deploy", "--detach=true", "--quiet", "--resolve-image", "never", "-c", f, stack]),
        }
        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
        try:
            timed(pairs["plan / stack deploy --detach"][1])
            for _ in range(opts.rounds):
                for key, (ours, theirs) in pairs.items():
                    # plan exits 2 when it has changes (a stack docker deployed lacks composeswarm's labels)
                    times[key][0].append(timed(ours, ok=(0, 2)))
                    times[key][1].append(timed(theirs))
        finally:
            remove(stack)
    print(f"\nstart-up, {opts.rounds} rounds, medians (runs), load {load()}:")
    for key, (ours, theirs) in times.items():
        print(f"  {key:30} composeswarm {median(ours):5.2f} s ({runs(ours)})   docker {median(theirs):5.2f} s "
              f"({runs(theirs)})   ratio {median(ours) / median(theirs):.1f}x")


if __name__ == "__main__":
    main()
