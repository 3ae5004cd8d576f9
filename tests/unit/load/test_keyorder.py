"""Docker's key order: the order's keys first, in that order, then the others as they came."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from composeswarm.load.keyorder import SECTION_ORDER, SERVICE_ORDER, in_order, ordered_service

KEYS = st.sampled_from([*SERVICE_ORDER, "x-a", "x-b", "x-zzz", "unknown"])


@given(st.lists(KEYS, unique=True, max_size=len(SERVICE_ORDER) + 4))
def test_order_keys_first_then_the_others_as_they_came(keys: list[str]) -> None:
    tree = {k: i for i, k in enumerate(keys)}
    out = in_order(tree, SERVICE_ORDER)  # few keys take the sorting path, many the scanning one
    assert out == tree
    known = [k for k in out if k in SERVICE_ORDER]
    assert known == sorted(known, key=SERVICE_ORDER.index)
    assert list(out) == known + [k for k in keys if k not in SERVICE_ORDER]


def test_service_and_nested_structs() -> None:
    svc = {"x-note": 1, "image": "a", "deploy": {"resources": {"limits": {"memory": "1M", "cpus": "1"}}, "mode": "global"},
           "command": ["x"]}
    out = ordered_service(svc)
    assert list(out) == ["command", "deploy", "image", "x-note"]
    assert list(out["deploy"]) == ["mode", "resources"]
    assert list(out["deploy"]["resources"]["limits"]) == ["cpus", "memory"]
    assert list(in_order({"labels": {}, "name": "n", "external": True}, SECTION_ORDER["networks"])) == [
        "name", "external", "labels"]
