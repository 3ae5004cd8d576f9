"""Hostile files: mutations of the corpus and of tests/data through validate, config and plan.

Each example takes a real stack file (../shared/corpus, or a file under tests/data) and breaks it:
deleted keys, swapped types, huge numbers, very long strings, deep nesting, NUL, surrogate and
right-to-left characters, anchors and merge keys, tags, several documents, truncation at any byte,
text that is not UTF-8. `validate`, `config` and `plan` must each answer with a result or with
issues in the documented form (one line each, FILE:LINE:COL inside the file): never another
exception, never past 10 s (the deadline), never 500 MB more memory. The commands run in-process
for speed: `plan` is the pure chain load -> convert -> make_plan against an empty LiveStack, so no
engine exists to write to. A file validate accepts must convert: what the converter refuses,
validate must refuse first. Every failure this test found is a fixed case in tests/data/broken.
"""

from __future__ import annotations

import copy
import json
import os
import reprlib
import re
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from composeswarm.errors import MAX_LINE, InputError, Issue

if not os.environ.get("CI"):
    # CI installs the test extras; elsewhere an older venv may lack hypothesis
    pytest.importorskip("hypothesis", reason="hypothesis is in the test extras: pip install -e '.[test]'")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
DATA_DIR = REPO_ROOT / "tests" / "data"
EXAMPLES = int(os.environ.get("COMPOSESWARM_HOSTILE_EXAMPLES", "2000"))
MEMORY_MB = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Seed:
    """A file to mutate, with the folder and variables it loads with."""

    name: str
    text: str = field(repr=False)
    cwd: str = field(repr=False)
    environ: dict[str, str] = field(repr=False)
    tree: Any = field(repr=False)  # the parsed file, or None when it is not YAML to begin with


def _parsed(text: str) -> Any:
    try:
        tree = yaml.load(text, Loader=yaml.CSafeLoader)
    except Exception:  # broken seeds (bad YAML, control characters, 500 levels) are mutated as text only
        return None
    return tree if isinstance(tree, dict) else None


def _seeds() -> list[Seed]:
    seeds = []
    if CORPUS_DIR.is_dir():
        for case_file in sorted(CORPUS_DIR.glob("*/case.json")):
            case = json.loads(case_file.read_text())
            path = case_file.parent / case["compose_file"]
            text = path.read_text(encoding="utf-8")
            environ = {"HOME": "/home/user", **case.get("env", {})}
            seeds.append(Seed(case_file.parent.name, text, str(path.parent), environ, _parsed(text)))
    for path in sorted(DATA_DIR.rglob("*.y*ml")):
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        seeds.append(Seed(str(path.relative_to(DATA_DIR)), text, str(path.parent), {"HOME": "/home/user"},
                          _parsed(text)))
    return seeds


SEEDS = _seeds()

# --- what a mutation puts in -----------------------------------------------------------------------

SPECIAL = ["\x00", "\x1b[31m", "\x1b]0;title\x07", "\u202e", "\u2066", "\u2028", "\x85", "\ufeff", "\udcff",
           "\ud800", "\t", "\r\n", "é", "\U0001f4a5", "'", '"', "\\", "{", "*", "&", "!", "%", "#", ": ", "- "]
NUMBERS = [-1, -5, 0, 1, 65535, 65536, 70000, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30, -(10**30),
           1e308, -1e308, 1e-9, float("inf"), float("-inf"), float("nan"), 0.5, -0.0]
WORDS = ["", "3", "3.0", "3.3", "3.8", "3.13", "4.0", "nginx", "nginx:1.25", "Nginx", "80:80", "8080:80/udp",
         "1-3:1-3", "${A}", "${A:-x}", "${A:?must}", "$", "$$", "${", "1s", "-1s", "500us", "1m30s", "10 seconds",
         "50M", "1k", "0.0001", "node.role==manager", "node.role=manager", "/dev/zero", "/", ".", "..", "a\x00b",
         "yes", "no", "on", "0o777", "0440", "1e3", "~", "null", "true", "global", "replicated-job", "host",
         "ingress", "dnsrr", "bogus", "any", "none", "pause", "rollback", "start-first", "external", "CMD-SHELL"]
KEYS = ["image", "deploy", "replicas", "mode", "ports", "volumes", "networks", "secrets", "configs", "external",
        "name", "file", "environment", "env_file", "<<", "x-a", "healthcheck", "restart_policy", "condition",
        "update_config", "parallelism", "max_attempts", "target", "published", "source", "labels", "command",
        "depends_on", "version", "services", "resources", "limits", "cpus", "memory", "placement", "constraints",
        "driver", "interval", "delay", "failure_action", "endpoint_mode", "profiles", "extends", "build"]


