"""The low-stock alert's hysteresis: opens strictly below the safety stock, closes at or
above the reorder point (or the safety stock when that is higher), one transition per
crossing, never one per movement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory.thresholds import Thresholds, Transition, step


def run(levels: list[int], lines: Thresholds) -> list[tuple[int, Transition]]:
    is_open, seen = False, []
    for level in levels:
        change = step(is_open, level, lines)
        if change is not None:
            seen.append((level, change))
            is_open = change is Transition.OPENED
    return seen


def test_many_movements_below_the_line_open_once_and_rising_above_closes() -> None:
    lines = Thresholds(safety_stock=10)
    levels = [15, 10, 9, 8, 5, 3, 9, 1, 10, 12, 9]
    assert run(levels, lines) == [
        (9, Transition.OPENED), (10, Transition.CLOSED), (9, Transition.OPENED)
    ]  # fmt: skip


def test_the_reorder_point_is_the_closing_line_when_above_the_safety_stock() -> None:
    lines = Thresholds(safety_stock=10, reorder_point=30)
    levels = [40, 25, 9, 11, 9, 29, 30, 20, 5]
    assert run(levels, lines) == [
        (9, Transition.OPENED), (30, Transition.CLOSED), (5, Transition.OPENED)
    ]  # fmt: skip


def test_a_reorder_point_below_the_safety_stock_does_not_lower_the_closing_line() -> None:
    assert Thresholds(safety_stock=10, reorder_point=4).close_at == 10


def test_no_safety_stock_never_opens_and_closes_what_was_open() -> None:
    lines = Thresholds(safety_stock=0, reorder_point=5)
    assert step(False, 0, lines) is None
    assert step(True, 0, lines) is Transition.CLOSED


@given(st.integers(0, 50), st.integers(0, 80), st.lists(st.integers(0, 100), max_size=60))
def test_transitions_alternate_and_happen_only_across_the_lines(
    safety: int, reorder_point: int, levels: list[int]
) -> None:
    lines = Thresholds(safety, reorder_point)
    seen = run(levels, lines)
    kinds = [change for _, change in seen]
    assert kinds == [Transition.OPENED, Transition.CLOSED] * (len(kinds) // 2) + (
        [Transition.OPENED] if len(kinds) % 2 else []
    )
    for level, change in seen:
        if change is Transition.OPENED:
            assert level < safety
        else:
            assert level >= max(safety, reorder_point) or safety == 0
    # at most one opening per run of levels below the safety stock
    runs_below = sum(
        1
        for i, level in enumerate(levels)
        if level < safety and (i == 0 or levels[i - 1] >= safety)
    )
    assert kinds.count(Transition.OPENED) <= runs_below
