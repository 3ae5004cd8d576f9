"""Benchmark the plan's comparison of views: the hand-written one against DeepDiff (issue 9).

Builds, in process and without an engine, a generated stack of N services (bench_plan's file) and a
deployed stack of the same N services as the engine stores them (`as_stored`, network IDs, pinned
images, the secret with its digest label), a few of them changed on the live side. Then times
`make_plan` only, median of several runs, once with the comparison in plan/builder.py and once with
DeepDiff over the same two views, checks that both plans are equal, and prints both figures and the
ratio.

DeepDiff is no longer a dependency (README, Dependency notes): the DeepDiff variant lives here, and
this script needs it installed (`pip install deepdiff`).
Run: PYTHONPATH=$PWD .venv/bin/python bench/bench_plan_compare.py [--services 500] [--changed 5] [--runs 15]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_plan import generated_stack  # noqa: E402
from composeswarm.convert.stack import DesiredStack, convert_project  # noqa: E402
from composeswarm.dockerrules.defaults import as_stored  # noqa: E402
from composeswarm.engine.live import LiveStack  # noqa: E402
from composeswarm.load.project import load_project  # noqa: E402
from composeswarm.plan import builder  # noqa: E402
from composeswarm.plan.builder import (  # noqa: E402
    DIGEST_LABEL,
    ENGINE_MAY_DROP,
    FieldChange,
    Plan,
    content_digest,
    is_sensitive,
    make_plan,
)
from composeswarm.dockerrules.stacknames import LABEL_IMAGE as IMAGE_LABEL  # noqa: E402
from composeswarm.plan.view import PINNED  # noqa: E402

LIMIT = 0.1  # seconds: the bound for make_plan of 500 services against a deployed stack
DIGEST = "@sha256:" + "a" * 64


def deepdiff_diff(self: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """`_Builder._diff` with DeepDiff deciding which fields differ; the same FieldChanges, same order."""
    from deepdiff import DeepDiff

    if before.get("image") != after.get("image"):  # the written image says it; the pinned one is detail
        before = {k: v for k, v in before.items() if k != PINNED}
        after = {k: v for k, v in after.items() if k != PINNED}
    # threshold_to_diff_deeper=0: DeepDiff 8+ would report two very different views as one change at
    # the root; ignore_numeric_type_changes: 1 and 1.0 are one value, as for ==.
    tree = DeepDiff(dict(before), dict(after), view="tree", threshold_to_diff_deeper=0, ignore_numeric_type_changes=True)
    changed = {level.path(output_format="list")[0] for levels in tree.values() for level in levels}
    out = []
    for path in builder._ordered_union(before, after):  # DeepDiff groups by report type: keep the view's order
        if path not in changed:
            continue
        old, new = before.get(path), after.get(path)
        if old is None and path in ENGINE_MAY_DROP:
            continue
        shown = "image" if path == PINNED else path
        out.append(FieldChange(shown, old, new, sensitive=not self.show_sensitive and is_sensitive(path)))
    return tuple(out)


@contextmanager
def comparison(diff: Callable[..., tuple[FieldChange, ...]] | None) -> Iterator[None]:
    """Run make_plan with `diff` as `_Builder._diff` (None: the one in plan/builder.py)."""
    original = builder._Builder._diff
    if diff is not None:
        builder._Builder._diff = diff  # type: ignore[method-assign]
    try:
        yield
    finally:
        builder._Builder._diff = original  # type: ignore[method-assign]


def desired_stack(services: int) -> DesiredStack:
    """The generated compose file, loaded and converted as `composeswarm plan` does."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stack.yml"
        path.write_text(generated_stack(services))
        (Path(tmp) / "token.txt").write_text("t\n")
        project, _ = load_project([str(path)], [])
        return convert_project(project, "bench")


def _env(spec: dict[str, Any], name: str, value: str) -> None:
    container = spec["TaskTemplate"]["ContainerSpec"]
    container["Env"] = [e for e in container["Env"] if not e.startswith(name + "=")] + [f"{name}={value}"]


def _older(spec: dict[str, Any], kind: int) -> None:
    """What the live side of a changed service holds instead (the file moved on since the deploy)."""
    container = spec["TaskTemplate"]["ContainerSpec"]
    if kind == 0:
        spec["Mode"]["Replicated"]["Replicas"] += 1
    elif kind == 1:
        _env(spec, "MODE", "old")
    elif kind == 2:
        spec["Labels"][IMAGE_LABEL] = "local/busybox:0"
        container["Image"] = "local/busybox:0" + DIGEST
    elif kind == 3:
        spec["Labels"]["bench.index"] = "old"
    else:
        spec["UpdateConfig"]["Delay"] = 10_000_000_000


