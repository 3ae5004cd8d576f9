"""The deploy pipeline, no printing: load -> convert -> engine checks -> read live -> resolve -> plan -> apply.

Everything that can be refused without the engine (stack name, options, files) is refused before the
engine is touched; the engine is read once (one list call per kind, plus the external objects the
files name) before any write, so a deploy that fails its checks writes nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from composeswarm.act.apply import DEFAULT_PARALLEL, ApplyResult, OnStep, Refs, Wait, apply_plan
from composeswarm.act.conflict import Replan
from composeswarm.act.external import check_external_files, check_external_networks, live_refs
from composeswarm.act.lock import Holder, LockOptions, hold_lock, read_lock
from composeswarm.dockerrules.stacknames import check_stack_name
from composeswarm.errors import InputError, Issue
from composeswarm.plan.changes import Change, Plan
from composeswarm.act.resolve import RESOLVE_MODES, Resolved, ResolveMode, resolve_images

if TYPE_CHECKING:
    from composeswarm.convert.stack import DesiredStack
    from composeswarm.engine.gateway import Engine
    from composeswarm.engine.live import LiveStack
    from composeswarm.plan.waves import Order
    from composeswarm.act.history import HistoryOptions
    from composeswarm.act.revisions import Revision
    from composeswarm.load.model import Project

Json = dict[str, Any]
# Networks that always exist on every node: docker never inspects them (NetworkMode.IsUserDefined).


@dataclass(frozen=True)
class DeployOptions:
    """What `composeswarm deploy` was asked to do."""

    stack: str
    files: list[str] | None = None
    env_files: list[str] | None = None
    prune: bool = False
    resolve_image: str = "always"
    with_registry_auth: bool = False
    detach: bool = True
    dry_run: bool = False
    context: str | None = None
    strict_placement: bool = False  # replicas no node can take are an error (else a warning)
    atomic: bool = False  # undo a failed rollout (act.history, act.atomic)
    revision: Revision | None = None  # a rollback: deploy this recorded project instead of the files
    profiles: list[str] | None = None  # --profile (None: COMPOSE_PROFILES)
    parallel: int = DEFAULT_PARALLEL  # --parallel: service write calls in flight at once, at most


@dataclass
class DeployResult:
    """The plan, what was applied (None for a dry run or when nothing changed), and every warning."""

    stack: str
    plan: Plan
    applied: ApplyResult | None
    load_warnings: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0
    lock_held: Holder | None = None  # a dry run's note: another run holds the deploy lock


def check_resolve_mode(mode: str) -> ResolveMode:
    """The mode, or docker's error for an unknown one."""
    if mode not in RESOLVE_MODES:
        raise _option_error(f"Invalid option {mode} for flag --resolve-image")
    return mode


@dataclass
class Deployment:
    """A deploy read, checked and planned: what `carry_out` needs, and the result it fills in."""

    opts: DeployOptions
    engine: Engine
    refs: Refs
    order: Order  # depends_on waves and conditions, read from the files loaded here (once: stdin too)
    result: DeployResult
    replan: Replan | None = None  # one service planned again against a fresh read (an update out of sequence)
    desired: DesiredStack | None = None
    project: Project | None = None
    revisions: list[Revision] = field(default_factory=list)  # the stack's history, read before the plan
    live: LiveStack | None = None  # the live stack as read for the plan (a saved plan's version indexes)
    masked: tuple[str, ...] = ()  # secret contents and credential-like values: never shown in task logs
    resolved: Resolved | None = None  # the images as resolved for this plan (planned again under the lock)

    def mask(self, text: str) -> str:
        """`text` (a task's log line) with the secret and credential-like values masked."""
        from composeswarm.plan.sensitive import mask_text

        return mask_text(text, self.masked)


@dataclass
class Loaded:
    """The files read and converted, before any engine call: planned once, or again under the lock."""

    project: Project
    warnings: list[Issue]
    desired: DesiredStack
    order: Order
    mode: ResolveMode
    started: float


