"""depends_on -> waves: which services may be created or updated together, and what each must reach.

Swarm ignores `depends_on`; composeswarm honours it. Services are grouped into waves: a service sits
in the wave after the last of its dependencies, so each wave needs only the waves before it. The wait
between waves is for the condition the dependents ask of a service (the strongest one when several
ask): `service_started`, `service_healthy` or `service_completed_successfully`.

Pure: reads a Project, returns data; raises InputError (with the file position) for a cycle or a
dependency on a service that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

from composeswarm.errors import InputError, Issue, Path
from composeswarm.load.model import Project

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
CONDITIONS: tuple[Condition, ...] = ("service_started", "service_healthy", "service_completed_successfully")
# How much a condition asks, so the strongest one wins when several dependents ask different ones.
_STRENGTH = {name: rank for rank, name in enumerate(CONDITIONS)}


@dataclass(frozen=True, slots=True)
class Order:
    """Waves of engine service names and the condition each depended-on service must reach."""

    waves: tuple[tuple[str, ...], ...]
    conditions: dict[str, Condition]  # engine name -> condition; services nobody depends on are absent
    # engine name -> the engine names it depends on directly (services with none are absent)
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)


def dependencies(project: Project) -> dict[str, dict[str, Condition]]:
    """Each service's dependencies with their conditions; the list form means `service_started`."""
    out: dict[str, dict[str, Condition]] = {}
    issues: list[Issue] = []
    for name in sorted(project.services):
        raw = project.services[name].get("depends_on")
        deps: dict[str, Condition] = {}
        path: Path = ("services", name, "depends_on")
        if raw is None:
            pass
        elif isinstance(raw, list):
            for index, dep in enumerate(raw):
                deps[str(dep)] = "service_started"
                _check_exists(project, str(dep), (*path, index), issues)
        elif isinstance(raw, dict):
            for dep, spec in raw.items():
                condition = _condition(spec)
                if condition is None:
                    issues.append(_issue(project, (*path, dep, "condition"), _bad_condition(spec)))
                    continue
                deps[str(dep)] = condition
                _check_exists(project, str(dep), (*path, dep), issues)
        else:
            issues.append(_issue(project, path, f"must be a list or a mapping, got {type(raw).__name__}"))
        out[name] = deps
    if issues:
        raise InputError(issues)
    return out


def make_order(project: Project, stack: str) -> Order:
    """Group the services into waves by depends_on; InputError naming the cycle if there is one."""
    deps = dependencies(project)
    level: dict[str, int] = {}
    remaining = set(deps)
    # Kahn's algorithm by levels: a service's wave is one more than its latest dependency's.
    while remaining:
        ready = sorted(s for s in remaining if all(d in level for d in deps[s]))
        if not ready:
            raise InputError([_cycle_issue(project, deps, remaining)])
        for service in ready:
            level[service] = 1 + max((level[d] for d in deps[service]), default=-1)
        remaining.difference_update(ready)
    count = 1 + max(level.values(), default=-1)
    waves = tuple(
        tuple(f"{stack}_{s}" for s in sorted(level) if level[s] == wave) for wave in range(count)
    )
    conditions: dict[str, Condition] = {}
    for service in sorted(deps):
        for dep, condition in deps[service].items():
            key = f"{stack}_{dep}"
            if key not in conditions or _STRENGTH[condition] > _STRENGTH[conditions[key]]:
                conditions[key] = condition
    needs = {f"{stack}_{s}": tuple(f"{stack}_{d}" for d in sorted(deps[s])) for s in sorted(deps) if deps[s]}
    return Order(waves=waves, conditions=conditions, needs=needs)


def waves(project: Project, stack: str) -> list[list[str]]:
    """The waves as lists of engine service names (`<stack>_<service>`), dependencies first."""
    return [list(wave) for wave in make_order(project, stack).waves]


def conditions(project: Project, stack: str) -> dict[str, Condition]:
    """Engine service name -> the strongest condition any dependent asks of it."""
    return make_order(project, stack).conditions


def _condition(spec: Any) -> Condition | None:
    if spec is None:
        return "service_started"
    if not isinstance(spec, dict):
        return None
    value = spec.get("condition", "service_started")
    return cast(Condition, value) if value in CONDITIONS else None


def _bad_condition(spec: Any) -> str:
    value = spec.get("condition") if isinstance(spec, dict) else spec
    allowed = ", ".join(CONDITIONS)
    return f"condition must be one of {allowed}, got {value!r}"


def _check_exists(project: Project, dep: str, path: Path, issues: list[Issue]) -> None:
    if dep not in project.services:
        issues.append(_issue(project, path, f"depends on undefined service {dep!r}"))


def _cycle_issue(project: Project, deps: dict[str, dict[str, Condition]], remaining: set[str]) -> Issue:
    """Follow dependencies inside the unresolved set from its first name until a name repeats."""
    start = min(remaining)
    trail = [start]
    while True:
        nxt = min(d for d in deps[trail[-1]] if d in remaining)
        if nxt in trail:
            cycle = trail[trail.index(nxt):] + [nxt]
            break
        trail.append(nxt)
    first = cycle[0]
    message = "dependency cycle: " + " -> ".join(cycle)
    return _issue(project, ("services", first, "depends_on"), message)


def _issue(project: Project, path: Path, message: str) -> Issue:
    pos = project.position(path)
    file = pos.file if pos is not None else (project.files[0] if project.files else "")
    return Issue(
        file=file,
        line=pos.line if pos is not None else None,
        column=pos.column if pos is not None else None,
        path=path,
        message=message,
    )
