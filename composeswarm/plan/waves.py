"""depends_on -> waves: which services may be created or updated together, and what each must reach.

Swarm ignores `depends_on`; composeswarm honours it. Services are grouped into waves: a service sits
in the wave after the last of its dependencies, so each wave needs only the waves before it. The wait
between waves is for the condition the dependents ask of a service (the strongest one when several
ask): `service_started`, `service_healthy` or `service_completed_successfully`.

Pure: reads a Project, returns data. The dependencies are read, and refused, by `load.dependson`:
a cycle or a dependency on a service that does not exist is an InputError with the file position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from composeswarm.errors import InputError
from composeswarm.load.dependson import CONDITIONS, Condition, read_depends_on
from composeswarm.load.model import Project

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
    """Each service's dependencies with their conditions; InputError for what `load.dependson` refuses."""
    deps, problems = read_depends_on(project.services)
    if problems:
        raise InputError([project.issue_at(path, message) for path, message in problems])
    return deps


def make_order(project: Project, stack: str) -> Order:
    """Group the services into waves by depends_on; InputError naming the cycle if there is one."""
    deps = dependencies(project)
    level: dict[str, int] = {}
    remaining = set(deps)
    # Kahn's algorithm by levels: a service's wave is one more than its latest dependency's.
    while remaining:
        ready = sorted(s for s in remaining if all(d in level for d in deps[s]))
        # `dependencies` refused every cycle, so some service is always ready
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
