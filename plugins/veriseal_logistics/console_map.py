"""A waybill's map as a server-drawn SVG: the provinces the route touches, the planned
route, its corridor and the checkpoints as numbered dots.

Contract:

- :func:`route_map` is pure (no I/O, no boundary data of its own): it takes the
  provinces' shapes (lon/lat degrees), the planned route as (lat, lon) points (origin,
  waypoints, destination), the corridor's half-width in km and the checkpoints, and
  returns one ``<svg>`` element as a string. Every text in it is escaped.
- Projection: equirectangular around the frame's middle latitude, longitudes scaled by
  cos(that latitude), so a km is (nearly) the same length across and up the map over a
  country; 1 degree of latitude is :data:`KM_PER_DEGREE` km. The corridor is the route
  buffered by ``corridor_km`` in that plane (the rules measure the same distance in a
  local projection per point: the two agree within a fraction of a per cent over a
  lane).
- The frame holds the provinces, the route and every checkpoint, padded by
  :data:`PAD` of its span; the drawing is :data:`WIDTH` units wide and at most
  :data:`MAX_HEIGHT` tall (a tall frame is narrowed instead). Province outlines are
  simplified to about one unit of the drawing (invisible, and a province's page stays
  a few KB).
- Checkpoints within :data:`CLUSTER` units of each other (several events in one sorting
  centre) share one dot labelled with their numbers ("2–4", "2,5"); a dot is marked
  off-route (class ``off-route``, ``data-off-route="1"``) when any of its checkpoints
  is. Every dot carries ``data-n`` (its checkpoints' numbers, space separated) and a
  ``<title>`` naming them.
- Nothing to draw (no located point and no province) gives ``""``.
- Presentation is by classes only (the console's CSP forbids ``style=``): the plugin's
  ``pages/static/logistics.css`` colours them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape as _html_escape

import numpy as np
import numpy.typing as npt
import shapely

from veriseal import RegionNotFound, default_boundaries

KM_PER_DEGREE = 111.195  # km per degree of latitude (mean Earth radius 6371.0088 km)
WIDTH = 400.0  # drawing units across: about a phone's CSS pixels, so dots read there
MAX_HEIGHT = 480.0  # drawing units down, at most
PAD = 0.04  # of the frame's larger span, on each side
CLUSTER = 16.0  # drawing units: checkpoints closer than this share a dot
DOT = 9.0  # a dot's radius in drawing units
DECIMALS = 1  # coordinates written to a tenth of a unit


@dataclass(frozen=True, slots=True)
class Province:
    """A province to draw: its code (``CN-GD``), its name (shown on hover) and shape."""

    code: str
    name: str
    geometry: shapely.Geometry


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A checkpoint to draw: its number on the timeline (1 = the first event), where,
    what (a short text for its tooltip) and whether it lies off the planned route."""

    n: int
    lat: float
    lon: float
    label: str = ""
    off_route: bool = False


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plane: km from (lon0, lat0), then drawing units (y down)."""

    lon0: float
    lat0: float
    cos0: float
    min_x: float
    max_y: float
    scale: float  # drawing units per km
    width: float
    height: float

    def km(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:  # fmt: skip
        return (lon - self.lon0) * self.cos0 * KM_PER_DEGREE, (lat - self.lat0) * KM_PER_DEGREE

    def units(self, xy_km: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.empty_like(xy_km)
        out[:, 0] = (xy_km[:, 0] - self.min_x) * self.scale
        out[:, 1] = (self.max_y - xy_km[:, 1]) * self.scale
        return out

    def project(self, lonlat: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """(lon, lat) rows -> drawing units (shapely.transform's callback)."""
        x, y = self.km(lonlat[:, 0], lonlat[:, 1])
        return self.units(np.column_stack([x, y]))


def route_map(provinces: Sequence[Province], route: Sequence[tuple[float, float]],
              corridor_km: float, points: Sequence[MapPoint], *, title: str = "",
              description: str = "") -> str:  # fmt: skip
    """The SVG of the module docstring. ``route`` and points are (lat, lon)."""
    frame = _frame(provinces, route, points)
    if frame is None:
        return ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="route-map" role="img" '
        f'viewBox="0 0 {_n(frame.width)} {_n(frame.height)}" '
        f'aria-labelledby="route-map-title route-map-desc">',
        f'<title id="route-map-title">{escape(title)}</title>',
        f'<desc id="route-map-desc">{escape(description)}</desc>',
        '<g class="provinces">',
    ]
    tolerance = 1.0 / frame.scale / KM_PER_DEGREE  # about one drawing unit, in degrees
    for p in provinces:
        shape = shapely.simplify(p.geometry, tolerance, preserve_topology=True)
        d = _path(shapely.transform(shape, frame.project))
        if d:
            parts.append(f'<path class="province" data-code="{escape(p.code)}" d="{d}">'
                         f"<title>{escape(p.name)}</title></path>")  # fmt: skip
    parts.append("</g>")
    if len(route) >= 2:
        parts += _route(frame, route, corridor_km)
    elif len(route) == 1:
        parts.append(_end(frame, route[0], "destination"))
    parts += _dots(frame, points)
    parts.append("</svg>")
    return "".join(parts)


