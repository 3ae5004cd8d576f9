"""The gateway to the Docker Engine: every Engine API call composeswarm makes goes through `Engine`.

It speaks the Engine API in its own JSON shapes (the ones `docker service inspect` shows), so specs
built by `composeswarm.convert.stack` go over the wire untouched. Every call that fails becomes an
`EngineError` naming the call and the object. Nothing here decides anything: callers do.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import docker
import docker.constants
import docker.errors
from docker.api.client import APIClient

from composeswarm.engine.endpoints import Endpoint, docker_reason, resolve_endpoint, unreachable_reason
from composeswarm.engine.live import Json, LiveNode, LiveStack, node_from_json
from composeswarm.engine.retry import RetryPolicy, with_retries
from composeswarm.engine.sshconn import ssh_api_client
from composeswarm.engine.tlsca import keep_tls_ca
from composeswarm.errors import EngineError, EngineUnreachable
from composeswarm.dockerrules.stacknames import LABEL_NAMESPACE, stack_filter

LOG_BYTES = 256 * 1024  # at most this much of a task's log is read for its last lines


class Engine:
    """A thin, typed wrapper over the Engine API."""

    def __init__(
        self,
        api: APIClient,
        endpoint: Endpoint,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = api
        self.endpoint = endpoint
        self.calls: list[str] = []  # every write call made, in order ("create service x_web", ...)
        self.reads = 0  # read calls made (the deploy's metrics split the calls into reads and writes)
        self.retries = 0  # reads tried again after a transient failure (engine.retry: never a write)
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep

    # --- connecting -------------------------------------------------------------------------------

    @classmethod
    def connect(cls, context: str | None = None, timeout: int = 60) -> Engine:
        """Connect to the engine the docker CLI would use; EngineError naming it when unreachable."""
        endpoint = resolve_endpoint(context)
        try:
            if endpoint.host.startswith("ssh://"):  # the system ssh client, as the docker CLI (engine/sshconn.py)
                api = ssh_api_client(endpoint.host, timeout)
            else:
                # a fixed version first (nothing dialled), the CA pinned, then the version asked
                api = APIClient(base_url=endpoint.host, version=docker.constants.MINIMUM_DOCKER_API_VERSION,
                                tls=endpoint.tls, timeout=timeout)
                keep_tls_ca(api)
                api._version = api._retrieve_server_version()
        except docker.errors.DockerException as exc:
            raise EngineError(
                f"cannot reach the Docker engine at {endpoint.host} (from {endpoint.source}): "
                f"{docker_reason(exc, endpoint.host, timeout)}"
            ) from exc
        return cls(api, endpoint)

    def info(self) -> Json:
        """GET /info."""
        self.reads += 1
        return self._read("read engine info", self._api.info)  # type: ignore[no-any-return]

    def require_manager(self) -> None:
        """Fail unless this engine is a swarm manager, with the command that fixes it."""
        info = self.info()
        swarm = info.get("Swarm") or {}
        if not swarm.get("ControlAvailable"):
            state = swarm.get("LocalNodeState") or "inactive"
            raise EngineError(
                f"the engine at {self.endpoint.host} is not a swarm manager (swarm state: {state}); "
                'run "docker swarm init --advertise-addr 127.0.0.1" or "docker swarm join" first'
            )

    # --- reading ----------------------------------------------------------------------------------

    def read_stack(self, stack: str) -> LiveStack:
        """Services, networks, secrets and configs carrying the stack label: four list calls."""
        filters = stack_filter(stack)
        return LiveStack(
            stack=stack,
            services=self._get("list services", "/services", {"filters": json.dumps(filters)}),
            networks=self._get("list networks", "/networks", {"filters": json.dumps(filters)}),
            secrets=self._get("list secrets", "/secrets", {"filters": json.dumps(filters)}),
            configs=self._get("list configs", "/configs", {"filters": json.dumps(filters)}),
        )

    def list_stacks_services(self) -> list[Json]:
        """Every service that carries a stack label (any stack)."""
        filters = {"label": [LABEL_NAMESPACE]}
        return self._get("list services", "/services", {"filters": json.dumps(filters)})  # type: ignore[no-any-return]

    def list_networks(self, names: list[str] | None = None) -> list[Json]:
        """Networks, optionally filtered by name (the engine matches substrings: callers compare)."""
        params = {"filters": json.dumps({"name": names})} if names else None
        return self._get("list networks", "/networks", params)  # type: ignore[no-any-return]

    def list_secrets(self, names: list[str] | None = None) -> list[Json]:
        """Secrets, optionally filtered by name."""
        params = {"filters": json.dumps({"name": names})} if names else None
        return self._get("list secrets", "/secrets", params)  # type: ignore[no-any-return]

    def list_configs(self, names: list[str] | None = None) -> list[Json]:
        """Configs, optionally filtered by name."""
        params = {"filters": json.dumps({"name": names})} if names else None
        return self._get("list configs", "/configs", params)  # type: ignore[no-any-return]

    def list_services(self, filters: dict[str, list[str]] | None = None) -> list[Json]:
        """Services, optionally filtered (label, name, id)."""
        params = {"filters": json.dumps(filters)} if filters else None
        return self._get("list services", "/services", params)  # type: ignore[no-any-return]

    def list_tasks(self, filters: dict[str, list[str]] | None = None) -> list[Json]:
        """Tasks, optionally filtered (service, label, desired-state, node)."""
        params = {"filters": json.dumps(filters)} if filters else None
        return self._get("list tasks", "/tasks", params)  # type: ignore[no-any-return]

    def list_nodes(self) -> list[Json]:
        """Swarm nodes."""
        return self._get("list nodes", "/nodes", None)  # type: ignore[no-any-return]

    def read_nodes(self) -> list[LiveNode]:
        """Swarm nodes as the plan reads them (role, labels, platform, resources, availability): one list call."""
        return [node_from_json(n) for n in self.list_nodes()]

    def inspect_service(self, ident: str) -> Json:
        """GET /services/{id}."""
        return self._get(f"inspect service {ident}", f"/services/{ident}", None)  # type: ignore[no-any-return]

    def inspect_network(self, ident: str) -> Json | None:
        """GET /networks/{id}, or None when it does not exist."""
        try:
            return self._get(f"inspect network {ident}", f"/networks/{ident}", None)  # type: ignore[no-any-return]
        except EngineError as exc:
            if exc.status == 404:
                return None
            raise

    def distribution_inspect(self, image: str, registry_auth: str | None = None) -> Json:
        """GET /distribution/{image}/json: the digest and platforms of an image on its registry."""
        headers = {"X-Registry-Auth": registry_auth} if registry_auth else None
        return self._get(f"resolve image {image}", f"/distribution/{image}/json", None, headers)  # type: ignore[no-any-return]

    # --- writing ----------------------------------------------------------------------------------

    def create_network(self, body: Json) -> str:
        """POST /networks/create; returns the ID."""
        res = self._post(f"create network {body.get('Name')}", "/networks/create", body)
        return str(res["Id"])

    def remove_network(self, ident: str, name: str | None = None) -> None:
        """DELETE /networks/{id}."""
        self._delete(f"remove network {name or ident}", f"/networks/{ident}")

    def create_secret(self, spec: Json) -> str:
        """POST /secrets/create; `spec["Data"]` as bytes (encoded here)."""
        res = self._post(f"create secret {spec.get('Name')}", "/secrets/create", _encode_data(spec))
        return str(res["ID"])

    def update_secret(self, ident: str, version: int, spec: Json) -> None:
        """POST /secrets/{id}/update (swarm accepts label changes only)."""
        self._post(f"update secret {spec.get('Name')}", f"/secrets/{ident}/update", _encode_data(spec), {"version": version})

    def remove_secret(self, ident: str, name: str | None = None) -> None:
        """DELETE /secrets/{id}."""
        self._delete(f"remove secret {name or ident}", f"/secrets/{ident}")

    def create_config(self, spec: Json) -> str:
        """POST /configs/create; `spec["Data"]` as bytes (encoded here)."""
        res = self._post(f"create config {spec.get('Name')}", "/configs/create", _encode_data(spec))
        return str(res["ID"])

    def update_config(self, ident: str, version: int, spec: Json) -> None:
        """POST /configs/{id}/update (swarm accepts label changes only)."""
        self._post(f"update config {spec.get('Name')}", f"/configs/{ident}/update", _encode_data(spec), {"version": version})

    def remove_config(self, ident: str, name: str | None = None) -> None:
        """DELETE /configs/{id}."""
        self._delete(f"remove config {name or ident}", f"/configs/{ident}")

    def create_service(self, spec: Json, registry_auth: str | None = None) -> tuple[str, list[str]]:
        """POST /services/create; returns (ID, warnings)."""
        headers = {"X-Registry-Auth": registry_auth} if registry_auth else None
        res = self._post(f"create service {spec.get('Name')}", "/services/create", spec, None, headers)
        return str(res["ID"]), list(res.get("Warnings") or [])

    def update_service(
        self, ident: str, version: int, spec: Json, registry_auth: str | None = None
    ) -> list[str]:
        """POST /services/{id}/update with the whole spec and the live version; returns warnings."""
        headers = {"X-Registry-Auth": registry_auth} if registry_auth else None
        res = self._post(
            f"update service {spec.get('Name')}", f"/services/{ident}/update", spec, {"version": version}, headers
        )
        return list((res or {}).get("Warnings") or [])

    def remove_service(self, ident: str, name: str | None = None) -> None:
        """DELETE /services/{id}."""
        self._delete(f"remove service {name or ident}", f"/services/{ident}")

    # --- registry auth ------------------------------------------------------------------------------

    def registry_auth_for(self, image: str) -> str | None:
        """The X-Registry-Auth header for an image's registry, from the docker CLI config (or None)."""
        from docker import auth

        registry, _ = auth.resolve_repository_name(image.split("@")[0])
        config = auth.load_config()
        creds = auth.resolve_authconfig(config, registry)
        if not creds:
            return None
        # docker-py's encode_header gives bytes (url-safe base64 of the JSON); the header is text
        header: bytes = auth.encode_header(creds)
        return header.decode("ascii")

    # --- plumbing -----------------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except docker.errors.APIError as exc:
            raise EngineError(f"{what}: {docker_reason(exc)}", status=exc.status_code) from exc
        except (docker.errors.DockerException, OSError) as exc:  # OSError: requests' connection errors
            reason = unreachable_reason(exc, self.endpoint.host, self._api.timeout)
            if reason is None:
                raise EngineError(f"{what}: {docker_reason(exc)}") from exc
            raise EngineUnreachable(
                f"{what}: cannot reach the Docker engine at {self.endpoint.host} (from {self.endpoint.source}): {reason}"
            ) from exc

    def _get(self, what: str, path: str, params: Any, headers: dict[str, str] | None = None) -> Any:
        api = self._api
        self.reads += 1

        def go() -> Any:
            return api._result(api._get(api._url(path_fmt(path)), params=params, headers=headers), True)

        return self._read(what, go)

    def _read(self, what: str, fn: Callable[[], Any]) -> Any:
        """A GET through `_call`, tried again after a transient failure (engine.retry)."""
        result, retries = with_retries("GET", lambda: self._call(what, fn), self.retry, self._sleep)
        self.retries += retries
        return result

    def _post(
        self,
        what: str,
        path: str,
        body: Json,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        api = self._api
        self.calls.append(what)

        def go() -> Any:
            hdrs = {"Content-Type": "application/json", **(headers or {})}
            res = api._post(api._url(path_fmt(path)), data=json.dumps(body), params=params, headers=hdrs)
            api._raise_for_status(res)
            return res.json() if res.content else None

        return self._call(what, go)

    def _delete(self, what: str, path: str) -> None:
        api = self._api
        self.calls.append(what)

        def go() -> None:
            api._raise_for_status(api._delete(api._url(path_fmt(path))))

        self._call(what, go)

    # --- operating stacks: ls, services, ps, logs, rm (added by the ops helper) -----------------------

    def list_services_status(self, filters: dict[str, list[str]] | None = None) -> list[Json]:
        """Services with ServiceStatus (running/desired/completed task counts; API 1.41+)."""
        params: dict[str, Any] = {"status": "true"}
        if filters:
            params["filters"] = json.dumps(filters)
        return self._get("list services", "/services", params)  # type: ignore[no-any-return]

    def inspect_task(self, ident: str) -> Json:
        """GET /tasks/{id}."""
        return self._get(f"inspect task {ident}", f"/tasks/{ident}", None)  # type: ignore[no-any-return]

    def service_log_frames(
        self, ident: str, *, follow: bool, tail: str = "all", since: str | None = None
    ) -> Iterator[tuple[int, bytes]]:
        """Stream GET /services/{id}/logs with details and timestamps: (stream 1|2, payload) per frame.

        The payload is `<timestamp> <details> <text>`; details carry the task, node and service IDs.
        Following, the read has no timeout: a quiet service is not an error.
        """
        params: dict[str, Any] = {
            "stdout": 1, "stderr": 1, "details": 1, "timestamps": 1, "follow": int(follow), "tail": tail,
        }  # fmt: skip
        if since:
            params["since"] = since
        yield from self._log_frames(f"read logs of service {ident}", f"/services/{ident}/logs", params, follow)

    def task_log_lines(self, ident: str, tail: int) -> list[str]:
        """The last `tail` lines of a task's log (stdout and stderr, in order), without their newlines.

        At most LOG_BYTES are read; a read that fails on the way keeps the lines read so far.
        """
        params = {"stdout": 1, "stderr": 1, "follow": 0, "tail": str(tail)}
        what = f"read logs of task {ident}"
        text = b""
        try:
            for _, payload in self._log_frames(what, f"/tasks/{ident}/logs", params, False):
                text += payload
                if len(text) >= LOG_BYTES:
                    break
        except EngineError:
            if not text:
                raise
        lines = text.decode("utf-8", "replace").splitlines()
        return lines[-tail:] if tail > 0 else []

    def _log_frames(self, what: str, path: str, params: Json, follow: bool) -> Iterator[tuple[int, bytes]]:
        """Frames of a log stream (a TTY's raw stream as one frame per read, stream 1)."""
        api = self._api
        self.reads += 1

        def open_stream() -> Any:
            res = api._get(api._url(path_fmt(path)), params=params, stream=True, timeout=None if follow else api.timeout)
            api._raise_for_status(res)
            return res

        res = self._read(what, open_stream) if not follow else self._call(what, open_stream)
        try:
            while True:
                try:
                    header = _read_exact(res.raw, 8)
                    if len(header) < 8 or header[0] > 2 or header[1:4] != b"\0\0\0":
                        # no frame header: a TTY's raw stream (or its tail end)
                        if header:
                            yield 1, header + res.raw.read(LOG_BYTES)
                        return
                    payload = _read_exact(res.raw, int.from_bytes(header[4:8], "big"))
                except Exception as exc:  # the connection dropped (service removed, engine gone)
                    if follow:
                        return
                    raise EngineError(f"{what}: {docker_reason(exc)}") from exc
                yield header[0], payload
        finally:
            res.close()


def path_fmt(path: str) -> str:
    """Escape braces so docker's `_url` formatter leaves the path alone."""
    return path.replace("{", "{{").replace("}", "}}")


def _encode_data(spec: Json) -> Json:
    data = spec.get("Data")
    if isinstance(data, (bytes, bytearray)):
        spec = dict(spec, Data=base64.b64encode(bytes(data)).decode("ascii"))
    return spec


def _read_exact(raw: Any, size: int) -> bytes:
    """Read `size` bytes from a urllib3 response (b'' or fewer bytes at the end of the stream)."""
    buf = b""
    while len(buf) < size:
        chunk = raw.read(size - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf
