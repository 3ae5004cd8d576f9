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


def docker_reason(exc: Exception) -> str:
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
