"""tcp:// with TLS, for real: a TLS endpoint on 127.0.0.1 that demands a client certificate of the test
bed's CA (scripts/tlsengine.sh: socat in front of the engine's socket, see there why not a second
dockerd), reached with DOCKER_TLS_VERIFY + DOCKER_CERT_PATH and with a docker context holding the
certificates, as the docker CLI reaches it."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sshd import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = str(REPO_ROOT / ".venv" / "bin" / "composeswarm")
SCRIPT = REPO_ROOT / "scripts" / "tlsengine.sh"
# requests lets these replace a session's CA file (psf/requests#3829): set, so that a regression shows
SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"

STACK = """\
version: "3.8"
services:
  web:
    image: local/busybox:1
    init: true
    command: ["sleep", "86400"]
"""


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory: pytest.TempPathFactory, engine_available: None) -> Iterator[tuple[int, Path]]:
    """(port, folder) of a started TLS endpoint; stopped by pid at the end."""
    port, folder = free_port(), tmp_path_factory.mktemp("tls") / "bed"
    proc = subprocess.run([str(SCRIPT), "up", "--port", str(port), "--dir", str(folder)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    try:
        yield port, folder
    finally:
        subprocess.run([str(SCRIPT), "down", "--dir", str(folder)], capture_output=True, timeout=60, check=False)


def tls_env(port: int, cert_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_CONTEXT",)}
    env.update(DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(cert_path),
               REQUESTS_CA_BUNDLE=SYSTEM_CAS, CURL_CA_BUNDLE=SYSTEM_CAS)
    return env


def cs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=180, check=False)


def test_deploy_plan_rm_over_tls(tls_engine: tuple[int, Path], stack_name: str, tmp_path: Path) -> None:
    port, folder = tls_engine
    env = tls_env(port, folder / "client")
    stack = tmp_path / "stack.yml"
    stack.write_text(STACK)
    proc = cs("deploy", stack_name, "-f", str(stack), "--resolve-image", "never", "--timeout", "120", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "rollout: 1 converged\n" in proc.stderr
    proc = cs("plan", stack_name, "-f", str(stack), env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith(f"No changes: stack {stack_name} is as the files describe it.\n")
    over_tls = cs("services", stack_name, env=env)
    over_socket = cs("services", stack_name, env={k: v for k, v in os.environ.items() if k != "DOCKER_CONTEXT"})
    assert (over_tls.returncode, over_tls.stderr, over_tls.stdout) == (0, "", over_socket.stdout)
    proc = cs("rm", stack_name, env=env)
    assert (proc.returncode, proc.stderr) == (0, "")


def test_a_tls_context_works_the_same(tls_engine: tuple[int, Path], stack_name: str, tmp_path: Path) -> None:
    port, folder = tls_engine
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text("{}\n")
    env = {k: v for k, v in tls_env(port, folder / "client").items() if not k.startswith("DOCKER_")}
    env["DOCKER_CONFIG"] = str(config)
    certs = folder / "client"
    host = f"host=tcp://127.0.0.1:{port},ca={certs}/ca.pem,cert={certs}/cert.pem,key={certs}/key.pem"
    made = subprocess.run(["/usr/local/bin/docker", "context", "create", "secure", "--docker", host],
                          env=env, capture_output=True, text=True, timeout=30, check=False)
    assert made.returncode == 0, made.stderr
    stack = tmp_path / "stack.yml"
    stack.write_text(STACK)
    proc = cs("deploy", stack_name, "-f", str(stack), "--context", "secure", "--detach", "--resolve-image", "never", env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    proc = cs("services", stack_name, "--context", "secure", env=env)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[1].split()[1] == f"{stack_name}_web"


def test_a_wrong_ca_is_one_clear_line(tls_engine: tuple[int, Path]) -> None:
    port, folder = tls_engine
    proc = cs("ls", env=tls_env(port, folder / "wrong-ca"))
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == (
        f"error: cannot reach the Docker engine at tcp://127.0.0.1:{port} (from DOCKER_HOST): the TLS handshake "
        "failed: the engine's certificate did not verify against the CA (self-signed certificate in certificate chain)\n"
    )


def test_no_client_certificate_is_refused_by_the_engine(tls_engine: tuple[int, Path]) -> None:
    """The endpoint is a --tlsverify one: a client that trusts its CA but has no certificate gets no answer."""
    port, folder = tls_engine
    context = ssl.create_default_context(cafile=str(folder / "client" / "ca.pem"))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            assert tls.recv(100) == b""  # TLS 1.3: the alert may arrive as an end of stream instead
            raise ConnectionError("closed without an answer")
