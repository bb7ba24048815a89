"""A waybill's planned route: the polyline origin -> waypoints -> destination, how far a
point lies from it, and the first-level divisions its corridor crosses.

Pure and deterministic; the only data read is the shipped boundary data
(``veriseal.default_boundaries()``), loaded once per process.

Geometry. The route is the polyline drawn straight in (longitude, latitude) degrees
between consecutive located places, the same line the corridor polygon is built from.
:meth:`Route.distance_km` finds the line's point nearest to the query point in a local
equirectangular projection centred on that point (longitude scaled by cos(latitude), as
``veriseal.regions.boundaries`` measures borders) and returns the great-circle distance
to that point of the line (or to a leg's end when that is nearer). It is therefore never
below the true shortest distance nor above the distance to the nearest of the route's
places, and exceeds the true one by less than 0.05% up to 300 km, 0.5% up to 1,000 km
and 2% up to 3,000 km (measured over random routes between 18° and 50° N;
``tests/logistics/test_route.py`` checks the first two against a dense sampling of the
line). Longitudes are not wrapped: routes crossing the antimeridian are out of scope
(the plugin serves mainland China).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from veriseal import Boundaries, default_boundaries
from veriseal_logistics.models import Place, Rules

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG), as veriseal.regions.geo
KM_PER_DEGREE = 2.0 * math.pi * EARTH_RADIUS_KM / 360.0  # 111.195 km
#: the corridor is built from pieces of the route at most this long (degrees of latitude
#: or longitude), each buffered in its own local projection, so that the corridor's width
#: is right in km wherever the route goes (cos(latitude) changes along a long route)
_PIECE_DEG = 0.5
_QUAD_SEGS = 8  # quarter-circle segments of the buffer's round caps

LatLon = tuple[float, float]


#: the longest piece of a leg's great circle drawn as one straight segment
LEG_PIECE_KM = 100.0


def along_great_circles(points: Sequence[LatLon]) -> tuple[LatLon, ...]:
    """``points`` with each leg between them followed along its great circle, in pieces
    of at most :data:`LEG_PIECE_KM` (spherical linear interpolation of unit vectors);
    the given points stay, in order."""
    out: list[LatLon] = list(points[:1])
    for a, b in itertools.pairwise(points):
        n = max(1, math.ceil(great_circle_km(a, b) / LEG_PIECE_KM))
        va, vb = _unit(a), _unit(b)
        angle = math.acos(max(-1.0, min(1.0, float(np.dot(va, vb)))))
        for i in range(1, n):
            t = i / n
            if angle < 1e-12:
                break
            v = (math.sin((1 - t) * angle) * va + math.sin(t * angle) * vb) / math.sin(angle)
            out.append((math.degrees(math.asin(max(-1.0, min(1.0, float(v[2]))))),
                        math.degrees(math.atan2(float(v[1]), float(v[0])))))  # fmt: skip
        out.append(b)
    return tuple(out)


def _unit(p: LatLon) -> np.ndarray:
    lat, lon = math.radians(p[0]), math.radians(p[1])
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                     math.sin(lat)])  # fmt: skip


def great_circle_km(a: LatLon, b: LatLon) -> float:
    """Haversine distance between two (lat, lon) points, km."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Route:
    """A planned route. ``points``: (lat, lon) of the located places in order (origin,
    waypoints, destination); places without coordinates are skipped. ``known`` only when
    both the origin and the destination are located; otherwise every distance is None
    and the corridor is empty (``provinces`` then holds the places' declared provinces
    only). ``rules``: the settings whose corridor width :attr:`provinces` uses."""

    origin: Place
    destination: Place
    waypoints: tuple[Place, ...]
    #: the route as a polyline: each leg between located places followed along its great
    #: circle in pieces of at most :data:`LEG_PIECE_KM` (a straight line in degrees
    #: strays ~120 km from the great circle on a 3,000 km lane)
    points: tuple[LatLon, ...]
    known: bool
    length_km: float | None
    rules: Rules

    @classmethod
    def plan(
        cls,
        origin: Place,
        destination: Place,
        waypoints: Sequence[Place] = (),
        rules: Rules | None = None,
    ) -> Route:
        """The route through ``waypoints`` in the order given."""
        places = (origin, *waypoints, destination)
        points = tuple(
            (float(p.lat), float(p.lon)) for p in places if p.lat is not None and p.lon is not None
        )
        known = origin.located and destination.located
        length = (
            sum(great_circle_km(a, b) for a, b in itertools.pairwise(points)) if known else None
        )
        return cls(origin, destination, tuple(waypoints), along_great_circles(points), known,
                   length,
                   rules if rules is not None else Rules())  # fmt: skip

    # --- distances -------------------------------------------------------------------

    def distance_km(self, lat: float, lon: float) -> float | None:
        """The shortest distance in km from the point to the route (module docstring for
        the accuracy); 0 at the route's points; None for an unknown route."""
        if not self.known:
            return None
        return _nearest(self.points, lat, lon)[0]

    def remaining_km(self, lat: float, lon: float) -> float | None:
        """The length of the route from the point's nearest position on it to the
        destination (the way still to go; where the route passes the same place twice,
        the first pass counts); None for an unknown route."""
        if not self.known:
            return None
        _, leg, t = _nearest(self.points, lat, lon)
        legs = [great_circle_km(a, b) for a, b in itertools.pairwise(self.points)]
        return (1.0 - t) * legs[leg] + sum(legs[leg + 1 :]) if legs else 0.0

    def corridor_km(self, rules: Rules | None = None) -> float | None:
        """How far from the route a checkpoint may lie: ``off_route_km`` plus
        ``off_route_fraction`` of the route's length (a long lane's carriers use hubs
        farther off the straight line); None for an unknown route."""
        r = rules if rules is not None else self.rules
        if self.length_km is None:
            return None
        return r.off_route_km + r.off_route_fraction * self.length_km

    # --- provinces -------------------------------------------------------------------

    @property
    def provinces(self) -> frozenset[str]:
        """:meth:`provinces_within` the corridor of :attr:`rules`."""
        return self.provinces_within(self.corridor_km())

    def provinces_within(self, width_km: float | None) -> frozenset[str]:
        """The first-level divisions (``CN-GD``; a country without any, such as ``HK``,
        stands for itself) that the corridor of ``width_km`` around the route crosses,
        plus the provinces the route's places declare (the origin's and the
        destination's are always allowed). Cached per (points, width)."""
        declared = frozenset(
            p.province for p in (self.origin, *self.waypoints, self.destination) if p.province
        )
        if not self.known or width_km is None:
            return declared
        return declared | _corridor_divisions(self.points, round(float(width_km), 6))


