"""Carry out a Plan against the engine, in docker stack deploy's order; no printing.

Pruned services first (as docker: a renamed service's port must be free), then networks, secrets
and configs, then services (wave by wave when depends_on waves are given), then the old versions of
rotated secrets and configs. Updates send the whole desired spec with the live version index, as
docker does (the plan has already kept what the engine owns: ForceUpdate, a pinned image). The first
engine error stops the run and becomes a PartialDeployError saying what was applied and what was
not; running the deploy again converges, because the next plan starts from what the engine then holds.
A service update the engine refuses as out of sequence (someone ran `docker service update` or `scale`
between the read and the write) is read again, planned again and retried once, with a warning saying
what differs now; a second conflict is the error.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from composeswarm.act.conflict import Replan, out_of_sequence, update_again
from composeswarm.errors import EngineError, PartialDeployError
from composeswarm.plan.changes import Change, Plan

Json = dict[str, Any]
Binder = Callable[[Json, dict[str, str], dict[str, str], dict[str, str]], Json]


class Wait(Protocol):
    """Wait until the services (IDs) converged; raise (RolloutFailed, RolloutTimeout) when they do not.

    `unchanged`: services this deploy did not touch (dependencies of a later wave), whose past
    failures and finished rollbacks are not this rollout's.
    """

    def __call__(self, service_ids: list[str], *, unchanged: bool = False) -> None: ...

OnStep = Callable[["Step"], None]

# At most this many service calls in flight inside one wave (`--parallel`): enough to hide round
# trips, few enough not to flood a manager's raft log (moby#34126). Chosen from bench/bench_parallel.py's
# figures (bench/README.md).
DEFAULT_PARALLEL = 4
# A network still has endpoints for a moment after its last service is removed.
NETWORK_REMOVE_RETRY_S = 20.0


class Gateway(Protocol):
    """The engine calls apply makes (engine.Engine provides them; tests use a fake)."""

    def create_network(self, body: Json) -> str: ...
    def remove_network(self, ident: str, name: str | None = None) -> None: ...
    def create_secret(self, spec: Json) -> str: ...
    def update_secret(self, ident: str, version: int, spec: Json) -> None: ...
    def remove_secret(self, ident: str, name: str | None = None) -> None: ...
    def create_config(self, spec: Json) -> str: ...
    def update_config(self, ident: str, version: int, spec: Json) -> None: ...
    def remove_config(self, ident: str, name: str | None = None) -> None: ...
    def create_service(self, spec: Json, registry_auth: str | None = None) -> tuple[str, list[str]]: ...
    def update_service(
        self, ident: str, version: int, spec: Json, registry_auth: str | None = None
    ) -> list[str]: ...
    def remove_service(self, ident: str, name: str | None = None) -> None: ...
    def inspect_service(self, ident: str) -> Json: ...
    def registry_auth_for(self, image: str) -> str | None: ...


@dataclass
class Refs:
    """Engine IDs by name of the networks, secrets and configs services may refer to."""

    networks: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    configs: dict[str, str] = field(default_factory=dict)
    services: dict[str, str] = field(default_factory=dict)  # the live ones: waited for as dependencies


@dataclass(frozen=True, slots=True)
class Step:
    """One write call made: what, on which object, and the object's ID."""

    kind: str
    name: str
    action: str
    ident: str = ""
    note: str = ""  # e.g. "new version of s_pw" for a rotated secret

    def describe(self) -> str:
        """`create service s_web`: the words PartialDeployError lists."""
        return f"{self.action} {self.kind} {self.name}"


@dataclass
class ApplyResult:
    """Every write made, in order, the engine's warnings, and the services' IDs."""

    stack: str
    applied: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    service_ids: dict[str, str] = field(default_factory=dict)


class _Failed(Exception):
    def __init__(self, error: EngineError, pending: list[Change]) -> None:
        super().__init__(str(error))
        self.error = error
        self.pending = pending


def apply_plan(
    plan: Plan,
    engine: Gateway,
    *,
    registry_auth: bool = False,
    waves: list[list[str]] | None = None,
    wait: Wait | None = None,
    refs: Refs | None = None,
    bind: Binder | None = None,
    on_step: OnStep | None = None,
    result: ApplyResult | None = None,
    needs: Mapping[str, Sequence[str]] | None = None,
    replan: Replan | None = None,
    parallel: int = DEFAULT_PARALLEL,
) -> ApplyResult:
    """Make the calls `plan` lists; PartialDeployError (applied / not applied) on the first refusal.

    With `wait`, each wave of services is waited for after its calls, and before a wave its
    dependencies (`needs`: service -> the services it depends on) that this deploy did not change
    are waited for too (by their live IDs in `refs.services`): a dependency must have converged
    whether or not it changed. `on_step` hears of each call as soon as it returned (in plan order
    within a wave); `result`, when given, is filled in as the calls are made, so the caller still
    holds it if a wait raises. With `replan`, a service update refused as out of sequence is read
    again, planned again and retried once. At most `parallel` service calls are in flight at once.
    """
    if parallel < 1:
        raise ValueError(f"parallel must be at least 1, got {parallel}")
    refs = copy.deepcopy(refs) if refs is not None else Refs()
    if bind is None:
        from composeswarm.act.bind import bind_ids

        bind = bind_ids
    result = result if result is not None else ApplyResult(stack=plan.stack)
    _live_ids(plan, refs)
    stages = _stages(plan, waves)
    run = _Run(engine, result, refs, bind, registry_auth, on_step or (lambda step: None), replan, parallel)
    waited: set[str] = set()  # services already waited for (or changed in an earlier wave)
    for index, (label, changes) in enumerate(stages):
        try:
            if label == "services":
                if wait is not None:
                    _wait_unchanged(changes, needs or {}, waited, refs, wait)
                ids = run.services(changes)
                waited.update(c.name for c in changes)
                if wait is not None and ids:
                    wait(ids)
            else:
                for change in changes:
                    run.one(change)
        except _Failed as failed:
            rest = [c for _, later in stages[index + 1 :] for c in later]
            raise PartialDeployError(
                str(failed.error),
                applied=[s.describe() for s in result.applied],
                not_applied=[_describe(c) for c in failed.pending + rest],
            ) from failed.error
    return result


def _wait_unchanged(
    changes: list[Change], needs: Mapping[str, Sequence[str]], waited: set[str], refs: Refs, wait: Wait
) -> None:
    """Wait for the dependencies of a wave that this deploy did not change (and not yet waited for)."""
    deps = sorted({d for c in changes for d in needs.get(c.name, ())} - waited)
    ids = [refs.services[d] for d in deps if d in refs.services]
    waited.update(deps)
    if ids:
        wait(ids, unchanged=True)


def _describe(change: Change) -> str:
    return f"{change.action} {change.kind} {change.name}"


def _live_ids(plan: Plan, refs: Refs) -> None:
    """IDs of objects the plan updates in place (an update keeps its ID; a replace gets a new one)."""
    for change in plan.changes:
        if change.live is None or change.action != "update":
            continue
        table = _table(refs, change.kind)
        if table is not None and change.live.get("ID"):
            table.setdefault(change.name, str(change.live["ID"]))


def _table(refs: Refs, kind: str) -> dict[str, str] | None:
    return {"network": refs.networks, "secret": refs.secrets, "config": refs.configs}.get(kind)


def _stages(plan: Plan, waves: list[list[str]] | None) -> list[tuple[str, list[Change]]]:
    """The plan cut into the order docker uses, with services split into waves."""
    def by(kind: str, actions: tuple[str, ...]) -> list[Change]:
        return sorted((c for c in plan.changes if c.kind == kind and c.action in actions), key=lambda c: c.name)

    keep = ("create", "update", "replace")
    # Pruned services go first, as docker does: a service renamed in the file keeps its published
    # port, which the old one must free before the new one can be created.
    stages: list[tuple[str, list[Change]]] = [
        ("prune", by("service", ("remove",))),
        ("networks", by("network", keep)),
        ("secrets", by("secret", keep)),
        ("configs", by("config", keep)),
    ]
    services = {c.name: c for c in by("service", keep)}
    placed: set[str] = set()
    for wave in waves or []:
        members = [services[n] for n in sorted(wave) if n in services and n not in placed]
        placed.update(c.name for c in members)
        if members:
            stages.append(("services", members))
    rest = [c for n, c in services.items() if n not in placed]
    if rest:
        stages.append(("services", rest))
    # Old versions of rotated secrets and configs last: the services must have moved off them.
    stages.append(("removals", by("secret", ("remove",)) + by("config", ("remove",)) + by("network", ("remove",))))
    return [s for s in stages if s[1]]


