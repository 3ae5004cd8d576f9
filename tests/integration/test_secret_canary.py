"""Secrets stay secret: canary strings in a secret, a config and a credential-like environment value
never show in any command's output, in any format, in a failing deploy, in the metrics file or in a
temporary file; the secret file is read only by the commands that send it, and written nowhere.

One stack goes through every command (validate, config, plan/diff, deploy and its dry run, ls,
services, ps, logs, unlock, rm), in every output format, through a rotation of every canary, a
rollout that fails (exit 3) and a deploy the engine refuses half-way (exit 1). Each run of
composeswarm gets a fresh TMPDIR, scanned afterwards, and records every file it opens (a Python
audit hook, before composeswarm is imported): that is how the test knows what read the secret
file and that nothing was opened for writing but the metrics file.

What may show, on purpose:
- `config` prints environment values, as `docker stack config` does (docs/loading.md, "Output of
  config"): the environment canary is expected there, and only there.
- `plan --show-sensitive` shows credential-like environment values (its one job); never a secret's
  or a config's content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import docker, random_name, remove_stack

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"

# composeswarm as .venv/bin/composeswarm runs it (the entry point is composeswarm.cli:main), with an
# audit hook installed first that logs every file opened: [absolute path, mode, flags], one JSON line each.
RUNNER = r"""
import json, os, sys
_log = open(os.environ["CANARY_OPEN_LOG"], "a", encoding="utf-8")
def _hook(event, args):
    if event == "open" and args[0] is not None and not isinstance(args[0], int):
        path = os.path.abspath(os.fsdecode(args[0]))
        _log.write(json.dumps([path, args[1], args[2]]) + "\n")
        _log.flush()
sys.addaudithook(_hook)
sys.argv[0] = "composeswarm"
from composeswarm.cli import main
main()
"""

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sh", "-c", "while true; do echo hello from web; sleep 1; done"]
    environment:
      DB_PASSWORD: {env}
      GREETING: hello
    secrets: [token]
    configs:
      - source: site
        target: /etc/site.conf
{extra}secrets:
  token:
    file: ./token.txt
{extra_secrets}configs:
  site:
    file: ./site.conf
"""

# a service whose one task exits 7 and is not restarted: the rollout fails (exit 3). (Restarted
# tasks that exit at once can be seen running by a poll and count as converged on a loaded machine.)
CRASH = """\
  {name}:
    image: local/busybox:1
    init: true
    command: ["sh", "-c", "exit 7"]
    environment:
      DB_PASSWORD: {env}
    secrets: [token]
    deploy: {{restart_policy: {{condition: none}}}}
"""

# a secret the engine refuses to create (no such secret driver): the deploy fails half-way (exit 1),
# after the rotated token was created ("token" sorts before "zbad")
REFUSED = """\
  zbad:
    driver: nosuchdriver
"""


def canary(kind: str) -> str:
    return f"CANARY{kind}{secrets.token_hex(8)}"


