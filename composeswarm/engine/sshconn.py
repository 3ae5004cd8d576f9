"""ssh:// engines, reached as the docker CLI reaches them: the system `ssh` client runs
`docker system dial-stdio` on the remote host and the Engine API goes over its standard streams.

So `~/.ssh/config`, the agent, known_hosts and ProxyJump apply unchanged, and no SSH library is
needed. docker-py's own shell-out transport (`use_ssh_client=True`) is not used: its module imports
paramiko even when it shells out, it opens a new pool (so a new ssh process) for every request, its
pipes ignore timeouts, and ssh's complaint goes to the terminal while the caller sees "connection
aborted". Here ssh's stdin and stdout are one end of a socket pair, so reads time out like any socket;
connections are pooled and kept alive, so a deploy opens one ssh connection (two while the deploy lock
is refreshed during a call); ssh's stderr is kept, and a connection that ssh ends before the engine
answers raises `SSHFailure` with ssh's own last line.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool

# The URL prefix the APIClient is given for an ssh engine (the adapter below is mounted on it).
BASE_URL = "http+docker://ssh"
# As the docker CLI: give up on a host that does not answer within 30 s; no terminal on the remote side.
SSH_FLAGS = ("-o", "ConnectTimeout=30", "-T")


class SSHFailure(ConnectionError):
    """ssh ended the connection before the engine answered; `reason` is ssh's own last line."""

    def __init__(self, reason: str, returncode: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.returncode = returncode


@dataclass(frozen=True)
class SSHTarget:
    """Where `ssh://[user@]host[:port][/socket]` points."""

    host: str
    user: str | None = None
    port: int | None = None
    socket_path: str | None = None

    def argv(self) -> list[str]:
        """The command line, as the docker CLI builds it (connhelper): ssh FLAGS [-l U] [-p P] -- HOST docker ..."""
        args = ["ssh", *SSH_FLAGS]
        if self.user:
            args += ["-l", self.user]
        if self.port:
            args += ["-p", str(self.port)]
        remote = ["docker"]
        if self.socket_path:
            remote += [f"--host=unix://{self.socket_path}"]
        return [*args, "--", self.host, *remote, "system", "dial-stdio"]


def parse_ssh_url(url: str) -> SSHTarget:
    """`ssh://[user@]host[:port][/path]`; ValueError with the reason when it is not one."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "ssh":
        raise ValueError(f"not an ssh URL: {url!r}")
    if parsed.password is not None:
        raise ValueError("plain-text passwords are not supported in ssh URLs: use keys or an agent")
    if parsed.query or parsed.fragment:
        raise ValueError("an ssh URL takes no query or fragment")
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(f"the port of {url!r} is not a number from 1 to 65535") from None
    host = parsed.hostname
    if not host:
        raise ValueError("no host in the ssh URL")
    if host.startswith("-"):
        raise ValueError(f"the host of {url!r} must not start with '-'")
    path = parsed.path if parsed.path not in ("", "/") else None
    return SSHTarget(host=host, user=urllib.parse.unquote(parsed.username) if parsed.username else None,
                     port=port, socket_path=path)


class SSHConnection(urllib3.connection.HTTPConnection):
    """One HTTP connection = one `ssh ... docker system dial-stdio` process on a socket pair."""

    def __init__(self, target: SSHTarget, timeout: Any) -> None:
        super().__init__("localhost", timeout=timeout)
        self.target = target
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._failure: SSHFailure | None = None

    def _new_conn(self) -> socket.socket:
        ours, theirs = socket.socketpair()
        self._stderr = tempfile.TemporaryFile()
        # a thread that blocks signals (the log readers block Ctrl-C) must not hand that mask to ssh
        mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            # process_group: a Ctrl-C at the terminal stops composeswarm, which then closes ssh (as the docker CLI)
            self.proc = subprocess.Popen(self.target.argv(), stdin=theirs.fileno(), stdout=theirs.fileno(), stderr=self._stderr,
                                         process_group=0)
        except OSError as exc:
            ours.close()
            raise SSHFailure(f"cannot run ssh: {exc.strerror or exc}", None) from exc
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            theirs.close()
        # urllib3 sets each request's read timeout on this socket; the sentinel "default" means none
        ours.settimeout(float(self.timeout) if isinstance(self.timeout, (int, float)) else None)
        return ours

    def request(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().request(*args, **kwargs)
        except OSError as exc:  # ssh already gone: a broken pipe
            self._raise_ssh_failure(exc)
            raise

    def getresponse(self) -> Any:
        try:
            return super().getresponse()
        except Exception as exc:
            self._raise_ssh_failure(exc)
            raise

    def _raise_ssh_failure(self, exc: BaseException) -> None:
        # a read timeout is the engine's silence, not ssh's: no wait for the process then
        failure = self.ssh_failure(wait=0 if isinstance(exc, TimeoutError) else 2.0)
        if failure is not None:
            raise failure from exc

    def ssh_failure(self, wait: float = 2.0) -> SSHFailure | None:
        """ssh's reason when its process has ended (waiting up to `wait` s), else None."""
        if self.proc is None:  # closed already (http.client closes on a failed read): what close() kept
            return self._failure
        try:
            code = self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None
        return SSHFailure(_last_line(self._read_stderr()) or f"ssh exited with status {code}", code)

    def _read_stderr(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return str(self._stderr.read(16384).decode("utf-8", "replace"))  # bounded: ssh says little

    def close(self) -> None:
        super().close()  # closes our end: ssh sees EOF and ends the remote dial-stdio
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait(timeout=2)
            if code != 0:
                self._failure = SSHFailure(_last_line(self._read_stderr()) or f"ssh exited with status {code}", code)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


class _SSHPool(urllib3.connectionpool.HTTPConnectionPool):
    def __init__(self, target: SSHTarget, timeout: float | None, maxsize: int) -> None:
        super().__init__("localhost", timeout=timeout, maxsize=maxsize, block=False)
        self.target = target
        self.opened = 0  # ssh processes started: the round-trip figure of a command

    def _new_conn(self) -> SSHConnection:
        self.opened += 1
        return SSHConnection(self.target, self.timeout.connect_timeout)


class SSHAdapter(requests.adapters.HTTPAdapter):
    """A requests adapter with one pool of kept-alive ssh connections (mounted on `BASE_URL`)."""

    def __init__(self, target: SSHTarget, timeout: float | None, maxsize: int = 4) -> None:
        super().__init__(max_retries=0)
        self.pool = _SSHPool(target, timeout, maxsize)

    def get_connection(self, url: Any, proxies: Any = None) -> Any:
        return self.pool

    def get_connection_with_tls_context(self, request: Any, verify: Any, proxies: Any = None, cert: Any = None) -> Any:
        return self.pool

    def request_url(self, request: Any, proxies: Any) -> str:
        return str(request.path_url)

    def close(self) -> None:
        super().close()
        self.pool.close()


def _last_line(text: str) -> str:
    """ssh's reason: its last line that is not a warning about known_hosts being written."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith("Warning: Permanently added")]
    return (useful or lines or [""])[-1]


def ssh_api_client(url: str, timeout: float | None) -> Any:
    """A docker APIClient whose requests go over `ssh URL docker system dial-stdio` (version negotiated)."""
    from docker import constants
    from docker.api.client import APIClient
    from docker.errors import DockerException, InvalidVersion
    from docker.utils import version_lt

    try:
        target = parse_ssh_url(url)
    except ValueError as exc:
        raise DockerException(str(exc)) from None
    # built on a placeholder address with a fixed version (nothing is dialled), then given the ssh adapter
    api = APIClient(base_url="tcp://127.0.0.1:1", version=constants.MINIMUM_DOCKER_API_VERSION, timeout=timeout)
    adapter = SSHAdapter(target, timeout)
    api.mount(BASE_URL, adapter)
    api._unmount("http://", "https://")
    api._custom_adapter = adapter
    api.base_url = BASE_URL
    api._version = api._retrieve_server_version()
    if version_lt(api._version, constants.MINIMUM_DOCKER_API_VERSION):
        raise InvalidVersion(f"API versions below {constants.MINIMUM_DOCKER_API_VERSION} are no longer supported")
    return api
