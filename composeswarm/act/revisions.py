"""A stack's memory: one config object `<stack>_composeswarm-rev-<N>` per deploy that wrote anything.

Swarm keeps one previous spec per service and nothing about the stack. Each revision holds what a
redeploy needs without the original files: the resolved project (as `config --format json` prints it,
secrets and configs by content digest only, never their content), who deployed it, from which commit,
the change summary and the outcome. Like the deploy lock, a revision carries no stack label, so
`read_stack`, `ls` and docker's `stack ls/ps/services` never see it; `rm` removes it by name.
Configs can be read back (secrets cannot) and any manager can read them.

The secret and config versions a retained revision uses are kept (the plan does not retire them), so a
rollback finds its old secret; they go when the last revision using them is pruned (`--history-limit`).
The record's shape and what to prune are pure functions; `record`/`list_revisions` make the calls.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import subprocess
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from composeswarm.act.lock import me, stamp
from composeswarm.dockerrules.stacknames import REVISION_INFIX, revision_number
from composeswarm.errors import EngineError
from composeswarm.plan.changes import Plan

Json = dict[str, Any]

DEFAULT_LIMIT = 10
FORMAT = 1
_LABEL = "io.composeswarm.revision"
MAX_PLAIN = 400_000  # the engine refuses configs over 500 KB: a larger record is gzipped, then base64'd
GZIP_PREFIX = b"gzip+base64:"
# outcomes, as `history` shows them
CONVERGED, ROLLED_BACK, FAILED, TIMED_OUT, DETACHED, INTERRUPTED = (
    "converged", "rolled back", "failed", "timed out", "detached", "interrupted",
)


class RevisionGateway(Protocol):
    """The engine calls the store needs (composeswarm.engine.gateway.Engine has them)."""

    def list_configs(self, names: list[str] | None = None) -> list[Json]: ...
    def create_config(self, spec: Json) -> str: ...
    def remove_config(self, ident: str, name: str | None = None) -> None: ...
    def remove_secret(self, ident: str, name: str | None = None) -> None: ...


@dataclass(frozen=True)
class Revision:
    """One recorded deploy (`ident` is the config's ID, "" before it is stored)."""

    stack: str
    number: int
    time: str
    user: str
    host: str
    commit: str
    version: str
    outcome: str
    summary: Mapping[str, int]
    changes: tuple[str, ...]
    project: Json  # the resolved project, as `config --format json` prints it
    digests: Mapping[str, Mapping[str, str]]  # {"secrets"|"configs": {engine name: sha256 of the content}}
    uses: tuple[str, ...]  # the secret and config versions (engine names) the stack used after it
    rollback_of: int | None = None
    undone: tuple[str, ...] = ()  # what --atomic put back
    compressed: bool = False
    ident: str = field(default="", compare=False)

    def to_json(self) -> Json:
        """The record as `history -o json` shows it (the project only with --revision)."""
        return {
            "revision": self.number, "time": self.time, "user": self.user, "host": self.host,
            "commit": self.commit or None, "version": self.version, "outcome": self.outcome,
            "rollback_of": self.rollback_of, "summary": dict(self.summary), "changes": list(self.changes),
            "undone": list(self.undone),
        }


# --- pure: names, the record, what to prune ------------------------------------------------------------


def revision_name(stack: str, number: int) -> str:
    """The config name of a stack's revision N."""
    return f"{stack}{REVISION_INFIX}{number}"


def encode(revision: Revision) -> tuple[bytes, bool]:
    """The config data for a revision, and whether it had to be compressed to fit the engine's limit."""
    body = dict(revision.to_json(), format=FORMAT, stack=revision.stack, project=revision.project,
                digests={k: dict(v) for k, v in revision.digests.items()}, uses=list(revision.uses))
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    if len(raw) <= MAX_PLAIN:
        return raw, False
    return GZIP_PREFIX + base64.b64encode(gzip.compress(raw, mtime=0)), True


def decode(stack: str, config: Json) -> Revision | None:
    """The revision a listed config holds, or None when it is not one of this stack's."""
    spec = config.get("Spec") or {}
    number = revision_number(stack, str(spec.get("Name", "")))
    if number is None:
        return None
    data = spec.get("Data") or ""
    raw = bytes(data) if isinstance(data, (bytes, bytearray)) else base64.b64decode(data)  # the engine sends base64
    compressed = raw.startswith(GZIP_PREFIX)
    try:
        body = json.loads(gzip.decompress(base64.b64decode(raw[len(GZIP_PREFIX):])) if compressed else raw)
    except (ValueError, OSError):
        body = {}
    if not isinstance(body, dict):
        body = {}
    return Revision(
        stack=stack, number=number, time=str(body.get("time", "")), user=str(body.get("user", "")),
        host=str(body.get("host", "")), commit=str(body.get("commit") or ""), version=str(body.get("version", "")),
        outcome=str(body.get("outcome", "unreadable")), summary=dict(body.get("summary") or {}),
        changes=tuple(body.get("changes") or ()), project=dict(body.get("project") or {}),
        digests={k: dict(v) for k, v in (body.get("digests") or {}).items()}, uses=tuple(body.get("uses") or ()),
        rollback_of=body.get("rollback_of"), undone=tuple(body.get("undone") or ()), compressed=compressed,
        ident=str(config.get("ID", "")),
    )


def revision_spec(revision: Revision) -> tuple[Json, bool]:
    """The config spec that stores a revision (no stack label: never part of the stack's content)."""
    data, compressed = encode(revision)
    labels = {_LABEL: str(revision.number), _LABEL + ".outcome": revision.outcome, _LABEL + ".time": revision.time}
    if compressed:
        labels[_LABEL + ".encoding"] = "gzip+base64"
    return {"Name": revision_name(revision.stack, revision.number), "Labels": labels, "Data": data}, compressed


def change_lines(plan: Plan) -> tuple[str, ...]:
    """`~ service s_web (image)`: one line per change a person reads."""
    marks = {"create": "+", "update": "~", "replace": "-/+", "remove": "-"}
    out = []
    for change in plan.shown():
        fields = ", ".join(dict.fromkeys(f.path for f in change.fields))
        out.append(f"{marks[change.action]} {change.kind} {change.name}" + (f" ({fields})" if fields else ""))
    return tuple(out)


def versions_used(plan: Plan) -> tuple[str, ...]:
    """The secret and config versions the stack has once the plan is applied (the ones services see)."""
    names = {name for kind, name in plan.unchanged if kind in ("secret", "config")}
    names.update(c.name for c in plan.changes if c.kind in ("secret", "config") and c.action != "remove")
    return tuple(sorted(names))


def digests_of(secrets: Mapping[str, Json], configs: Mapping[str, Json]) -> dict[str, dict[str, str]]:
    """Content digests of the file-based secrets and configs (engine name -> sha256), never the content."""
    from composeswarm.plan.rotation import content_digest

    out: dict[str, dict[str, str]] = {}
    for key, specs in (("secrets", secrets), ("configs", configs)):
        out[key] = {
            name: content_digest(bytes(spec["Data"])) for name, spec in sorted(specs.items())
            if isinstance(spec.get("Data"), (bytes, bytearray)) and not spec.get("Driver")
        }
    return out


def split_retained(revisions: Iterable[Revision], limit: int) -> tuple[list[Revision], list[Revision]]:
    """(the newest `limit` revisions, the older ones to prune), both newest first."""
    ordered = sorted(revisions, key=lambda r: r.number, reverse=True)
    return ordered[:limit], ordered[limit:]


def kept_versions(revisions: Iterable[Revision]) -> frozenset[str]:
    """The secret and config versions retained revisions use: the plan must not retire them."""
    return frozenset(name for r in revisions for name in r.uses)


def versions_to_prune(pruned: Iterable[Revision], retained: Iterable[Revision], in_use: Collection[str]) -> list[str]:
    """Versions only pruned revisions used: not a retained revision's, not one a live service refers to."""
    keep = kept_versions(retained) | set(in_use)
    return sorted({name for r in pruned for name in r.uses} - keep)


def last_converged(revisions: Iterable[Revision], before: int | None = None) -> Revision | None:
    """The newest converged revision older than `before` (the current one when None)."""
    ordered = sorted(revisions, key=lambda r: r.number, reverse=True)
    if before is None and ordered:
        before = ordered[0].number
    return next((r for r in ordered if r.outcome == CONVERGED and (before is None or r.number < before)), None)


def outcome_of(error: BaseException | None, *, detached: bool) -> str:
    """What the deploy came to, in `history`'s words."""
    from composeswarm.errors import RolloutFailed, RolloutTimeout

    if error is None:
        return DETACHED if detached else CONVERGED
    if isinstance(error, RolloutTimeout):
        return TIMED_OUT
    if isinstance(error, RolloutFailed) and "rolled back" in str(error).replace("rollback_", "rolled back "):
        return ROLLED_BACK
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return FAILED


def find_commit(files: Iterable[str], environ: Mapping[str, str] | None = None) -> str:
    """GITHUB_SHA, CI_COMMIT_SHA, or `git rev-parse HEAD` where the first file is ("" when none)."""
    environ = os.environ if environ is None else environ
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if environ.get(var):
            return environ[var]
    first = next((f for f in files if f != "-"), None)
    folder = os.path.dirname(os.path.abspath(first)) if first else os.getcwd()
    try:
        proc = subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def who(wall: float) -> tuple[str, str, str]:
    """(time, user, host) for a new record."""
    holder = me(wall)
    return stamp(wall), holder.user, holder.host or socket.gethostname()


# --- the engine calls -----------------------------------------------------------------------------


def list_revisions(gateway: RevisionGateway, stack: str) -> list[Revision]:
    """The stack's revisions, oldest first: one list call (the name filter matches prefixes: exact only)."""
    found = (decode(stack, c) for c in gateway.list_configs([stack + REVISION_INFIX]))
    return sorted((r for r in found if r is not None), key=lambda r: r.number)


def get_revision(gateway: RevisionGateway, stack: str, number: int) -> Revision:
    """Revision N of the stack; EngineError naming the ones there are when it is not kept."""
    revisions = list_revisions(gateway, stack)
    for revision in revisions:
        if revision.number == number:
            return revision
    kept = ", ".join(str(r.number) for r in revisions) or "none"
    raise EngineError(f"stack {stack} has no revision {number} (kept: {kept})")


def store(
    gateway: RevisionGateway, revision: Revision, existing: list[Revision], limit: int, in_use: Collection[str],
    live_objects: Mapping[str, tuple[str, str]],
) -> tuple[Revision, list[str]]:
    """Create the revision (the next free number), then prune beyond `limit`: (stored, what was pruned).

    `live_objects` maps the stack's live secret and config names to (kind, ID); a version only pruned
    revisions used, that no live service refers to (`in_use`), is removed with them.
    """
    import dataclasses

    number = max([r.number for r in existing] + [revision.number - 1]) + 1
    for _ in range(5):  # the lock makes a clash unlikely; a run without it may still take a number first
        revision = dataclasses.replace(revision, number=number)
        spec, compressed = revision_spec(revision)
        try:
            ident = gateway.create_config(spec)
            break
        except EngineError as exc:
            if exc.status != 409:
                raise
            number += 1
    else:
        raise EngineError(f"could not record a revision of {revision.stack}: the names were taken")
    stored = dataclasses.replace(revision, ident=ident, compressed=compressed)
    retained, pruned = split_retained([*existing, stored], limit)
    gone: list[str] = []
    for old in pruned:
        _remove(gateway.remove_config, old.ident, revision_name(old.stack, old.number))
        gone.append(revision_name(old.stack, old.number))
    for name in versions_to_prune(pruned, retained, in_use):
        if name in live_objects:
            kind, ident = live_objects[name]
            _remove(gateway.remove_secret if kind == "secret" else gateway.remove_config, ident, name)
            gone.append(f"{kind} {name}")
    return stored, gone


def _remove(remover: Any, ident: str, name: str) -> None:
    try:
        remover(ident, name)
    except EngineError as exc:
        if exc.status != 404:
            raise
