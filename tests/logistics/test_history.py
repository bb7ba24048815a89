"""What a delivered waybill teaches (dwell and remaining samples) and the history's
quantiles with their fallback from the lane to all of the carrier's lanes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.logistics.pure_world import T0, hours, timeline, waybill
from veriseal_logistics.history import (
    DWELL,
    REMAINING,
    MemoryHistory,
    Sample,
    pick,
    quantile_of,
    samples_of,
)
from veriseal_logistics.models import Place
from veriseal_logistics.statuses import Status

D = Status.DELIVERED
ON_THE_WAY = [s for s in Status if s not in (Status.DELIVERED,)]

gaps = st.lists(
    st.tuples(st.floats(0.0, 72.0), st.sampled_from(ON_THE_WAY)), min_size=0, max_size=12
)


def steps_of(moves: list[tuple[float, Status]], last_gap: float) -> list[tuple[float, Status]]:
    out, at = [], 0.0
    for gap, status in moves:
        at += gap
        out.append((at, status))
    out.append((at + last_gap, D))
    return out


@given(gaps, st.floats(0.0, 72.0), st.randoms(use_true_random=False))
def test_dwells_add_up_to_the_transit_and_order_does_not_matter(
    moves: list[tuple[float, Status]], last_gap: float, rnd: random.Random
) -> None:
    steps = steps_of(moves, last_gap)
    line = timeline(*[(h, s, None) for h, s in steps])
    shuffled = list(line)
    rnd.shuffle(shuffled)
    wb = waybill(status=D)
    got = samples_of(wb, shuffled)
    assert got == samples_of(wb, line)
    dwell = [s for s in got if s.measure == DWELL]
    transit = steps[-1][0] - steps[0][0]
    assert sum(s.hours for s in dwell) == pytest.approx(transit, abs=1e-6)
    assert len(dwell) == len(steps) - 1  # every checkpoint but the delivery
    assert all(s.hours >= 0 for s in got)
    assert len({(s.measure, s.status, s.seq) for s in got}) == len(got)  # unique rows
    # remaining: from each status's first checkpoint to delivery
    first: dict[Status, float] = {}
    for h, s in steps[:-1]:
        first.setdefault(s, h)
    remaining = {s.status: s.hours for s in got if s.measure == REMAINING}
    expected = {s: steps[-1][0] - h for s, h in first.items()}
    assert remaining == pytest.approx(expected, abs=1e-6)  # times are whole microseconds
    assert all(s.carrier == "shunfeng" and s.lane == "CN-GD>CN-HB" for s in got)


def test_a_real_timeline() -> None:
    line = timeline(
        (0, Status.PICKED_UP, None),
        (5, Status.IN_TRANSIT, None),
        (20, Status.IN_TRANSIT, None),
        (40, Status.AT_DESTINATION_CITY, None),
        (46, Status.OUT_FOR_DELIVERY, None),
        (49, Status.DELIVERED, None),
        (60, Status.IN_TRANSIT, None),  # a carrier's late correction: after delivery
    )
    got = samples_of(waybill(status=D), line)
    assert [(s.status, s.hours, s.seq) for s in got if s.measure == DWELL] == [
        (Status.PICKED_UP, 5.0, 0),
        (Status.IN_TRANSIT, 15.0, 1),
        (Status.IN_TRANSIT, 20.0, 2),
        (Status.AT_DESTINATION_CITY, 6.0, 3),
        (Status.OUT_FOR_DELIVERY, 3.0, 4),
    ]
    assert {s.status: s.hours for s in got if s.measure == REMAINING} == {
        Status.PICKED_UP: 49.0,  # the whole transit
        Status.IN_TRANSIT: 44.0,  # from the first in-transit event
        Status.AT_DESTINATION_CITY: 9.0,
        Status.OUT_FOR_DELIVERY: 3.0,
    }
    assert all(s.seq == 0 for s in got if s.measure == REMAINING)


def test_delivery_known_from_the_waybill_alone() -> None:
    line = timeline((0, Status.PICKED_UP, None), (10, Status.IN_TRANSIT, None))
    wb = waybill(status=D, delivered_at=T0 + hours(30), delivered_place=Place("武汉"))
    got = samples_of(wb, line)
    assert sum(s.hours for s in got if s.measure == DWELL) == 30.0
    assert {s.status: s.hours for s in got if s.measure == REMAINING} == {
        Status.PICKED_UP: 30.0,
        Status.IN_TRANSIT: 20.0,
    }


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.DELIVERED])
def test_only_a_delivered_waybill_teaches(status: Status) -> None:
    line = timeline((0, Status.PICKED_UP, None), (10, Status.DELIVERED, None))
    assert samples_of(waybill(status=status), line) == []


def test_delivered_without_any_time_teaches_nothing() -> None:
    assert samples_of(waybill(status=D), []) == []
    assert samples_of(waybill(status=D), timeline((0, Status.PICKED_UP, None))) == []


sizes = st.integers(0, 40)


@given(sizes, sizes, st.integers(0, 30))
def test_pick_falls_back_from_the_lane_to_all_lanes(lane_n: int, extra: int, need: int) -> None:
    by_lane = [1.0] * lane_n
    all_lanes = by_lane + [2.0] * extra
    got = pick(by_lane, all_lanes, need)
    if lane_n >= max(need, 1):
        assert got is by_lane
    elif lane_n + extra >= max(need, 1):
        assert got is all_lanes
    else:
        assert got is None


def sample(hours_: float, lane: str = "CN-GD>CN-HB", carrier: str = "shunfeng") -> Sample:
    return Sample(carrier, lane, Status.PICKED_UP, REMAINING, hours_, 0)


def test_memory_history_quantiles_and_fallback() -> None:
    lane = [sample(h) for h in range(10, 40)]  # 30 samples, 10..39 h
    other = [sample(100.0 + h, lane="CN-GD>CN-BJ") for h in range(15)]
    rival = [sample(500.0, carrier="yuantong") for _ in range(50)]
    h = MemoryHistory(lane + other + rival, min_samples=20)
    q = h.quantile(REMAINING, "shunfeng", "CN-GD>CN-HB", Status.PICKED_UP, 0.5)
    assert q is not None and q[0] == pytest.approx(24.5) and q[1] == 30
    # the Beijing lane has 15 < 20 samples: the carrier's 45 over all lanes answer
    q = h.quantile(REMAINING, "shunfeng", "CN-GD>CN-BJ", "picked_up", 0.5)
    assert q is not None and q[1] == 45
    assert q[0] == pytest.approx(float(np.percentile([x.hours for x in lane + other], 50)))
    # an unknown lane of the carrier: all lanes too; another status or measure: nothing
    assert h.quantile(REMAINING, "shunfeng", "CN-SH>CN-SC", "picked_up", 0.9) is not None
    assert h.quantile(REMAINING, "shunfeng", "CN-GD>CN-HB", "in_transit", 0.5) is None
    assert h.quantile(DWELL, "shunfeng", "CN-GD>CN-HB", "picked_up", 0.5) is None
    assert h.quantile(REMAINING, "zhongtong", "CN-GD>CN-HB", "picked_up", 0.5) is None
    # below min_samples everywhere
    thin = MemoryHistory(lane[:5], min_samples=20)
    assert thin.quantile(REMAINING, "shunfeng", "CN-GD>CN-HB", "picked_up", 0.5) is None


@given(st.lists(st.floats(0.0, 1e4), min_size=1, max_size=50), st.floats(0, 1), st.floats(0, 1))
def test_quantiles_are_bounded_and_monotone(values: list[float], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert min(values) <= quantile_of(values, lo) <= quantile_of(values, hi) <= max(values)


def test_a_quantile_outside_0_1_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        quantile_of([1.0], 95)
