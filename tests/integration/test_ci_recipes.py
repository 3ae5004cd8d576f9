"""The CI recipes in examples/ci run, step by step, against the local ssh test bed, so they cannot rot.

Each recipe's shell lines are read from the YAML and run with bash exactly as written (the forge's
`${{ ... }}` expressions replaced by test values); only the steps that install composeswarm and set up
ssh are left out, by name: the test bed's ssh (tests/support/sshd.py) and this checkout's composeswarm
stand in for them. The forge's API is a local HTTP server that records the comment it is sent.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import Docker
from tests.support import sshd

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPES = REPO_ROOT / "examples" / "ci"

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sleep", "86400"]
"""

# What the test bed provides instead: these steps, and only these, are not run.
SKIPPED_STEPS = {"Install composeswarm", "Set up ssh"}


class _Forge(http.server.BaseHTTPRequestHandler):
    posts: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).posts.append((self.path, dict(self.headers), body))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": 1}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def forge() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    """A local stand-in for the forge's API: (base URL, the POSTs it got)."""
    _Forge.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Forge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Forge.posts
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, engine_available: None) -> Iterator[sshd.SSHServer]:
    srv = sshd.start(tmp_path_factory.mktemp("sshd") / "bed")
    try:
        yield srv
    finally:
        sshd.stop(srv)


def run_lines(lines: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The lines as one bash script with -e, as the runners run them."""
    script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def expand(text: str, values: dict[str, str]) -> str:
    """GitHub's `${{ expr }}` replaced by test values; an expression the test does not know fails it."""
    def one(match: re.Match[str]) -> str:
        expr = match.group(1).strip()
        assert expr in values, f"the recipe uses ${{{{ {expr} }}}}: give the test a value for it"
        return values[expr]
    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def base_env(server: sshd.SSHServer, workdir: Path, stack: str) -> dict[str, str]:
    env = server.env()
    env["PATH"] = f"{REPO_ROOT / '.venv' / 'bin'}:{env['PATH']}"  # this checkout's composeswarm
    env.update(STACK=stack, COMPOSE_FILE="docker-compose.yml", HOME=str(workdir / "home"))
    return env


def github_steps(job: str) -> list[tuple[str, str, dict[str, str]]]:
    """(name, run, env) of a job's shell steps, minus the skipped ones (checked to exist)."""
    doc = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    steps = doc["jobs"][job]["steps"]
    names = {s.get("name") for s in steps}
    assert SKIPPED_STEPS <= names or job == "validate", (job, names)
    return [(s["name"], s["run"], {k: str(v) for k, v in (s.get("env") or {}).items()})
            for s in steps if "run" in s and s["name"] not in SKIPPED_STEPS]


def test_github_actions_recipe(server: sshd.SSHServer, docker: Docker, stack_name: str, tmp_path: Path,
                               forge: tuple[str, list[tuple[str, dict[str, str], bytes]]]) -> None:
    workdir = tmp_path / "checkout"
    (workdir / "home").mkdir(parents=True)
    (workdir / "docker-compose.yml").write_text(STACK)
    doc = yaml.safe_load((RECIPES / "github-actions.yml").read_text())
    assert doc["env"]["COMPOSE_FILE"] == "docker-compose.yml"
    assert set(doc["jobs"]) == {"validate", "plan", "deploy"}
    # the forge's context: the deploy job's DOCKER_HOST expression is the test bed's destination
    values = {
        "secrets.SWARM_MANAGER": server.url.removeprefix("ssh://"), "github.token": "t0ken",
        "github.event.pull_request.number": "7", "secrets.SWARM_SSH_KEY": "", "secrets.SWARM_KNOWN_HOSTS": "",
    }
    summary = tmp_path / "step-summary.md"
    env = base_env(server, workdir, stack_name)
    env.update(GITHUB_API_URL=forge[0], GITHUB_REPOSITORY="acme/app", GITHUB_STEP_SUMMARY=str(summary))

    for job in ("validate", "plan", "deploy"):
        job_env = {k: expand(str(v), values) for k, v in (doc["jobs"][job].get("env") or {}).items()}
        if "DOCKER_HOST" in job_env:
            assert job_env["DOCKER_HOST"] == server.url
        for name, run, step_env in github_steps(job):
            proc = run_lines([expand(run, values)], workdir,
                             {**env, **job_env, **{k: expand(v, values) for k, v in step_env.items()}})
            assert proc.returncode == 0, f"{job} / {name}: {proc.stdout}{proc.stderr}"

    # the plan went to the pull request, as Markdown, and to the job summary
    [(path, headers, body)] = forge[1]
    assert path == "/repos/acme/app/issues/7/comments"
    assert headers["Authorization"] == "Bearer t0ken"
    comment = json.loads(body)["body"]
    assert comment.startswith(f"**composeswarm plan** for stack `{stack_name}`: 2 to create, 0 to update")
    assert comment in summary.read_text()
    # the deploy ran over ssh, waited for the rollout and left its outcome in the job summary
    assert f"**composeswarm deploy** of stack `{stack_name}`: 2 created" in summary.read_text()
    assert docker("service", "ls", "--filter", f"name={stack_name}_web", "--format", "{{.Replicas}}").stdout.strip() == "1/1"


def test_gitlab_ci_recipe(server: sshd.SSHServer, docker: Docker, stack_name: str, tmp_path: Path,
                          forge: tuple[str, list[tuple[str, dict[str, str], bytes]]]) -> None:
    workdir = tmp_path / "checkout"
    (workdir / "home").mkdir(parents=True)
    (workdir / "docker-compose.yml").write_text(STACK)
    doc = yaml.safe_load((RECIPES / "gitlab-ci.yml").read_text())
    assert doc["stages"] == ["validate", "plan", "deploy"]
    env = base_env(server, workdir, stack_name)
    env.update(CI_API_V4_URL=f"{forge[0]}/api/v4", CI_PROJECT_ID="42", CI_MERGE_REQUEST_IID="7",
               PLAN_NOTE_TOKEN="t0ken", SWARM_MANAGER=server.url.removeprefix("ssh://"))
    hidden = doc[".ssh"]
    for job in ("validate", "plan", "deploy"):
        spec = doc[job]
        variables = dict(hidden["variables"]) if spec.get("extends") == ".ssh" else {}
        job_env = {**env, **{k: _gitlab_expand(v, env) for k, v in variables.items()}}
        if variables:
            assert job_env["DOCKER_HOST"] == server.url
        # before_script (install, ssh) is the runner's set-up: the test bed stands in for it
        proc = run_lines(spec["script"], workdir, job_env)
        assert proc.returncode == 0, f"{job}: {proc.stdout}{proc.stderr}"

    [(path, headers, body)] = forge[1]
    assert path == "/api/v4/projects/42/merge_requests/7/notes"
    assert headers["PRIVATE-TOKEN"] == "t0ken"
    note = urllib.parse.parse_qs(body.decode())["body"][0]
    assert note.startswith(f"**composeswarm plan** for stack `{stack_name}`: 2 to create, 0 to update")
    assert "| 🟢 `+` | service | <code>" in note
    assert docker("service", "ls", "--filter", f"name={stack_name}_web", "--format", "{{.Replicas}}").stdout.strip() == "1/1"


def _gitlab_expand(value: str, env: dict[str, str]) -> str:
    """GitLab expands $VAR in variables from the other variables."""
    return re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), value)
