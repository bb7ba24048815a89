"""ETAs: the distance default on real lanes (about a day within a province, two to three
across, four to five to the far west), history once it has enough samples, and the
shape of the estimate whatever the timeline (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.logistics.pure_world import (
    BEIJING,
    CHANGSHA,
    GUANGZHOU,
    SHENZHEN,
    T0,
    URUMQI,
    WUHAN,
    hours,
    timeline,
    waybill,
)
from veriseal_logistics.eta import (
    HANDLING_HOURS,
    P90_FACTOR,
    SPEED_KMH,
    UNKNOWN_KM,
    estimate,
)
from veriseal_logistics.history import REMAINING, MemoryHistory, Sample
from veriseal_logistics.models import Place
from veriseal_logistics.route import Route
from veriseal_logistics.statuses import Status

NOW = T0 + hours(1)
EMPTY = MemoryHistory()


def days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400.0


@pytest.mark.parametrize(
    ("origin", "destination", "low", "high"),
    [
        (SHENZHEN, GUANGZHOU, 0.9, 1.3),  # same province: about a day
        (SHENZHEN, WUHAN, 1.6, 2.4),  # neighbouring provinces' capitals
        (SHENZHEN, BEIJING, 2.5, 3.5),  # across the country
        (SHENZHEN, URUMQI, 4.0, 5.0),  # the far west
    ],
)
def test_default_transit_on_real_lanes(
    origin: Place, destination: Place, low: float, high: float
) -> None:
    wb = waybill(origin, destination)
    line = timeline((0, Status.PICKED_UP, origin))
    eta = estimate(wb, line, EMPTY, Route.plan(origin, destination), NOW)
    assert eta.basis == "default" and eta.samples == 0
    assert low <= days(eta.p50 - T0) <= high
    assert days(eta.p90 - T0) == pytest.approx(P90_FACTOR * days(eta.p50 - T0))


def test_later_statuses_leave_less_to_go() -> None:
    route = Route.plan(SHENZHEN, BEIJING)
    wb = waybill(SHENZHEN, BEIJING)
    remaining = []
    for status in (
        Status.INFO_RECEIVED,
        Status.PICKED_UP,
        Status.AT_DESTINATION_CITY,
        Status.OUT_FOR_DELIVERY,
    ):
        eta = estimate(wb, timeline((0, status, None)), EMPTY, route, NOW)
        remaining.append(eta.p50 - T0)
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[-1] <= hours(6)  # out for delivery: a few hours


def test_in_transit_counts_the_way_still_to_go() -> None:
    route = Route.plan(SHENZHEN, BEIJING)
    wb = waybill(SHENZHEN, BEIJING)
    at_start = estimate(wb, timeline((0, Status.IN_TRANSIT, SHENZHEN)), EMPTY, route, NOW)
    # halfway in degrees along the straight route
    half = Place("中途", (22.54 + 39.90) / 2, (114.06 + 116.40) / 2)
    midway = estimate(wb, timeline((0, Status.IN_TRANSIT, half)), EMPTY, route, NOW)
    assert route.length_km is not None
    saved = (at_start.p50 - midway.p50).total_seconds() / 3600.0
    assert saved == pytest.approx(route.length_km / 2 / SPEED_KMH, rel=0.02)
    # a checkpoint off to the side adds the way back to the route
    aside = estimate(wb, timeline((0, Status.IN_TRANSIT, CHANGSHA)), EMPTY, route, NOW)
    on_line = Place("线上", 28.23, 114.06 + (28.23 - 22.54) / (39.90 - 22.54) * 2.34)
    straight = estimate(wb, timeline((0, Status.IN_TRANSIT, on_line)), EMPTY, route, NOW)
    assert aside.p50 > straight.p50


def test_without_coordinates_a_typical_lane_is_assumed() -> None:
    nowhere = Place("某地")
    wb = waybill(nowhere, nowhere)
    eta = estimate(wb, timeline((0, Status.PICKED_UP, None)), EMPTY, Route.plan(nowhere, nowhere),
                   NOW)  # fmt: skip
    assert eta.p50 == T0 + hours(HANDLING_HOURS + UNKNOWN_KM / SPEED_KMH)


def test_before_any_checkpoint_from_the_creation() -> None:
    created = T0 - hours(30)
    wb = waybill(SHENZHEN, GUANGZHOU, status=Status.INFO_RECEIVED, created_at=created)
    eta = estimate(wb, [], EMPTY, Route.plan(SHENZHEN, GUANGZHOU), NOW)
    assert eta.basis == "default"
    assert created + hours(HANDLING_HOURS) < eta.p50 < created + hours(60)


def history(lane_hours: list[float], status: Status = Status.PICKED_UP) -> MemoryHistory:
    return MemoryHistory(
        [Sample("shunfeng", "CN-GD>CN-HB", status, REMAINING, h, 0) for h in lane_hours],
        min_samples=20,
    )


def test_history_replaces_the_default_once_there_are_enough_samples() -> None:
    route = Route.plan(SHENZHEN, WUHAN)
    wb = waybill(SHENZHEN, WUHAN)
    line = timeline((0, Status.PICKED_UP, SHENZHEN))
    thin = estimate(wb, line, history([30.0] * 19), route, NOW)
    assert thin.basis == "default"
    rich = estimate(wb, line, history([float(h) for h in range(20, 60)]), route, NOW)
    assert rich.basis == "history" and rich.samples == 40
    assert (rich.p50 - T0) / hours(1) == pytest.approx(39.5)  # the median of 20..59 h
    assert (rich.p90 - T0) / hours(1) == pytest.approx(55.1)  # numpy's linear p90
    # another carrier or another status has no history yet
    other = waybill(SHENZHEN, WUHAN, carrier="zhongtong")
    assert estimate(other, line, history([30.0] * 40), route, NOW).basis == "default"
    later = timeline((0, Status.PICKED_UP, None), (5, Status.IN_TRANSIT, None))
    assert estimate(wb, later, history([30.0] * 40), route, NOW).basis == "default"


def test_the_estimate_is_honest_even_when_overdue() -> None:
    """An overdue waybill keeps an ETA in the past: lateness reads it."""
    route = Route.plan(SHENZHEN, GUANGZHOU)
    wb = waybill(SHENZHEN, GUANGZHOU)
    line = timeline((0, Status.PICKED_UP, None))
    late_now = T0 + hours(24 * 10)
    eta = estimate(wb, line, EMPTY, route, late_now)
    assert eta.p90 < late_now
    assert eta == estimate(wb, line, EMPTY, route, NOW)  # it does not slide with the clock


def test_delivered_and_final_waybills() -> None:
    route = Route.plan(SHENZHEN, WUHAN)
    line = timeline((0, Status.PICKED_UP, None), (40, Status.DELIVERED, WUHAN))
    eta = estimate(waybill(status=Status.DELIVERED), line, EMPTY, route, NOW)
    assert (eta.p50, eta.p90, eta.basis) == (T0 + hours(40), T0 + hours(40), "delivered")
    back = timeline((0, Status.PICKED_UP, None), (50, Status.RETURNED, None))
    eta = estimate(waybill(status=Status.RETURNED), back, EMPTY, route, NOW)
    assert (eta.p50, eta.basis) == (T0 + hours(50), "final")


statuses = st.sampled_from(list(Status))


@given(st.lists(st.tuples(st.floats(0, 200), statuses), max_size=8), st.sampled_from(
    [(SHENZHEN, GUANGZHOU), (SHENZHEN, URUMQI), (BEIJING, WUHAN)]))  # fmt: skip
def test_the_estimate_never_precedes_the_latest_event(
    steps: list[tuple[float, Status]], lane: tuple[Place, Place]
) -> None:
    origin, destination = lane
    line = timeline(*[(h, s, None) for h, s in steps])
    wb = waybill(origin, destination, status=line[-1].status if line else Status.INFO_RECEIVED)
    eta = estimate(wb, line, EMPTY, Route.plan(origin, destination), NOW)
    latest = max((c.at for c in line), default=wb.created_at)
    if eta.basis == "delivered":
        assert eta.p50 == eta.p90 <= latest
    else:
        assert latest <= eta.p50 <= eta.p90