def load(opts: DeployOptions, on_loaded: Callable[[list[Issue]], None] | None = None) -> Loaded:
    """Load and convert the files (or the revision rolled back to); `on_loaded` gets their warnings at once."""
    from composeswarm.convert.stack import convert_project
    from composeswarm.load.project import load_project
    from composeswarm.plan.waves import make_order

    started = time.monotonic()
    check_stack_name(opts.stack)
    mode = check_resolve_mode(opts.resolve_image)
    if opts.revision is not None:
        from composeswarm.act.history import load_revision

        project, load_warnings = load_revision(opts.revision)
        load_warnings = [w for w in load_warnings if not w.message.startswith("open ")]  # its files may be gone
    else:
        project, load_warnings = load_project(opts.files or [], opts.env_files or [], profiles=opts.profiles)
    if on_loaded is not None:
        on_loaded(list(load_warnings))
    desired = convert_project(project, opts.stack, read_files=opts.revision is None)
    return Loaded(project=project, warnings=list(load_warnings), desired=desired,
                  order=make_order(project, opts.stack), mode=mode, started=started)


def prepare(
    opts: DeployOptions,
    *,
    engine: Engine | None = None,
    connect: Callable[[], Engine] | None = None,
    on_loaded: Callable[[list[Issue]], None] | None = None,
    before_read: Callable[[Engine], Holder | None] | None = None,
    history: HistoryOptions | None = None,
) -> Deployment:
    """Load, convert, check against the engine, resolve images and plan; no write call but `before_read`'s.

    Without `engine`, `connect()` (else Engine.connect) is called once the files are read and
    converted, so a bad file is reported as such even when no engine answers. `on_loaded` gets the
    files' warnings as soon as they are read (docker prints them before any call). `before_read` runs
    before the live stack is read. With `history`, the stack's revisions are read too: the versions
    they use are not retired.
    """
    loaded = load(opts, on_loaded)
    return read_and_plan(opts, loaded, _engine(opts, engine, connect), before_read=before_read, history=history)


def _engine(opts: DeployOptions, engine: Engine | None, connect: Callable[[], Engine] | None) -> Engine:
    """`engine`, else `connect()`, else the engine opts.context names; a manager, or an error."""
    if engine is None and connect is not None:
        engine = connect()
    if engine is None:
        from composeswarm.engine.gateway import Engine

        engine = Engine.connect(opts.context)
    engine.require_manager()
    return engine


def read_and_plan(
    opts: DeployOptions,
    loaded: Loaded,
    engine: Engine,
    *,
    before_read: Callable[[Engine], Holder | None] | None = None,
    history: HistoryOptions | None = None,
    resolved: Resolved | None = None,
) -> Deployment:
    """Read the live stack, check against the engine, resolve images (unless `resolved` is given) and plan."""
    from composeswarm.plan.builder import make_plan
    from composeswarm.plan.placement import check_placement
    from composeswarm.plan.sensitive import sensitive_values

    desired = loaded.desired
    lock_held = before_read(engine) if before_read is not None else None
    live = engine.read_stack(opts.stack)
    nodes = engine.read_nodes()
    revisions, plan_args = _history(engine, opts, history, live)
    refs = live_refs(live)
    external_ids = check_external_networks(engine, _names(desired, "external_networks"))
    refs.networks.update(external_ids)
    secret_ids, config_ids = check_external_files(engine, desired)
    refs.secrets.update(secret_ids)
    refs.configs.update(config_ids)

    if resolved is None:
        resolved = resolve_images(
            _services(desired), live.services, loaded.mode, engine, registry_auth=opts.with_registry_auth
        )
    desired = _with_services(desired, resolved.services)
    network_names = {ident: name for name, ident in external_ids.items()}
    plan = make_plan(desired, live, prune=opts.prune, network_names=network_names, **plan_args)
    if opts.dry_run and revisions and opts.revision is None:  # a plan shows drift since the last revision
        from composeswarm.act.history import with_drift

        plan = with_drift(plan, revisions[-1], live, network_names=network_names, keep=plan_args.get("keep", ()))
    plan = check_placement(plan, nodes)
    if opts.strict_placement:
        check_strict_placement(plan)
    result = DeployResult(
        stack=opts.stack, plan=plan, applied=None, load_warnings=list(loaded.warnings),
        warnings=list(resolved.warnings), dry_run=opts.dry_run, seconds=time.monotonic() - loaded.started,
        lock_held=lock_held,
    )
    replan = replanner(desired, live, prune=opts.prune, network_names=network_names, **plan_args)
    return Deployment(opts=opts, engine=engine, refs=refs, order=loaded.order, result=result, replan=replan,
                      desired=desired, project=loaded.project, revisions=revisions, live=live,
                      masked=sensitive_values(desired), resolved=resolved)


