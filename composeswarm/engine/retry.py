"""Which engine calls are tried again, how often and after how long (STYLE.md rule 13).

Only reads are tried again: a GET changes nothing, so asking twice is safe. A write (POST, PUT,
DELETE) is sent once, whatever happens: when its answer is lost, the engine may have done it, and
only a fresh read can tell (a rerun of the deploy plans against what the engine holds). A read is
tried again when the engine could not be reached (refused, dropped, no answer in time) or answered
with a server error (500, 502, 503, 504: a manager restarting, a leader election); any other answer
is the engine's word and final.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from composeswarm.errors import EngineError, EngineUnreachable

READ_METHODS = ("GET", "HEAD")
RETRY_STATUSES = (500, 502, 503, 504)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts` tries in all; `backoff` seconds before the second, doubled before each next, at most `cap`."""

    attempts: int = 3
    backoff: float = 0.25
    cap: float = 2.0

    def delays(self) -> list[float]:
        """The pauses between the tries: one fewer than the tries."""
        return [min(self.cap, self.backoff * 2**i) for i in range(max(0, self.attempts - 1))]


NO_RETRY = RetryPolicy(attempts=1)


def is_read(method: str) -> bool:
    """True for the methods that change nothing on the engine."""
    return method.upper() in READ_METHODS


def transient(exc: EngineError) -> bool:
    """True when the failure may pass: the engine unreachable, or a server error."""
    return isinstance(exc, EngineUnreachable) or exc.status in RETRY_STATUSES


def with_retries(
    method: str, call: Callable[[], T], policy: RetryPolicy, sleep: Callable[[float], None]
) -> tuple[T, int]:
    """`call()`, tried again after transient failures when `method` is a read; (its result, retries made)."""
    delays = policy.delays() if is_read(method) else []
    for retries, delay in enumerate(delays):
        try:
            return call(), retries
        except EngineError as exc:
            if not transient(exc):
                raise
        sleep(delay)
    return call(), len(delays)
