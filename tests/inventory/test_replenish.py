"""Replenishment suggestions: worked examples computed by hand from the rule written in
the docs (velocity = units out / days; target = max(safety + ceil(v x (lead + review)),
reorder point); order max(reorder qty, target - position) in whole packs), and the
properties every suggestion keeps."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory.replenish import (
    Policy,
    Position,
    ReplenishInvalid,
    round_up,
    suggest,
    velocity,
)


def test_a_worked_example_with_every_number_behind_it() -> None:
    # 28 days, 84 units out -> 3/day; horizon 5 + 7 = 12 days -> 36 units;
    # target 20 + 36 = 56; position 10 + 6 = 16; shortfall 40; min 30 -> 40; packs of 12 -> 48
    policy = Policy(safety_stock=20, reorder_point=25, reorder_qty=30, lead_time_days=5,
                    review_days=7, pack_size=12)  # fmt: skip
    s = suggest(policy, Position(available=10, incoming=6, outflow=[3] * 28))
    assert (s.window_days, s.sold, s.velocity) == (28, 84, Fraction(3))
    assert s.days_of_cover == Fraction(10, 3)
    assert (s.horizon_demand, s.target, s.position, s.shortfall) == (36, 56, 16, 40)
    assert s.quantity == 48
    en = s.explain("en")
    assert en[0] == "Velocity: 84 units out in 28 days = 3.00 units/day"
    assert en[1] == "Days of cover: 10 available / velocity = 3.33 days"
    assert en[-1] == ("Order: max(shortfall 40, reorder quantity 30) in packs of 12 = 48")
    zh = s.explain("zh")
    assert zh[0] == "销售速度：28 天出库 84 件 = 每天 3.00 件"
    assert zh[-1].startswith("建议补货：") and zh[-1].endswith("= 48 件")


def test_the_reorder_quantity_is_a_minimum_order() -> None:
    # 7 units out in 7 days -> 1/day; horizon 2 + 0 -> 2; target 5 + 2 = 7; position 6
    policy = Policy(safety_stock=5, reorder_qty=50, lead_time_days=2, review_days=0)
    s = suggest(policy, Position(available=6, outflow=[1] * 7))
    assert (s.target, s.shortfall, s.quantity) == (7, 1, 50)


def test_demand_is_rounded_up_to_whole_units() -> None:
    # 1 unit in 3 days -> 1/3 per day; 4 days -> 4/3 -> 2 units
    policy = Policy(lead_time_days=4, review_days=0)
    s = suggest(policy, Position(available=0, outflow=[1, 0, 0]))
    assert (s.velocity, s.horizon_demand, s.target, s.quantity) == (Fraction(1, 3), 2, 2, 2)


def test_below_the_reorder_point_always_orders_even_without_sales() -> None:
    policy = Policy(safety_stock=2, reorder_point=10, reorder_qty=4)
    s = suggest(policy, Position(available=9, outflow=[0] * 28))
    assert s.days_of_cover is None
    assert (s.target, s.quantity) == (10, 4)
    assert "∞" in s.explain("en")[1]
    at_point = suggest(policy, Position(available=10, outflow=[0] * 28))
    assert at_point.quantity == 0
    assert at_point.explain("en")[-1] == "No order: the position 10 covers the target 10"


def test_incoming_stock_counts_towards_the_target() -> None:
    policy = Policy(safety_stock=10, lead_time_days=3, review_days=0)
    s = suggest(policy, Position(available=4, incoming=12, outflow=[2] * 10))
    assert (s.target, s.position, s.quantity) == (16, 16, 0)


@pytest.mark.parametrize(
    "make",
    [lambda: Policy(safety_stock=-1), lambda: Policy(pack_size=0),
     lambda: Policy(lead_time_days=True), lambda: Position(available=1, outflow=[]),
     lambda: Position(available=-1, outflow=[1]), lambda: Position(available=1, outflow=[-2]),
     lambda: Position(available=1, outflow=[1], incoming=10**13)],
)  # fmt: skip
def test_bad_input_is_refused_with_a_coded_error(make: object) -> None:
    with pytest.raises(ReplenishInvalid) as caught:
        make()  # type: ignore[operator]
    assert caught.value.code == "stock_replenish_invalid"


def test_rounding_to_packs() -> None:
    assert [round_up(q, 6) for q in (0, 1, 6, 7, 12)] == [0, 6, 6, 12, 12]
    assert velocity([5, 0, 1]) == 2


units = st.integers(0, 10_000)
policies = st.builds(Policy, safety_stock=units, reorder_point=units, reorder_qty=units,
                     lead_time_days=st.integers(0, 90), review_days=st.integers(0, 30),
                     pack_size=st.integers(1, 48))  # fmt: skip
series = st.lists(st.integers(0, 500), min_size=1, max_size=60)


@given(policies, units, units, series)
def test_a_suggestion_is_never_negative_and_covers_the_target(
    policy: Policy, available: int, incoming: int, outflow: list[int]
) -> None:
    s = suggest(policy, Position(available=available, incoming=incoming, outflow=outflow))
    assert s.quantity >= 0
    assert s.quantity % policy.pack_size == 0
    if available + incoming >= s.target:
        assert s.quantity == 0
    else:
        assert s.quantity >= policy.reorder_qty
        assert available + incoming + s.quantity >= s.target
        # never more than one pack over what the shortfall or the minimum order asks
        assert s.quantity < max(s.shortfall, policy.reorder_qty) + policy.pack_size
    assert s.target >= policy.safety_stock and s.target >= policy.reorder_point


@given(policies, units, units, series, st.lists(st.integers(0, 500), min_size=60, max_size=60))
def test_more_sales_never_suggest_less(
    policy: Policy, available: int, incoming: int, outflow: list[int], extra: list[int]
) -> None:
    busier = [day + more for day, more in zip(outflow, extra, strict=False)]
    quiet = suggest(policy, Position(available=available, incoming=incoming, outflow=outflow))
    busy = suggest(policy, Position(available=available, incoming=incoming, outflow=busier))
    assert busy.velocity >= quiet.velocity
    assert busy.quantity >= quiet.quantity