def _nearest(points: Sequence[LatLon], lat: float, lon: float) -> tuple[float, int, float]:
    """(km, leg, t): the great-circle distance to the route's point nearest in the local
    projection at (lat, lon), the leg it lies on and its position along the leg (0..1)."""
    c = max(math.cos(math.radians(lat)), 1e-6)
    if len(points) == 1:
        return great_circle_km((lat, lon), points[0]), 0, 0.0
    best = (math.inf, 0, 0.0)
    for leg, (a, b) in enumerate(itertools.pairwise(points)):
        ax, ay = (a[1] - lon) * c, a[0] - lat
        dx, dy = (b[1] - a[1]) * c, b[0] - a[0]
        span = dx * dx + dy * dy
        # the projection is affine in degrees, so t on the projected leg is t in degrees
        t = 0.0 if span == 0.0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / span))
        # the leg's ends too: far from the point the projection's choice can be a little
        # worse than a vertex, and a route is never farther than its nearest place
        for u in (t, 0.0, 1.0):
            on = (a[0] + u * (b[0] - a[0]), a[1] + u * (b[1] - a[1]))
            km = great_circle_km((lat, lon), on)
            if km < best[0]:
                best = (km, leg, u)
    return best


# --- the corridor and the divisions it crosses -----------------------------------------

_LOCK = threading.Lock()  # prepared geometries build their GEOS indexes on first use


def corridor(points: Sequence[LatLon], width_km: float) -> shapely.Geometry:
    """The polygon (lon, lat degrees) of the points within ``width_km`` of the route: the
    route cut into pieces of at most ``_PIECE_DEG``, each buffered in the local
    equirectangular projection at its middle, then united."""
    width = max(width_km, 0.001) / KM_PER_DEGREE  # at least 1 m: a zero buffer is empty
    pieces: list[tuple[LatLon, LatLon]] = []
    for a, b in itertools.pairwise(points):
        n = max(1, math.ceil(max(abs(b[0] - a[0]), abs(b[1] - a[1])) / _PIECE_DEG))
        for i in range(n):
            t0, t1 = i / n, (i + 1) / n
            pieces.append((
                (a[0] + t0 * (b[0] - a[0]), a[1] + t0 * (b[1] - a[1])),
                (a[0] + t1 * (b[0] - a[0]), a[1] + t1 * (b[1] - a[1])),
            ))  # fmt: skip
    if not pieces:  # a single located point: a disc
        pieces = [(points[0], points[0])]
    mid = np.array([((p[0] + q[0]) / 2, (p[1] + q[1]) / 2) for p, q in pieces])
    scale = np.maximum(np.cos(np.radians(mid[:, 0])), 1e-6)
    local = shapely.linestrings(
        [
            [((p[1] - m[1]) * s, p[0] - m[0]), ((q[1] - m[1]) * s, q[0] - m[0])]
            for (p, q), m, s in zip(pieces, mid, scale, strict=True)
        ]
    )
    buffered = shapely.buffer(local, width, quad_segs=_QUAD_SEGS)
    xy, which = shapely.get_coordinates(buffered, return_index=True)
    back = np.column_stack([xy[:, 0] / scale[which] + mid[which, 1], xy[:, 1] + mid[which, 0]])
    shape: shapely.Geometry = shapely.union_all(shapely.set_coordinates(buffered, back))
    return shape


@functools.lru_cache(maxsize=4096)  # routes repeat (lanes), and the rules run often
def _corridor_divisions(points: tuple[LatLon, ...], width_km: float) -> frozenset[str]:
    shape = corridor(points, width_km)
    b = default_boundaries()
    countries, tree = _countries(b)
    found: set[str] = set()
    with _LOCK:
        touched = tree.query(shape, predicate="intersects").tolist()
    for i in sorted(touched):
        codes, divisions = _divisions(b, countries[i])
        if not codes:  # a country without first-level divisions (HK, MO)
            found.add(countries[i])
            continue
        with _LOCK:
            hit = divisions.query(shape, predicate="intersects").tolist()
        found.update(codes[j] for j in hit)
    return frozenset(found)


@functools.lru_cache(maxsize=1)
def _countries(b: Boundaries) -> tuple[tuple[str, ...], shapely.STRtree]:
    codes = tuple(a.code for a in b.areas if a.level == 0)
    return codes, shapely.STRtree([b.geometry(c) for c in codes])


@functools.lru_cache(maxsize=256)
def _divisions(b: Boundaries, country: str) -> tuple[tuple[str, ...], shapely.STRtree]:
    codes = tuple(a.code for a in b.children(country) if a.level == 1)
    return codes, shapely.STRtree([b.geometry(c) for c in codes])
