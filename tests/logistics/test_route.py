"""The planned route: distances (properties, and against a dense sampling of the line),
the corridor's width in km at every latitude, and the provinces real lanes cross
(expected provinces written by hand from geography, not from Veriseal's resolver)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.logistics.pure_world import (
    BEIJING,
    CHENGDU,
    GUANGZHOU,
    SHANGHAI,
    SHENZHEN,
    URUMQI,
    WUHAN,
)
from veriseal_logistics.models import Place, Rules
from veriseal_logistics.route import Route, corridor, great_circle_km

lats = st.floats(18.0, 50.0)
lons = st.floats(75.0, 130.0)
points = st.tuples(lats, lons)
routes = st.lists(points, min_size=2, max_size=5)


def plan(pts: list[tuple[float, float]], rules: Rules | None = None) -> Route:
    places = [Place(f"p{i}", lat, lon) for i, (lat, lon) in enumerate(pts)]
    return Route.plan(places[0], places[-1], places[1:-1], rules)


def brute_km(pts: list[tuple[float, float]], lat: float, lon: float) -> float:
    """The shortest great-circle distance to a dense sampling of the legs' great circles."""
    best = math.inf
    for a, b in itertools.pairwise(pts):
        la, lo = _great_circle(a, b, np.linspace(0.0, 1.0, 20001))
        p1, p2 = math.radians(lat), np.radians(la)
        h = (
            np.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lo - lon) / 2) ** 2
        )
        best = min(best, float(np.min(2 * 6371.0088 * np.arcsin(np.sqrt(h)))))
    return best


@given(routes)
def test_distance_is_zero_at_the_routes_points(pts: list[tuple[float, float]]) -> None:
    route = plan(pts)
    for lat, lon in pts:
        assert route.distance_km(lat, lon) == pytest.approx(0.0, abs=1e-6)


