"""The console script's way out (`composeswarm.cli.entry`): `main`'s output and exit code, without freeing
the heap when it is safe to skip that, and the normal exit otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# `HOOK` is registered with atexit first: the hard exit must still run it. `THREAD` leaves a thread
# alive, which must keep the normal exit (it is joined: its line is printed last).
SCRIPT = """
import atexit, os, sys, threading, time
from composeswarm.cli import {fn}
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if os.environ.get("THREAD"):
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done", file=sys.stderr))).start()
sys.argv[0] = "composeswarm"
{fn}()
"""

SERVICE = "  svc{i}:\n    image: busybox:1\n    environment:\n      INDEX: \"{i}\"\n"
BAD = "services:\n  web:\n    image: busybox:1\n    replica: 2\n"


def run(fn: str, args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(fn=fn), *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(REPO_ROOT), **env})


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    # config prints about 100 KB: more than a pipe holds, so the output must be flushed, not lost
    services = "".join(SERVICE.format(i=i) for i in range(1500))
    (tmp_path / "big.yml").write_text('version: "3.8"\nservices:\n' + services)
    (tmp_path / "bad.yml").write_text(BAD)
    return tmp_path


@pytest.mark.parametrize("args", [
    pytest.param(["config", "-f", "big.yml"], id="large output, exit 0"),
    pytest.param(["validate", "bad.yml"], id="error, exit 1 (fast lane)"),
    pytest.param(["config", "-f", "bad.yml", "--output", "json"], id="error, exit 1 (typer)"),
    pytest.param(["--version"], id="--version"),
    pytest.param(["no-such-command"], id="usage error, exit 2"),
])
def test_entry_says_and_exits_as_main_does(folder: Path, args: list[str]) -> None:
    fast, plain = run("entry", args, folder), run("main", args, folder)
    assert (fast.returncode, fast.stdout, fast.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert fast.stderr.endswith("atexit ran\n")
    assert fast.stdout or fast.returncode


def test_a_live_thread_keeps_the_normal_exit(folder: Path) -> None:
    proc = run("entry", ["--version"], folder, THREAD="1")
    assert proc.returncode == 0
    # the thread was joined (as at any normal exit) before the atexit hooks ran
    assert proc.stderr == "thread done\natexit ran\n"
    assert proc.stdout == run("main", ["--version"], folder).stdout