class _Run:
    def __init__(
        self, engine: Gateway, result: ApplyResult, refs: Refs, bind: Binder, auth: bool, on_step: OnStep,
        replan: Replan | None = None, parallel: int = DEFAULT_PARALLEL,
    ) -> None:
        self.engine = engine
        self.parallel = parallel
        self.result = result
        self.refs = refs
        self.bind = bind
        self.auth = auth
        self.on_step = on_step
        self.replan = replan

    # --- one object ---------------------------------------------------------------------------------

    def one(self, change: Change) -> None:
        try:
            self._do(change)
        except EngineError as exc:
            raise _Failed(exc, [change]) from exc

    def _do(self, change: Change) -> None:
        kind, action = change.kind, change.action
        if action == "remove":
            self._remove(change)
        elif kind == "network":
            if action != "create":  # swarm cannot change a network in place
                self._remove(change)
            ident = self.engine.create_network(dict(_desired(change), Name=change.name))
            self._record(change, "create", ident)
            self.refs.networks[change.name] = ident
        elif kind in ("secret", "config"):
            self._file_object(change)
        else:
            raise ValueError(f"not a single-object change: {change.kind} {change.action}")

    def _file_object(self, change: Change) -> None:
        spec = dict(_desired(change), Name=change.name)
        create = self.engine.create_secret if change.kind == "secret" else self.engine.create_config
        update = self.engine.update_secret if change.kind == "secret" else self.engine.update_config
        table = self.refs.secrets if change.kind == "secret" else self.refs.configs
        if change.action in ("create", "replace") or change.live is None:
            # replace: a new version under a new name (swarm cannot change data); the plan lists
            # the old version's removal as a later step
            ident = create(spec)
            # the plan names the version it replaces in its `name` field (or in `live`)
            renamed = [f.before for f in change.fields if f.path == "name"]
            old = str(renamed[0] if renamed else ((change.live or {}).get("Spec") or {}).get("Name") or "")
            note = f"new version of {old}" if change.action == "replace" and old else ""
            self._record(change, change.action, ident, note)
            table[change.name] = ident
            return
        # an update changes labels only; swarm refuses changed data ("only updates to Labels are
        # allowed"), which the plan never asks for
        ident = str(change.live["ID"])
        update(ident, _version(change.live), spec)
        self._record(change, "update", ident)

    def _remove(self, change: Change) -> None:
        live = change.live or {}
        ident = str(live.get("ID") or live.get("Id") or change.name)
        if change.kind == "service":
            self.engine.remove_service(ident, change.name)
        elif change.kind == "secret":
            self.engine.remove_secret(ident, change.name)
        elif change.kind == "config":
            self.engine.remove_config(ident, change.name)
        else:
            self._remove_network(ident, change.name)
        if change.action == "remove":
            self._record(change, "remove", ident, "old version" if change.part_of else "")

    def _remove_network(self, ident: str, name: str) -> None:
        deadline = time.monotonic() + NETWORK_REMOVE_RETRY_S
        while True:
            try:
                self.engine.remove_network(ident, name)
                return
            except EngineError as exc:
                if "active endpoints" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    # --- services -------------------------------------------------------------------------------------

    def services(self, changes: list[Change]) -> list[str]:
        """One wave: independent services, a few at a time; their IDs in wave order."""
        failed: EngineError | None = None
        pending: list[Change] = []
        ids: list[str] = []
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(changes))) as pool:
            # map yields in wave order as the calls return: each step is told as soon as it and
            # those before it are made, so the lines come out in a stable order without delay
            for change, outcome in zip(changes, pool.map(self._service_outcome, changes)):
                if isinstance(outcome, EngineError):
                    failed = failed or outcome
                    pending.append(change)
                    continue
                step, warnings = outcome
                self.result.applied.append(step)
                self.result.warnings.extend(warnings)
                self.result.service_ids[change.name] = step.ident
                ids.append(step.ident)
                self.on_step(step)
        if failed is not None:
            raise _Failed(failed, pending)
        return ids

    def _service_outcome(self, change: Change) -> tuple[Step, list[str]] | EngineError:
        try:
            return self._service(change)
        except EngineError as exc:
            return exc

    def _bound(self, change: Change) -> Json:
        spec = self.bind(
            copy.deepcopy(_desired(change)), self.refs.networks, self.refs.secrets, self.refs.configs
        )
        spec["Name"] = change.name
        return spec

    def _service(self, change: Change) -> tuple[Step, list[str]]:
        spec = self._bound(change)
        image = str(((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", ""))
        auth = self.engine.registry_auth_for(image) if self.auth else None
        live = change.live
        if change.action == "replace" and live is not None:
            # swarm cannot switch a service's mode in place: remove it, then create it anew
            self.engine.remove_service(str(live["ID"]), change.name)
            live = None
        if change.action == "create" or live is None:
            ident, warnings = self.engine.create_service(spec, auth)
            return Step("service", change.name, change.action, ident), warnings
        ident = str(live["ID"])
        # the plan's spec already carries what the engine owns (ForceUpdate, the pinned image and
        # its platforms: plan._to_send); it is sent as it is
        try:
            warnings = self.engine.update_service(ident, _version(live), spec, auth)
        except EngineError as exc:
            if self.replan is None or not out_of_sequence(exc):
                raise
            note, warnings = update_again(self.engine, change.name, ident, self.replan, self._bound, auth)
            return Step("service", change.name, "update", ident, note), warnings
        return Step("service", change.name, "update", ident), warnings

    def _record(self, change: Change, action: str, ident: str, note: str = "") -> None:
        step = Step(change.kind, change.name, action, ident, note)
        self.result.applied.append(step)
        self.on_step(step)


def _desired(change: Change) -> Json:
    if change.desired is None:
        raise ValueError(f"{change.action} {change.kind} {change.name}: the plan has no desired spec")
    return change.desired


def _version(live: Json) -> int:
    return int((live.get("Version") or {}).get("Index", 0))

