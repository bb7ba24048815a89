"""Stocktake variance: examples worked out by hand, and a simulated warehouse (shelf
and ledger kept apart, moves and counts interleaved at random) whose shelf is the
ground truth the applied adjustments must reproduce."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory.stocktake_errors import StocktakeInvalid
from veriseal_inventory.variance import (
    MAX_QUANTITY,
    Counted,
    LineKey,
    VarianceLine,
    VarianceReport,
    adjustments,
    check_counted,
    compute,
)

TEA = "06901234567892"
WINE = "06901234567809"
A = LineKey(1, TEA, "L1")
B = LineKey(1, WINE, "")
C = LineKey(2, TEA, "L1")


def line_of(report: VarianceReport, key: LineKey) -> VarianceLine:
    (found,) = [line for line in report.lines if line.key == key]
    return found


def test_an_empty_count_changes_nothing() -> None:
    report = compute({A: 10, B: 5}, {A: 10, B: 5}, set(), {}, {TEA: 150})
    assert adjustments(report) == []
    assert report.uncounted == 2 and report.counted == 0 and report.outdated == 0
    assert all(line.difference is None and line.value is None for line in report.lines)
    assert {line.key: line.after_apply for line in report.lines} == {A: 10, B: 5}
    assert (report.gain_value, report.loss_value, report.net_value) == (0, 0, 0)


def test_lines_come_sorted_by_key() -> None:
    report = compute({C: 1, A: 2}, {C: 1, A: 2, B: 1}, {B}, {}, {})
    assert [line.key for line in report.lines] == sorted([A, B, C])


def test_a_shortfall_with_its_value() -> None:
    report = compute({A: 10, B: 5}, {A: 10, B: 5}, set(), {A: Counted(8, 10)}, {TEA: 150})
    (adj,) = adjustments(report)
    assert (adj.key, adj.quantity, adj.value) == (A, -2, -300)
    assert report.loss_value == 300 and report.gain_value == 0 and report.net_value == -300
    assert line_of(report, B).counted is None  # B was not counted: left alone


def test_a_surplus_on_a_line_nobody_expected() -> None:
    report = compute({A: 10}, {A: 10}, set(), {C: Counted(4, 0)}, {TEA: 150})
    (adj,) = adjustments(report)
    assert (adj.key, adj.quantity, adj.value) == (C, 4, 600)
    assert line_of(report, C).expected_at_start == 0
    assert line_of(report, C).expected_at_count == 0


def test_a_move_before_the_line_was_counted() -> None:
    # 10 frozen; 3 shipped; then counted 7 while the ledger said 7
    report = compute({A: 10}, {A: 7}, {A}, {A: Counted(7, 7)}, {})
    (line,) = report.lines
    assert (line.expected_at_start, line.moved_since, line.expected_now) == (10, -3, 7)
    assert line.difference == 0 and line.outdated and adjustments(report) == []


def test_a_move_after_the_line_was_counted_is_not_counted_twice() -> None:
    # 10 frozen and counted 10; then 3 shipped
    report = compute({A: 10}, {A: 7}, {A}, {A: Counted(10, 10)}, {})
    (line,) = report.lines
    assert line.expected_now == 7 and line.expected_at_count == 10
    assert line.difference == 0 and line.after_apply == 7 and line.outdated


def test_a_real_loss_found_while_stock_moves() -> None:
    # 10 frozen, 2 received, counted 9 (the ledger said 12), 4 shipped (8 now)
    report = compute({A: 10}, {A: 8}, {A}, {A: Counted(9, 12)}, {TEA: 100})
    (line,) = report.lines
    assert (line.expected_now, line.expected_at_count, line.difference) == (8, 12, -3)
    assert line.after_apply == 5 and line.value == -300  # 9 on the shelf, then 4 left


def test_moves_netting_to_zero_still_outdate_a_line() -> None:
    report = compute({A: 10}, {A: 10}, {A}, {}, {})
    assert report.lines[0].outdated and report.lines[0].moved_since == 0


def test_a_changed_balance_outdates_a_line_without_a_move_seen() -> None:
    # (a post committing as the count froze: its movement id may sort before the freeze)
    report = compute({A: 10}, {A: 12}, set(), {}, {})
    assert report.lines[0].outdated


def test_lines_not_frozen_show_up_uncounted() -> None:
    report = compute({A: 10}, {A: 10, B: 6}, {B}, {}, {})
    line_b = line_of(report, B)
    assert line_b.outdated and line_b.expected_now == 6 and line_b.expected_at_start == 0
    assert adjustments(report) == []


def test_unknown_costs_are_counted_apart() -> None:
    report = compute(
        {A: 10, B: 5}, {A: 10, B: 5}, set(), {A: Counted(11, 10), B: Counted(3, 5)}, {TEA: 20}
    )
    assert report.gain_value == 20 and report.loss_value == 0 and report.unvalued == 1
    assert {a.key: a.value for a in adjustments(report)} == {A: 20, B: None}


@pytest.mark.parametrize("bad", [-1, MAX_QUANTITY + 1, True, 1.5, "3", None])
def test_counted_figures_are_whole_and_in_range(bad: object) -> None:
    with pytest.raises(StocktakeInvalid) as caught:
        check_counted(bad)
    assert caught.value.code == "stocktake_invalid" and caught.value.http_status == 400


def test_compute_refuses_a_negative_count() -> None:
    with pytest.raises(StocktakeInvalid):
        compute({A: 1}, {A: 1}, set(), {A: Counted(-1, 1)}, {})


# ---- a simulated warehouse ---------------------------------------------------------

KEYS = [A, B, C]


@dataclass
class World:
    """The shelf (truth) and the ledger (what the system believes), kept apart."""

    shelf: dict[LineKey, int]
    ledger: dict[LineKey, int]
    moved: set[LineKey] = field(default_factory=set)
    counts: dict[LineKey, Counted] = field(default_factory=dict)


steps = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.sampled_from(KEYS), st.integers(-20, 20)),
        st.tuples(st.just("count"), st.sampled_from(KEYS), st.just(0)),
    ),
    max_size=25,
)
stock = st.fixed_dictionaries({k: st.integers(0, 30) for k in KEYS})
hidden = st.fixed_dictionaries({k: st.integers(-10, 10) for k in KEYS})


@given(stock, hidden, steps, st.booleans())
def test_applying_makes_counted_lines_true_and_leaves_the_rest(
    ledger0: dict[LineKey, int],
    drift: dict[LineKey, int],
    plan: list[tuple[str, LineKey, int]],
    with_costs: bool,
) -> None:
    world = World(
        shelf={k: max(0, ledger0[k] + drift[k]) for k in KEYS},  # shrinkage, miscounts
        ledger=dict(ledger0),
    )
    for kind, key, wanted in plan:
        if kind == "count":  # what a counter sees, and what the ledger said then
            world.counts[key] = Counted(world.shelf[key], world.ledger[key])
            continue
        qty = max(wanted, -world.shelf[key], -world.ledger[key])  # nothing goes below 0
        if qty:
            world.shelf[key] += qty  # a real move changes the shelf and the ledger alike
            world.ledger[key] += qty
            world.moved.add(key)
    costs = {TEA: 7, WINE: 3} if with_costs else {}
    report = compute(ledger0, world.ledger, world.moved, world.counts, costs)
    after = dict(world.ledger)
    for adj in adjustments(report):
        assert adj.key in world.counts and adj.quantity != 0
        after[adj.key] += adj.quantity
    for key in KEYS:
        if key in world.counts:
            assert after[key] == world.shelf[key]  # the ledger now tells the truth
        else:
            assert after[key] == world.ledger[key]  # never zeroed, never touched
        line = line_of(report, key)
        assert line.moved_since == world.ledger[key] - ledger0[key]
        assert line.after_apply == after[key]
        assert line.outdated == (key in world.moved)
    if with_costs:
        assert report.net_value == sum(a.value or 0 for a in adjustments(report))
        assert report.unvalued == 0