@dataclass
class Run:
    """One composeswarm run: its arguments, exit code, output, and the files it opened."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    opened: list[tuple[str, object, int]]

    def name(self) -> str:
        return "composeswarm " + " ".join(self.args)


@dataclass
class Bed:
    """The stack folder, the canaries, and every run made so far."""

    folder: Path
    stack: str
    tmpdirs: Path
    metrics: Path
    canaries: dict[str, str] = field(default_factory=dict)  # what -> canary (every version of each)
    runs: list[Run] = field(default_factory=list)

    def write(self, *, env: str, secret: str, config: str, extra: str = "", extra_secrets: str = "") -> None:
        (self.folder / "token.txt").write_text(secret)
        (self.folder / "site.conf").write_text(f"server_name {config};\n")
        (self.folder / "stack.yml").write_text(
            STACK.format(env=env, extra=extra, extra_secrets=extra_secrets))

    def run(self, *args: str, timeout: float = 300) -> Run:
        """composeswarm ARGS in the stack folder, with a fresh TMPDIR of its own."""
        tmpdir = self.tmpdirs / f"run{len(self.runs)}"
        tmpdir.mkdir()
        log = self.folder.parent / f"opened{len(self.runs)}.log"
        env = {**os.environ, "TMPDIR": str(tmpdir), "CANARY_OPEN_LOG": str(log), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run([str(PYTHON), "-c", RUNNER, *args], check=False, capture_output=True, text=True,
                              cwd=self.folder, env=env, timeout=timeout)
        opened = [tuple(json.loads(line)) for line in log.read_text().splitlines()] if log.exists() else []
        run = Run(args, proc.returncode, proc.stdout, proc.stderr, opened)
        self.runs.append(run)
        return run

    def secret_file(self) -> str:
        return str(self.folder / "token.txt")


@pytest.fixture
def bed(tmp_path: Path, engine_available: None) -> Iterator[Bed]:
    folder = tmp_path / "stack"
    folder.mkdir()
    (tmp_path / "tmp").mkdir()
    stack = random_name("cscanary")
    b = Bed(folder=folder, stack=stack, tmpdirs=tmp_path / "tmp", metrics=tmp_path / "metrics" / "deploy.prom")
    b.metrics.parent.mkdir()
    try:
        yield b
    finally:
        remove_stack(stack)


def forms(text: str) -> list[str]:
    """The canary and the forms it could leak in: base64 (the engine's Data) and its sha256 digest."""
    data = text.encode()
    return [text, base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest()]


def leaks(text: str, canaries: dict[str, str], allowed: tuple[str, ...] = ()) -> list[str]:
    """Which canaries (by what they stand for) show in `text`, in any of their forms."""
    found = []
    for what, value in canaries.items():
        if what.startswith(allowed):
            continue
        candidates = forms(value)
        if what.startswith("config"):
            candidates += forms(f"server_name {value};\n")
        if any(c in text for c in candidates):
            found.append(what)
    return found


def test_no_canary_in_any_output_log_or_temporary_file(bed: Bed) -> None:
    stack = bed.stack
    env1, secret1, config1 = canary("ENV"), canary("SECRET"), canary("CONFIG")
    bed.canaries.update({"env 1": env1, "secret 1": secret1, "config 1": config1})
    bed.write(env=env1, secret=secret1, config=config1)

    # --- the file commands, and a plan of the stack before it exists -----------------------------
    assert bed.run("version").code == 0
    assert bed.run("validate", "-f", "stack.yml").code == 0
    for fmt in ("yaml", "json"):
        run = bed.run("config", "-f", "stack.yml", "--format", fmt)
        assert run.code == 0, run.stderr
        assert env1 in run.stdout  # parity with docker stack config: environment values are printed
    for fmt in ("text", "json", "markdown"):
        assert bed.run("plan", "-f", "stack.yml", "-o", fmt, stack).code == 2
        assert bed.run("deploy", "-f", "stack.yml", "--dry-run", "-o", fmt, stack).code == 2
    shown = bed.run("plan", "-f", "stack.yml", "--show-sensitive", stack)
    assert shown.code == 2

    # --- deploy it, then every read of the deployed stack -----------------------------------------
    run = bed.run("deploy", "-f", "stack.yml", "--resolve-image", "never", "--timeout", "120",
                  "--metrics-file", str(bed.metrics), stack)
    assert run.code == 0, run.stderr
    run = bed.run("deploy", "-f", "stack.yml", "--resolve-image", "never", "-o", "json", stack)
    assert run.code == 0, run.stderr
    for fmt in ("text", "json"):
        assert bed.run("ls", "-o", fmt).code == 0
        assert bed.run("services", "-o", fmt, stack).code == 0
        assert bed.run("ps", "-o", fmt, stack).code == 0
        assert bed.run("ps", "--all", "--no-trunc", "-o", fmt, stack).code == 0
        assert bed.run("plan", "-f", "stack.yml", "-o", fmt, stack).code == 0
        assert bed.run("nodes", "-o", fmt, stack).code == 0
        assert bed.run("history", "-o", fmt, stack).code == 0
    assert bed.run("history", "--revision", "1", stack).code == 0
    logs = bed.run("logs", "--tail", "5", stack)
    assert logs.code == 0 and "hello from web" in logs.stdout, logs.stderr

    # --- every canary rotated: plans of the change, and the deploy that makes it ------------------
    env2, secret2, config2 = canary("ENV"), canary("SECRET"), canary("CONFIG")
    bed.canaries.update({"env 2": env2, "secret 2": secret2, "config 2": config2})
    bed.write(env=env2, secret=secret2, config=config2)
    for fmt in ("text", "json"):
        run = bed.run("plan", "-f", "stack.yml", "-o", fmt, stack)
        assert run.code == 2 and "(sensitive)" in run.stdout and "(new content)" in run.stdout, run.stdout
        assert bed.run("diff", "-f", "stack.yml", "-o", fmt, stack).code == 2
        assert bed.run("deploy", "-f", "stack.yml", "--dry-run", "-o", fmt, stack).code == 2
    assert bed.run("plan", "-f", "stack.yml", "-o", "markdown", stack).code == 2
    shown_change = bed.run("plan", "-f", "stack.yml", "--show-sensitive", stack)
    assert shown_change.code == 2 and env1 in shown_change.stdout and env2 in shown_change.stdout
    run = bed.run("deploy", "-f", "stack.yml", "--resolve-image", "never", "--timeout", "120", "-o", "json",
                  "--metrics-file", str(bed.metrics), stack)
    assert run.code == 0, run.stderr

    # --- failing deploys, in each format: a rollout that fails, then an engine refusal ------------
    crashes = ""
    for i, fmt in enumerate(("text", "json")):
        env = canary("ENV")
        bed.canaries[f"env crash {fmt}"] = env
        crashes += CRASH.format(name=f"crash{i}", env=env)
        bed.write(env=env2, secret=secret2, config=config2, extra=crashes)
        run = bed.run("deploy", "-f", "stack.yml", "--resolve-image", "never", "--timeout", "120", "-o", fmt,
                      "--metrics-file", str(bed.metrics), stack)
        assert run.code == 3, (run.stdout, run.stderr, _tasks(f"{stack}_crash{i}"))
    for fmt in ("text", "json"):
        secret3 = canary("SECRET")
        bed.canaries[f"secret refused {fmt}"] = secret3
        bed.write(env=env2, secret=secret3, config=config2, extra=crashes, extra_secrets=REFUSED)
        run = bed.run("deploy", "-f", "stack.yml", "--resolve-image", "never", "--timeout", "120", "-o", fmt,
                      "--metrics-file", str(bed.metrics), stack)
        assert run.code == 1 and "nosuchdriver" in run.stdout + run.stderr, (run.stdout, run.stderr)

    # --- and away ---------------------------------------------------------------------------------
    assert bed.run("unlock", stack).code == 1  # no lock is held: exit 1, as its help says
    run = bed.run("rm", stack)
    assert run.code == 0, run.stderr

    # --- no canary anywhere it must not be ---------------------------------------------------------
    problems = []
    for run in bed.runs:
        allowed: tuple[str, ...] = ()
        if run.args[0] == "config":
            allowed = ("env",)  # docker stack config prints environment values; composeswarm too
        elif run.args[0] == "history" and "--revision" in run.args:
            allowed = ("env",)  # a revision's project, as config prints it (env values are in the service spec too)
        elif "--show-sensitive" in run.args:
            allowed = ("env",)  # what --show-sensitive is for
        for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
            for what in leaks(text, bed.canaries, allowed):
                problems.append(f"{run.name()}: {stream} shows the {what} canary")
    for path in sorted(p for p in bed.tmpdirs.rglob("*") if p.is_file()):
        for what in leaks(path.read_text(errors="replace"), bed.canaries):
            problems.append(f"temporary file {path} holds the {what} canary")
    metrics = bed.metrics.read_text()
    assert "composeswarm_" in metrics
    for path in sorted(p for p in bed.metrics.parent.rglob("*") if p.is_file()):
        for what in leaks(path.read_text(errors="replace"), bed.canaries):
            problems.append(f"metrics file {path} holds the {what} canary")
    assert problems == []

    # --- what opened the secret file, and what wrote anything ---------------------------------------
    readers = {run.args[0] for run in bed.runs if any(p == bed.secret_file() for p, _, _ in run.opened)}
    # only the commands that send the secret (to create it, or to compare its digest) read it
    assert readers == {"plan", "diff", "deploy"}
    writes = []
    for run in bed.runs:
        for path, mode, flags in run.opened:
            if _writes(mode, flags) and path != os.devnull and not path.startswith(str(bed.metrics.parent)):
                writes.append(f"{run.name()}: opened {path} for writing")
    assert writes == []
    # nor anything left in a TMPDIR
    assert [p for p in bed.tmpdirs.rglob("*") if p.is_file()] == []


def _tasks(service: str) -> str:
    """What the engine says of a service's tasks (for a failure message)."""
    return docker("service", "ps", "--no-trunc", service, check=False).stdout


def _writes(mode: object, flags: int) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC))
