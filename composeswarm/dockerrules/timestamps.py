"""Engine timestamps: RFC 3339 with up to nine fraction digits, trailing zeros trimmed (Go's RFC3339Nano)."""

from __future__ import annotations

import re
from datetime import datetime

_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")


def _split(text: str) -> tuple[datetime, str]:
    """The whole seconds (timezone-aware; no zone means UTC) and the fraction digits as written."""
    m = _RFC3339.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    base, frac, zone = m.groups()
    return datetime.fromisoformat(base + ("+00:00" if zone in (None, "Z") else zone)), frac or ""


def parse_time_ns(text: str | None) -> int:
    """An engine timestamp as nanoseconds since the epoch (exact); 0 when absent, ValueError when bad."""
    if not text:
        return 0
    whole, frac = _split(text)
    return int(whole.timestamp()) * 1_000_000_000 + int(frac[:9].ljust(9, "0"))


def parse_time(text: str | None) -> datetime | None:
    """An engine timestamp as an aware datetime (microseconds, its own offset); None when absent or bad.

    Comparing these, not the text, orders trimmed fractions right: `.1Z` is before `.14Z`.
    """
    if not text:
        return None
    try:
        whole, frac = _split(text)
    except ValueError:
        return None
    return whole.replace(microsecond=int(frac[:6].ljust(6, "0")))
