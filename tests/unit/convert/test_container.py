"""convert.container: environment, extra hosts, commands, healthcheck, capabilities, ulimits, DNS,
credential spec. Cases from docker/cli cli/compose/convert/service_test.go (v28.2.2) are marked."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.convert.container import (
    convert_credential_spec,
    convert_dns,
    convert_environment,
    convert_extra_hosts,
    convert_healthcheck,
    convert_ulimits,
    effective_caps,
    shell_words,
)
from composeswarm.errors import ConvertError


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"foo": "bar", "key": "value"}, ["foo=bar", "key=value"], id="docker: TestConvertEnvironment"),
        pytest.param({"key": "value", "keyWithNoValue": None}, ["key=value", "keyWithNoValue"],
                     id="docker: nil value becomes a bare key"),
        pytest.param({"B": "2", "A": "1", "a": "0"}, ["A=1", "B=2", "a=0"], id="sorted bytewise, upper before lower"),
        pytest.param({"E": ""}, ["E="], id="empty value keeps the equals sign"),
        pytest.param(["Z=1", "Y"], ["Y", "Z=1"], id="list form"),
        pytest.param(None, [], id="absent"),
    ],
)
def test_convert_environment(env: Any, expected: list[str]) -> None:
    assert convert_environment(env) == expected


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        pytest.param(["zulu:127.0.0.2", "alpha:127.0.0.1", "zulu:ff02::1"],
                     ["127.0.0.2 zulu", "127.0.0.1 alpha", "ff02::1 zulu"], id="docker: order kept, cut at first colon"),
        pytest.param(["host.docker.internal:host-gateway"], ["host-gateway host.docker.internal"],
                     id="host-gateway passes through"),
        pytest.param({"b": "10.0.0.2", "a": "10.0.0.1"}, ["10.0.0.1 a", "10.0.0.2 b"], id="mapping sorted by host"),
        pytest.param(["nocolon"], [], id="entry without colon dropped"),
        pytest.param(["web=10.0.0.1", "v6:[::1]", "both=1.1.1.1:x"], ["10.0.0.1 web", "::1 v6", "1.1.1.1:x both"],
                     id="loader rules: = before :, brackets stripped"),
        pytest.param({"a-b": "1.1.1.1", "a": "2.2.2.2"}, ["1.1.1.1 a-b", "2.2.2.2 a"],
                     id="mapping sorted as host:ip strings, as Go sorts them"),
    ],
)
def test_convert_extra_hosts(hosts: Any, expected: list[str]) -> None:
    assert convert_extra_hosts(hosts) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(["bundle", "exec", "thin"], ["bundle", "exec", "thin"], id="list kept"),
        pytest.param("sh -c 'echo hi'", ["sh", "-c", "echo hi"], id="string split like a shell"),
        pytest.param("echo a#b # comment\nls", ["echo", "a#b", "ls"], id="# starts a comment only at a word start"),
        pytest.param(r"""echo "a\$b" x\ y ''""", ["echo", "a$b", "x y", ""], id="escapes; empty quoted word kept"),
        pytest.param("  ", [], id="only spaces"),
        pytest.param(None, None, id="unset"),
        pytest.param([], [], id="empty list"),
    ],
)
def test_shell_words(value: Any, expected: Any) -> None:
    assert shell_words(value) == expected


@pytest.mark.parametrize(
    ("hc", "expected"),
    [
        pytest.param(
            {"test": ["EXEC", "touch", "/foo"], "timeout": "30s", "interval": "2ms", "retries": 10,
             "start_period": "1m0s", "start_interval": "1s"},
            {"Test": ["EXEC", "touch", "/foo"], "Interval": 2_000_000, "Timeout": 30_000_000_000,
             "StartPeriod": 60_000_000_000, "StartInterval": 1_000_000_000, "Retries": 10},
            id="docker: TestConvertHealthcheck",
        ),
        pytest.param({"disable": True}, {"Test": ["NONE"]}, id="docker: disable"),
        pytest.param({"test": "curl -f localhost"}, {"Test": ["CMD-SHELL", "curl -f localhost"]},
                     id="string test runs in a shell"),
        pytest.param({"interval": "10s"}, {"Interval": 10_000_000_000}, id="no test: only what is set"),
        pytest.param({}, {}, id="empty healthcheck is an empty config"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_convert_healthcheck(hc: Any, expected: Any) -> None:
    assert convert_healthcheck(hc) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("echo 'open", "EOF found when expecting closing quote", id="open single quote"),
        pytest.param('echo "open', "EOF found when expecting closing quote", id="open double quote"),
        pytest.param("echo trailing\\", "EOF found after escape character", id="trailing backslash"),
    ],
)
def test_shell_words_errors(text: str, message: str) -> None:
    with pytest.raises(ConvertError) as info:
        shell_words(text)
    assert info.value.message == message


def test_healthcheck_disable_with_test() -> None:
    """docker: TestConvertHealthcheckDisableWithTest."""
    with pytest.raises(ConvertError) as info:
        convert_healthcheck({"disable": True, "test": ["EXEC", "touch"]})
    assert (info.value.path, info.value.message) == ((), "test and disable can't be set at the same time")


def test_healthcheck_bad_duration_points_at_key() -> None:
    with pytest.raises(ConvertError) as info:
        convert_healthcheck({"interval": "10"})
    assert (info.value.path, info.value.message) == (("interval",), 'time: missing unit in duration "10"')


@pytest.mark.parametrize(
    ("add", "drop", "cap_add", "cap_drop"),
    [
        pytest.param(None, None, [], [], id="docker: default behavior"),
        pytest.param(["SYS_NICE", "CAP_NET_ADMIN"], ["CHOWN", "CAP_NET_ADMIN", "DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER"],
                     ["CAP_NET_ADMIN", "CAP_SYS_NICE"], ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID"],
                     id="docker: some values"),
        pytest.param(["ALL", "CAP_NET_ADMIN"], ["CHOWN", "CAP_NET_ADMIN", "DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER"],
                     ["ALL"], ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_NET_ADMIN"],
                     id="docker: adding ALL capabilities"),
        pytest.param(["CHOWN", "CAP_NET_ADMIN", "DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER"], ["ALL", "CAP_NET_ADMIN", "CAP_FOO"],
                     ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_NET_ADMIN"], ["ALL"],
                     id="docker: dropping ALL capabilities"),
        pytest.param([" net_raw "], ["RESET"], ["CAP_NET_RAW"], [], id="trimmed, upper-cased; RESET removed"),
    ],
)
def test_effective_caps(add: Any, drop: Any, cap_add: list[str], cap_drop: list[str]) -> None:
    assert effective_caps(add, drop) == (cap_add, cap_drop)


@pytest.mark.parametrize(
    ("ulimits", "expected"),
    [
        pytest.param({"nproc": 65535, "nofile": {"soft": 20000, "hard": 40000}},
                     [{"Name": "nofile", "Hard": 40000, "Soft": 20000}, {"Name": "nproc", "Hard": 65535, "Soft": 65535}],
                     id="single and soft/hard, sorted by name"),
        pytest.param(None, [], id="absent"),
    ],
)
def test_convert_ulimits(ulimits: Any, expected: list[dict[str, Any]]) -> None:
    assert convert_ulimits(ulimits) == expected


NAMESERVERS = ["8.8.8.8", "9.9.9.9"]
SEARCH = ["dc1.example.com", "dc2.example.com"]


@pytest.mark.parametrize(
    ("dns", "search", "expected"),
    [
        pytest.param(None, None, None, id="docker: empty"),
        pytest.param(NAMESERVERS, SEARCH, {"Nameservers": NAMESERVERS, "Search": SEARCH}, id="docker: all"),
        pytest.param(NAMESERVERS, None, {"Nameservers": NAMESERVERS}, id="docker: nameservers"),
        pytest.param(None, SEARCH, {"Search": SEARCH}, id="docker: search"),
        pytest.param("1.1.1.1", None, {"Nameservers": ["1.1.1.1"]}, id="a single string"),
    ],
)
def test_convert_dns(dns: Any, search: Any, expected: Any) -> None:
    assert convert_dns(dns, search) == expected


@pytest.mark.parametrize(
    ("spec", "config_name", "expected"),
    [
        pytest.param({}, None, None, id="docker: empty"),
        pytest.param({"file": "somefile.json"}, None, {"Config": "", "File": "somefile.json", "Registry": ""},
                     id="docker: file"),
        pytest.param({"registry": "testing"}, None, {"Config": "", "File": "", "Registry": "testing"}, id="docker: registry"),
        pytest.param({"config": "someName"}, "st_someName", {"Config": "st_someName", "File": "", "Registry": ""},
                     id="config: engine name until bind_ids"),
    ],
)
def test_convert_credential_spec(spec: dict[str, Any], config_name: Any, expected: Any) -> None:
    assert convert_credential_spec(spec, config_name) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param({"config": "x", "file": "somefile.json"},
                     'invalid credential spec: cannot specify both "Config" and "File"', id="docker: config-and-file"),
        pytest.param({"config": "x", "registry": "testing"},
                     'invalid credential spec: cannot specify both "Config" and "Registry"', id="docker: config-and-registry"),
        pytest.param({"file": "somefile.json", "registry": "testing"},
                     'invalid credential spec: cannot specify both "File" and "Registry"', id="docker: file-and-registry"),
        pytest.param({"config": "x", "file": "somefile.json", "registry": "testing"},
                     'invalid credential spec: cannot specify both "Config", "File", and "Registry"',
                     id="docker: config-and-file-and-registry"),
    ],
)
def test_credential_spec_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConvertError) as info:
        convert_credential_spec(spec, "st_x")
    assert info.value.message == message
