"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real pre-commit tool (`pre-commit
try-repo`) in a temporary git repository: it installs composeswarm from this checkout into its own
environment, as it would for a user, and runs `composeswarm-validate` on a good and a broken stack."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = shutil.which("pre-commit", path=str(REPO_ROOT / ".venv" / "bin")) or shutil.which("pre-commit")

GOOD = 'version: "3.8"\nservices:\n  web:\n    image: local/busybox:1\n    deploy:\n      replicas: 2\n'
BROKEN = 'version: "3.8"\nservices:\n  web:\n    image: local/busybox:1\n    deploy:\n      replicas: many\n'

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def test_validate_hook_with_pre_commit_try_repo(tmp_path: Path) -> None:
    assert PRE_COMMIT is not None, "pre-commit is not installed (pip install -e .[test])"
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "-q")
    (project / "docker-compose.yml").write_text(GOOD)
    (project / "stack.prod.yml").write_text(BROKEN)
    (project / "notes.yml").write_text(BROKEN)  # not a compose file by name: the hook leaves it alone
    git(project, "add", ".")
    # pre-commit's cache and the hook's environment in tmp_path: never the user's ~/.cache
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("PYTHONPATH", None)  # the hook runs composeswarm as installed in its own environment

    # the hooks' repository: this checkout's HEAD, cloned (a clean clone: both runs share one environment)
    hooks = tmp_path / "hooks-repo"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(REPO_ROOT), str(hooks)], check=True,
                   capture_output=True, timeout=120)

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PRE_COMMIT, "try-repo", str(hooks), "composeswarm-validate", "--verbose",
                               "--files", *files], cwd=project, env=env, capture_output=True, text=True,
                              timeout=600, check=False)

    good = run("docker-compose.yml", "notes.yml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "composeswarm validate" in good.stdout and "Passed" in good.stdout
    assert "ok: docker-compose.yml (compose 3.8): 1 service" in good.stdout

    broken = run("docker-compose.yml", "stack.prod.yml")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert 'stack.prod.yml:6:7: services.web.deploy.replicas: must be an integer, not a string "many"' in broken.stdout
