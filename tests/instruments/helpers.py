"""Answer vectors built to a known total, for the known-answer tests."""

from __future__ import annotations


def vector_with_total(total: int, *, items: int, item_max: int) -> list[int | None]:
    """Fill items in order with the highest value that still fits: 13 over 9 items of 0-3
    is 3,3,3,3,1,0,0,0,0 (hand-checkable)."""
    assert 0 <= total <= items * item_max
    vector: list[int | None] = []
    left = total
    for _ in range(items):
        value = min(item_max, left)
        vector.append(value)
        left -= value
    return vector
