"""Recording deploys into the stack's history, and deploying a recorded revision again (rollback).

`deploy(..., history=HistoryOptions(...))` reads the stack's revisions before it plans (the versions
they use are not retired), and, when the deploy wrote anything, records a revision once the outcome is
known, while it still holds the deploy lock; with `atomic`, a failed rollout is undone first
(`act.atomic`). A rollback loads the revision's project from its text through the normal loader, so
it goes load -> convert -> plan -> apply like any deploy; its secrets and configs are pinned to the
recorded digests, which must still be in the swarm.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from composeswarm.act.revisions import (
    DEFAULT_LIMIT,
    Revision,
    change_lines,
    digests_of,
    find_commit,
    get_revision,
    last_converged,
    list_revisions,
    outcome_of,
    store,
    versions_used,
    who,
)
from composeswarm.errors import (
    EngineError,
    InputError,
    Issue,
    PartialDeployError,
    RolloutFailed,
    RolloutTimeout,
)

if TYPE_CHECKING:
    from composeswarm.act.deploy import Deployment
    from composeswarm.engine.gateway import Engine
    from composeswarm.engine.live import LiveStack
    from composeswarm.load.model import Project
    from composeswarm.plan.changes import Plan

Json = dict[str, Any]


@dataclass(frozen=True)
class HistoryOptions:
    """How deploys are recorded: `describe` prints a project as `config --format json` does (render's)."""

    describe: Callable[[Project], str]
    limit: int = DEFAULT_LIMIT
    atomic: bool = False
    on_recorded: Callable[[Revision, list[str]], None] = lambda revision, pruned: None


def check_limit(limit: int) -> int:
    """--history-limit: at least 1 (the revision just made is always kept)."""
    if limit < 1:
        raise InputError([Issue("", None, None, (), f"--history-limit must be at least 1, got {limit}")])
    return limit


# --- rollback: which revision, and its project back through the loader -------------------------------


def rollback_target(engine: Engine, stack: str, number: int | None) -> Revision:
    """Revision `number`, or the last converged one before the current; EngineError when there is none."""
    if number is not None:
        return get_revision(engine, stack, number)
    revisions = list_revisions(engine, stack)
    if not revisions:
        raise EngineError(f"stack {stack} has no revisions to roll back to")
    target = last_converged(revisions)
    if target is None:
        raise EngineError(
            f"stack {stack} has no converged revision before revision {revisions[-1].number}; name one with --to"
        )
    return target


def load_revision(revision: Revision) -> tuple[Project, list[Issue]]:
    """The revision's project, loaded from its recorded text as a file would be.

    Every `$` is doubled: the text is already interpolated. The whole-project checks are warnings
    (strict=False): the secret and config files it names need not exist any more.
    """
    import json

    from composeswarm.load.project import load_project

    text = json.dumps(revision.project, indent=2, ensure_ascii=False).replace("$", "$$")
    return load_project(["-"], [], environ={}, stdin_text=text, strict=False)


def pinned_digests(revision: Revision) -> dict[str, str]:
    """Engine name -> digest of every secret and config the revision deployed from a file."""
    return {name: digest for kind in ("secrets", "configs") for name, digest in revision.digests.get(kind, {}).items()}


def check_versions_kept(revision: Revision, secrets: list[Json], configs: list[Json]) -> None:
    """EngineError naming each secret or config version the revision used that is no longer in the swarm."""
    from composeswarm.plan.rotation import DIGEST_LABEL

    missing = []
    for kind, live in (("secrets", secrets), ("configs", configs)):
        have = {str((o["Spec"].get("Labels") or {}).get(DIGEST_LABEL)) for o in live}
        for name, digest in sorted(revision.digests.get(kind, {}).items()):
            if digest not in have:
                missing.append(f"{kind[:-1]} {name} (sha256 {digest[:12]})")
    if missing:
        raise EngineError(
            f"revision {revision.number} used versions no longer in the swarm (their content is not stored): "
            + ", ".join(missing)
        )


def with_drift(plan: Plan, revision: Revision, live: LiveStack, *, network_names: Mapping[str, str], keep: Collection[str]) -> Plan:
    """The plan with the fields changed outside composeswarm since `revision` marked (plan.drift)."""
    from composeswarm.convert.stack import convert_project
    from composeswarm.plan.builder import make_plan
    from composeswarm.plan.drift import mark_drift

    try:
        project, _ = load_revision(revision)
        desired = convert_project(project, plan.stack, read_files=False)
    except InputError:  # a revision this composeswarm cannot read back: no drift to show
        return plan
    recorded = make_plan(desired, live, network_names=network_names, keep=keep, pinned=pinned_digests(revision))
    return mark_drift(plan, recorded, revision.number)


# --- recording a deploy ---------------------------------------------------------------------------------


@contextmanager
def recorded(deployment: Deployment, history: HistoryOptions, *, project: Project, revisions: list[Revision]) -> Iterator[None]:
    """Run the block (the apply and its wait), then record its revision, whatever its outcome.

    With `history.atomic`, a rollout that fails, is rolled back or times out (or a refused call) is
    undone first: the error raised afterwards says what was put back.
    """
    from composeswarm.act.atomic import undo

    opts, result = deployment.opts, deployment.result
    error: BaseException | None = None
    undone: list[str] = []
    try:
        yield
    except (RolloutFailed, RolloutTimeout, PartialDeployError) as exc:
        error = exc
        if not history.atomic:
            raise
        undone = undo(deployment, timeout=max(60.0, deployment.result.seconds))
        raise _with_undone(exc, undone) from exc
    except BaseException as exc:
        error = exc
        raise
    finally:
        source = opts.revision
        outcome = outcome_of(error, detached=opts.detach)
        if history.atomic and undone:
            outcome = "failed (undone)" if not isinstance(error, RolloutTimeout) else "timed out (undone)"
        stamp, user, host = who(time.time())
        desired = deployment.desired
        digests = digests_of(dict(desired.secrets), dict(desired.configs)) if desired is not None else {}
        if source is not None:  # a rollback's contents are not read: the recorded digests stand
            digests = {k: {**source.digests.get(k, {}), **v} for k, v in digests.items()}
        revision = Revision(
            stack=opts.stack, number=(revisions[-1].number + 1) if revisions else 1, time=stamp, user=user, host=host,
            commit=source.commit if source is not None else find_commit(project.files or opts.files or []),
            version=_version(), outcome=outcome, summary=result.plan.summary(), changes=change_lines(result.plan),
            project=_project_json(history, project), digests=digests, uses=versions_used(result.plan),
            rollback_of=source.number if source is not None else None, undone=tuple(undone),
        )
        try:
            after = deployment.engine.read_stack(opts.stack)
            in_use = _referenced(after.services)
            objects = {str(o["Spec"]["Name"]): ("secret", str(o["ID"])) for o in after.secrets}
            objects.update({str(o["Spec"]["Name"]): ("config", str(o["ID"])) for o in after.configs})
            stored, pruned = store(deployment.engine, revision, revisions, history.limit, in_use, objects)
            result.warnings.extend(f"pruned {name} (--history-limit {history.limit})" for name in pruned if "config " in name or "secret " in name)
            history.on_recorded(stored, pruned)
        except EngineError as exc:
            if error is None:
                raise
            result.warnings.append(f"the deploy was not recorded in the stack's history: {exc}")


def _with_undone(exc: BaseException, undone: list[str]) -> BaseException:
    """The same kind of error, its message ending with what --atomic put back."""
    what = "; ".join(undone) if undone else "nothing to undo"
    message = f"{exc}; --atomic put the stack back as it was before this deploy: {what}"
    if isinstance(exc, PartialDeployError):
        return dataclasses.replace(exc, message=message)
    return type(exc)(message)


def _referenced(services: list[Json]) -> set[str]:
    names: set[str] = set()
    for service in services:
        container = ((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}
        names.update(str(r.get("SecretName")) for r in container.get("Secrets") or [])
        names.update(str(r.get("ConfigName")) for r in container.get("Configs") or [])
    return names


def _project_json(history: HistoryOptions, project: Project) -> Json:
    import json

    data = json.loads(history.describe(project))
    return data if isinstance(data, dict) else {}


def _version() -> str:
    from composeswarm import __version__

    return __version__
