"""The `validate` and `config` commands end to end: streams, exit codes, stdin, formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

STACK = "services:\n  web:\n    image: nginx:1.25\n    container_name: w\n    ports: ['80:80']\n"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "composeswarm", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/home/u"})


@pytest.mark.parametrize(
    ("args", "stdin", "code", "stdout", "stderr"),
    [
        pytest.param(
            ["validate"], None, 0, "ok: compose.yaml (compose 3.13): 1 service, 1 warning\n",
            "warning: compose.yaml:4:5: services.web.container_name: ignored: Setting the container name is not "
            "supported.\n", id="validate ok with a warning",
        ),
        pytest.param(
            ["validate", "-f", "-"], "services:\n  web:\n    image: x\n", 0,
            "ok: <stdin> (compose 3.13): 1 service\n", "", id="validate stdin",
        ),
        pytest.param(
            ["validate", "-f", "-"], "services:\n  web:\n    imgae: x\n", 1, "",
            "error: <stdin>:3:5: services.web.imgae: unknown key 'imgae'; did you mean 'image'?\n",
            id="validate stdin error",
        ),
        pytest.param(
            ["config", "--format", "xml"], None, 1, "", "error: --format must be yaml or json, got 'xml'\n",
            id="bad format",
        ),
        pytest.param(
            ["validate", "-f", "missing.yml"], None, 1, "",
            "error: missing.yml: cannot read compose file: No such file or directory\n", id="missing file",
        ),
    ],
)
def test_commands(tmp_path: Path, args: list[str], stdin: str | None, code: int, stdout: str, stderr: str) -> None:
    (tmp_path / "compose.yaml").write_text(STACK)
    proc = run(args, tmp_path, stdin)
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, stdout, stderr)


def test_config_json(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(STACK)
    proc = run(["config", "-o", "json"], tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["services"]["web"]["ports"] == [
        {"mode": "ingress", "target": 80, "published": 80, "protocol": "tcp"}
    ]
