"""The deploy lock's lines: waiting for it, taking an expired one over, the plan's note, unlock."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composeswarm.act.lock import Holder, LockOptions


def lock_options(lock_timeout: float | None, timeout: float) -> LockOptions:
    """How deploy and rm take the lock: --lock-timeout (default: --timeout), its lines printed here."""
    from composeswarm.act.lock import LockOptions

    return LockOptions(timeout=timeout if lock_timeout is None else lock_timeout, on_wait=print_wait, on_takeover=print_takeover,
                       on_held=print_held_note)


def wait_line(stack: str, holder: Holder) -> str:
    """`waiting for the deploy lock of STACK held by HOST (pid N) since TIME`."""
    return f"waiting for the deploy lock of {stack} held by {holder.describe()}"


def takeover_line(stack: str, holder: Holder, why: str) -> str:
    """The warning of a run that takes over an expired lock."""
    return f"warning: taking over the deploy lock of {stack} held by {holder.describe()}: {why}"


def held_note(stack: str, holder: Holder) -> str:
    """The plan's note that another run holds the lock (what it shows may change before it ends)."""
    return f"note: the deploy lock of {stack} is held by {holder.describe()}: a deploy is running, this plan may change"


def unlocked_line(stack: str, holder: Holder) -> str:
    """What `unlock` did."""
    return f"removed the deploy lock of {stack} held by {holder.describe()}"


def print_wait(stack: str, holder: Holder) -> None:
    """The waiting line, on stderr (stdout stays the command's result, JSON too)."""
    sys.stderr.write(wait_line(stack, holder) + "\n")


def print_takeover(stack: str, holder: Holder, why: str) -> None:
    """The takeover warning, on stderr."""
    sys.stderr.write(takeover_line(stack, holder, why) + "\n")


def print_held_note(stack: str, holder: Holder | None) -> None:
    """The plan's note on stderr, when a lock is held."""
    if holder is not None:
        sys.stderr.write(held_note(stack, holder) + "\n")


def print_unlocked(stack: str, holder: Holder) -> None:
    """What `unlock` did, on stdout."""
    sys.stdout.write(unlocked_line(stack, holder) + "\n")
