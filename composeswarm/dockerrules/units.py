"""Docker's units, parsed and formatted: Go durations, go-units RAMInBytes, opts.ParseCPUs, float32.

The one home of these rules: the loader, the converter, the plan and `config` output all call here.
"""

from __future__ import annotations

import functools
import re
import struct
from fractions import Fraction
from typing import Any

from composeswarm.errors import ConvertError

# Go's time.ParseDuration units, in nanoseconds.
_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")
_INT64_MAX = 2**63 - 1


def parse_duration(value: Any) -> int:
    """A Go duration string (`1m30s`, `10s`, `1.5h`, `0`) as integer nanoseconds."""
    if isinstance(value, bool):
        raise ConvertError((), f"invalid duration {value!r}")
    if isinstance(value, int):
        # compose loaders hand over plain numbers as nanoseconds (mapstructure decodes ints as Duration)
        return value
    return _parse_duration_text(str(value))


# Files repeat the same few durations and CPU counts across services: each is parsed once (issue 14).
@functools.lru_cache(maxsize=4096)
def _parse_duration_text(text: str) -> int:
    orig = text
    neg = False
    if text[:1] in ("-", "+"):
        neg = text[0] == "-"
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ConvertError((), f'time: invalid duration "{orig}"')
    total = 0
    pos = 0
    while pos < len(text):
        m = _DURATION_PART.match(text, pos)
        if m is None or (m.group(1) == "" and not m.group(2)):
            if m is None and re.match(r"[\d.]+$", text[pos:]):
                raise ConvertError((), f'time: missing unit in duration "{orig}"')
            raise ConvertError((), f'time: invalid duration "{orig}"')
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        scale = _DURATION_UNITS[unit]
        # Go keeps the fraction exact, then truncates toward zero per component (integers only: a
        # Fraction per part made this a fifth of a 2000-service plan, issue 14)
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        pos = m.end()
    if total > _INT64_MAX:
        raise ConvertError((), f'time: invalid duration "{orig}"')
    return -int(total) if neg else int(total)


def duration_or_none(value: Any) -> int | None:
    """`parse_duration`, passing None through (Go's ConvertDurationPtr)."""
    return None if value is None else parse_duration(value)


def is_duration(text: str) -> bool:
    """True when `text` is a Go duration string (time.ParseDuration accepts it)."""
    try:
        parse_duration(text)
    except ConvertError:
        return False
    return True


def format_duration(ns: Any) -> Any:
    """Nanoseconds as Go's time.Duration.String() (`90000000000` -> `1m30s`); a non-integer unchanged."""
    if not isinstance(ns, int) or isinstance(ns, bool):
        return ns
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                whole, part = divmod(ns, size)
                return f"{sign}{whole}{_decimals(part, size)}{unit}"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds, frac = divmod(rest, 1_000_000_000)
    out = sign
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return f"{out}{seconds}{_decimals(frac, 1_000_000_000)}s"


def canonical_duration(text: str) -> str:
    """A duration string as docker prints it after loading (`60s` -> `1m0s`); unparsable text as is."""
    try:
        return str(format_duration(parse_duration(text.strip())))
    except ConvertError:
        return text


def _decimals(part: int, size: int) -> str:
    """`.5` for 500 of 1000: the fraction Go prints, trailing zeros dropped; empty when whole."""
    if not part:
        return ""
    digits = len(str(size)) - 1
    return "." + f"{part:0{digits}d}".rstrip("0")


_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
_RAM_MULT = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def ram_in_bytes(value: Any) -> int:
    """go-units RAMInBytes: `50M` -> 52428800 (binary multipliers, float then truncated)."""
    if isinstance(value, bool):
        raise ConvertError((), f"invalid size: '{value}'")
    if isinstance(value, int):
        return value
    text = str(value)
    m = _RAM.match(text)
    if m is None:
        raise ConvertError((), f"invalid size: '{text}'")
    try:
        size = float(m.group(1))
    except ValueError:
        # go-units accepts "1.2.3" in its regex but strconv.ParseFloat then fails
        raise ConvertError((), f"invalid size: '{text}'") from None
    unit = (m.group(2) or "").lower()
    return int(size * _RAM_MULT.get(unit, 1))


def is_size(text: str) -> bool:
    """True when `text` is a size docker reads (`512M`, `1.5g`, `1024`, `10 KiB`)."""
    try:
        ram_in_bytes(text)
    except ConvertError:
        return False
    return True


_RAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d+/\d+$")


def parse_cpus(value: Any) -> int:
    """opts.ParseCPUs: an exact rational times 1e9, which must come out whole."""
    return _parse_cpus_text(str(value))


@functools.lru_cache(maxsize=4096)
def _parse_cpus_text(text: str) -> int:
    if not _RAT.match(text):
        raise ConvertError((), f"failed to parse {text} as a rational number")
    try:
        cpu = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ConvertError((), f"failed to parse {text} as a rational number") from None
    nano = cpu * 1_000_000_000
    if nano.denominator != 1:
        raise ConvertError((), "value is too precise")
    return int(nano)


def format_cpus(nano: Any) -> Any:
    """NanoCPUs as the compose string (`500000000` -> `0.5`); a non-integer unchanged."""
    if not isinstance(nano, int) or isinstance(nano, bool):
        return nano
    whole, frac = divmod(nano, 1_000_000_000)
    return f"{whole}{_decimals(frac, 1_000_000_000)}"


def float32(value: Any) -> float | int:
    """`value` rounded to float32 and written the shortest way, as Go's JSON encoder does.

    A whole number comes back as an int, because Go writes float 1 as `1`, not `1.0`.
    """
    f32 = struct.unpack("f", struct.pack("f", float(value)))[0]
    if f32.is_integer():
        return int(f32)
    for digits in range(1, 10):
        candidate = float(f"{f32:.{digits}g}")
        if struct.unpack("f", struct.pack("f", candidate))[0] == f32:
            return candidate
    return float(f32)