def _frame(provinces: Sequence[Province], route: Sequence[tuple[float, float]],
           points: Sequence[MapPoint]) -> _Frame | None:  # fmt: skip
    lons = [lon for _, lon in route] + [p.lon for p in points]
    lats = [lat for lat, _ in route] + [p.lat for p in points]
    for p in provinces:
        if not p.geometry.is_empty:
            x0, y0, x1, y1 = p.geometry.bounds
            lons += [x0, x1]
            lats += [y0, y1]
    finite = [(x, y) for x, y in zip(lons, lats, strict=True) if math.isfinite(x + y)]
    if not finite:
        return None
    lo_x, hi_x = min(x for x, _ in finite), max(x for x, _ in finite)
    lo_y, hi_y = min(y for _, y in finite), max(y for _, y in finite)
    lat0 = max(-85.0, min(85.0, (lo_y + hi_y) / 2))
    lon0 = (lo_x + hi_x) / 2
    cos0 = math.cos(math.radians(lat0))
    span_x = max((hi_x - lo_x) * cos0 * KM_PER_DEGREE, 1.0)  # km; a point alone: 1 km
    span_y = max((hi_y - lo_y) * KM_PER_DEGREE, 1.0)
    pad = PAD * max(span_x, span_y)
    span_x, span_y = span_x + 2 * pad, span_y + 2 * pad
    scale = min(WIDTH / span_x, MAX_HEIGHT / span_y)
    min_x = (lo_x - lon0) * cos0 * KM_PER_DEGREE - pad
    max_y = (hi_y - lat0) * KM_PER_DEGREE + pad
    return _Frame(lon0, lat0, cos0, min_x, max_y, scale, span_x * scale, span_y * scale)


def _route(frame: _Frame, route: Sequence[tuple[float, float]], corridor_km: float
           ) -> list[str]:  # fmt: skip
    lat = np.array([p[0] for p in route], dtype=float)
    lon = np.array([p[1] for p in route], dtype=float)
    x, y = frame.km(lon, lat)
    line_km = shapely.LineString(np.column_stack([x, y]))
    out = []
    if corridor_km > 0:
        band = shapely.buffer(line_km, corridor_km, quad_segs=8)
        band = shapely.transform(band, frame.units)
        out.append(f'<path class="corridor" d="{_path(band)}"/>')
    xy = frame.units(np.column_stack([x, y]))
    out.append(f'<polyline class="route" points="{_points(xy)}"/>')
    out += [_end(frame, route[0], "origin"), _end(frame, route[-1], "destination")]
    out += [_end(frame, p, "waypoint") for p in route[1:-1]]
    return out


def _end(frame: _Frame, at: tuple[float, float], kind: str) -> str:
    xy = frame.project(np.array([[at[1], at[0]]], dtype=float))[0]
    size = DOT * 0.8
    x, y = xy[0] - size / 2, xy[1] - size / 2
    return (f'<rect class="place {kind}" x="{_n(x)}" y="{_n(y)}" width="{_n(size)}" '
            f'height="{_n(size)}"/>')  # fmt: skip


