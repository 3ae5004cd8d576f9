"""dockerrules.units: Go durations, go-units RAMInBytes, opts.ParseCPUs and float32 as Go writes them,
and the canonical text of each (as `config` prints it and the plan compares it)."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import ConvertError
from composeswarm.dockerrules.units import (
    canonical_duration,
    float32,
    format_cpus,
    format_duration,
    parse_cpus,
    parse_duration,
    ram_in_bytes,
)


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        pytest.param("10s", 10_000_000_000, id="seconds"),
        pytest.param("1m0s", 60_000_000_000, id="as docker stack config prints a minute"),
        pytest.param("1m30s", 90_000_000_000, id="minutes and seconds"),
        pytest.param("2h45m", 9_900_000_000_000, id="hours and minutes"),
        pytest.param("1.5s", 1_500_000_000, id="fraction"),
        pytest.param(".5s", 500_000_000, id="fraction without whole part"),
        pytest.param("100ms", 100_000_000, id="milliseconds"),
        pytest.param("2us", 2_000, id="microseconds us"),
        pytest.param("2µs", 2_000, id="microseconds micro sign"),
        pytest.param("7ns", 7, id="nanoseconds"),
        pytest.param("0", 0, id="bare zero"),
        pytest.param("-1s", -1_000_000_000, id="negative"),
        pytest.param("1h1m1s1ms", 3_661_001_000_000, id="every component"),
        pytest.param(5, 5, id="an int is already nanoseconds"),
    ],
)
def test_parse_duration(text: Any, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("10", 'time: missing unit in duration "10"', id="number without unit"),
        pytest.param("10x", 'time: invalid duration "10x"', id="unknown unit"),
        pytest.param("", 'time: invalid duration ""', id="empty"),
        pytest.param("s", 'time: invalid duration "s"', id="unit without number"),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ConvertError) as info:
        parse_duration(text)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("text", "size"),
    [
        pytest.param("50M", 52_428_800, id="binary mega"),
        pytest.param("52428800", 52_428_800, id="plain bytes as docker stack config prints them"),
        pytest.param(1024, 1024, id="int"),
        pytest.param("1g", 1_073_741_824, id="lower-case giga"),
        pytest.param("1.5k", 1536, id="fraction"),
        pytest.param("10 KiB", 10_240, id="space and iB suffix"),
        pytest.param("3mb", 3_145_728, id="b suffix"),
        pytest.param("0.3m", 314_572, id="float truncated"),
    ],
)
def test_ram_in_bytes(text: Any, size: int) -> None:
    assert ram_in_bytes(text) == size


@pytest.mark.parametrize("text", ["50X", "-1M", "M", "1.2.3k"])
def test_ram_in_bytes_errors(text: str) -> None:
    with pytest.raises(ConvertError) as info:
        ram_in_bytes(text)
    assert info.value.message == f"invalid size: '{text}'"


@pytest.mark.parametrize(
    ("text", "nano"),
    [
        pytest.param("0.001", 1_000_000, id="full-example limit"),
        pytest.param("0.0001", 100_000, id="full-example reservation"),
        pytest.param("1", 1_000_000_000, id="one"),
        pytest.param("2.5", 2_500_000_000, id="two and a half"),
        pytest.param("1/4", 250_000_000, id="a ratio"),
        pytest.param("1e-3", 1_000_000, id="exponent"),
    ],
)
def test_parse_cpus(text: str, nano: int) -> None:
    assert parse_cpus(text) == nano


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("0.0000000001", "value is too precise", id="below a nano cpu"),
        pytest.param("one", "failed to parse one as a rational number", id="not a number"),
    ],
)
def test_parse_cpus_errors(text: str, message: str) -> None:
    with pytest.raises(ConvertError) as info:
        parse_cpus(text)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param(0.3, "0.3", id="shortest float32 form"),
        pytest.param(0, "0", id="zero is written as an integer"),
        pytest.param(1.0, "1", id="whole number"),
        pytest.param(0.1, "0.1", id="0.1"),
        pytest.param(0.333333333, "0.33333334", id="rounded to float32"),
    ],
)
def test_float32_as_go_writes_it(value: float, written: str) -> None:
    assert repr(float32(value)) == written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("60s", "1m0s", id="minute"),
        pytest.param("90m", "1h30m0s", id="hours"),
        pytest.param("10s", "10s", id="seconds"),
        pytest.param("1.5s", "1.5s", id="fraction"),
        pytest.param("0.5ms", "500µs", id="sub-millisecond"),
        pytest.param("0", "0s", id="zero"),
        pytest.param("1m30.5s", "1m30.5s", id="mixed"),
        pytest.param("later", "later", id="not a duration"),
    ],
)
def test_canonical_duration(text: str, expected: str) -> None:
    assert canonical_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("50M", "52428800", id="binary mega"),
        pytest.param("1.5G", "1610612736", id="fraction"),
        pytest.param("1gb", "1073741824", id="suffix b"),
        pytest.param("512", "512", id="bytes"),
    ],
)
def test_ram_in_bytes_as_config_prints_it(text: str, expected: str) -> None:
    assert str(ram_in_bytes(text)) == expected


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        pytest.param(0, "0s", id="zero"),
        pytest.param(1_500_000_000, "1.5s", id="fraction"),
        pytest.param(90 * 10**9, "1m30s", id="minutes"),
        pytest.param(3600 * 10**9, "1h0m0s", id="hour"),
        pytest.param(250_000_000, "250ms", id="milliseconds"),
        pytest.param(1_500, "1.5µs", id="microseconds"),
    ],
)
def test_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize(("nano", "text"), [pytest.param(500_000_000, "0.5", id="half"), pytest.param(2 * 10**9, "2", id="two"), pytest.param(1_000_000, "0.001", id="milli")])
def test_cpus(nano: int, text: str) -> None:
    assert format_cpus(nano) == text
