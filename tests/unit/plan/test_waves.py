"""order: depends_on -> waves, conditions, and the errors for cycles and unknown services."""

from __future__ import annotations

from typing import Any

import pytest

from composeswarm.errors import InputError
from composeswarm.load.model import Position, Project
from composeswarm.plan.waves import conditions, make_order, waves


def project(deps: dict[str, Any], positions: dict[Any, Position] | None = None) -> Project:
    """A project whose services have only `depends_on` (None: the key is absent)."""
    services = {name: ({} if dep is None else {"depends_on": dep}) for name, dep in deps.items()}
    return Project(version="3.8", services=services, files=("stack.yml",), positions=positions or {})


@pytest.mark.parametrize(
    ("deps", "expected"),
    [
        pytest.param({"web": None}, [["s_web"]], id="one service"),
        pytest.param({"b": None, "a": None, "c": None}, [["s_a", "s_b", "s_c"]], id="independent: one wave, sorted"),
        pytest.param({"c": ["b"], "b": ["a"], "a": None}, [["s_a"], ["s_b"], ["s_c"]], id="chain of three"),
        pytest.param(
            {"web": ["db", "cache"], "db": None, "cache": None, "worker": ["db"]},
            [["s_cache", "s_db"], ["s_web", "s_worker"]],
            id="fan-in",
        ),
        pytest.param(
            {"a": None, "b": ["a"], "c": ["a", "b"], "d": ["a"]},
            [["s_a"], ["s_b", "s_d"], ["s_c"]],
            id="a service waits for its latest dependency",
        ),
        pytest.param(
            {"web": {"db": {"condition": "service_healthy"}}, "db": None},
            [["s_db"], ["s_web"]],
            id="long form",
        ),
        pytest.param({"web": [], "db": {}}, [["s_db", "s_web"]], id="empty list and mapping"),
    ],
)
def test_waves(deps: dict[str, Any], expected: list[list[str]]) -> None:
    assert waves(project(deps), "s") == expected


@pytest.mark.parametrize(
    ("deps", "expected"),
    [
        pytest.param({"web": ["db"], "db": None}, {"s_db": "service_started"}, id="list form means started"),
        pytest.param(
            {"web": {"db": {"condition": "service_healthy"}}, "db": None},
            {"s_db": "service_healthy"},
            id="healthy",
        ),
        pytest.param(
            {"web": {"migrate": {"condition": "service_completed_successfully"}}, "migrate": None},
            {"s_migrate": "service_completed_successfully"},
            id="completed",
        ),
        pytest.param({"web": {"db": None}, "db": None}, {"s_db": "service_started"}, id="mapping with no body"),
        pytest.param({"web": {"db": {}}, "db": None}, {"s_db": "service_started"}, id="mapping without condition"),
        pytest.param(
            {"web": ["db"], "api": {"db": {"condition": "service_healthy"}}, "db": None},
            {"s_db": "service_healthy"},
            id="strongest of two dependents wins",
        ),
        pytest.param({"web": None, "db": None}, {}, id="nothing depended on"),
    ],
)
def test_conditions(deps: dict[str, Any], expected: dict[str, str]) -> None:
    assert conditions(project(deps), "s") == expected


@pytest.mark.parametrize(
    ("deps", "positions", "expected"),
    [
        pytest.param(
            {"a": ["b"], "b": ["c"], "c": ["a"]},
            {("services", "a", "depends_on"): Position("stack.yml", 4, 16)},
            ["stack.yml:4:16: services.a.depends_on.b: dependency cycle: a -> b -> c -> a"],
            id="cycle of three, with position",
        ),
        pytest.param(
            {"a": ["a"]},
            {},
            ["stack.yml: services.a.depends_on.a: a service cannot depend on itself"],
            id="service depends on itself",
        ),
        pytest.param(
            {"web": ["db"], "db": ["cache"], "cache": ["db"]},
            {},
            ["stack.yml: services.cache.depends_on.db: dependency cycle: cache -> db -> cache"],
            id="cycle below a service outside it",
        ),
        pytest.param(
            {"web": ["db", "cache"], "db": None},
            {("services", "web", "depends_on"): Position("stack.yml", 5, 13)},
            ['stack.yml:5:13: services.web.depends_on.cache: depends on undefined service "cache"'],
            id="unknown service, list form",
        ),
        pytest.param(
            {"web": {"db": {"condition": "service_ready"}}, "db": None},
            {},
            [
                "stack.yml: services.web.depends_on.db.condition: condition must be one of service_started, "
                "service_healthy, service_completed_successfully, got 'service_ready'"
            ],
            id="unknown condition",
        ),
        pytest.param(
            {"web": {"db": {}, "cache": {}}},
            {},
            [
                'stack.yml: services.web.depends_on.db: depends on undefined service "db"',
                'stack.yml: services.web.depends_on.cache: depends on undefined service "cache"',
            ],
            id="every unknown service reported at once",
        ),
    ],
)
def test_order_errors(deps: dict[str, Any], positions: dict[Any, Position], expected: list[str]) -> None:
    with pytest.raises(InputError) as caught:
        make_order(project(deps, positions), "s")
    assert [str(issue) for issue in caught.value.issues] == expected


def test_order_errors_name_the_entry_as_written() -> None:
    # what the loader recorded: `cache` is the second item of web's depends_on list, on line 6
    entries = {("services", "web", "depends_on", "cache"): (("services", "web", "depends_on", 1), Position("stack.yml", 6, 9))}
    base = project({"web": ["db", "cache"], "db": None})
    with pytest.raises(InputError) as caught:
        make_order(Project(version="3.8", services=base.services, files=("stack.yml",), entries=entries), "s")
    assert [str(issue) for issue in caught.value.issues] == [
        'stack.yml:6:9: services.web.depends_on[1]: depends on undefined service "cache"'
    ]


def test_needs_lists_direct_dependencies() -> None:
    order = make_order(project({"web": ["api"], "api": {"db": {"condition": "service_healthy"}, "cache": None},
                                "db": None, "cache": None}), "s")
    assert order.needs == {"s_api": ("s_cache", "s_db"), "s_web": ("s_api",)}
