"""The anomaly rules on real lanes (stalled, late, off route, wrong destination) and their
properties: checkpoints on the route are never off route, a delivered waybill never
stalls whatever event comes after, the result depends on its inputs only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.logistics.pure_world import (
    BEIJING,
    CHANGSHA,
    CHENGDU,
    DONGGUAN,
    GUANGZHOU,
    HARBIN,
    KUNMING,
    SHANGHAI,
    SHENZHEN,
    T0,
    URUMQI,
    WUHAN,
    ZHENGZHOU,
    checkpoint,
    hours,
    timeline,
    waybill,
)
from veriseal_logistics.eta import estimate
from veriseal_logistics.history import DWELL, MemoryHistory, Sample
from veriseal_logistics.models import AlertKind, Checkpoint, Finding, Place, Rules, Waybill
from veriseal_logistics.route import Route
from veriseal_logistics.rules import STALL_FLOOR_HOURS, evaluate
from veriseal_logistics.statuses import FINAL, Status

EMPTY = MemoryHistory()
RULES = Rules()
ONLY = {
    kind: Rules(**{k: k == kind for k in ("stalled", "late", "off_route", "wrong_destination")})
    for kind in AlertKind.ALL
}


def run(
    wb: Waybill,
    line: list[Checkpoint],
    now: dt.datetime,
    *,
    rules: Rules = RULES,
    history: MemoryHistory = EMPTY,
    regions: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    route = Route.plan(wb.origin, wb.destination, wb.waypoints)
    found = evaluate(wb, line, history, route, rules, now, regions)
    assert [f.kind for f in found] == [k for k in AlertKind.ALL if k in {f.kind for f in found}]
    for f in found:
        json.dumps(f.evidence)  # evidence is stored as JSON
    return {f.kind: f.evidence for f in found}


# --- stalled ---------------------------------------------------------------------------


def test_stalled_after_the_default_silence() -> None:
    wb = waybill(SHENZHEN, WUHAN)
    line = timeline((0, Status.PICKED_UP, SHENZHEN), (6, Status.IN_TRANSIT, GUANGZHOU))
    rules = ONLY[AlertKind.STALLED]
    assert run(wb, line, T0 + hours(6 + 47), rules=rules) == {}
    got = run(wb, line, T0 + hours(6 + 49), rules=rules)
    assert got[AlertKind.STALLED] == {
        "last_event_at": (T0 + hours(6)).isoformat(), "status": "in_transit",
        "silent_hours": 49.0, "threshold_hours": 48.0, "basis": "default", "samples": 0,
    }  # fmt: skip


def test_stalled_before_any_event_counts_from_the_creation() -> None:
    wb = waybill(SHENZHEN, WUHAN, status=Status.INFO_RECEIVED)
    got = run(wb, [], T0 + hours(50), rules=ONLY[AlertKind.STALLED])
    assert got[AlertKind.STALLED]["status"] == "info_received"
    assert got[AlertKind.STALLED]["silent_hours"] == 50.0


def dwell_history(values: list[float], status: Status = Status.IN_TRANSIT) -> MemoryHistory:
    return MemoryHistory(
        [Sample("shunfeng", "CN-GD>CN-HB", status, DWELL, v, i) for i, v in enumerate(values)],
        min_samples=20,
    )


def test_stalled_by_the_lanes_dwell_history() -> None:
    # in-transit dwells of 1..20 h: the 95th percentile is 19.05 h; with a factor of
    # 1.5 the threshold is 28.6 h
    history = dwell_history([float(h) for h in range(1, 21)])
    wb = waybill(SHENZHEN, WUHAN)
    line = timeline((0, Status.IN_TRANSIT, GUANGZHOU))
    rules = dataclasses.replace(ONLY[AlertKind.STALLED], stall_factor=1.5)
    assert run(wb, line, T0 + hours(28), rules=rules, history=history) == {}
    got = run(wb, line, T0 + hours(29), rules=rules, history=history)[AlertKind.STALLED]
    assert (got["basis"], got["samples"], got["threshold_hours"]) == ("history", 20, 28.6)
    # a history of instant scans never makes a stall out of a short silence
    quick = dwell_history([0.1] * 30)
    assert run(wb, line, T0 + hours(STALL_FLOOR_HOURS - 0.5), rules=rules, history=quick) == {}
    again = run(wb, line, T0 + hours(STALL_FLOOR_HOURS + 0.5), rules=rules, history=quick)
    assert again[AlertKind.STALLED]["threshold_hours"] == STALL_FLOOR_HOURS


@pytest.mark.parametrize("final", sorted(FINAL))
def test_final_waybills_never_stall(final: Status) -> None:
    wb = waybill(status=final)
    line = timeline((0, Status.PICKED_UP, None), (5, final, None))
    assert run(wb, line, T0 + hours(1000), rules=ONLY[AlertKind.STALLED]) == {}


statuses = st.sampled_from(list(Status))


@given(
    st.lists(st.tuples(st.floats(0, 100), statuses), max_size=6),
    st.floats(0, 200),
    st.tuples(st.floats(-50, 500), statuses),
    st.floats(0, 2000),
)
def test_adding_an_event_never_makes_a_delivered_waybill_stalled(
    before: list[tuple[float, Status]],
    delivered: float,
    extra: tuple[float, Status],
    later: float,
) -> None:
    steps = [(h, s, None) for h, s in before] + [(delivered, Status.DELIVERED, None)]
    line = timeline(*steps)
    wb = waybill(status=Status.DELIVERED, delivered_at=T0 + hours(delivered))
    more = [*line, checkpoint(99, T0 + hours(extra[0]), extra[1])]
    now = T0 + hours(max(delivered, extra[0]) + later)
    for timeline_ in (line, more):
        assert AlertKind.STALLED not in run(wb, timeline_, now, rules=ONLY[AlertKind.STALLED])


# --- late ------------------------------------------------------------------------------


def test_late_against_the_promise() -> None:
    promised = T0 + hours(48)
    wb = waybill(SHENZHEN, WUHAN, promised_at=promised)
    line = timeline((0, Status.PICKED_UP, SHENZHEN))
    rules = ONLY[AlertKind.LATE]
    assert run(wb, line, promised, rules=rules) == {}
    got = run(wb, line, promised + hours(3), rules=rules)[AlertKind.LATE]
    assert got == {"basis": "promised", "delivered": False, "promised_at": promised.isoformat(),
                   "grace_hours": 0.0, "hours_late": 3.0}  # fmt: skip
    graceful = Rules(**{**rules.to_dict(), "late_grace_hours": 6.0})
    assert run(wb, line, promised + hours(3), rules=graceful) == {}


def test_a_promise_not_yet_due_is_not_late_even_past_the_eta() -> None:
    wb = waybill(SHENZHEN, GUANGZHOU, promised_at=T0 + hours(24 * 7))
    line = timeline((0, Status.PICKED_UP, SHENZHEN))
    assert run(wb, line, T0 + hours(24 * 4), rules=ONLY[AlertKind.LATE]) == {}


def test_late_against_the_eta_without_a_promise() -> None:
    wb = waybill(SHENZHEN, GUANGZHOU)
    line = timeline((0, Status.PICKED_UP, SHENZHEN))
    eta = estimate(wb, line, EMPTY, Route.plan(SHENZHEN, GUANGZHOU), T0)
    rules = ONLY[AlertKind.LATE]
    assert run(wb, line, eta.p90, rules=rules) == {}
    got = run(wb, line, eta.p90 + hours(2), rules=rules)[AlertKind.LATE]
    assert (got["basis"], got["delivered"], got["hours_late"]) == ("eta", False, 2.0)
    assert got["eta"] == eta.to_dict()


def test_late_deliveries_are_reported_and_on_time_ones_are_not() -> None:
    promised = T0 + hours(48)
    line = timeline((0, Status.PICKED_UP, SHENZHEN), (50, Status.DELIVERED, WUHAN))
    wb = waybill(SHENZHEN, WUHAN, status=Status.DELIVERED, promised_at=promised,
                 delivered_at=T0 + hours(50))  # fmt: skip
    got = run(wb, line, T0 + hours(60), rules=ONLY[AlertKind.LATE])[AlertKind.LATE]
    assert (got["delivered"], got["hours_late"]) == (True, 2.0)
    assert got["delivered_at"] == (T0 + hours(50)).isoformat()
    early = waybill(SHENZHEN, WUHAN, status=Status.DELIVERED, promised_at=T0 + hours(51))
    assert run(early, line, T0 + hours(60), rules=ONLY[AlertKind.LATE]) == {}
    unpromised = waybill(SHENZHEN, WUHAN, status=Status.DELIVERED)
    assert run(unpromised, line, T0 + hours(900), rules=ONLY[AlertKind.LATE]) == {}


def test_returned_waybills_are_not_late() -> None:
    wb = waybill(status=Status.RETURNED, promised_at=T0 + hours(10))
    line = timeline((0, Status.PICKED_UP, None), (20, Status.RETURNED, None))
    assert run(wb, line, T0 + hours(100), rules=ONLY[AlertKind.LATE]) == {}


# --- off route -------------------------------------------------------------------------


def test_checkpoints_along_the_lane_are_on_route() -> None:
    wb = waybill(SHENZHEN, BEIJING)
    line = timeline(
        (0, Status.PICKED_UP, SHENZHEN),
        (5, Status.IN_TRANSIT, DONGGUAN),
        (15, Status.IN_TRANSIT, CHANGSHA),
        (25, Status.IN_TRANSIT, WUHAN),
        (35, Status.IN_TRANSIT, ZHENGZHOU),
        (50, Status.AT_DESTINATION_CITY, BEIJING),
        (55, Status.IN_TRANSIT, Place("湖北转运中心", province="CN-HB")),  # no coordinates
    )
    assert run(wb, line, T0 + hours(56), rules=ONLY[AlertKind.OFF_ROUTE]) == {}


def test_a_detour_far_from_the_lane_is_off_route() -> None:
    wb = waybill(SHENZHEN, BEIJING)
    line = timeline(
        (0, Status.PICKED_UP, SHENZHEN),
        (20, Status.IN_TRANSIT, CHENGDU),  # ~1,050 km west of the line
        (30, Status.IN_TRANSIT, WUHAN),
    )
    got = run(wb, line, T0 + hours(31), rules=ONLY[AlertKind.OFF_ROUTE])[AlertKind.OFF_ROUTE]
    (stray,) = got["checkpoints"]
    assert (stray["id"], stray["place"], stray["province"], stray["reason"]) == (
        2, "成都市", "CN-SC", "distance")  # fmt: skip
    assert 950 < stray["distance_km"] < 1150
    assert got["corridor_km"] == pytest.approx(150 + 0.15 * 1943, abs=3)


def test_a_province_the_corridor_does_not_cross_is_off_route() -> None:
    wb = waybill(SHENZHEN, WUHAN)
    line = timeline(
        (0, Status.PICKED_UP, SHENZHEN),
        (20, Status.IN_TRANSIT, Place("新疆转运中心", province="CN-XJ")),
    )
    got = run(wb, line, T0 + hours(21), rules=ONLY[AlertKind.OFF_ROUTE])[AlertKind.OFF_ROUTE]
    (stray,) = got["checkpoints"]
    assert (stray["reason"], stray["province"], stray["distance_km"]) == (
        "province", "CN-XJ", None)  # fmt: skip
    assert {"CN-GD", "CN-HB", "CN-HN"} <= set(got["provinces"])


def test_an_unknown_route_is_never_off_route() -> None:
    wb = waybill(Place("某仓库"), WUHAN)
    line = timeline((0, Status.IN_TRANSIT, URUMQI), (5, Status.IN_TRANSIT, Place(province="CN-XJ")))
    assert run(wb, line, T0 + hours(6), rules=ONLY[AlertKind.OFF_ROUTE]) == {}


def test_a_misdelivery_is_not_also_off_route() -> None:
    wb = waybill(SHENZHEN, GUANGZHOU, status=Status.DELIVERED, delivered_place=HARBIN)
    line = timeline((0, Status.PICKED_UP, SHENZHEN), (40, Status.DELIVERED, HARBIN))
    got = run(wb, line, T0 + hours(41))
    assert set(got) == {AlertKind.WRONG_DESTINATION}


lanes = st.sampled_from([
    (SHENZHEN, BEIJING, ()), (SHANGHAI, CHENGDU, ()), (SHENZHEN, URUMQI, ()),
    (SHENZHEN, GUANGZHOU, ()), (SHANGHAI, KUNMING, (WUHAN,)), (HARBIN, SHENZHEN, (BEIJING,)),
])  # fmt: skip


@settings(max_examples=60)
@given(lanes, st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=8))
def test_checkpoints_on_the_route_are_never_off_route(
    lane: tuple[Place, Place, tuple[Place, ...]], where: list[tuple[float, float]]
) -> None:
    origin, destination, via = lane
    wb = waybill(origin, destination, waypoints=via)
    route = Route.plan(origin, destination, via)
    legs = list(zip(route.points, route.points[1:], strict=False))
    places = []
    for pick, t in where:
        a, b = legs[min(int(pick * len(legs)), len(legs) - 1)]
        places.append(Place("途中", a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))
    line = timeline(*[(i, Status.IN_TRANSIT, p) for i, p in enumerate(places)])
    assert run(wb, line, T0 + hours(len(places)), rules=ONLY[AlertKind.OFF_ROUTE]) == {}


# --- wrong destination -----------------------------------------------------------------


def delivered(destination: Place, place: Place) -> tuple[Waybill, list[Checkpoint]]:
    wb = waybill(SHENZHEN, destination, status=Status.DELIVERED,
                 delivered_at=T0 + hours(40), delivered_place=place)  # fmt: skip
    return wb, timeline((0, Status.PICKED_UP, SHENZHEN), (40, Status.DELIVERED, place))


def test_delivered_in_another_city_is_the_wrong_destination() -> None:
    wb, line = delivered(WUHAN, GUANGZHOU)
    got = run(wb, line, T0 + hours(41), rules=ONLY[AlertKind.WRONG_DESTINATION])
    ev = got[AlertKind.WRONG_DESTINATION]
    assert (ev["expected"], ev["basis"]) == (["420100"], "coordinates")
    assert ev["delivered_place"] == GUANGZHOU.to_dict()
    assert 500 < ev["distance_km"] < 900  # Guangzhou to Wuhan's border


def test_delivered_at_the_destination_is_fine() -> None:
    wb, line = delivered(WUHAN, Place("武汉市江汉区", 30.60, 114.27))
    assert run(wb, line, T0 + hours(41), rules=ONLY[AlertKind.WRONG_DESTINATION]) == {}


def test_the_dealers_territory_decides_when_given() -> None:
    wb, line = delivered(WUHAN, GUANGZHOU)
    rules = ONLY[AlertKind.WRONG_DESTINATION]
    assert run(wb, line, T0 + hours(41), rules=rules, regions=["CN-GD"]) == {}
    assert run(wb, line, T0 + hours(41), rules=rules, regions=["440100", "440300"]) == {}
    got = run(wb, line, T0 + hours(41), rules=rules, regions=["440300"])  # Shenzhen only
    assert got[AlertKind.WRONG_DESTINATION]["expected"] == ["440300"]
    assert run(wb, line, T0 + hours(41), rules=rules, regions=["no-such-area"]) == {}


def test_near_the_border_within_the_tolerance_is_not_wrong() -> None:
    # Dongguan's Fenggang lies on the Shenzhen border: the 5 km disc touches Shenzhen
    # (about 3 km outside); with a 1 km tolerance it is the wrong destination
    wb, line = delivered(SHENZHEN, Place("凤岗镇", 22.745, 114.14))
    rules = ONLY[AlertKind.WRONG_DESTINATION]
    assert run(wb, line, T0 + hours(41), rules=rules) == {}
    strict = Rules(**{**rules.to_dict(), "destination_km": 1.0})
    ev = run(wb, line, T0 + hours(41), rules=strict)[AlertKind.WRONG_DESTINATION]
    assert 1.0 < ev["distance_km"] < 6.0


def test_without_coordinates_the_codes_decide() -> None:
    rules = ONLY[AlertKind.WRONG_DESTINATION]
    wb, line = delivered(WUHAN, Place("广州", city="440100", province="CN-GD"))
    ev = run(wb, line, T0 + hours(41), rules=rules)[AlertKind.WRONG_DESTINATION]
    assert (ev["basis"], ev["distance_km"]) == ("codes", None)
    # only the province known, and it contains the expected city: no judgement against it
    wb, line = delivered(WUHAN, Place("湖北", province="CN-HB"))
    assert run(wb, line, T0 + hours(41), rules=rules) == {}
    wb, line = delivered(WUHAN, Place("某处"))  # nothing known: nothing to say
    assert run(wb, line, T0 + hours(41), rules=rules) == {}


def test_the_destination_without_codes_is_located() -> None:
    wuhan = Place("武汉", 30.59, 114.31)  # no province nor city given
    wb, line = delivered(wuhan, GUANGZHOU)
    ev = run(wb, line, T0 + hours(41), rules=ONLY[AlertKind.WRONG_DESTINATION])
    assert ev[AlertKind.WRONG_DESTINATION]["expected"] == ["420100"]


def test_undelivered_waybills_have_no_wrong_destination() -> None:
    wb = waybill(SHENZHEN, WUHAN, delivered_place=GUANGZHOU)
    line = timeline((0, Status.OUT_FOR_DELIVERY, GUANGZHOU))
    assert run(wb, line, T0 + hours(2), rules=ONLY[AlertKind.WRONG_DESTINATION]) == {}


# --- all together ----------------------------------------------------------------------


def test_rules_switched_off_find_nothing() -> None:
    wb, line = delivered(WUHAN, HARBIN)
    off = Rules(stalled=False, late=False, off_route=False, wrong_destination=False)
    assert run(wb, line, T0 + hours(1000), rules=off) == {}


def test_several_findings_and_determinism() -> None:
    wb = waybill(SHENZHEN, BEIJING, promised_at=T0 + hours(48))
    line = timeline((0, Status.PICKED_UP, SHENZHEN), (10, Status.IN_TRANSIT, KUNMING))
    now = T0 + hours(70)
    route = Route.plan(SHENZHEN, BEIJING)
    first = evaluate(wb, line, EMPTY, route, RULES, now)
    assert [f.kind for f in first] == [AlertKind.STALLED, AlertKind.LATE, AlertKind.OFF_ROUTE]
    again = evaluate(wb, list(reversed(line)), EMPTY, Route.plan(SHENZHEN, BEIJING), RULES, now)
    assert again == first
    assert all(isinstance(f, Finding) for f in first)


undelivered = st.sampled_from([s for s in Status if s not in FINAL])


@given(
    st.lists(st.tuples(st.floats(0, 100), undelivered), max_size=6),
    st.one_of(st.none(), st.floats(0, 200)),
    st.floats(0, 300),
    st.floats(0, 300),
)
def test_stalled_and_late_stay_once_found_while_nothing_happens(
    steps: list[tuple[float, Status]], promise: float | None, first: float, wait: float
) -> None:
    """Without news, time only makes a waybill more stalled and more late."""
    line = timeline(*[(h, s, None) for h, s in steps])
    promised = None if promise is None else T0 + hours(promise)
    wb = waybill(SHENZHEN, BEIJING, promised_at=promised)
    latest = max((c.at for c in line), default=T0)
    earlier = run(wb, line, latest + hours(first))
    later = run(wb, line, latest + hours(first + wait))
    for kind in (AlertKind.STALLED, AlertKind.LATE):
        assert kind not in earlier or kind in later
    assert (AlertKind.OFF_ROUTE in earlier) == (AlertKind.OFF_ROUTE in later)
