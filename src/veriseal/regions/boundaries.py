"""Administrative boundaries, offline: which areas contain a point, and how far the border is.

The data (``data/boundaries.npz``, built by ``scripts/build_boundaries_data.py``; sources
and licences in ``data/LICENSES.md`` and docs/regions.md) holds polygons for:

- level 0: countries (ISO 3166-1 alpha-2; Hong Kong, Macao and Taiwan as ``HK``/``MO``/
  ``TW``, carrying their GB/T 2260 codes ``810000``/``820000``/``710000``);
- level 1: first-level divisions, coded ISO 3166-2 (``CN-GD``, ``VN-HN``) or
  ``<country>:<name>`` where no ISO code could be matched;
- level 2: China's prefecture-level cities (地级市, and the province-administered
  county-level units), GB/T 2260 (``440300``);
- level 3: China's counties and districts (区县), GB/T 2260 (``440304``).

The finest areas ("leaves") were simplified as a coverage and every coarser area is the
union of its leaves, so containment nests exactly: a point lies in one leaf (or none),
and its chain of areas is that leaf and its parents.

Contract:

- no I/O after :meth:`Boundaries.load`; loading happens once per process
  (:func:`default_boundaries`), on first use;
- distances are in km, computed in a local equirectangular projection centred on the
  point (longitude scaled by cos(latitude), 111.195 km per degree): within 0.5% of the
  great-circle distance up to 100 km from the point below 70° of latitude, plus the
  simplification tolerance of the data (docs/regions.md);
- thread-safe: the caches (unions, outlines) are locked, and so are the prepared leaf
  polygons, whose indexes GEOS builds on first use.
"""

from __future__ import annotations

import functools
import io
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import numpy as np
import numpy.typing as npt
import shapely

from veriseal.cache import LruDict
from veriseal.errors import NotFound
from veriseal.i18n import register as register_messages
from veriseal.regions.geo import EARTH_RADIUS_KM

register_messages({"error.region_not_found": ("Region not found", "未找到该地区")})

KM_PER_DEGREE = 2.0 * math.pi * EARTH_RADIUS_KM / 360.0  # 111.195 km
GRID = 1e-5  # the data's quantisation step in degrees (scripts/build_boundaries_data.py)
#: ISO 3166-2:CN codes of the provincial units ISO 3166-1 lists as countries
_CN_ALIASES = {"CN-HK": "HK", "CN-MO": "MO", "CN-TW": "TW"}
_DISC_SEGMENTS = 32  # vertices of the polygon standing for a disc (area error < 0.7%)


class RegionNotFound(NotFound):
    code = "region_not_found"