def _nest(depth: int, as_list: bool) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(NUMBERS),
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.builds(lambda s, n: s * n, st.sampled_from(["a", "é ", "\u202e", "$", "${A:-", "ab:"]),
              st.sampled_from([300, 5_000, 100_000])),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(WORDS), st.sampled_from(SPECIAL), st.sampled_from(WORDS)),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=10), st.builds(lambda k, s: k + s, st.sampled_from(KEYS),
                                                                         st.sampled_from(SPECIAL)))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=8,
)
deep = st.builds(_nest, st.sampled_from([20, 99, 100, 101, 350, 500]), st.booleans())


@st.composite
def tree_edit(draw: st.DrawFn, tree: Any) -> Any:
    """A copy of `tree` with one edit at a random place (delete, replace, rename, share, merge key)."""
    root = copy.deepcopy(tree)  # keeps shared nodes shared: billion-laughs.yml must not expand here
    parent: Any = root
    while True:
        children = list(parent.items()) if isinstance(parent, dict) else list(enumerate(parent))
        if not children:
            break
        key, child = children[draw(st.integers(0, len(children) - 1))]
        if isinstance(child, (dict, list)) and child and draw(st.booleans()):
            parent = child
            continue
        op = draw(st.sampled_from(["delete", "replace", "deep", "swap", "rename", "share", "cycle", "merge"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "deep":
            parent[key] = draw(deep)
        elif op == "swap":  # the same value as another type
            parent[key] = draw(st.sampled_from([reprlib.repr(child), [child], {"x": child}, None, 0, True]))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(keys)] = parent.pop(key)
        elif op == "share":  # one object in two places: the dump writes an anchor and an alias
            if isinstance(parent, dict):
                parent[draw(keys)] = child
            else:
                parent.append(child)
        elif op == "cycle":  # a node that contains itself
            parent[key] = root
        elif op == "merge" and isinstance(parent, dict):
            parent["<<"] = draw(st.sampled_from([child, [child, child], "x", None]))
        break
    return root


def dump(tree: Any) -> str:
    try:
        return yaml.dump(tree, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False, width=1 << 20)
    except Exception:  # surrogates, self-containing trees: libyaml's emitter refuses them raw
        try:
            return yaml.dump(tree, Dumper=yaml.CSafeDumper, allow_unicode=False, sort_keys=False)
        except Exception:  # nested too deep for the representer
            return "x-unprintable: true\n"


TAGS = ["!!binary ", "!custom ", "!!int ", "!!str ", "!!float ", "!!set ", "!!omap ", "!!timestamp ", "!!null ",
        "!!python/object/apply:os.system ", "!<tag:yaml.org,2002:map> ", "!!merge "]
RAW = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x1b[2J", b"\xe2\x80\xae", b"\r", b"\t", b"\xef\xbb\xbf",
       b"\n---\n", b"\n...\n", b"&a ", b"*a", b"<<: *a\n", b"[", b"{", b"'", b'"', b"%YAML 1.1\n---\n"]


def _laughs(levels: int) -> str:
    lines = ["x-l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def text_edit(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` (UTF-8 bytes) cut, spliced, re-encoded, or given tags, anchors or more documents."""
    at = draw(st.integers(0, len(data)))
    op = draw(st.sampled_from(["truncate", "insert", "tag", "documents", "laughs", "deep", "encoding", "anchor"]))
    if op == "truncate":
        return data[:at]
    if op == "insert":
        return data[:at] + draw(st.sampled_from(RAW)) + data[at:]
    if op == "tag":
        colons = [m.end() for m in re.finditer(rb": ", data)] or [at]
        where = colons[draw(st.integers(0, len(colons) - 1))]
        return data[:where] + draw(st.sampled_from(TAGS)).encode() + data[where:]
    if op == "documents":
        return data + b"\n---\n" + data[:at]
    if op == "laughs":
        return data + b"\n" + _laughs(draw(st.sampled_from([2, 3, 6]))).encode()
    if op == "deep":
        n = draw(st.sampled_from([99, 100, 500, 999, 1001]))
        return data + b"\nx-deep: " + b"[" * n + b"]" * n + b"\n"
    if op == "encoding":
        text = data.decode("utf-8", "surrogateescape")
        return text.encode(draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"])), "replace")
    return data + b"\nx-anchor: &a {image: x, replicas: -1}\nx-use: {<<: [*a, *a], more: *a}\n"


@dataclass(frozen=True)
class Hostile:
    seed: Seed
    content: str | bytes  # what `-f -` reads: bytes as from a pipe, or text already decoded

    def __repr__(self) -> str:  # hypothesis prints the failing example: keep it readable
        shown = self.content if len(self.content) < 2000 else self.content[:2000]
        return f"Hostile(seed={self.seed.name!r}, content={shown!r})"


@st.composite
def hostile_files(draw: st.DrawFn) -> Hostile:
    seed = SEEDS[draw(st.integers(0, len(SEEDS) - 1))]
    text = seed.text
    if seed.tree is not None and draw(st.integers(0, 3)) > 0:
        text = dump(draw(tree_edit(seed.tree)))
    data = text.encode("utf-8", "surrogateescape" if "\ud800" not in text else "surrogatepass")
    if draw(st.booleans()):
        data = draw(text_edit(data))
    if draw(st.integers(0, 4)) == 0:  # as text: a surrogate reaches the reader as it is
        return Hostile(seed, data.decode("utf-8", "surrogateescape"))
    return Hostile(seed, data)


# --- what every answer must look like --------------------------------------------------------------

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def check_issues(issues: list[Issue], content: str | bytes, what: str) -> None:
    """The documented form: at least one error; each issue one safe line, inside the file it names."""
    assert any(i.severity == "error" for i in issues), f"{what}: InputError without an error: {issues}"
    lines = (content.count(b"\n") if isinstance(content, bytes) else content.count("\n")) + 1
    for issue in issues:
        line = str(issue)
        assert _UNSAFE.search(line) is None, f"{what}: unsafe character in {line!r}"
        assert len(line) <= 2 * MAX_LINE, f"{what}: {len(line)} characters: {line[:300]!r}"
        assert issue.file, f"{what}: issue without a file: {line!r}"
        if issue.file == "<stdin>" and issue.line is not None:
            assert 1 <= issue.line <= lines, f"{what}: line {issue.line} of {lines}: {line!r}"
            assert issue.column is None or issue.column >= 1, f"{what}: {line!r}"


def answer(what: str, content: str | bytes, run: Callable[[], T]) -> T | None:
    """The command's result, or None when it answered with issues (checked)."""
    try:
        return run()
    except InputError as exc:
        check_issues(exc.issues, content, what)
        return None


def run_commands(case: Hostile) -> None:
    """validate, config and plan on one hostile file, as the CLI runs them, minus the engine."""
    from composeswarm.convert.stack import convert_project
    from composeswarm.engine.live import LiveStack
    from composeswarm.load.project import load_project
    from composeswarm.plan.builder import make_plan
    from composeswarm.plan.waves import make_order
    from composeswarm.render.issue_report import ok_line, render_config
    from composeswarm.render.plan_report import render_plan

    seed, content = case.seed, case.content

    def load(strict: bool) -> Any:
        return load_project(["-"], environ=seed.environ, cwd=seed.cwd, stdin_text=content, strict=strict)

    # validate (and the load plan starts with: the same call)
    loaded = answer("validate", content, lambda: load(True))
    if loaded is not None:
        project, warnings = loaded
        ok_line(project, len(warnings))
        try:
            desired = convert_project(project, "hostile")
        except InputError as exc:
            pytest.fail(f"validate accepted what convert refuses: {[str(i) for i in exc.issues]}")
        order = answer("plan", content, lambda: make_order(project, "hostile"))
        assert order is not None, "validate accepted a depends_on the plan refuses"
        render_plan(make_plan(desired, LiveStack("hostile")), "text", colour=False)
    # config: strict=False only turns the whole-project errors into warnings, so a file validate
    # accepted loads to the same project; load again only when validate refused it
    printed = loaded if loaded is not None else answer("config", content, lambda: load(False))
    if printed is not None:
        render_config(printed[0], "yaml")
        render_config(printed[0], "json")


def test_seeds_are_there() -> None:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"corpus not found at {CORPUS_DIR} (it is shared beside the repository as ../shared/corpus)")
    assert sum(1 for s in SEEDS if s.tree is not None) >= 40


@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),
    derandomize=True,  # the same examples on every run and in CI
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(hostile_files())
def test_hostile_files_get_an_answer(case: Hostile) -> None:
    run_commands(case)


@pytest.fixture(autouse=True)
def _memory_bound() -> Any:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < MEMORY_MB, f"peak memory grew by {grown_mb:.0f} MB"
