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
    Move,
    adjustments,
    check_counted,
    compute,
)

TEA = "06901234567892"
WINE = "06901234567809"
A = LineKey(1, TEA, "L1")
B = LineKey(1, WINE, "")
C = LineKey(2, TEA, "L1")


def test_an_empty_count_changes_nothing() -> None:
    report = compute({A: 10, B: 5}, [], {}, {TEA: 150})
    assert adjustments(report) == []
    assert report.uncounted == 2 and report.counted == 0
    assert all(line.difference is None and line.value is None for line in report.lines)
    assert {line.key: line.after_apply for line in report.lines} == {A: 10, B: 5}
    assert (report.gain_value, report.loss_value, report.net_value) == (0, 0, 0)


def test_lines_come_sorted_by_key() -> None:
    report = compute({C: 1, A: 2}, [Move(1, B, 1)], {}, {})
    assert [line.key for line in report.lines] == sorted([A, B, C])


def test_a_shortfall_with_its_value() -> None:
    report = compute({A: 10, B: 5}, [], {A: Counted(8, 0)}, {TEA: 150})
    (adj,) = adjustments(report)
    assert (adj.key, adj.quantity, adj.value) == (A, -2, -300)
    assert report.loss_value == 300 and report.gain_value == 0 and report.net_value == -300
    line_b = next(line for line in report.lines if line.key == B)
    assert line_b.counted is None  # B was not counted: left alone


def test_a_surplus_on_a_line_nobody_expected() -> None:
    report = compute({A: 10}, [], {C: Counted(4, 0)}, {TEA: 150})
    (adj,) = adjustments(report)
    assert (adj.key, adj.quantity, adj.value) == (C, 4, 600)
    line_c = next(line for line in report.lines if line.key == C)
    assert line_c.expected_at_start == 0 and line_c.expected_at_count == 0


def test_a_move_before_the_line_was_counted() -> None:
    # 10 frozen; 3 shipped (movement 5); then counted 7 with movement 5 visible
    report = compute({A: 10}, [Move(5, A, -3)], {A: Counted(7, 5)}, {})
    (line,) = report.lines
    assert (line.expected_at_start, line.moved_since, line.expected_now) == (10, -3, 7)
    assert line.difference == 0 and line.outdated and adjustments(report) == []


def test_a_move_after_the_line_was_counted_is_not_counted_twice() -> None:
    # 10 frozen and counted 10 (movement 4 the last); then 3 shipped (movement 5)
    report = compute({A: 10}, [Move(5, A, -3)], {A: Counted(10, 4)}, {})
    (line,) = report.lines
    assert line.expected_now == 7 and line.expected_at_count == 10
    assert line.difference == 0 and line.after_apply == 7 and line.outdated


def test_a_real_loss_found_while_stock_moves() -> None:
    # 10 frozen, 2 received (m3), counted 9 (m3 visible: 12 expected), 4 shipped (m7)
    moves = [Move(3, A, 2), Move(7, A, -4)]
    report = compute({A: 10}, moves, {A: Counted(9, 3)}, {TEA: 100})
    (line,) = report.lines
    assert (line.expected_now, line.expected_at_count, line.difference) == (8, 12, -3)
    assert line.after_apply == 5 and line.value == -300  # 9 on the shelf, then 4 left


def test_reservation_only_postings_do_not_outdate_a_line() -> None:
    report = compute({A: 10}, [Move(3, A, 0)], {}, {})
    assert not report.lines[0].outdated and report.outdated == 0


def test_moves_on_lines_not_frozen_show_up_uncounted() -> None:
    report = compute({A: 10}, [Move(3, B, 6)], {}, {})
    line_b = next(line for line in report.lines if line.key == B)
    assert line_b.outdated and line_b.expected_now == 6
    assert adjustments(report) == []


def test_unknown_costs_are_counted_apart() -> None:
    report = compute({A: 10, B: 5}, [], {A: Counted(11, 0), B: Counted(3, 0)}, {TEA: 20})
    assert report.gain_value == 20 and report.loss_value == 0 and report.unvalued == 1
    assert {a.key: a.value for a in adjustments(report)} == {A: 20, B: None}


@pytest.mark.parametrize("bad", [-1, MAX_QUANTITY + 1, True, 1.5, "3", None])
def test_counted_figures_are_whole_and_in_range(bad: object) -> None:
    with pytest.raises(StocktakeInvalid) as caught:
        check_counted(bad)
    assert caught.value.code == "stocktake_invalid" and caught.value.http_status == 400


def test_compute_refuses_a_negative_count() -> None:
    with pytest.raises(StocktakeInvalid):
        compute({A: 1}, [], {A: Counted(-1, 0)}, {})


# ---- a simulated warehouse ---------------------------------------------------------

KEYS = [A, B, C]


@dataclass
class World:
    """The shelf (truth) and the ledger (what the system believes), kept apart."""

    shelf: dict[LineKey, int]
    ledger: dict[LineKey, int]
    seq: int = 100
    moves: list[Move] = field(default_factory=list)
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
    frozen = dict(ledger0)
    for kind, key, wanted in plan:
        if kind == "count":
            world.counts[key] = Counted(world.shelf[key], world.seq)  # what a counter sees
            continue
        qty = max(wanted, -world.shelf[key], -world.ledger[key])  # nothing goes below 0
        world.seq += 1
        world.shelf[key] += qty  # a real move changes the shelf and the ledger alike
        world.ledger[key] += qty
        world.moves.append(Move(world.seq, key, qty))
    costs = {TEA: 7, WINE: 3} if with_costs else {}
    report = compute(frozen, world.moves, world.counts, costs)
    after = dict(world.ledger)
    for adj in adjustments(report):
        assert adj.key in world.counts and adj.quantity != 0
        after[adj.key] += adj.quantity
    for key in KEYS:
        if key in world.counts:
            assert after[key] == world.shelf[key]  # the ledger now tells the truth
        else:
            assert after[key] == world.ledger[key]  # never zeroed, never touched
        line = next(line for line in report.lines if line.key == key)
        assert line.expected_now == world.ledger[key]
        assert line.after_apply == after[key]
        assert line.outdated == any(m.key == key and m.quantity for m in world.moves)
    if with_costs:
        assert report.net_value == sum(a.value or 0 for a in adjustments(report))
        assert report.unvalued == 0
