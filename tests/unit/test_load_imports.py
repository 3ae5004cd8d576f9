"""`validate` and `config` must start fast: no Docker SDK or rich (nor jsonschema for valid files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

VALID = "services:\n  web:\n    image: nginx:1.25\n    ports: ['80:80']\n"
INVALID = "services:\n  web:\n    image: nginx:1.25\n    replica: 2\n"
PROBE = """
import json, sys
from composeswarm import cli
try:
    cli.app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
except BaseException as exc:
    if type(exc).__name__ != "Exit":
        raise
heavy = sorted(m for m in ("docker", "rich", "requests", "jsonschema") if m in sys.modules)
print(json.dumps(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("command", "text", "heavy"),
    [
        pytest.param(["validate"], VALID, [], id="validate valid"),
        pytest.param(["config"], VALID, [], id="config yaml"),
        pytest.param(["config", "--format", "json"], VALID, [], id="config json"),
        # jsonschema is imported only to explain a failure
        pytest.param(["validate"], INVALID, ["jsonschema"], id="validate invalid"),
    ],
)
def test_no_heavy_imports(tmp_path: Path, command: list[str], text: str, heavy: list[str]) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    proc = subprocess.run([sys.executable, "-c", PROBE, *command], cwd=tmp_path, capture_output=True, text=True)
    assert json.loads(proc.stderr.splitlines()[-1]) == heavy
