"""The commands end to end, as a user runs them: streams, exit codes, stdin, formats; option checks
that come before any engine; exit 1 without a traceback on broken files; no heavy imports at start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BROKEN = REPO_ROOT / "tests" / "data" / "broken"

STACK = "services:\n  web:\n    image: nginx:1.25\n    container_name: w\n    ports: ['80:80']\n"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "composeswarm", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/home/u",
                                                         "PYTHONPATH": str(REPO_ROOT)})


@pytest.mark.parametrize(
    ("args", "stdin", "code", "stdout", "stderr"),
    [
        pytest.param(
            ["validate"], None, 0, "ok: compose.yaml (Compose Specification): 1 service, 1 warning\n",
            "warning: compose.yaml:4:5: services.web.container_name: ignored: Setting the container name is not "
            "supported.\n", id="validate ok with a warning",
        ),
        pytest.param(
            ["validate", "-f", "-"], "services:\n  web:\n    image: x\n", 0,
            "ok: <stdin> (Compose Specification): 1 service\n", "", id="validate stdin",
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
            ["validate", "-f", "-", "--profile", "dev"], "services:\n  web:\n    image: x\n    profiles: [dev]\n", 0,
            "ok: <stdin> (Compose Specification): 1 service\nnote: these files use Compose Specification keys "
            "(services.web.profiles): docker stack deploy refuses them, composeswarm deploys them (validate "
            "--strict checks a file as docker would)\n", "", id="validate a Compose Specification file",
        ),
        pytest.param(
            ["validate", "--strict", "-f", "-"], "services:\n  web:\n    image: x\n    profiles: [dev]\n", 1, "",
            "error: <stdin>:4:5: services.web.profiles: unknown key 'profiles': profiles are a Compose "
            "Specification feature that docker stack deploy (format 3.x) does not support; remove the key, or put "
            "those services in a separate file\n", id="validate --strict refuses it as docker does",
        ),
        pytest.param(
            ["plan", "-f", "-"], "services:\n  web:\n    image: x\n", 1, "",
            "error: give the STACK name when the compose file is standard input\n", id="plan without STACK on stdin",
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


# broken files (tests/data/broken): exit 1 and the first error line, never a traceback
BOTH = ("validate", "config")


@pytest.mark.parametrize(
    ("name", "commands", "first_line"),
    [
        pytest.param("bad-yaml.yml", BOTH, "error: bad-yaml.yml:4:1: invalid YAML: ", id="yaml syntax"),
        pytest.param("many-errors.yml", BOTH, "error: many-errors.yml:4:5: services.web.restart_policy: ", id="schema"),
        pytest.param("top-level-list.yml", BOTH, "error: top-level-list.yml:1:1: top-level object must be a mapping",
                     id="not a mapping"),
        # config prints what docker stack config prints: whole-project checks are warnings there
        pytest.param("depends-cycle.yml", ("validate",),
                     "error: depends-cycle.yml:4:18: services.a.depends_on[0]: dependency cycle", id="cycle"),
    ],
)
def test_cli_exits_1_without_traceback(name: str, commands: tuple[str, ...], first_line: str) -> None:
    for command in commands:
        proc = subprocess.run(
            [sys.executable, "-m", "composeswarm", command, "-f", name],
            # PYTHONPATH: this checkout's code, not whichever checkout the venv's editable install points at
            cwd=BROKEN, capture_output=True, text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": "/home/user", "PYTHONPATH": str(REPO_ROOT)},
        )
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr
        assert proc.stdout == ""
        assert proc.stderr.splitlines()[0].startswith(first_line)


# `validate` and `config` must start fast: no Docker SDK or rich (nor jsonschema for valid files)
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
heavy = sorted(m for m in ("docker", "rich", "requests", "jsonschema", "prometheus_client") if m in sys.modules)
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


# the ops commands reject bad options with one line and exit 1, before talking to any engine
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
