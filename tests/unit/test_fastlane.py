"""The fast lane (`cli.fastlane`): `validate` and `--version` without typer, with typer's answers.

Each command line is run twice in fresh processes, once through `main` (the fast lane) and once
straight into the typer app, and the two must agree on stdout, stderr and the exit code. Lines the
lane does not read go to typer, and the modules a plain `validate` imports are bounded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from composeswarm.cli import fastlane

REPO_ROOT = Path(__file__).resolve().parents[2]

THROUGH_MAIN = """
import sys
from composeswarm.cli import main
sys.argv[0] = "composeswarm"
main()
"""
THROUGH_TYPER = """
import sys
from composeswarm.cli import typer_app
sys.exit(typer_app()(sys.argv[1:], prog_name="composeswarm"))
"""
MODULES = """
import json, sys
from composeswarm.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

GOOD = "services:\n  web:\n    image: nginx:1.25\n    deploy:\n      replicas: 2\n"
WARNS = "services:\n  web:\n    image: nginx:1.25\n    container_name: w\n"
BAD = "services:\n  web:\n    image: nginx:1.25\n    replica: 2\n"
SPEC = "services:\n  web:\n    image: ${IMAGE}\n    profiles: [dev]\n  db:\n    image: postgres:16\n"
OVERRIDE = "services:\n  web:\n    environment:\n      A: b\n"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    for name, text in {"compose.yaml": GOOD, "warns.yml": WARNS, "bad.yml": BAD, "spec.yml": SPEC,
                       "override.yml": OVERRIDE}.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "vars.env").write_text("IMAGE=busybox:1\n")
    return tmp_path


def run(script: str, args: list[str], cwd: Path, stdin: str = "") -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": str(REPO_ROOT)})
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args", [
    pytest.param(["validate"], id="default file"),
    pytest.param(["validate", "compose.yaml", "warns.yml"], id="two files each on its own"),
    pytest.param(["validate", "bad.yml", "compose.yaml"], id="one bad file of two"),
    pytest.param(["validate", "-f", "compose.yaml", "-f", "override.yml"], id="-f merges"),
    pytest.param(["validate", "--file=compose.yaml", "-coverride.yml"], id="--file= and -cFILE"),
    pytest.param(["validate", "--compose-file", "bad.yml"], id="bad with -f raises"),
    pytest.param(["validate", "spec.yml", "--env-file", "vars.env", "--profile", "dev"], id="env file and profile"),
    pytest.param(["validate", "--strict", "spec.yml", "--env-file=vars.env"], id="strict"),
    pytest.param(["validate", "--profile=dev", "--", "spec.yml"], id="-- then a path"),
    pytest.param(["validate", "compose.yaml", "-f", "warns.yml"], id="paths and -f refused"),
    pytest.param(["validate", "missing.yml"], id="missing file"),
    pytest.param(["validate", "-f", "-"], id="standard input"),
    pytest.param(["--version"], id="--version"),
    pytest.param(["version"], id="version"),
])
def test_fast_lane_answers_as_typer_does(folder: Path, args: list[str]) -> None:
    assert args[0] != "validate" or fastlane.parse_validate(args[1:]) is not None  # the lane reads it
    fast = run(THROUGH_MAIN, args, folder, stdin=BAD)
    slow = run(THROUGH_TYPER, args, folder, stdin=BAD)
    assert fast == slow
    assert fast[1] or fast[2]  # something was said, by both


@pytest.mark.parametrize("args", [
    ["--help"], ["-h"], ["--output", "json"], ["-f"], ["--env-file"], ["--strict=yes"], ["-x", "compose.yaml"],
    ["--files=compose.yaml"],
])
def test_what_the_lane_does_not_read_goes_to_typer(args: list[str]) -> None:
    assert fastlane.parse_validate(args) is None
    assert fastlane.run(["validate", *args]) is None


def test_other_commands_and_completion_go_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fastlane.run(["config"]) is None
    assert fastlane.run(["deploy", "st"]) is None
    assert fastlane.run([]) is None
    monkeypatch.setenv("_COMPOSESWARM_COMPLETE", "complete_bash")
    assert fastlane.run(["validate"]) is None


def test_parse_keeps_order_and_repeats() -> None:
    assert fastlane.parse_validate(["-f", "a.yml", "--file", "b.yml", "--profile", "x", "--profile=y", "--strict"]) == {
        "paths": None, "file": ["a.yml", "b.yml"], "env_file": None, "profile": ["x", "y"], "strict": True,
    }
    assert fastlane.parse_validate(["a.yml", "-", "--", "--odd-name.yml"]) == {
        "paths": ["a.yml", "-", "--odd-name.yml"], "file": None, "env_file": None, "profile": None, "strict": False,
    }


@pytest.mark.parametrize(("args", "text"), [
    pytest.param(["validate"], GOOD, id="validate"),
    pytest.param(["validate", "compose.yaml", "--strict"], GOOD, id="validate --strict"),
    pytest.param(["--version"], GOOD, id="--version"),
])
def test_validate_imports_only_the_loader(tmp_path: Path, args: list[str], text: str) -> None:
    """A valid file is checked with the standard library, PyYAML and composeswarm's loader: no typer, no
    pydantic, no jsonschema, no Docker SDK, no rich."""
    (tmp_path / "compose.yaml").write_text(text)
    code, out, err = run(MODULES, args, tmp_path)
    assert out, err
    modules = json.loads(err.splitlines()[-1])
    # what a bare interpreter already has (site's .pth hooks: an editable install's finder, setuptools')
    _, _, bare = run("import json, sys; print(json.dumps(sorted(sys.modules)), file=sys.stderr)", [], tmp_path)
    tops = {name.split(".")[0] for name in set(modules) - set(json.loads(bare))} - set(sys.stdlib_module_names)
    # PyYAML's C loader is a Cython module: it brings Cython's runtime modules
    outside = sorted(n for n in tops if n != "cython_runtime" and not n.startswith("_cython_"))
    assert outside == (["composeswarm", "yaml"] if args[0] == "validate" else ["composeswarm"])
    ours = sorted(m for m in modules if m.startswith("composeswarm."))
    assert not [m for m in ours if m.startswith(("composeswarm.engine", "composeswarm.act", "composeswarm.plan",
                                                 "composeswarm.convert", "composeswarm.ops"))]
    assert "composeswarm.cli.frame" not in ours
