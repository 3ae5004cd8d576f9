"""The schema fast path: the hand-written compiler (load.predicates) against fastjsonschema (issue 14, item 4).

Both accept or refuse a compose tree; jsonschema stays the source of the messages either way. Prints:
1. cold: in a fresh process, import + compile the schema + validate once, for the 500-service file
   (median of several processes; the figure a `validate` pays);
2. warm: median time of one validation, in process, over the corpus (every deployable case, the tree as
   `load_project` hands it to `schema.validate`) and over the 500-service file;
3. agreement with jsonschema's Draft7Validator on the seeded random edits of tests/unit/load/test_schema.py
   (`_mutations(11, 300)`) for every schema version: how many documents each fast path judges otherwise.

Needs fastjsonschema (`pip install fastjsonschema`) and /work/shared/corpus; no engine.
Run: PYTHONPATH=$PWD .venv/bin/python bench/bench_schema.py [--runs 7] [--procs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit" / "load"))
CORPUS = REPO.parent / "shared" / "corpus"

from bench.bench_validate import generated  # noqa: E402
from composeswarm.load import schema, schemadocs  # noqa: E402
from composeswarm.load.predicates import FORMATS, Compiler  # noqa: E402

Check = Callable[[Any], bool]


def fastjsonschema_check(version: str) -> Check:
    """fastjsonschema's validator for `version` as a predicate (no defaults written into the tree)."""
    import fastjsonschema

    validate = fastjsonschema.compile(schemadocs.schema_document(version), formats=dict(FORMATS), use_default=False)

    def check(data: Any) -> bool:
        try:
            validate(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return check


def predicates_check(version: str) -> Check:
    """The hand-written compiler's predicate for `version`, compiled afresh (no lru_cache)."""
    doc = schemadocs.schema_document(version)
    return Compiler(doc).compile(doc)


TOOLS: dict[str, Callable[[str], Check]] = {"predicates": predicates_check, "fastjsonschema": fastjsonschema_check}


def trees(files: list[tuple[str, Path, dict[str, str]]]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(label, version, tree) for each file: the tree exactly as load_project hands it to schema.validate."""
    from composeswarm.load.project import load_project

    seen: list[tuple[str, str, Mapping[str, Any]]] = []
    original = schema.validate

    def record(data: Mapping[str, Any], version: str, positions: Any, file: str) -> Any:
        seen.append((label, version, schema._name_all(data)[0]))
        return original(data, version, positions, file)

    schema.validate = record  # type: ignore[assignment]
    try:
        for label, path, env in files:
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                load_project([str(path)], [])
            except Exception as exc:  # noqa: BLE001 - a case the loader refuses is not timed
                print(f"  skipped {label}: {type(exc).__name__}")
            finally:
                os.environ.clear()
                os.environ.update(saved)
    finally:
        schema.validate = original  # type: ignore[assignment]
    return seen


def corpus_files() -> list[tuple[str, Path, dict[str, str]]]:
    out = []
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "case.json").is_file()):
        meta = json.loads((folder / "case.json").read_text())
        if meta.get("docker_stack_deploy") != "deploys":
            continue
        out.append((folder.name, folder / meta["compose_file"], {k: str(v) for k, v in meta.get("env", {}).items()}))
    return out


def median_call(check: Check, data: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


COLD = """
import sys, time
t = time.perf_counter()
sys.path.insert(0, {repo!r})
from bench.bench_schema import TOOLS
from composeswarm.load.yamltree import read_yaml
data = read_yaml(open({file!r}).read(), "f").data
t0 = time.perf_counter()
check = TOOLS[{tool!r}]({version!r})
t1 = time.perf_counter()
ok = check(data)
t2 = time.perf_counter()
print(t2 - t0, t1 - t0, ok)
"""


def cold(tool: str, file: Path, version: str, procs: int) -> tuple[float, float]:
    """Median over fresh processes of (compile + first validation, compile alone), imports included."""
    totals, compiles = [], []
    for _ in range(procs):
        code = COLD.format(repo=str(REPO), file=str(file), tool=tool, version=version)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        if out[2] != "True":
            raise SystemExit(f"{tool} refuses the generated file")
        totals.append(float(out[0]))
        compiles.append(float(out[1]))
    return statistics.median(totals), statistics.median(compiles)


def agreement(runs_docs: int) -> dict[str, dict[str, int]]:
    """Per version, how many seeded random edits each tool judges otherwise than jsonschema."""
    from jsonschema import Draft7Validator
    from test_schema import _mutations

    docs = _mutations(11, runs_docs)
    out: dict[str, dict[str, int]] = {}
    for version in schemadocs.VERSIONS:
        slow = Draft7Validator(schemadocs.schema_document(version), format_checker=schema._validator(version).format_checker)
        checks = {name: make(version) for name, make in TOOLS.items()}
        counts = dict.fromkeys(checks, 0)
        for doc in docs:
            data = {**doc, "version": version}
            truth = slow.is_valid(data)
            for name, check in checks.items():
                counts[name] += check(data) != truth
        out[version] = counts
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="validations per tree for the warm medians")
    parser.add_argument("--procs", type=int, default=5, help="fresh processes for the cold medians")
    parser.add_argument("--edits", type=int, default=300, help="seeded random edits for the agreement")
    args = parser.parse_args()
    import fastjsonschema

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"schema fast path: predicates (load.predicates) vs fastjsonschema {fastjsonschema.VERSION}; "
          f"load average {load} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "docker-compose.yml"
        big.write_text(generated(500))
        (Path(tmp) / "conf").mkdir()
        inputs = trees([*corpus_files(), ("generated: 500 services", big, {})])
        version = inputs[-1][1]
        print(f"cold, fresh process, 500-service file (schema {version}), median of {args.procs} processes:")
        for tool in TOOLS:
            total, comp = cold(tool, big, version, args.procs)
            print(f"  {tool:15s} import+compile {comp * 1000:7.1f} ms, + first validation {total * 1000:7.1f} ms")

    checks = {name: {v: make(v) for v in {v for _, v, _ in inputs}} for name, make in TOOLS.items()}
    print(f"warm, one validation, median of {args.runs} (ms):")
    print(f"  {'input':60s} {'predicates':>10s} {'fastjsonschema':>15s}  ratio")
    totals = dict.fromkeys(TOOLS, 0.0)
    for label, version, data in inputs:
        row = {name: median_call(checks[name][version], data, args.runs) for name in TOOLS}
        verdicts = {checks[name][version](data) for name in TOOLS}
        if label.startswith("generated"):
            print(f"  {'corpus total':60s} {totals['predicates'] * 1000:10.2f} {totals['fastjsonschema'] * 1000:15.2f}"
                  f"  {totals['fastjsonschema'] / totals['predicates']:5.2f}")
        else:
            for name in TOOLS:
                totals[name] += row[name]
        note = "" if len(verdicts) == 1 else "  (verdicts differ)"
        print(f"  {label[:60]:60s} {row['predicates'] * 1000:10.2f} {row['fastjsonschema'] * 1000:15.2f}"
              f"  {row['fastjsonschema'] / row['predicates']:5.2f}{note}")
    print(f"agreement with jsonschema on {args.edits} seeded random edits (_mutations(11, {args.edits})), "
          "documents judged otherwise:")
    result = agreement(args.edits)
    for version, counts in result.items():
        print(f"  {version:5s} " + "  ".join(f"{name} {n}" for name, n in counts.items()))
    total = {name: sum(c[name] for c in result.values()) for name in TOOLS}
    print("  all   " + "  ".join(f"{name} {n}" for name, n in total.items()))


if __name__ == "__main__":
    main()