def _history(engine: Engine, opts: DeployOptions, history: HistoryOptions | None, live: LiveStack) -> tuple[list[Revision], Json]:
    """The stack's revisions and what the plan keeps and pins for them (nothing without history)."""
    if history is None and opts.revision is None:
        return [], {}
    from composeswarm.act.history import check_versions_kept, pinned_digests
    from composeswarm.act.revisions import kept_versions, list_revisions

    revisions = list_revisions(engine, opts.stack)
    # what the revisions that stay after this deploy's is recorded use (it pushes the oldest out)
    limit = history.limit if history is not None else len(revisions) + 1
    plan_args: Json = {"keep": kept_versions(revisions[len(revisions) - limit + 1:] if limit > 1 else [])}
    if opts.revision is not None:
        check_versions_kept(opts.revision, live.secrets, live.configs)
        plan_args["pinned"] = pinned_digests(opts.revision)
    return revisions, plan_args


def replanner(desired: DesiredStack, live: LiveStack, *, prune: bool, network_names: Mapping[str, str], **plan_args: Any) -> Replan:
    """Plan one service again as `make_plan` did, with that service read afresh and all else as first read.

    Everything but the service stays as the first read saw it, so secret and config references point at
    the same versions (a new one this deploy creates included) as in the first plan.
    """
    from composeswarm.plan.builder import make_plan

    def replan(name: str, fresh: Json) -> Change | None:
        services = [fresh if (s.get("Spec") or {}).get("Name") == name else s for s in live.services]
        again = make_plan(desired, dataclasses.replace(live, services=services), prune=prune, network_names=network_names, **plan_args)
        return next((c for c in again.changes if c.kind == "service" and c.name == name), None)

    return replan


def carry_out(deployment: Deployment, *, wait: Wait | None = None, on_step: OnStep | None = None) -> DeployResult:
    """Apply the plan (nothing for a dry run or an empty plan); PartialDeployError when a call is refused.

    `deployment.result.applied` is filled in as the calls are made, so it tells what was done even
    when `wait` raises (RolloutFailed, RolloutTimeout) or a call is refused.
    """
    result, opts = deployment.result, deployment.opts
    started = time.monotonic() - result.seconds
    if opts.dry_run or not result.plan.has_changes:
        return result
    result.applied = ApplyResult(stack=opts.stack)
    try:
        apply_plan(
            result.plan, deployment.engine, registry_auth=opts.with_registry_auth,
            waves=[list(wave) for wave in deployment.order.waves], needs=deployment.order.needs,
            wait=None if opts.detach else wait, refs=deployment.refs, on_step=on_step, result=result.applied,
            replan=deployment.replan, parallel=opts.parallel,
        )
    finally:
        result.warnings.extend(w for w in result.applied.warnings if w not in result.warnings)
        result.seconds = time.monotonic() - started
    return result


# How a deploy is waited for: given the planned deployment, the wait hook and the context the calls
# are made in (the progress view, which reports when the block ends, whether or not it raised).
Watch = Callable[["Deployment"], tuple[Wait, AbstractContextManager[object]]]