@dataclass(frozen=True, slots=True)
class AdminArea:
    """One administrative area."""

    code: str  # "CN", "CN-GD", "440300" (China city, GB/T 2260), "440305" (China county)
    level: int  # 0 country, 1 first-level division, 2 China city, 3 China county
    name: str  # local name (Chinese in China)
    name_en: str  # English (pinyin for China's cities and counties)
    parent: str | None
    gb2260: str | None  # China, and HK/MO/TW's 810000/820000/710000


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a point lies."""

    chain: tuple[AdminArea, ...]  # country first, finest last; empty if none contains it
    border_km: float  # to the finest containing area's boundary (or the nearest area's)


class Relation(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    UNCERTAIN = "uncertain"
    UNKNOWN = "unknown"


class Outline:
    """The boundary of an area, for distances in km from points.

    The nearest boundary point in the local projection lies within ``d`` degrees of
    latitude and ``d / cos(lat)`` of longitude, where ``d`` is the degree-space distance,
    so only the boundary in that window is projected. A large outline (a province: many
    thousand vertices), asked again and again by :meth:`Boundaries.relation`, keeps its
    segments in an STRtree and answers in tens of microseconds; a leaf (asked once per
    located point) is measured directly, cheaper than building a tree."""

    LARGE = 2000  # vertices

    def __init__(self, area: shapely.Geometry, indexed: bool = True) -> None:
        self.line = shapely.boundary(area)
        self.ends: npt.NDArray[np.float64] | None = None  # (n, 4): x0, y0, x1, y1
        self.tree: shapely.STRtree | None = None
        if indexed and shapely.get_num_coordinates(area) > self.LARGE:
            xy, which = shapely.get_coordinates(shapely.get_parts(self.line), return_index=True)
            same = which[1:] == which[:-1]  # consecutive vertices of one line
            self.ends = np.ascontiguousarray(np.hstack([xy[:-1][same], xy[1:][same]]))
            self.tree = shapely.STRtree(shapely.linestrings(self.ends.reshape(-1, 2, 2)))

    def km(self, lon: float, lat: float) -> float:
        point = shapely.Point(lon, lat)
        c = max(math.cos(math.radians(lat)), 1e-6)
        if self.tree is None or self.ends is None:
            d = float(shapely.distance(point, self.line))
            if not math.isfinite(d):
                return math.inf
            pad = d + GRID
            near = shapely.clip_by_rect(
                self.line, lon - pad / c, lat - pad, lon + pad / c, lat + pad
            )
            if np.all(shapely.is_empty(near)):
                return d * KM_PER_DEGREE * c  # cannot happen but for rounding: the lower bound
            local = shapely.transform(near, lambda xy: (xy - (lon, lat)) * (c, 1.0))
            return float(np.min(shapely.distance(local, shapely.Point(0.0, 0.0)))) * KM_PER_DEGREE
        _, dist = self.tree.query_nearest(point, return_distance=True)
        pad = float(np.min(dist)) + GRID
        window = shapely.box(lon - pad / c, lat - pad, lon + pad / c, lat + pad)
        # The window's segments measured in numpy: a far point's window holds thousands
        # of them, which shapely would copy into new projected geometries first.
        return segments_km(self.ends[self.tree.query(window)], lon, lat, c)


def segments_km(ends: npt.NDArray[np.float64], lon: float, lat: float, c: float) -> float:
    """The distance in km from the point to the nearest of the segments ``ends`` (rows
    x0, y0, x1, y1 in degrees) in the local projection (longitude scaled by ``c``);
    ``inf`` for no segment."""
    if not len(ends):
        return math.inf
    # a few whole-array steps: a window of a few dozen segments costs numpy's per-call
    # overhead, not arithmetic
    local = (ends - (lon, lat, lon, lat)) * (c, 1.0, c, 1.0)
    a, v = local[:, :2], local[:, 2:] - local[:, :2]  # start, and start to end
    # the nearest point's position along each segment; a zero-length one has a.v = 0
    t = -np.einsum("ij,ij->i", a, v) / np.maximum(np.einsum("ij,ij->i", v, v), 1e-300)
    near = a + np.minimum(np.maximum(t, 0.0), 1.0)[:, None] * v
    return math.sqrt(float(np.min(np.einsum("ij,ij->i", near, near)))) * KM_PER_DEGREE


_CIRCLE = np.exp(1j * np.linspace(0.0, 2.0 * math.pi, _DISC_SEGMENTS, endpoint=False))


def disc(lat: float, lon: float, radius_km: float) -> shapely.Polygon:
    """A polygon (in degrees) for the disc of ``radius_km`` around the point: a regular
    polygon inscribed in the circle in the local projection."""
    r = max(radius_km, 1e-6) / KM_PER_DEGREE
    c = max(math.cos(math.radians(lat)), 1e-6)
    ring = np.column_stack([lon + _CIRCLE.real * (r / c), lat + _CIRCLE.imag * r])
    shape: shapely.Polygon = shapely.polygons(ring)
    return shape


class Boundaries:
    """The administrative areas and their polygons; see the module docstring."""

    def __init__(
        self,
        areas: Sequence[AdminArea],
        leaves: npt.NDArray[np.object_],
        leaf_area: npt.NDArray[np.int32],
        ragged: Ragged | None = None,
        union_rows: Mapping[int, int] | None = None,
        missing_iso: Sequence[str] = (),
    ) -> None:
        """``leaves``: the finest pieces (prepared here), ``leaf_area`` their area rows;
        ``union_rows``: area row -> row in ``ragged`` of that coarser area's union, built
        on first use (an area without one is the union of its leaf pieces)."""
        self.areas = tuple(areas)
        self.missing_iso = tuple(missing_iso)
        self._index = {a.code: i for i, a in enumerate(self.areas)}
        self._gb = {a.gb2260: a.code for a in self.areas if a.gb2260 and a.level <= 1}
        self._children: dict[str, list[AdminArea]] = {}
        for a in self.areas:
            if a.parent is not None:
                self._children.setdefault(a.parent, []).append(a)
        self._chain = [self._chain_of(i) for i in range(len(self.areas))]
        self._leaves = leaves
        self._leaf_area = leaf_area
        shapely.prepare(leaves)
        self._tree = shapely.STRtree(leaves)
        self._ragged = ragged
        self._union_rows = dict(union_rows or {})
        self._unions: dict[int, shapely.Geometry] = {}
        self._lock = threading.Lock()
        # shapely releases the GIL in GEOS calls, and a prepared polygon builds its index
        # on first use: one thread at a time uses the prepared leaves (uncontended: ~0.1 µs)
        self._geos = threading.Lock()
        self._union_cache: LruDict[frozenset[str], tuple[shapely.Geometry, Outline]]
        self._union_cache = LruDict(256)
        self._outline_cache: LruDict[int, Outline] = LruDict(1024)
        self._legacy: dict[str, str] | None = None

    # --- loading ---------------------------------------------------------------------

    @classmethod
    def load(cls) -> Boundaries:
        """Read the package data (about 1 s; see docs/regions.md for memory)."""
        raw = (resources.files("veriseal.regions") / "data" / "boundaries.npz").read_bytes()
        with np.load(io.BytesIO(raw)) as z:
            rows = z["areas"].tobytes().decode("utf-8").split("\n")
            owner, leaf = z["geom_area"], z["geom_leaf"].astype(bool)
            xy = np.cumsum(z["coords"], axis=0, dtype=np.int64)
            rings, polys, geoms = z["ring_offsets"], z["poly_offsets"], z["geom_offsets"]
            missing = z["missing_iso"].tobytes().decode().split("\n")
        areas = []
        for row in rows:
            code, level, name, name_en, parent, gb = row.split("\t")
            areas.append(AdminArea(code, int(level), name, name_en, parent or None, gb or None))
        n_leaf = int(leaf.sum())
        ragged = Ragged(xy, rings, polys, geoms)
        # coarser areas' unions stay integer coordinates until first asked for: most
        # processes only ever locate points, which needs the leaves alone
        union_rows = {int(owner[i]): i for i in range(n_leaf, len(owner))}
        leaf_area = owner[:n_leaf].astype(np.int32)
        missing_iso = [m for m in missing if m]
        return cls(areas, ragged.slice(0, n_leaf), leaf_area, ragged, union_rows, missing_iso)

    # --- codes -----------------------------------------------------------------------

    def _chain_of(self, i: int) -> tuple[AdminArea, ...]:
        chain = [self.areas[i]]
        while chain[-1].parent is not None:
            chain.append(self.areas[self._index[chain[-1].parent]])
        return tuple(reversed(chain))

    def _code(self, code: str) -> str:
        text = code.strip()
        for candidate in (text, text.upper()):
            if candidate in self._index:
                return candidate
        if text in self._gb:
            return self._gb[text]
        if text.upper() in _CN_ALIASES:
            return _CN_ALIASES[text.upper()]
        if "/" in text:
            found = self._legacy_alias(text)
            if found is not None:
                return found
        raise RegionNotFound(f"no region {code!r} (try an ISO code such as CN-GD)")

    def area(self, code: str) -> AdminArea:
        """The area with this code: ISO 3166-1/-2, GB/T 2260 (``440000`` is ``CN-GD``,
        ``810000`` is ``HK``), ``CN-HK``/``CN-MO``/``CN-TW``, or a legacy China city code
        ``<province>/<GeoNames name>`` (``CN-GD/Shenzhen``: the 地级市 containing that
        place). ``RegionNotFound`` otherwise."""
        return self.areas[self._index[self._code(code)]]

    def children(self, code: str) -> list[AdminArea]:
        return sorted(self._children.get(self._code(code), []), key=lambda a: a.code)

    def ancestors(self, code: str) -> tuple[AdminArea, ...]:
        """The area's chain: country first, the area itself last."""
        return self._chain[self._index[self._code(code)]]

    def contains(self, ancestor: str, code: str) -> bool:
        """Whether the area ``code`` is ``ancestor`` or lies in it (by the code tree)."""
        top = self._code(ancestor)
        return any(a.code == top for a in self.ancestors(code))

    def _legacy_alias(self, text: str) -> str | None:
        if self._legacy is None:
            table = self._legacy_table()
            with self._lock:
                self._legacy = table
        return self._legacy.get(text) or self._legacy.get(text.upper().split("/")[0] + "/"
                                                           + text.split("/", 1)[1])  # fmt: skip

    def _legacy_table(self) -> dict[str, str]:
        """``<province>/<GeoNames name>`` of every Chinese GeoNames place -> the city
        (level 2) containing it. Loads the place data once (only if asked)."""
        from veriseal.regions.resolver import default_resolver  # noqa: PLC0415

        places = default_resolver()
        idx = [i for i, d in enumerate(places.division.tolist())
               if places.divisions[d].country == "CN"]  # fmt: skip
        lat, lon = places.lat[idx].astype(np.float64), places.lon[idx].astype(np.float64)
        leaf = self.leaf_many(lat, lon)
        table: dict[str, str] = {}
        for i, j in zip(idx, leaf.tolist(), strict=True):
            if j < 0:
                continue
            city = [a for a in self._chain[int(self._leaf_area[j])] if a.level == 2]
            key = f"{places.divisions[places.division[i]].key}/{places.names[i]}"
            if city:
                table.setdefault(key, city[0].code)
        return table

    # --- geometry --------------------------------------------------------------------

    def geometry(self, code: str) -> shapely.Geometry:
        """The polygon(s) of an area, in degrees (lon, lat)."""
        i = self._index[self._code(code)]
        with self._lock:
            got = self._unions.get(i)
            if got is None:
                row = self._union_rows.get(i)
                if row is not None and self._ragged is not None:
                    got = self._ragged.slice(row, row + 1)[0]
                else:  # a leaf: its pieces
                    got = shapely.union_all(self._leaves[self._leaf_area == i])
                shapely.prepare(got)
                self._unions[i] = got
        return got

    def leaf_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The leaf piece containing each point, or -1."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        out = np.full(len(x), -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return out
        pos = np.flatnonzero(ok)
        pts = shapely.points(x[pos], y[pos])
        src, cand = self._tree.query(pts)
        with self._geos:
            hit = shapely.contains_xy(self._leaves[cand], x[pos[src]], y[pos[src]])
        # where leaves overlap (sources meeting at a national border), the first wins
        out[pos[src[hit][::-1]]] = cand[hit][::-1]
        return out

    def leaf_at(self, lat: float, lon: float) -> int:
        """The leaf piece containing the point, or -1 (cheap: a tree query and a
        prepared point-in-polygon test per candidate)."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return -1
        with self._geos:
            for j in self._tree.query(shapely.Point(lon, lat)).tolist():
                if shapely.contains_xy(self._leaves[j], lon, lat):
                    return int(j)
        return -1

    def leaf_of_box(self, west: float, south: float, east: float, north: float) -> int | None:
        """The leaf containing EVERY point of the closed box, -1 when no leaf touches
        it, None when neither is certain (a border crosses it, or two leaves overlap
        there). Exact for the data: a box leaf_of_box answers for gives each of its
        points the answer :meth:`leaf_at` and :meth:`leaf_many` give."""
        box = shapely.box(west, south, east, north)
        inside = -1
        with self._geos:
            for j in self._tree.query(box).tolist():
                leaf = self._leaves[j]
                if inside < 0 and shapely.contains_properly(leaf, box):
                    inside = int(j)
                elif shapely.intersects(leaf, box):
                    return None  # a border runs through the box, or leaves overlap
        return inside

    def chain_of_leaf(self, leaf: int) -> tuple[AdminArea, ...]:
        return self._chain[int(self._leaf_area[leaf])] if leaf >= 0 else ()

    def _leaf_border_km(self, leaf: int, lat: float, lon: float) -> float:
        with self._lock:
            outline = self._outline_cache.get(leaf)
        if outline is None:
            outline = Outline(self._leaves[leaf], indexed=False)
            with self._lock:
                self._outline_cache[leaf] = outline
        return outline.km(lon, lat)

    def locate(self, lat: float, lon: float) -> Placement:
        """The areas containing the point, country first; ``border_km`` is its distance
        to the finest one's boundary (to the nearest area's if none contains it)."""
        leaf = self.leaf_at(lat, lon)
        if leaf < 0:
            if not (math.isfinite(lat) and math.isfinite(lon)):
                return Placement((), math.inf)
            leaf = int(self._tree.query_nearest(shapely.Point(lon, lat))[0])
            return Placement((), self._leaf_border_km(leaf, lat, lon))
        return Placement(self.chain_of_leaf(leaf), self._leaf_border_km(leaf, lat, lon))

    def locate_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[Placement]:
        """:meth:`locate` for many points (one vectorised containment query)."""
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        leaves = self.leaf_many(la, lo)
        out = []
        for y, x, leaf in zip(la.tolist(), lo.tolist(), leaves.tolist(), strict=True):
            if leaf < 0:
                out.append(self.locate(y, x))
            else:
                out.append(Placement(self.chain_of_leaf(leaf), self._leaf_border_km(leaf, y, x)))
        return out

    def _union(self, codes: frozenset[str]) -> tuple[shapely.Geometry, Outline]:
        with self._lock:
            got = self._union_cache.get(codes)
        if got is None:
            union = shapely.union_all([self.geometry(c) for c in sorted(codes)])
            shapely.prepare(union)
            got = (union, Outline(union))
            with self._lock:
                self._union_cache[codes] = got
        return got

    def relation(
        self, lat: float, lon: float, radius_km: float, codes: Iterable[str]
    ) -> tuple[Relation, float]:
        """The disc (centre, ``radius_km``) against the union of the areas ``codes``
        (:meth:`relate`), and the signed distance in km from the centre to the union's
        boundary (:meth:`signed_km`)."""
        codes = list(codes)
        verdict = self.relate(lat, lon, radius_km, codes)  # checks the codes first
        if not math.isfinite(radius_km):
            return verdict, math.inf
        return verdict, self.signed_km(lat, lon, codes)

    def relate(self, lat: float, lon: float, radius_km: float, codes: Iterable[str]) -> Relation:
        """The disc (centre, ``radius_km``) against the union of the areas ``codes``.

        Judged on the known areas the disc touches (parts over no area, such as the
        sea, count for neither side: a shop on the coast is not "straddling"):
        INSIDE if every area it touches lies in ``codes``, OUTSIDE if none does,
        UNCERTAIN if both kinds are touched, UNKNOWN if it touches no known area (or a
        coordinate is not finite). No distance is measured: a caller asking only
        whether a disc is inside skips the boundary's geometry."""
        wanted = frozenset(self._code(c) for c in codes)
        if not (math.isfinite(lat) and math.isfinite(lon) and math.isfinite(radius_km)):
            return Relation.UNKNOWN
        shape = disc(lat, lon, radius_km)
        cand = self._tree.query(shape)
        with self._geos:
            touched = cand[shapely.intersects(self._leaves[cand], shape)]
        inside = {
            bool(wanted.intersection(a.code for a in self._chain[int(self._leaf_area[j])]))
            for j in touched.tolist()
        }
        if not inside:
            return Relation.UNKNOWN
        if inside == {True}:
            return Relation.INSIDE
        return Relation.OUTSIDE if inside == {False} else Relation.UNCERTAIN

    def signed_km(self, lat: float, lon: float, codes: Iterable[str]) -> float:
        """The signed distance in km from the point to the boundary of the union of the
        areas ``codes`` (negative inside; ``inf`` for no codes or a point not finite)."""
        wanted = frozenset(self._code(c) for c in codes)
        if not wanted or not (math.isfinite(lat) and math.isfinite(lon)):
            return math.inf
        union, outline = self._union(wanted)
        km = outline.km(lon, lat)
        with self._geos:
            inside = bool(shapely.contains_xy(union, lon, lat))
        return -km if inside else km


