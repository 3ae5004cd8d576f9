"""A fake engine gateway for apply/resolve tests: records every call, refuses the ones it is told to."""

from __future__ import annotations

import threading
from typing import Any

from composeswarm.errors import EngineError

Json = dict[str, Any]


class FakeGateway:
    """Records write calls as `create service s_web` strings (with what was sent); IDs are `id-<name>`."""

    def __init__(self, refuse: dict[str, str] | None = None, auth: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}  # call -> the engine's reason
        self.auth = auth or {}  # image -> X-Registry-Auth
        self.calls: list[str] = []
        self.sent: dict[str, Any] = {}  # call -> (spec, version, registry_auth)
        self._lock = threading.Lock()

    def _write(self, call: str, sent: Any) -> None:
        with self._lock:
            self.calls.append(call)
            self.sent[call] = sent
        if call in self.refuse:
            raise EngineError(f"{call}: {self.refuse[call]}", status=400)

    def create_network(self, body: Json) -> str:
        self._write(f"create network {body['Name']}", body)
        return f"id-{body['Name']}"

    def remove_network(self, ident: str, name: str | None = None) -> None:
        self._write(f"remove network {name}", ident)

    def create_secret(self, spec: Json) -> str:
        self._write(f"create secret {spec['Name']}", spec)
        return f"id-{spec['Name']}"

    def update_secret(self, ident: str, version: int, spec: Json) -> None:
        self._write(f"update secret {spec['Name']}", (ident, version, spec))

    def remove_secret(self, ident: str, name: str | None = None) -> None:
        self._write(f"remove secret {name}", ident)

    def create_config(self, spec: Json) -> str:
        self._write(f"create config {spec['Name']}", spec)
        return f"id-{spec['Name']}"

    def update_config(self, ident: str, version: int, spec: Json) -> None:
        self._write(f"update config {spec['Name']}", (ident, version, spec))

    def remove_config(self, ident: str, name: str | None = None) -> None:
        self._write(f"remove config {name}", ident)

    def create_service(self, spec: Json, registry_auth: str | None = None) -> tuple[str, list[str]]:
        self._write(f"create service {spec['Name']}", (spec, None, registry_auth))
        return f"id-{spec['Name']}", []

    def update_service(self, ident: str, version: int, spec: Json, registry_auth: str | None = None) -> list[str]:
        self._write(f"update service {spec['Name']}", (spec, version, registry_auth))
        return []

    def remove_service(self, ident: str, name: str | None = None) -> None:
        self._write(f"remove service {name}", ident)

    def registry_auth_for(self, image: str) -> str | None:
        return self.auth.get(image)


def bind_names(spec: Json, networks: dict[str, str], secrets: dict[str, str], configs: dict[str, str]) -> Json:
    """Network targets, secret and config references from names to IDs (KeyError when unknown)."""
    task = spec.setdefault("TaskTemplate", {})
    for net in task.get("Networks") or []:
        net["Target"] = networks[net["Target"]]
    container = task.get("ContainerSpec") or {}
    for ref in container.get("Secrets") or []:
        ref["SecretID"] = secrets[ref["SecretName"]]
    for ref in container.get("Configs") or []:
        ref["ConfigID"] = configs[ref["ConfigName"]]
    return spec
