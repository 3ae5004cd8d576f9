"""A deploy's metrics in Prometheus format: built from what happened (pure), then written or pushed.

`build_registry(record)` turns one deploy into a CollectorRegistry; `write_textfile` writes it for
node_exporter's textfile collector (atomically: a temporary file, then a rename) and `push` sends it
to a Pushgateway (job `composeswarm`, grouped by `stack`). `DeployMetrics` is the deploy command's
hook. Every value describes the last deploy of a stack; docs/metrics.md lists them. Only the deploy
command imports this module (prometheus_client stays out of validate and config).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.exposition import generate_latest, pushadd_to_gateway, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from composeswarm.errors import InputError, RolloutFailed, RolloutTimeout
from composeswarm.render import print_warning

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from composeswarm.act.apply import Step
    from composeswarm.act.events import Outcome
    from composeswarm.act.deploy import DeployResult
    from composeswarm.plan.changes import Plan
    from composeswarm.render.deploy_report import DeployReport

JOB = "composeswarm"
ACTIONS = ("create", "update", "replace", "remove")
KINDS = ("service", "network", "secret", "config")
DEPLOY_OUTCOMES = ("deployed", "noop", "rollout_failed", "timed_out", "failed", "interrupted")
ROLLOUT_OUTCOMES = ("converged", "rolled_back", "paused", "failed", "timed_out")
# The watcher's states that are a verdict on the service; `abandoned` and `interrupted` say only
# that the wait stopped, so those services get no rollout sample.
_ROLLOUT_OF = {
    "converged": "converged", "rolled_back": "rolled_back", "paused": "paused", "failing": "failed",
    "removed": "failed", "timed_out": "timed_out",
}
# Seconds: a no-op deploy takes about one, a watched rollout minutes (the default --timeout is 300).
DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, math.inf)
PUSH_TIMEOUT_S = 10.0
_MAX_PREVIOUS_BYTES = 1 << 20  # a textfile of ours is a few KiB; more is not ours


@dataclass(frozen=True)
class DeployRecord:
    """What one deploy did, as the metrics need it."""

    stack: str
    outcome: str  # one of DEPLOY_OUTCOMES
    seconds: float
    finished_at: float  # Unix time
    plan: Plan | None = None  # None when the deploy stopped before planning
    applied: Sequence[Step] = ()
    rollout: Sequence[Outcome] = ()
    reads: int = 0  # Engine API calls
    writes: int = 0


def deploy_outcome(result: DeployResult | None, error: BaseException | None) -> str:
    """The `outcome` label of a deploy: how it ended (see DEPLOY_OUTCOMES)."""
    if isinstance(error, RolloutFailed):
        return "rollout_failed"
    if isinstance(error, RolloutTimeout):
        return "timed_out"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if error is not None or result is None:
        return "failed"
    return "deployed" if result.applied is not None and result.applied.applied else "noop"


def build_registry(record: DeployRecord) -> CollectorRegistry:
    """The metrics of one deploy (pure: nothing is read, written or timed here)."""
    registry = CollectorRegistry(auto_describe=True)
    stack = record.stack
    duration = Histogram(
        "composeswarm_deploy_duration_seconds", "Wall time of the deploy, from reading the files to its end.",
        ["stack", "outcome"], buckets=DURATION_BUCKETS, registry=registry,
    )
    duration.labels(stack, record.outcome).observe(record.seconds)
    noop = Gauge("composeswarm_deploy_noop", "1 when the deploy found nothing to change (no write call), else 0.",
                 ["stack"], registry=registry)
    noop.labels(stack).set(1 if record.outcome == "noop" else 0)

    planned = Gauge("composeswarm_deploy_changes_planned", "Changes the deploy's plan had, by action and kind.",
                    ["stack", "action", "kind"], registry=registry)
    applied = Gauge("composeswarm_deploy_changes_applied", "Changes the deploy carried out, by action and kind.",
                    ["stack", "action", "kind"], registry=registry)
    _count_changes(planned, stack, _planned_pairs(record.plan))
    _count_changes(applied, stack, _applied_pairs(record.plan, record.applied))

    calls = Gauge("composeswarm_deploy_api_calls", "Docker Engine API calls the deploy made, reads and writes.",
                  ["stack", "type"], registry=registry)
    calls.labels(stack, "read").set(record.reads)
    calls.labels(stack, "write").set(record.writes)

    if record.outcome in ("deployed", "noop"):
        last = Gauge("composeswarm_deploy_last_success_timestamp_seconds",
                     "Unix time at which the stack's last successful deploy ended.", ["stack"], registry=registry)
        last.labels(stack).set(record.finished_at)

    rollouts = [(o, _ROLLOUT_OF[o.state]) for o in record.rollout if o.state in _ROLLOUT_OF]
    if rollouts:
        state = Gauge("composeswarm_rollout_outcome",
                      "1 for how the service's last watched rollout ended, 0 for the other outcomes.",
                      ["stack", "service", "outcome"], registry=registry)
        seconds = Gauge("composeswarm_rollout_duration_seconds",
                        "Seconds from the service's change until its rollout outcome (converged: the time to converge).",
                        ["stack", "service"], registry=registry)
        for outcome, name in rollouts:
            for value in ROLLOUT_OUTCOMES:
                state.labels(stack, outcome.service, value).set(1 if value == name else 0)
            seconds.labels(stack, outcome.service).set(outcome.elapsed)
    return registry


def _planned_pairs(plan: Plan | None) -> list[tuple[str, str]]:
    # as the plan counts them: a rotation's removal of the old version is part of its replace
    return [(c.action, c.kind) for c in plan.shown()] if plan is not None else []


def _applied_pairs(plan: Plan | None, steps: Sequence[Step]) -> list[tuple[str, str]]:
    folded = {(c.kind, c.name) for c in plan.changes if c.part_of is not None} if plan is not None else set()
    return [(s.action, s.kind) for s in steps if not (s.action == "remove" and (s.kind, s.name) in folded)]


def _count_changes(gauge: Gauge, stack: str, pairs: Iterable[tuple[str, str]]) -> None:
    counts = {(action, kind): 0 for action in ACTIONS for kind in KINDS}  # zeros too: no absent series
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    for (action, kind), n in counts.items():
        gauge.labels(stack, action, kind).set(n)


class _Families(Collector):
    """Metric families read back from a previous textfile, exposed again as they were."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


