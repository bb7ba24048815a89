"""Offline reverse geocoding: latitude/longitude -> country, province, city.

Two data sets, both shipped in the package:

- administrative boundaries (:mod:`veriseal.regions.boundaries`): the country, the
  first-level division and, in China, the prefecture-level city and county are the areas
  whose polygons CONTAIN the point;
- GeoNames ``cities1000`` (``data/places.npz`` and ``data/divisions.tsv``, built by
  ``scripts/build_regions_data.py``): every populated place of at least 1,000
  inhabitants. ``Region.city`` is the name of the NEAREST such place (great-circle
  distance, k-d tree over unit vectors): a human-facing label, not an administrative area.

Where no polygon contains the point (a coast simplified away by a few hundred metres, an
island too small for the data, a territory without polygon), country and province fall
back to the nearest place's: exact far from borders, wrong near a border when the
nearest town lies on the other side (measured in docs/regions.md); ``city_code`` and
``county_code`` are then None.

Contract:

- :meth:`RegionResolver.resolve` MUST NOT do I/O after the data is loaded; one call costs
  a k-d tree query and a point-in-polygon test (tens of microseconds: docs/regions.md),
  so it may run on the verify hot path.
- A point contained in no polygon and further than ``max_km`` from every known place
  (open sea, polar ice) resolves to None rather than to a region far away.
- Loading happens once per process (:func:`default_resolver`), on first use.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from veriseal.models import Region
from veriseal.regions.cells import CellMemo
from veriseal.regions.china import gb2260_for
from veriseal.regions.geo import EARTH_RADIUS_KM

if TYPE_CHECKING:  # shapely costs ~0.15 s to import: only processes that geocode pay it
    from veriseal.regions.boundaries import AdminArea, Boundaries

#: Beyond this distance to the nearest known place a point has no region.
DEFAULT_MAX_KM = 300.0


@dataclass(frozen=True, slots=True)
class Division:
    """A first-level division as the data set knows it."""

    country: str
    iso: str  # ISO 3166-2, or "" when none could be matched
    name: str  # GeoNames name (English or romanised)

    @property
    def key(self) -> str:
        """The province key stored with scans (see :class:`veriseal.models.Region`)."""
        if self.iso:
            return self.iso
        return f"{self.country}:{self.name}" if self.name else self.country


@dataclass(frozen=True, slots=True)
class Resolved:
    """A resolution with what it rests on: the nearest place and how far it is."""

    region: Region
    division: Division
    place_index: int
    distance_km: float


def unit_vectors(lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Points on the unit sphere: Euclidean nearest = great-circle nearest."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    """:func:`unit_vectors` of one point in scalar math: numpy's per-call overhead would
    triple the cost of one lookup."""
    la, lo = math.radians(lat), math.radians(lon)
    c = math.cos(la)
    return c * math.cos(lo), c * math.sin(lo), math.sin(la)


def chord_to_km(chord: npt.ArrayLike) -> npt.NDArray[np.float64]:
    half = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(half))


class RegionResolver:
    """Nearest-place reverse geocoder over the shipped data set."""

    def __init__(
        self,
        lat: npt.NDArray[np.float32],
        lon: npt.NDArray[np.float32],
        division: npt.NDArray[np.int32],
        names: Sequence[str],
        divisions: Sequence[Division],
        max_km: float = DEFAULT_MAX_KM,
        boundaries: Boundaries | None = None,
        cells: int = 32_768,
    ) -> None:
        """``boundaries``: where given, country and province come from the polygon that
        contains the point; without it, from the nearest place alone. ``cells``: how
        many certified grid cells to remember (:mod:`veriseal.regions.cells`; 0: none,
        every point resolved from scratch)."""
        if not (len(lat) == len(lon) == len(division) == len(names)):
            raise ValueError("place columns differ in length")
        self.lat, self.lon, self.division = lat, lon, division
        self.names = names
        self.divisions = divisions
        self.max_km = max_km
        self.boundaries = boundaries
        # imported here: scipy costs ~0.2 s to import, and most commands never geocode
        from scipy.spatial import cKDTree  # noqa: PLC0415

        self._tree = cKDTree(unit_vectors(lat, lon))
        # per division, what every Region of it shares: computed once, not per lookup
        self._div_codes = [
            (d.country, d.key, gb2260_for(d.country, d.iso or None)) for d in divisions
        ]
        self._div_of = division.tolist()
        # chord length equivalent to max_km, for the tree's distance_upper_bound
        self._max_chord = 2.0 * math.sin(min(max_km / EARTH_RADIUS_KM, math.pi) / 2.0)
        self.cells = CellMemo(self._certify, cells) if cells > 0 else None

    @classmethod
    def load(cls, max_km: float = DEFAULT_MAX_KM) -> RegionResolver:
        """Read the package data, the boundaries included (docs/regions.md: time, memory)."""
        folder = resources.files("veriseal.regions") / "data"
        with np.load(io.BytesIO((folder / "places.npz").read_bytes())) as npz:
            lat, lon, div = npz["lat"], npz["lon"], npz["division"]
            names = npz["names"].tobytes().decode("utf-8").split("\n")
        lines = (folder / "divisions.tsv").read_text("utf-8").splitlines()[1:]
        divisions = [Division(*line.split("\t")) for line in lines]
        from veriseal.regions.boundaries import default_boundaries  # noqa: PLC0415

        return cls(lat, lon, div, names, divisions, max_km, default_boundaries())

    def __len__(self) -> int:
        return len(self.names)

    def with_cells(self, cells: int) -> RegionResolver:
        """A resolver over the same data (shared, not copied; its k-d tree rebuilt) with
        a memo of ``cells`` cells (0: none): for comparing the two paths."""
        return RegionResolver(
            self.lat, self.lon, self.division, self.names, self.divisions, self.max_km,
            self.boundaries, cells,
        )  # fmt: skip

    def _region(self, index: int) -> Region:
        country, key, gb = self._div_codes[self._div_of[index]]
        return Region(country, key, self.names[index], gb)

    def _query(self, lat: float, lon: float) -> tuple[float, int] | None:
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            return None
        chord, index = self._tree.query(_unit(lat, lon))
        return (float(chord), int(index)) if chord <= self._max_chord else None

    def nearest(self, lat: float, lon: float) -> Resolved | None:
        """The nearest place within ``max_km`` and its region, or None."""
        found = self._query(lat, lon)
        if found is None:
            return None
        chord, index = found
        km = 2.0 * EARTH_RADIUS_KM * math.asin(min(chord / 2.0, 1.0))
        return Resolved(self._region(index), self.divisions[self._div_of[index]], index, km)

    def _contained(self, chain: tuple[AdminArea, ...], place: int | None) -> Region:
        """The region of a point inside the areas ``chain``; ``place``: nearest place."""
        country = chain[0]
        division = chain[1] if len(chain) > 1 else country
        return Region(
            country.code,
            division.code,
            self.names[place] if place is not None else "",
            division.gb2260 or country.gb2260,
            chain[2].code if len(chain) > 2 else None,
            chain[3].code if len(chain) > 3 else None,
        )

    def _certify(self, west: float, south: float, east: float, north: float) -> Region | None:
        """The region every point of the box resolves to, or None when the data cannot
        prove one (:class:`CellMemo`'s ``certify``).

        The nearest place: with ``c`` the box centre's unit vector, ``r`` a bound on the
        chord from ``c`` to any point of the box, and ``d1 <= d2`` the chords from ``c``
        to its two nearest places, every point ``p`` of the box has chord(p, first) <=
        d1 + r and chord(p, other) >= d2 - r (the triangle inequality), so the first
        place is every point's nearest when d2 - d1 > 2r, and within range when
        d1 + r <= the range's chord. The containing leaf: :meth:`Boundaries.leaf_of_box`.
        """
        centre = _unit((south + north) / 2.0, (west + east) / 2.0)
        # the farthest point of a lat/lon box from its centre is a corner (along a
        # meridian or a parallel the chord grows with the angle); 1% more for rounding
        corners = (_unit(y, x) for y in (south, north) for x in (west, east))
        r = 1.01 * max(math.dist(centre, corner) for corner in corners)
        chords, index = self._tree.query(centre, k=2)
        d1, d2 = float(chords[0]), float(chords[1])
        if not (d2 - d1 > 2.0 * r and d1 + r <= self._max_chord):
            return None
        place = int(index[0])
        if self.boundaries is None:
            return self._region(place)
        leaf = self.boundaries.leaf_of_box(west, south, east, north)
        if leaf is None:
            return None
        if leaf < 0:
            return self._region(place)
        return self._contained(self.boundaries.chain_of_leaf(leaf), place)

    def cached(self, lat: float, lon: float) -> Region | None:
        """The point's region when its cell is certified, else None (which says nothing
        about the point). No geometry, no tree query: cheap enough for an event loop."""
        return self.cells.peek(lat, lon) if self.cells is not None else None

    def resolve(self, lat: float, lon: float) -> Region | None:
        """The region of a point: country and province of the polygons containing it,
        city the nearest place's name. Where no polygon contains it, the nearest place's
        country and province (within ~10-30 km of a border they may be the neighbour's:
        see the module docstring); None out of range or far from everything.

        A point of a certified cell (:mod:`veriseal.regions.cells`) is answered from
        the memo: the same answer, without the queries."""
        if self.cells is not None:
            known = self.cells.lookup(lat, lon)
            if known is not None:
                return known
        return self._resolve(lat, lon)

    def _resolve(self, lat: float, lon: float) -> Region | None:
        found = self._query(lat, lon)
        if self.boundaries is not None:
            leaf = self.boundaries.leaf_at(lat, lon)
            if leaf >= 0:
                chain = self.boundaries.chain_of_leaf(leaf)
                return self._contained(chain, found[1] if found else None)
        return self._region(found[1]) if found else None

    def resolve_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[Region | None]:
        """:meth:`resolve` for many points with one vectorised tree query. The cell memo
        is neither asked nor told: in bulk the vectorised queries cost about what its
        per-point probes would, and those hold the GIL (measured with
        benchmarks/bench_regions.py while it compared the two on the group committer's
        path: 6-14% fewer scans/s with the memo in four runs of five, 2% more in one)."""
        la, lo = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        ok = np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180)
        out: list[Region | None] = [None] * len(la)
        if not ok.any():
            return out
        chord, index = self._tree.query(unit_vectors(la[ok], lo[ok]), k=1)
        near = chord <= self._max_chord
        place: list[int | None] = [None] * len(la)
        for pos, i in zip(np.flatnonzero(ok)[near].tolist(), index[near].tolist(), strict=True):
            place[pos] = i
        leaves = (
            self.boundaries.leaf_many(la, lo).tolist()
            if self.boundaries is not None
            else [-1] * len(la)
        )
        for pos, (leaf, i) in enumerate(zip(leaves, place, strict=True)):
            if leaf >= 0 and self.boundaries is not None:
                out[pos] = self._contained(self.boundaries.chain_of_leaf(leaf), i)
            elif i is not None:
                out[pos] = self._region(i)
        return out


@functools.lru_cache(maxsize=1)  # one resolver, whatever the callers
def default_resolver() -> RegionResolver:
    """The process-wide resolver over the shipped data (loaded on first call)."""
    return RegionResolver.load()