def _great_circle(a: tuple[float, float], b: tuple[float, float], f: Any
                  ) -> tuple[Any, Any]:  # fmt: skip
    """(lat, lon) in degrees of the points fractions ``f`` (numbers or an array) of the
    way from a to b along their great circle (the aviation formulary's intermediate
    point, written here, not Veriseal's)."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    d = 2 * math.asin(
        math.sqrt(
            math.sin((la2 - la1) / 2) ** 2
            + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
        )
    )
    f = np.asarray(f, dtype=float)
    if d < 1e-12:
        return np.full_like(f, a[0]), np.full_like(f, a[1])
    x_a, x_b = np.sin((1 - f) * d) / math.sin(d), np.sin(f * d) / math.sin(d)
    x = x_a * math.cos(la1) * math.cos(lo1) + x_b * math.cos(la2) * math.cos(lo2)
    y = x_a * math.cos(la1) * math.sin(lo1) + x_b * math.cos(la2) * math.sin(lo2)
    z = x_a * math.sin(la1) + x_b * math.sin(la2)
    return np.degrees(np.arctan2(z, np.hypot(x, y))), np.degrees(np.arctan2(y, x))


def _on_great_circle(a: tuple[float, float], b: tuple[float, float], f: float
                     ) -> tuple[float, float]:  # fmt: skip
    lat, lon = _great_circle(a, b, f)
    return float(lat), float(lon)


@given(routes, st.data())
def test_distance_is_zero_anywhere_along_the_legs_great_circles(
    pts: list[tuple[float, float]], data: st.DataObject
) -> None:
    leg = data.draw(st.integers(0, len(pts) - 2))
    t = data.draw(st.floats(0.0, 1.0))
    lat, lon = _on_great_circle(pts[leg], pts[leg + 1], t)
    # the legs are drawn as chords of at most 100 km: within a few hundred metres
    assert plan(pts).distance_km(lat, lon) == pytest.approx(0.0, abs=0.5)


def test_a_long_lane_follows_its_great_circle_not_a_line_in_degrees() -> None:
    urumqi, harbin = (43.825, 87.617), (45.803, 126.535)
    route = plan([urumqi, harbin])
    in_degrees = ((urumqi[0] + harbin[0]) / 2, (urumqi[1] + harbin[1]) / 2)
    assert route.distance_km(*_on_great_circle(urumqi, harbin, 0.5)) == pytest.approx(0, abs=0.5)
    assert route.distance_km(*in_degrees) > 100  # the great circle bows north


@given(routes, points)
def test_distance_is_never_negative_and_the_reverse_route_agrees(
    pts: list[tuple[float, float]], q: tuple[float, float]
) -> None:
    there, back = plan(pts), plan(pts[::-1])
    d = there.distance_km(*q)
    assert d is not None and d >= 0.0
    assert back.distance_km(*q) == pytest.approx(d, rel=1e-9, abs=1e-6)
    # never farther than the nearest of the route's own points
    assert d <= min(great_circle_km(q, p) for p in pts) + 1e-9


@settings(max_examples=60)
@given(routes, points)
def test_distance_matches_a_dense_sampling_within_the_documented_bounds(
    pts: list[tuple[float, float]], q: tuple[float, float]
) -> None:
    truth = brute_km(pts, *q)
    assume(truth <= 1000.0)
    d = plan(pts).distance_km(*q)
    assert d is not None
    # the sampling's own step, and the legs drawn as chords of at most 100 km (their
    # sagitta: 0.2 km)
    assert d >= truth - 0.5
    limit = 0.0005 if truth <= 300.0 else 0.005
    assert d <= truth * (1 + limit) + 0.5


@given(st.lists(points, min_size=2, max_size=2), st.data())
def test_remaining_runs_from_the_whole_length_to_zero(
    pts: list[tuple[float, float]], data: st.DataObject
) -> None:
    """(One leg: a route that passes a place twice has two answers there.)"""
    route = plan(pts)
    assert route.length_km is not None
    assert route.remaining_km(*pts[0]) == pytest.approx(route.length_km, abs=1e-6)
    assert route.remaining_km(*pts[-1]) == pytest.approx(0.0, abs=1e-6)
    t = data.draw(st.floats(0.0, 1.0))
    a, b = pts[0], pts[1]
    assume(great_circle_km(a, b) > 1.0)
    left = route.remaining_km(*_on_great_circle(a, b, t))
    assert left == pytest.approx(route.length_km - t * great_circle_km(a, b), abs=0.5)


@settings(max_examples=25)
@given(routes, st.floats(20.0, 600.0), st.data())
def test_the_corridor_is_as_wide_in_km_as_the_distance_says(
    pts: list[tuple[float, float]], width: float, data: st.DataObject
) -> None:
    """At every latitude a point well within ``width`` km of the route is inside the
    corridor polygon, and a point well beyond it is outside (the buffer is built in
    local projections, so its width does not shrink or swell with cos(latitude))."""
    route = plan(pts)
    shape = corridor(route.points, width)
    reach = width / 111.0 * 2.5  # degrees: points around the corridor's edge, mostly
    for _ in range(20):
        near = data.draw(st.sampled_from(pts))
        lat = near[0] + data.draw(st.floats(-reach, reach))
        lon = near[1] + data.draw(st.floats(-reach, reach)) / math.cos(math.radians(near[0]))
        d = route.distance_km(lat, lon)
        assert d is not None
        inside = shapely.contains_xy(shape, lon, lat)
        if d < 0.97 * width - 1.0:
            assert inside, (lat, lon, d, width)
        elif d > 1.03 * width + 1.0:
            assert not inside, (lat, lon, d, width)


def test_real_lanes_lengths_and_corridors() -> None:
    rules = Rules()
    lane = Route.plan(SHENZHEN, BEIJING)
    assert lane.known and lane.length_km is not None
    assert lane.length_km == pytest.approx(1943, abs=15)  # great-circle, km
    assert lane.corridor_km(rules) == pytest.approx(150 + 0.15 * lane.length_km)
    assert Route.plan(SHENZHEN, GUANGZHOU).length_km == pytest.approx(104, abs=5)
    assert Route.plan(SHENZHEN, URUMQI).length_km == pytest.approx(3386, abs=30)
    # Wuhan lies about 90 km off the straight line Shenzhen - Beijing; Chengdu far away
    assert lane.distance_km(WUHAN.lat or 0, WUHAN.lon or 0) == pytest.approx(90, abs=30)
    far = lane.distance_km(CHENGDU.lat or 0, CHENGDU.lon or 0)
    assert far is not None and 950 < far < 1150


def test_a_waypoint_bends_the_route() -> None:
    direct = Route.plan(SHANGHAI, CHENGDU)
    via = Route.plan(SHANGHAI, CHENGDU, [BEIJING])
    assert via.length_km is not None and direct.length_km is not None
    assert via.length_km > direct.length_km + 900  # 1,070 + 1,520 km against 1,660
    assert via.distance_km(39.90, 116.40) == pytest.approx(0.0, abs=1e-6)
    assert "CN-BJ" in via.provinces and "CN-BJ" not in direct.provinces


@pytest.mark.parametrize(
    ("origin", "destination", "crossed", "not_crossed"),
    [
        # 104 km inside Guangdong; corridor 166 km
        (SHENZHEN, GUANGZHOU, {"CN-GD"}, {"CN-HB", "CN-BJ", "CN-XJ", "CN-SC", "CN-HN"}),
        # north through Guangdong, Hunan or Jiangxi, Hubei, Henan, Hebei; corridor 441 km
        (SHENZHEN, BEIJING, {"CN-GD", "CN-HN", "CN-JX", "CN-HB", "CN-HA", "CN-HE", "CN-BJ"},
         {"CN-XJ", "CN-XZ", "CN-YN", "CN-SC", "CN-HL", "CN-QH"}),
        # west up the Yangtze: Shanghai, Jiangsu, Anhui, Hubei, Chongqing, Sichuan
        (SHANGHAI, CHENGDU, {"CN-SH", "CN-JS", "CN-AH", "CN-HB", "CN-CQ", "CN-SC"},
         {"CN-BJ", "CN-GD", "CN-XJ", "CN-HL", "CN-TJ"}),
        # the far west: Guangdong to Xinjiang through Gansu; corridor 658 km
        (SHENZHEN, URUMQI, {"CN-GD", "CN-GS", "CN-XJ", "CN-SN"},
         {"CN-HL", "CN-JL", "CN-SH", "CN-ZJ", "CN-BJ"}),
    ],
)  # fmt: skip
def test_provinces_the_corridor_crosses(
    origin: Place, destination: Place, crossed: set[str], not_crossed: set[str]
) -> None:
    provinces = Route.plan(origin, destination).provinces
    assert crossed <= provinces
    assert not (not_crossed & provinces)


def test_a_narrow_corridor_crosses_fewer_provinces() -> None:
    lane = Route.plan(SHENZHEN, BEIJING)
    narrow = lane.provinces_within(20.0)
    # the straight line runs through Guangdong, Jiangxi, Hubei, Henan, the western tip of
    # Shandong (Liaocheng) and Hebei into Beijing
    assert {"CN-GD", "CN-JX", "CN-HB", "CN-HA", "CN-SD", "CN-HE", "CN-BJ"} <= narrow
    assert narrow < lane.provinces  # strictly fewer than at 441 km
    assert not {"CN-SX", "CN-GX", "CN-SN", "CN-ZJ"} & narrow  # 150+ km off to the sides


def test_a_route_without_coordinates_is_unknown() -> None:
    nowhere = Place("某地", province="CN-HB")
    for route in (Route.plan(SHENZHEN, nowhere), Route.plan(nowhere, SHENZHEN)):
        assert not route.known
        assert route.length_km is None
        assert route.distance_km(30.0, 114.0) is None
        assert route.remaining_km(30.0, 114.0) is None
        assert route.corridor_km(Rules()) is None
        assert route.provinces == frozenset({"CN-GD", "CN-HB"})  # as declared


def test_unlocated_waypoints_are_skipped_but_their_province_counts() -> None:
    route = Route.plan(SHENZHEN, BEIJING, [Place("某中转", province="CN-SC")])
    assert (route.points[0], route.points[-1]) == ((22.54, 114.06), (39.90, 116.40))
    assert route.points == Route.plan(SHENZHEN, BEIJING).points
    assert route.length_km == pytest.approx(Route.plan(SHENZHEN, BEIJING).length_km)
    assert "CN-SC" in route.provinces


def test_same_origin_and_destination() -> None:
    route = Route.plan(SHENZHEN, SHENZHEN)
    assert route.known and route.length_km == 0.0
    assert route.distance_km(22.54, 114.06) == 0.0
    assert route.provinces_within(5.0) >= {"CN-GD"}
