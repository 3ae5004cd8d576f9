"""dockerrules.gosort: Go's sort.Slice, unstable as Go's, so tied items end where docker leaves them."""

from __future__ import annotations

import random

import pytest

from composeswarm.dockerrules.gosort import go_sort_slice


@pytest.mark.parametrize("size", [0, 1, 12, 13, 49, 50, 51, 200])
def test_go_sort_slice_sorts(size: int) -> None:
    rng = random.Random(size)
    items = [rng.randrange(10) for _ in range(size)]
    assert go_sort_slice(items, lambda a, b: a < b) == sorted(items)


def test_go_sort_slice_up_to_twelve_items_is_insertion_sort() -> None:
    """Go sorts 12 items or fewer by insertion, which keeps ties in place."""
    items = [(0, "a"), (1, "b"), (0, "c"), (0, "d")]
    assert go_sort_slice(items, lambda a, b: a[0] < b[0]) == [(0, "a"), (0, "c"), (0, "d"), (1, "b")]


def test_go_sort_slice_descending_input() -> None:
    items = list(range(60, 0, -1))
    assert go_sort_slice(items, lambda a, b: a < b) == list(range(1, 61))
