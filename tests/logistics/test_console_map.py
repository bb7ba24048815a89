"""The waybill map's SVG (console_map.route_map): drawn from hand-written shapes and
coordinates, its geometry checked by parsing the SVG back."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal_logistics.console_map import (
    KM_PER_DEGREE,
    MAX_HEIGHT,
    WIDTH,
    MapPoint,
    Province,
    province_shapes,
    route_map,
)

SVG = "{http://www.w3.org/2000/svg}"
#: two hand-drawn "provinces" side by side at 23°N, each 2° x 2°
WEST = Province("XX-W", "West <&>", shapely.box(112.0, 22.0, 114.0, 24.0))
EAST = Province("XX-E", "East", shapely.box(114.0, 22.0, 116.0, 24.0))
ROUTE = [(23.0, 112.5), (23.0, 115.5)]  # (lat, lon): west to east along 23°N


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def _viewbox(root: ET.Element) -> tuple[float, float]:
    _, _, w, h = (float(v) for v in root.attrib["viewBox"].split())
    return w, h


def _dots(root: ET.Element) -> list[tuple[str, bool, float, float, str]]:
    out = []
    for g in root.iter(f"{SVG}g"):
        if "checkpoint" in g.attrib.get("class", "").split():
            c = g.find(f"{SVG}circle")
            text = g.find(f"{SVG}text")
            assert c is not None and text is not None
            out.append((g.attrib["data-n"], g.attrib["data-off-route"] == "1",
                        float(c.attrib["cx"]), float(c.attrib["cy"]), text.text or ""))  # fmt: skip
    return out


def test_provinces_route_corridor_and_numbered_dots() -> None:
    points = [
        MapPoint(1, 23.0, 112.5, "Guangzhou: picked up"),
        MapPoint(2, 23.0, 113.5, "sorting"),
        MapPoint(3, 23.9, 115.0, "way north", off_route=True),
        MapPoint(4, 23.0, 115.5, "delivered"),
    ]
    svg = route_map([WEST, EAST], ROUTE, 20.0, points, title="Map <1>", description="d")
    root = _tree(svg)
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title").text == "Map <1>"  # type: ignore[union-attr]
    w, h = _viewbox(root)
    # the frame: 4° x 2° at 23°N, padded; cos(23°) scales the width
    assert w == pytest.approx(WIDTH, abs=0.1)
    span_x, span_y = 4 * math.cos(math.radians(23.0)), 2.0
    pad = 0.04 * span_x
    assert h / w == pytest.approx((span_y + 2 * pad) / (span_x + 2 * pad), rel=1e-3)
    provinces = [p for p in root.iter(f"{SVG}path") if p.attrib["class"] == "province"]
    assert [p.attrib["data-code"] for p in provinces] == ["XX-W", "XX-E"]
    assert provinces[0].find(f"{SVG}title").text == "West <&>"  # type: ignore[union-attr]
    route = next(root.iter(f"{SVG}polyline"))
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in route.attrib["points"].split())
    assert y0 == pytest.approx(y1) and x1 > x0  # along one parallel, west to east
    dots = _dots(root)
    assert [(n, off, label) for n, off, _, _, label in dots] == [
        ("1", False, "1"),
        ("2", False, "2"),
        ("3", True, "3"),
        ("4", False, "4"),
    ]
    # dot 1 on the origin, dot 4 on the destination
    assert (dots[0][2], dots[0][3]) == pytest.approx((x0, y0), abs=0.1)
    assert (dots[3][2], dots[3][3]) == pytest.approx((x1, y1), abs=0.1)
    # dot 3 is 0.9° (100 km) north of the route, drawn above it at the map's scale
    scale = (x1 - x0) / (3 * math.cos(math.radians(23.0)) * KM_PER_DEGREE)
    assert y0 - dots[2][3] == pytest.approx(0.9 * KM_PER_DEGREE * scale, rel=1e-3)
    # the corridor: 20 km each side of the route
    corridor = next(p for p in root.iter(f"{SVG}path") if p.attrib["class"] == "corridor")
    ys = [float(v) for v in re.findall(r"[ML][\d.]+ ([\d.]+)", corridor.attrib["d"])]
    assert max(ys) - min(ys) == pytest.approx(40 * scale, rel=0.01)


def test_checkpoints_at_one_place_share_a_dot() -> None:
    points = [
        MapPoint(1, 23.0, 112.5),
        MapPoint(2, 23.0, 114.0),
        MapPoint(3, 23.0001, 114.0),
        MapPoint(4, 23.0, 114.0001, off_route=True),
        MapPoint(5, 23.0, 112.5),
    ]
    dots = _dots(_tree(route_map([WEST, EAST], ROUTE, 0.0, points)))
    assert [(n, off, label) for n, off, _, _, label in dots] == [
        ("1 5", False, "1,5"),
        ("2 3 4", True, "2–4"),
    ]


def test_a_tall_frame_is_narrowed_and_nothing_gives_nothing() -> None:
    tall = Province("XX-T", "Tall", shapely.box(100.0, 10.0, 101.0, 40.0))
    w, h = _viewbox(_tree(route_map([tall], [], 0.0, [])))
    assert h == pytest.approx(MAX_HEIGHT, abs=0.1) and w < WIDTH / 4
    assert route_map([], [], 10.0, []) == ""
    alone = _tree(route_map([], [(30.0, 120.0)], 10.0, [MapPoint(1, 30.0, 120.0)]))
    assert len(_dots(alone)) == 1


def test_real_provinces_simplified_and_named() -> None:
    got = province_shapes(["CN-GD", "CN-GD", "CN-NOPE", "CN-HN"], "zh")
    assert [p.code for p in got] == ["CN-GD", "CN-HN"]
    assert got[0].name == "广东省"
    svg = route_map(got, [(22.54, 114.06), (28.23, 112.94)], 30.0,
                    [MapPoint(1, 22.54, 114.06), MapPoint(2, 25.0, 113.0)])  # fmt: skip
    assert 2_000 < len(svg) < 120_000  # simplified to the drawing's resolution
    assert len(_dots(_tree(svg))) == 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-60, 70), st.floats(-179, 179)), min_size=0, max_size=4),
    st.lists(st.tuples(st.floats(-60, 70), st.floats(-179, 179), st.text(max_size=8)), max_size=6),
    st.floats(0, 500),
)
def test_any_input_draws_well_formed_svg_inside_its_frame(
    route: list[tuple[float, float]], raw: list[tuple[float, float, str]], corridor: float
) -> None:
    points = [MapPoint(i + 1, lat, lon, label) for i, (lat, lon, label) in enumerate(raw)]
    svg = route_map([WEST], route, corridor, points)
    root = _tree(svg)
    w, h = _viewbox(root)
    assert 0 < w <= WIDTH + 0.1 and 0 < h <= MAX_HEIGHT + 0.1
    dots = _dots(root)
    assert sorted(int(n) for d in dots for n in d[0].split()) == [p.n for p in points]
    for _, _, x, y, _ in dots:
        assert -0.1 <= x <= w + 0.1 and -0.1 <= y <= h + 0.1
