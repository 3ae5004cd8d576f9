"""Shell completion: `--install-completion` for bash and zsh (typer's), and stack names completed from
the engine, quickly, and with nothing at all when the engine does not answer in time."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from tests.integration.conftest import Docker

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")

STACK = 'version: "3.8"\nservices:\n  web:\n    image: local/busybox:1\n    command: ["sleep", "86400"]\n'


def env_with(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("_COMPOSESWARM")}
    env["PATH"] = f"{REPO_ROOT / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    return {**env, "HOME": str(home), **extra}


def test_bash_completion_installs_and_completes_stacks(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(STACK)
    docker("stack", "deploy", "--detach=true", "-c", str(tmp_path / "stack.yml"), stack_name)
    home = tmp_path / "home"
    home.mkdir()
    # typer installs for the shell it runs under: run it from bash (`; true`: no exec of the last command)
    proc = subprocess.run(["bash", "-c", f"'{CLI}' --install-completion; true"], env=env_with(home),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    script = home / ".bash_completions" / "composeswarm.sh"
    assert f"source '{script}'" in (home / ".bashrc").read_text()
    # a real bash loads the installed script and asks it, as Tab would
    words = f"composeswarm services {stack_name[:6]}"
    bash = (f"source '{script}'; COMP_WORDS=({words}); COMP_CWORD=2; "
            "complete -p composeswarm >/dev/null; f=$(complete -p composeswarm | sed 's/.*-F \\([^ ]*\\).*/\\1/'); "
            '$f composeswarm; printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "-c", bash], env=env_with(home), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert stack_name in proc.stdout.split()
    assert all(w.startswith(stack_name[:6]) for w in proc.stdout.split())


def test_zsh_completion_script_and_candidates(docker: Docker, stack_name: str, tmp_path: Path) -> None:
    (tmp_path / "stack.yml").write_text(STACK)
    docker("stack", "deploy", "--detach=true", "-c", str(tmp_path / "stack.yml"), stack_name)
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(["zsh", "-fc", f"'{CLI}' --install-completion; true"], env=env_with(home),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"zsh completion installed in {home}/.zfunc/_composeswarm")
    assert "fpath+=~/.zfunc" in (home / ".zshrc").read_text()
    # a real zsh loads it: the function is defined by the installed file
    proc = subprocess.run(["zsh", "-fc", f"fpath+=({home}/.zfunc); autoload -Uz compinit; compinit -u; "
                           "autoload -Uz _composeswarm; whence -w _composeswarm"], env=env_with(home),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == "_composeswarm: function", proc.stderr
    # what the zsh script evaluates when Tab is pressed after `composeswarm rm cs`
    proc = subprocess.run([CLI], env=env_with(home, _COMPOSESWARM_COMPLETE="complete_zsh",
                                              _TYPER_COMPLETE_ARGS=f"composeswarm rm {stack_name}"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip() == f"_arguments '*: :((\"{stack_name}\"))'"


def test_completion_gives_up_quickly_on_a_silent_engine(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        host = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        proc = subprocess.run([CLI], env=env_with(tmp_path, DOCKER_HOST=host, _COMPOSESWARM_COMPLETE="complete_bash",
                                                  COMP_WORDS="composeswarm services cs", COMP_CWORD="2"),
                              capture_output=True, text=True, timeout=60, check=False)
        took = time.monotonic() - start
    assert (proc.stdout.strip(), proc.stderr) == ("", "")
    assert took < 10, took
