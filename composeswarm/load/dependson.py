"""`depends_on`, read once: each service's dependencies with their conditions, and what is wrong
with them (an undefined service, a service depending on itself, an unknown condition, a cycle).

Swarm ignores `depends_on`; composeswarm honours it. The loader's checks report these problems at
load time, and the plan's waves (`plan.waves`) read the same dependencies, so the rules live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from composeswarm.errors import Path
from composeswarm.load.model import did_you_mean

Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]
CONDITIONS: tuple[Condition, ...] = ("service_started", "service_healthy", "service_completed_successfully")
Problem = tuple[Path, str]


def read_depends_on(services: Mapping[str, Any]) -> tuple[dict[str, dict[str, Condition]], list[Problem]]:
    """Service -> {dependency: condition} (the list form means `service_started`), and every problem."""
    deps: dict[str, dict[str, Condition]] = {}
    problems: list[Problem] = []
    for name in sorted(services):
        raw = (services[name] or {}).get("depends_on")
        path: Path = ("services", name, "depends_on")
        found: dict[str, Condition] = {}
        if isinstance(raw, list):
            found = {str(dep): "service_started" for dep in raw}
        elif isinstance(raw, dict):
            for dep, spec in raw.items():
                condition = _condition(spec)
                if condition is None:
                    problems.append(((*path, dep, "condition"), _bad_condition(spec)))
                    continue
                found[str(dep)] = condition
        elif raw is not None:
            problems.append((path, f"must be a list or a mapping, got {type(raw).__name__}"))
        deps[name] = {}
        for dep, condition in found.items():
            # the entry by name: the loader knows where it was written (`depends_on[0]`, or the key)
            if dep not in services:
                hint = did_you_mean(dep, [s for s in services if s != name])
                problems.append(((*path, dep), f'depends on undefined service "{dep}"{hint}'))
            elif dep == name:
                problems.append(((*path, dep), "a service cannot depend on itself"))
            else:
                deps[name][dep] = condition
    # a cycle is reported at its first edge: the entry of cycle[1] in cycle[0]'s depends_on
    problems.extend((("services", cycle[0], "depends_on", cycle[1]), "dependency cycle: " + " -> ".join(cycle))
                    for cycle in _cycles(deps))
    return deps, problems


def _cycles(deps: Mapping[str, Mapping[str, Condition]]) -> list[list[str]]:
    """Each dependency cycle once (depth first, names in sorted order), closed: `a -> b -> a`."""
    state: dict[str, int] = {}
    seen: set[frozenset[str]] = set()
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        trail.append(node)
        for dep in sorted(deps.get(node, {})):
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep):] + [dep]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append(cycle)
            elif dep not in state:
                visit(dep, trail)
        trail.pop()
        state[node] = 2

    for node in sorted(deps):
        if node not in state:
            visit(node, [])
    return cycles


def _condition(spec: Any) -> Condition | None:
    if spec is None:
        return "service_started"
    if not isinstance(spec, dict):
        return None
    value = spec.get("condition", "service_started")
    return cast(Condition, value) if value in CONDITIONS else None


def _bad_condition(spec: Any) -> str:
    value = spec.get("condition") if isinstance(spec, dict) else spec
    return f"condition must be one of {', '.join(CONDITIONS)}, got {value!r}"