def deploy(
    opts: DeployOptions,
    *,
    engine: Engine | None = None,
    connect: Callable[[], Engine] | None = None,
    watch: Watch | None = None,
    on_loaded: Callable[[list[Issue]], None] | None = None,
    on_planned: Callable[[DeployResult], None] | None = None,
    on_step: OnStep | None = None,
    lock: LockOptions | None = None,
    history: HistoryOptions | None = None,
    check: Callable[[Deployment], None] | None = None,
) -> DeployResult:
    """Deploy (or with dry_run, only plan) the stack: `prepare`, then `carry_out` in `watch`'s context.

    `on_planned` gets the result before any call is made; it is the one `carry_out` fills in, so
    it tells what was done even when a call is refused or the rollout fails. With `lock`, a deploy
    whose plan has changes, or that finds the lock held, takes the stack's deploy lock, then reads and
    plans again under it and holds it to the end; an unchanged redeploy with no lock held never takes
    it (it writes nothing), and a dry run only notes who holds it.
    With `history`, a deploy that writes anything is recorded as the stack's next revision (lock held).
    `check` sees the planned deployment before anything is written (a saved plan's: refuse a stale one).
    """
    with ExitStack() as held:

        found: list[Holder | None] = []

        def note_lock(engine: Engine) -> Holder | None:
            if lock is None:
                return None
            found.append(read_lock(engine, opts.stack))
            if not opts.dry_run:
                return None
            lock.on_held(opts.stack, found[0])
            return found[0]

        loaded = load(opts, on_loaded)
        engine = _engine(opts, engine, connect)
        deployment = read_and_plan(opts, loaded, engine, before_read=note_lock, history=history)
        if lock is not None and not opts.dry_run and (deployment.result.plan.has_changes or found[0] is not None):
            # Something will be written, or another run holds the lock (the stack may be half-way through
            # its deploy, or that run was killed): take the lock (waiting, or taking a stale one over), then
            # read and plan again under it, so what is written is planned from what the last holder left.
            # An unchanged redeploy with no lock held writes nothing at all.
            held.enter_context(hold_lock(engine, opts.stack, lock))
            deployment = read_and_plan(opts, loaded, engine, history=history, resolved=deployment.resolved)
        if check is not None:
            check(deployment)
        if on_planned is not None:
            on_planned(deployment.result)
        held.enter_context(_recording(deployment, history))
        if watch is None or opts.dry_run or opts.detach:  # nothing to wait for (--detach: as docker stack deploy)
            return carry_out(deployment, on_step=on_step)
        wait, watching = watch(deployment)
        with watching:
            return carry_out(deployment, wait=wait, on_step=on_step)


def check_strict_placement(plan: Plan) -> None:
    """--strict-placement: an InputError naming every service with replicas no node can take."""
    issues = [
        Issue("", None, None, (), f"{c.placement.line(c.name)} (--strict-placement: nothing deployed)")
        for c in plan.changes
        if c.placement is not None and c.placement.warns
    ]
    if issues:
        raise InputError(issues)


def _recording(deployment: Deployment, history: HistoryOptions | None) -> AbstractContextManager[object]:
    """Where the deploy is recorded (act.history): only with history, and only when it writes anything."""
    from contextlib import nullcontext

    if history is None or deployment.opts.dry_run or not deployment.result.plan.has_changes:
        return nullcontext()
    from composeswarm.act.history import recorded

    assert deployment.project is not None
    return recorded(deployment, history, project=deployment.project, revisions=deployment.revisions)


def _services(desired: DesiredStack) -> dict[str, Json]:
    return dict(desired.services)


def _names(desired: DesiredStack, attr: str) -> list[str]:
    return list(getattr(desired, attr))


def _with_services(desired: DesiredStack, services: dict[str, Json]) -> DesiredStack:
    return dataclasses.replace(desired, services=services)


def _option_error(message: str) -> InputError:
    return InputError([Issue("", None, None, (), message)])