@dataclass(frozen=True, slots=True)
class Ragged:
    """MultiPolygons as shapely's ragged arrays, coordinates in GRID units."""

    xy: npt.NDArray[np.int64]
    rings: npt.NDArray[np.int32]
    polys: npt.NDArray[np.int32]
    geoms: npt.NDArray[np.int32]

    def slice(self, lo: int, hi: int) -> npt.NDArray[np.object_]:
        """MultiPolygons ``lo``..``hi``, in degrees."""
        p0, p1 = int(self.geoms[lo]), int(self.geoms[hi])
        r0, r1 = int(self.polys[p0]), int(self.polys[p1])
        c0, c1 = int(self.rings[r0]), int(self.rings[r1])
        offsets = (
            self.rings[r0 : r1 + 1] - c0,
            self.polys[p0 : p1 + 1] - r0,
            self.geoms[lo : hi + 1] - p0,
        )
        coords = self.xy[c0:c1].astype(np.float64) * GRID
        kind = shapely.GeometryType.MULTIPOLYGON
        out: npt.NDArray[np.object_] = shapely.from_ragged_array(kind, coords, offsets)
        return out


@functools.lru_cache(maxsize=1)  # one data set, whatever the callers
def default_boundaries() -> Boundaries:
    """The process-wide boundaries over the shipped data (loaded on first call)."""
    return Boundaries.load()
