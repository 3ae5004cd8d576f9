"""ssh:// URLs become the ssh command line the docker CLI runs; ssh's complaint becomes the reason."""

from __future__ import annotations

import pytest

from composeswarm.engine.endpoints import unreachable_reason
from composeswarm.engine.sshconn import SSHFailure, _last_line, parse_ssh_url

pytestmark = pytest.mark.engine


@pytest.mark.parametrize(
    ("url", "argv"),
    [
        pytest.param("ssh://manager", ["--", "manager"], id="host"),
        pytest.param("ssh://deploy@manager", ["-l", "deploy", "--", "manager"], id="user"),
        pytest.param("ssh://deploy@10.0.0.5:2222", ["-l", "deploy", "-p", "2222", "--", "10.0.0.5"], id="port"),
        pytest.param("ssh://[::1]:22", ["-p", "22", "--", "::1"], id="ipv6"),
    ],
)
def test_argv_as_the_docker_cli(url: str, argv: list[str]) -> None:
    assert parse_ssh_url(url).argv() == ["ssh", "-o", "ConnectTimeout=30", "-T", *argv, "docker", "system", "dial-stdio"]


def test_a_socket_path_is_the_remote_host_flag() -> None:
    assert parse_ssh_url("ssh://m/run/user/1000/docker.sock").argv()[-4:] == [
        "docker", "--host=unix:///run/user/1000/docker.sock", "system", "dial-stdio",
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("ssh://u:pw@m", "plain-text passwords are not supported in ssh URLs: use keys or an agent", id="password"),
        pytest.param("ssh://m:99999", "the port of 'ssh://m:99999' is not a number from 1 to 65535", id="port"),
        pytest.param("ssh://-oProxyCommand=x", "the host of 'ssh://-oProxyCommand=x' must not start with '-'", id="option as host"),
        pytest.param("ssh://", "no host in the ssh URL", id="no host"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_ssh_url(url)
    assert str(err.value) == message


def test_the_reason_is_ssh_last_line_not_the_known_hosts_warning() -> None:
    text = "Warning: Permanently added '[h]:22' (ED25519) to the list of known hosts.\r\nroot@h: Permission denied (publickey).\r\n"
    assert _last_line(text) == "root@h: Permission denied (publickey)."
    assert _last_line("Warning: Permanently added 'h' to the list of known hosts.\n") == (
        "Warning: Permanently added 'h' to the list of known hosts."
    )


def test_unreachable_reason_names_ssh_and_escapes_it() -> None:
    wrapped = ConnectionError("Connection aborted.", SSHFailure("Host key verification failed.\x1b[31m", 255))
    assert unreachable_reason(wrapped) == "ssh: Host key verification failed.\\x1b[31m"
    already = SSHFailure("ssh: connect to host h port 22: Connection refused", 255)
    assert unreachable_reason(already) == "ssh: connect to host h port 22: Connection refused"
