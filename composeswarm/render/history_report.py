"""`history`'s views: a table of revisions, its JSON, one revision's project; the note a record leaves."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from composeswarm.errors import safe_text

if TYPE_CHECKING:
    from composeswarm.act.revisions import Revision

_HEADERS = ("REV", "TIME", "WHO", "COMMIT", "OUTCOME", "CHANGES")


def summary_words(revision: Revision) -> str:
    """`2 updated, 1 created` (what changed, in counts), plus `rollback of N` when it was one."""
    counts = revision.summary
    words = [f"{counts[k]} {v}" for k, v in (("create", "created"), ("update", "updated"), ("replace", "replaced"),
                                               ("remove", "removed")) if counts.get(k)]
    if revision.rollback_of is not None:
        words.insert(0, f"rollback of {revision.rollback_of}")
    return ", ".join(words) or "no changes"


def history_text(revisions: Sequence[Revision]) -> str:
    """One row per revision, oldest first, in columns as `docker stack ls` aligns them."""
    rows = [_HEADERS] + [
        (str(r.number), r.time, f"{r.user}@{r.host}", r.commit[:12] or "-", r.outcome, summary_words(r))
        for r in revisions
    ]
    widths = [max(len(safe_text(row[i])) for row in rows) for i in range(len(_HEADERS) - 1)]
    out = []
    for row in rows:
        cells = [safe_text(c).ljust(widths[i]) for i, c in enumerate(row[:-1])] + [safe_text(row[-1])]
        out.append("   ".join(cells).rstrip() + "\n")
    return "".join(out)


def history_json(stack: str, revisions: Sequence[Revision]) -> str:
    """{"stack", "revisions": [record...]} (docs/history.md)."""
    return json.dumps({"stack": stack, "revisions": [r.to_json() for r in revisions]}, indent=2) + "\n"


def revision_json(revision: Revision) -> str:
    """One revision with its project (as `config --format json` printed it), for `history --revision N -o json`."""
    return json.dumps(dict(revision.to_json(), project=revision.project, digests=dict(revision.digests)), indent=2) + "\n"


def print_history(stack: str, revisions: Sequence[Revision], fmt: str) -> None:
    """`history STACK` on stdout."""
    sys.stdout.write(history_json(stack, revisions) if fmt == "json" else history_text(revisions))


def print_revision(revision: Revision, fmt: str) -> None:
    """`history STACK --revision N`: its project (JSON, as `config --format json`), or the whole record."""
    if fmt == "json":
        sys.stdout.write(revision_json(revision))
    else:
        sys.stdout.write(json.dumps(revision.project, indent=2, ensure_ascii=False) + "\n")


def recorded_line(revision: Revision) -> str:
    """`recorded revision N of STACK: OUTCOME (compressed: gzip+base64)`."""
    return f"recorded revision {revision.number} of {revision.stack}: {revision.outcome} (compressed: gzip+base64)"


def print_recorded(revision: Revision, pruned: list[str]) -> None:
    """A note on stderr when the record had to be compressed (deploy's output is otherwise unchanged)."""
    if revision.compressed:
        sys.stderr.write(recorded_line(revision) + "\n")
