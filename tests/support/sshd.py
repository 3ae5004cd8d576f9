"""A real OpenSSH server on 127.0.0.1 for the ssh:// tests (scripts/sshd.sh up/down, stopped by pid).

Its client side never touches ~/.ssh: `bin/ssh` in its folder is the system ssh with `-F` the test
bed's config (key, known_hosts, BatchMode), so putting that folder first on PATH is all a
subprocess needs, exactly as a CI job's `~/.ssh/config` would be.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "sshd.sh"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class SSHServer:
    """A started sshd: where it listens and the folder of its keys, config and log."""

    port: int
    dir: Path

    @property
    def url(self) -> str:
        """The DOCKER_HOST that reaches the engine through it."""
        return f"ssh://{os.environ.get('USER') or 'root'}@127.0.0.1:{self.port}"

    def env(self, base: dict[str, str] | None = None, *, ssh_bin: Path | None = None) -> dict[str, str]:
        """`base` (default os.environ) without the engine settings, its ssh first on PATH, DOCKER_HOST=ssh://."""
        env = {k: v for k, v in (base or os.environ).items()
               if k not in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
        env["PATH"] = f"{ssh_bin or self.dir / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env["DOCKER_HOST"] = self.url
        return env

    def accepted(self) -> int:
        """Connections authenticated so far (sshd's VERBOSE log: one `Accepted publickey` line each)."""
        return (self.dir / "sshd.log").read_text(errors="replace").count("Accepted publickey for ")

    def ssh_wrapper(self, folder: Path, **options: str) -> Path:
        """A folder whose `ssh` uses the test bed's config with some settings replaced (a wrong key, known_hosts)."""
        folder.mkdir(parents=True, exist_ok=True)
        lines = (self.dir / "ssh_config").read_text().splitlines()
        kept = [ln for ln in lines if ln.split()[:1] not in ([k] for k in options)]
        config = folder / "ssh_config"
        config.write_text("\n".join(kept + [f"    {k} {v}" for k, v in options.items()]) + "\n")
        (folder / "ssh").write_text(f'#!/bin/sh\nexec /usr/bin/ssh -F {config} "$@"\n')
        (folder / "ssh").chmod(0o755)
        return folder


def start(folder: Path) -> SSHServer:
    """scripts/sshd.sh up on a free port, everything in `folder`; AssertionError with its output when it fails."""
    port = free_port()
    proc = subprocess.run([str(SCRIPT), "up", "--port", str(port), "--dir", str(folder)],
                          capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"scripts/sshd.sh up exited {proc.returncode}: {proc.stderr}")
    return SSHServer(port, folder)


def stop(server: SSHServer) -> None:
    """scripts/sshd.sh down: the sshd `start` started, by its pid."""
    subprocess.run([str(SCRIPT), "down", "--dir", str(server.dir)], capture_output=True, timeout=60, check=False)