def _dots(frame: _Frame, points: Sequence[MapPoint]) -> list[str]:
    located = [p for p in points if math.isfinite(p.lat + p.lon)]
    if not located:
        return []
    xy = frame.project(np.array([[p.lon, p.lat] for p in located], dtype=float))
    groups: list[tuple[npt.NDArray[np.float64], list[MapPoint]]] = []
    for at, p in zip(xy, located, strict=True):
        near = next((g for g in groups if float(np.hypot(*(g[0] - at))) < CLUSTER), None)
        if near is None:
            groups.append((at, [p]))
        else:
            near[1].append(p)
    out = ['<g class="checkpoints">']
    for at, members in groups:
        numbers = [m.n for m in members]
        off = any(m.off_route for m in members)
        label = _numbers(numbers)
        tip = "; ".join(f"{m.n}. {m.label}".strip() for m in members)
        out.append(
            f'<g class="checkpoint{" off-route" if off else ""}" '
            f'data-n="{" ".join(str(n) for n in numbers)}" data-off-route="{int(off)}">'
            f"<title>{escape(tip)}</title>"
            f'<circle cx="{_n(at[0])}" cy="{_n(at[1])}" r="{_n(DOT)}"/>'
            f'<text x="{_n(at[0])}" y="{_n(at[1])}" text-anchor="middle" '
            f'dominant-baseline="central">{escape(label)}</text></g>'
        )
    out.append("</g>")
    return out


def _numbers(numbers: list[int]) -> str:
    """``[2, 3, 4]`` -> "2–4" (a run), ``[2, 5]`` -> "2,5", ``[3]`` -> "3"."""
    if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{numbers[0]}–{numbers[-1]}"
    return ",".join(str(n) for n in numbers)


def _path(geometry: shapely.Geometry) -> str:
    """An SVG path of a (multi)polygon's rings, already in drawing units."""
    rings: list[str] = []
    for part in shapely.get_parts(geometry):
        if part.is_empty or not isinstance(part, shapely.Polygon):
            continue
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)[:-1]
            if len(xy) >= 3:
                rings.append("M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in xy) + "Z")
    return "".join(rings)


def _points(xy: npt.NDArray[np.float64]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in xy)


#: what XML 1.0 cannot hold at all (C0 controls but tab / newline / return, surrogates,
#: U+FFFE / U+FFFF): dropped from texts, which may come from a carrier
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """``text`` for an SVG text node or attribute: escaped, characters XML refuses dropped."""
    return _html_escape(_NOT_XML.sub("", text))


def _n(value: float) -> str:
    text = f"{value:.{DECIMALS}f}"
    return "0" if text in ("-0.0", "0.0") else text.rstrip("0").rstrip(".")


#: degrees: provinces are kept pre-simplified to this (about 1 km: under one drawing unit
#: even on the map of a single small province), so a page only simplifies further
PRE_TOLERANCE = 0.01


@functools.lru_cache(maxsize=64)  # China has 34 provincial units
def _shape(code: str) -> tuple[str, str, shapely.Geometry] | None:
    b = default_boundaries()  # loaded on first use
    try:
        area, shape = b.area(code), b.geometry(code)
    except RegionNotFound:
        return None
    return area.name, area.name_en, shapely.simplify(shape, PRE_TOLERANCE, preserve_topology=True)


def province_shapes(codes: Sequence[str], lang: str) -> list[Province]:
    """The shipped boundary data's shapes of ``codes`` (first-level divisions such as
    ``CN-GD``; unknown codes are skipped), named in ``lang`` ("zh": the local name),
    pre-simplified to :data:`PRE_TOLERANCE` (cached per code)."""
    out = []
    for code in dict.fromkeys(codes):  # once each, in order
        found = _shape(code)
        if found is not None:
            zh, en, shape = found
            out.append(Province(code, zh if lang == "zh" else en, shape))
    return out
