"""render.lock_report: the deploy lock's lines, and the options whose callbacks print them."""

from __future__ import annotations

import pytest

from composeswarm.act.lock import Holder
from composeswarm.render.lock_report import held_note, lock_options, takeover_line, unlocked_line, wait_line

HOLDER = Holder(host="ci-7", pid=4242, user="runner", started="2027-01-15T07:59:50Z", refreshed="2027-01-15T07:59:55Z")


def test_lines() -> None:
    assert wait_line("st", HOLDER) == "waiting for the deploy lock of st held by ci-7 (pid 4242) since 2027-01-15T07:59:50Z"
    assert takeover_line("st", HOLDER, "it has no refresh time") == (
        "warning: taking over the deploy lock of st held by ci-7 (pid 4242) since 2027-01-15T07:59:50Z: "
        "it has no refresh time"
    )
    assert held_note("st", HOLDER) == (
        "note: the deploy lock of st is held by ci-7 (pid 4242) since 2027-01-15T07:59:50Z: "
        "a deploy is running, this plan may change"
    )
    assert unlocked_line("st", HOLDER) == "removed the deploy lock of st held by ci-7 (pid 4242) since 2027-01-15T07:59:50Z"


@pytest.mark.parametrize(("lock_timeout", "timeout", "waits"), [(None, 300.0, 300.0), (0.0, 300.0, 0.0), (5.0, 60.0, 5.0)])
def test_lock_timeout_defaults_to_timeout(lock_timeout: float | None, timeout: float, waits: float) -> None:
    assert lock_options(lock_timeout, timeout).timeout == waits


def test_the_callbacks_print_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    opts = lock_options(None, 1)
    opts.on_wait("st", HOLDER)
    opts.on_held("st", None)  # no lock held: no note
    opts.on_held("st", HOLDER)
    out, err = capsys.readouterr()
    assert (out, err) == ("", wait_line("st", HOLDER) + "\n" + held_note("st", HOLDER) + "\n")