def write_textfile(registry: CollectorRegistry, path: str) -> None:
    """Write the metrics for node_exporter's textfile collector: a temporary file, then a rename.

    Families this deploy has no sample for (the last success, after a failed deploy) keep the
    values of the previous file, as a Pushgateway keeps them: one file per stack.
    """
    families = list(registry.collect())
    # the names as written (a histogram's `_created` is a family of its own there), so none is kept twice
    ours = {family.name for family in text_string_to_metric_families(generate_latest(registry).decode())}
    kept = [f for f in _previous_families(path) if f.name not in ours and f.samples]
    out = CollectorRegistry(auto_describe=False)
    out.register(_Families(families + kept))
    write_to_textfile(path, out)


def _previous_families(path: str) -> list[Metric]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(_MAX_PREVIOUS_BYTES + 1)
    except (OSError, UnicodeDecodeError):
        return []  # no previous file (or none we can read): nothing to keep
    if len(text) > _MAX_PREVIOUS_BYTES:
        return []
    try:
        return [f for f in text_string_to_metric_families(text) if f.name.startswith("composeswarm_")]
    except ValueError:
        return []  # not a textfile of ours: it is replaced whole


def push(registry: CollectorRegistry, url: str, stack: str, *, timeout: float = PUSH_TIMEOUT_S) -> None:
    """Push to the Pushgateway at `url`, job `composeswarm`, grouping `stack=<stack>`.

    POST, not PUT: the families pushed replace theirs in the group and the others stay (the last
    success timestamp survives a failed deploy).
    """
    pushadd_to_gateway(url, job=JOB, registry=registry, grouping_key={"stack": stack}, timeout=timeout)


class CallCounts(Protocol):
    """What the metrics read from engine.gateway.Engine: its read count and its write calls."""

    reads: int
    calls: list[str]


E = TypeVar("E", bound=CallCounts)


class DeployMetrics:
    """The deploy command's hook: times the deploy, counts its engine's calls, then writes and pushes.

    A file that cannot be written or a Pushgateway that does not answer is a warning on stderr: the
    metrics never fail a deploy.
    """

    def __init__(self, stack: str, *, path: str | None, gateway: str | None) -> None:
        self.stack = stack
        self.path = path
        self.gateway = gateway
        self.started = time.monotonic()
        self.engine: CallCounts | None = None

    def connected(self, engine: E) -> E:
        """The engine the deploy connected to (its calls are counted at the end)."""
        self.engine = engine
        return engine

    @contextmanager
    def recording(self, report: DeployReport) -> Iterator[None]:
        """Around the deploy call: record how it ended, then let an error go on to the command."""
        try:
            yield
        except BaseException as exc:
            self.finish(report, exc)
            raise
        self.finish(report)

    def finish(self, report: DeployReport, error: BaseException | None = None) -> None:
        """Record the deploy that `report` followed, which ended with `error` (None: it went through)."""
        from composeswarm.dockerrules.stacknames import check_stack_name

        try:
            check_stack_name(self.stack)
        except InputError:
            return  # no such stack can exist: no series for it
        result = report.result
        record = DeployRecord(
            stack=self.stack, outcome=deploy_outcome(result, error), seconds=time.monotonic() - self.started,
            finished_at=time.time(), plan=result.plan if result is not None else None,
            applied=list(result.applied.applied) if result is not None and result.applied is not None else [],
            rollout=report.progress.ordered() if report.progress is not None else [],
            reads=self.engine.reads if self.engine is not None else 0,
            writes=len(self.engine.calls) if self.engine is not None else 0,
        )
        registry = build_registry(record)
        if self.path:
            try:
                write_textfile(registry, self.path)
            except OSError as exc:
                print_warning(f"metrics not written to {self.path}: {exc.strerror or exc}")
        if self.gateway:
            try:
                push(registry, self.gateway, self.stack)
            except (OSError, ValueError) as exc:  # refused, unreachable, HTTP error, timeout, bad URL
                print_warning(f"metrics not pushed to {self.gateway}: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)  # URLError wraps the socket's error
    text = str(reason if reason is not None else exc) or type(exc).__name__
    return text.splitlines()[0]