def live_stack(desired: DesiredStack, changed: int) -> LiveStack:
    """The deployed stack: every service as the engine stores it, `changed` of them different."""
    services = []
    every = max(1, len(desired.services) // max(1, changed))
    for i, spec in enumerate(desired.services.values()):
        body = as_stored(spec)
        task = body["TaskTemplate"]
        task["ContainerSpec"]["Image"] += DIGEST  # the engine pins the tag it resolved
        for net in task.get("Networks") or []:
            net["Target"] = "id-" + net["Target"]
        for ref in task["ContainerSpec"].get("Secrets") or []:
            ref["SecretID"] = "id-" + ref["SecretName"]
        if i % every == 0 and i // every < changed:
            _older(body, (i // every) % 5)
        services.append({"ID": f"s{i}", "Version": {"Index": 10}, "Spec": body})
    networks = [{"Id": "id-" + name, "Name": name, "Driver": "overlay", "Labels": dict(body.get("Labels") or {})}
                for name, body in desired.networks.items()]
    secrets = []
    for name, body in desired.secrets.items():
        labels = {**(body.get("Labels") or {}), DIGEST_LABEL: content_digest(bytes(body["Data"]))}
        secrets.append({"ID": "id-" + name, "Version": {"Index": 5}, "CreatedAt": "2024-01-01T00:00:00Z",
                        "Spec": {"Name": name, "Labels": labels}})
    return LiveStack("bench", services=services, networks=networks, secrets=secrets)


def median_time(desired: DesiredStack, live: LiveStack, runs: int) -> tuple[float, Plan]:
    """The median wall time of make_plan over `runs` runs (after one warm-up), and its plan."""
    plan = make_plan(desired, live)
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        plan = make_plan(desired, live)
        times.append(time.perf_counter() - start)
    return statistics.median(times), plan


def comparison_only(desired: DesiredStack, live: LiveStack, runs: int) -> tuple[float, float]:
    """Median time of the comparison alone over the plan's view pairs: hand-written, then DeepDiff."""
    pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    original = builder._Builder._diff

    def record(self: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
        pairs.append((before, after))
        return original(self, before, after)

    with comparison(record):
        plan = make_plan(desired, live)
    owner = builder._Builder(desired, live, False, False, {})
    out = []
    for diff in (original, deepdiff_diff):
        times = []
        for _ in range(runs):
            gc.collect()
            start = time.perf_counter()
            for before, after in pairs:
                diff(owner, before, after)
            times.append(time.perf_counter() - start)
        out.append(statistics.median(times))
    assert plan.changes
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--changed", type=int, default=5, help="services that differ on the live side")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    try:
        import deepdiff  # imported before timing: the figure is make_plan's, not the import's
    except ImportError:
        raise SystemExit("deepdiff is not installed (it is not a dependency): pip install deepdiff") from None

    desired = desired_stack(args.services)
    live = live_stack(desired, args.changed)
    with comparison(None):
        t_hand, plan_hand = median_time(desired, live, args.runs)
    with comparison(deepdiff_diff):
        t_deep, plan_deep = median_time(desired, live, args.runs)
    c_hand, c_deep = comparison_only(desired, live, args.runs)
    import_s = subprocess.run(
        [sys.executable, "-c", "import time; t = time.perf_counter(); import deepdiff; print(time.perf_counter() - t)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()

    summary = plan_hand.summary()
    fields = sum(len(c.fields) for c in plan_hand.changes if c.kind == "service")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"make_plan, {args.services} services against a deployed stack of the same {args.services} "
          f"({args.changed} changed on the live side), median of {args.runs} runs, in process")
    print(f"  plan: {summary}, {fields} changed fields; load average {load} on {os.cpu_count()} CPUs")
    print(f"  hand-written comparison: {t_hand:.4f} s")
    print(f"  deepdiff {deepdiff.__version__}:            {t_deep:.4f} s  ({t_deep / t_hand:.1f}x the hand-written)")
    print(f"  the comparison alone ({args.services} view pairs): hand-written {c_hand * 1000:.1f} ms, "
          f"deepdiff {c_deep * 1000:.1f} ms ({c_deep / c_hand:.0f}x)")
    print(f"  import deepdiff, fresh process: {float(import_s):.3f} s (not in the figures above)")
    same = plan_hand == plan_deep
    print(f"  plans equal: {same}")
    print(f"  deepdiff under {LIMIT} s: {t_deep < LIMIT}")
    if not same:
        raise SystemExit("the two comparisons planned differently")


if __name__ == "__main__":
    main()
