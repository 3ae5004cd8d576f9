"""TLS engines: the CA the docker CLI would verify the engine against, kept whatever the environment says."""

from __future__ import annotations

from typing import Any


def keep_tls_ca(api: Any) -> None:
    """Verify the engine against DOCKER_CERT_PATH's (or the context's) CA, whatever the environment says.

    requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE replace a session's CA file on every request
    (psf/requests#3829), so the engine's certificate was checked against the system's CAs; the docker
    CLI reads no such variable.
    """
    verify = api.verify
    if verify is True:
        return
    merge = api.merge_environment_settings

    def pinned(url: Any, proxies: Any, stream: Any, verify_: Any, cert: Any) -> Any:
        settings = merge(url, proxies, stream, verify_, cert)
        settings["verify"] = verify
        return settings

    api.merge_environment_settings = pinned
