"""Which engine to talk to, as the docker CLI resolves it: --context, DOCKER_HOST (with DOCKER_TLS_VERIFY
and DOCKER_CERT_PATH), DOCKER_CONTEXT, the current context of the CLI's config, or the default socket."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors

from composeswarm.errors import EngineError


@dataclass(frozen=True)
class Endpoint:
    """Where the engine is and how to talk to it, as the docker CLI resolves it."""

    host: str
    source: str  # what chose it: --context NAME, DOCKER_HOST, DOCKER_CONTEXT, current context, default
    tls: Any = None


def resolve_endpoint(context: str | None = None) -> Endpoint:
    """Pick the engine as the docker CLI does: --context, DOCKER_HOST, DOCKER_CONTEXT, config, default."""
    if context is None and os.environ.get("DOCKER_HOST"):
        return _env_endpoint("DOCKER_HOST")
    name = context or os.environ.get("DOCKER_CONTEXT")
    source = "--context" if context else ("DOCKER_CONTEXT" if name else "current context")
    config_dir = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    if name is None:
        name = _current_context(config_dir) or "default"
    if name == "default":
        return _env_endpoint("default" if source == "current context" else f"{source} default")
    return _context_endpoint(config_dir, name, source)


def _env_endpoint(source: str) -> Endpoint:
    """DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or the default socket."""
    from docker.utils import kwargs_from_env

    try:
        kwargs = kwargs_from_env()
    except (docker.errors.DockerException, OSError, ValueError) as exc:
        raise EngineError(f"the Docker environment is unusable ({source}): {docker_reason(exc)}") from exc
    return Endpoint(kwargs.get("base_url") or "unix:///var/run/docker.sock", source, kwargs.get("tls"))


def _current_context(config_dir: Path) -> str | None:
    """`currentContext` of the docker CLI's config.json, if any."""
    try:
        config = json.loads((config_dir / "config.json").read_text())
    except (OSError, ValueError):
        return None
    current = config.get("currentContext") if isinstance(config, dict) else None
    return str(current) if current else None


def _context_endpoint(config_dir: Path, name: str, source: str) -> Endpoint:
    """Read a context from the docker CLI's store: contexts/meta/<sha256(name)>/meta.json (+ tls/)."""
    import hashlib

    from docker.tls import TLSConfig

    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_file = config_dir / "contexts" / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_file.read_text())
    except FileNotFoundError:
        raise EngineError(f"docker context {name!r} does not exist ({source}; looked in {config_dir})") from None
    except (OSError, ValueError) as exc:
        raise EngineError(f"docker context {name!r} cannot be read: {exc}") from exc
    endpoint = (meta.get("Endpoints") or {}).get("docker") or {}
    host = endpoint.get("Host") or "unix:///var/run/docker.sock"
    tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
    tls: Any = None
    if tls_dir.is_dir():
        ca, cert, key = (tls_dir / "ca.pem", tls_dir / "cert.pem", tls_dir / "key.pem")
        tls = TLSConfig(
            client_cert=(str(cert), str(key)) if cert.exists() and key.exists() else None,
            ca_cert=str(ca) if ca.exists() else None,
            verify=not endpoint.get("SkipTLSVerify", False),
        )
    return Endpoint(host, f"{source} {name}", tls)


def docker_reason(exc: BaseException, host: str | None = None, timeout: float | None = None) -> str:
    """The reason for a failed call in one line: the engine's message, or why it could not be reached."""
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    unreachable = unreachable_reason(exc, host, timeout)
    if unreachable is not None:
        return unreachable
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def unreachable_reason(exc: BaseException, host: str | None = None, timeout: float | None = None) -> str | None:
    """Why the engine could not be reached, in plain words, or None when `exc` is no connection failure.

    The SDK wraps the socket's error three or four times (DockerException from requests'
    ConnectionError from urllib3's ProtocolError or MaxRetryError from the OSError); the words come
    from the innermost cause, never from the wrappers' text.
    """
    import http.client
    import socket
    import ssl

    from composeswarm.engine.sshconn import SSHFailure

    causes = list(_causes(exc))
    ssh = next((c for c in causes if isinstance(c, SSHFailure)), None)
    if ssh is not None:  # ssh's own words ("Host key verification failed.", "Permission denied (publickey).")
        reason = _one_line(ssh.reason)
        return reason if reason.startswith("ssh: ") else f"ssh: {reason}"
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return "unknown host name"
        if isinstance(cause, ssl.SSLCertVerificationError):  # the engine's certificate, checked against our CA
            why = cause.verify_message or getattr(cause, "reason", None) or "bad certificate"
            return f"the TLS handshake failed: the engine's certificate did not verify against the CA ({why})"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed ({getattr(cause, 'reason', None) or 'bad certificate'})"
        if isinstance(cause, (TimeoutError, socket.timeout)) or type(cause).__name__ in _TIMEOUTS:
            return f"no answer within {timeout:g} s" if timeout else "no answer in time"
        if isinstance(cause, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
            return "the engine closed the connection without answering"
        if isinstance(cause, OSError) and cause.errno is not None:
            return _errno_words(cause.errno, host)
    if any(type(c).__name__ in ("ProtocolError", "ConnectionError", "MaxRetryError") for c in causes):
        return "the connection failed"
    return None


def _one_line(text: str, limit: int = 200) -> str:
    """Text from elsewhere as one safe line: control characters escaped, long text cut with an ellipsis."""
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text.strip())
    return out if len(out) <= limit else out[: limit - 1] + "…"


# urllib3's and requests' timeout exceptions, matched by name: no import of either here.
_TIMEOUTS = ("ReadTimeoutError", "ConnectTimeoutError", "ReadTimeout", "ConnectTimeout", "Timeout")


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and everything it wraps (cause, context, exception arguments, urllib3's `reason`), outermost first."""
    out: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(out) < 20:  # bounded: a wrapper may refer to itself
        cur = todo.pop(0)
        if any(cur is seen for seen in out):
            continue
        out.append(cur)
        inner = [cur.__cause__, cur.__context__, getattr(cur, "reason", None), *getattr(cur, "args", ())]
        todo.extend(x for x in inner if isinstance(x, BaseException))
    return out


def _errno_words(errno_: int, host: str | None) -> str:
    import errno
    import stat

    path = host[len("unix://"):] if host and host.startswith("unix://") else None
    if errno_ == errno.ENOENT:
        return "no such socket" if path else "no such file"
    if errno_ in (errno.EACCES, errno.EPERM):
        return "permission denied (is this user in the docker group?)"
    if errno_ == errno.ECONNREFUSED:
        if path is not None:
            try:
                if not stat.S_ISSOCK(os.stat(path).st_mode):
                    return "not a socket"
            except OSError:
                pass
            return "connection refused (a socket nobody listens on: is dockerd running?)"
        return "connection refused (is dockerd running and listening there?)"
    words = {
        errno.ENOTSOCK: "not a socket",
        errno.ETIMEDOUT: "no answer in time",
        errno.EHOSTUNREACH: "no route to the host",
        errno.ENETUNREACH: "the network is unreachable",
        errno.ECONNRESET: "the engine closed the connection without answering",
        errno.ENAMETOOLONG: "the socket path is too long",
    }
    return words.get(errno_) or os.strerror(errno_).lower()
