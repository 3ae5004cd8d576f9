"""The ops commands reject bad options with one line and exit 1, before talking to any engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["ls", "--format", "yaml"], "error: --output must be text or json, got 'yaml'", id="ls format"),
        pytest.param(["services", "st", "-o", "table"], "error: --output must be text or json, got 'table'", id="services format"),
        pytest.param(["ps", "st", "--output", "csv"], "error: --output must be text or json, got 'csv'", id="ps format"),
        pytest.param(["logs", "st", "--tail", "ten"], "error: --tail must be a number or all, got 'ten'", id="logs tail"),
        pytest.param(
            ["logs", "st", "--since", "yesterday"],
            "error: --since must be a duration like 10m, a time like 2026-01-02T13:23:37Z or a Unix time, got 'yesterday'",
            id="logs since",
        ),
    ],
)
def test_bad_option_is_one_line(args: list[str], message: str) -> None:
    # an engine address that cannot answer: the check must come first
    env = {**os.environ, "DOCKER_HOST": "tcp://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-m", "composeswarm", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", message + "\n")
