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
    ) -> None:
        """``boundaries``: where given, country and province come from the polygon that
        contains the point; without it, from the nearest place alone."""
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

    def _region(self, index: int) -> Region:
        country, key, gb = self._div_codes[self._div_of[index]]
        return Region(country, key, self.names[index], gb)

    def _query(self, lat: float, lon: float) -> tuple[float, int] | None:
        if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            return None
        # scalar math: numpy's per-call overhead would triple the cost of one lookup
        la, lo = math.radians(lat), math.radians(lon)
        c = math.cos(la)
        chord, index = self._tree.query((c * math.cos(lo), c * math.sin(lo), math.sin(la)))
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

    def resolve(self, lat: float, lon: float) -> Region | None:
        """The region of a point: country and province of the polygons containing it,
        city the nearest place's name. Where no polygon contains it, the nearest place's
        country and province (within ~10-30 km of a border they may be the neighbour's:
        see the module docstring); None out of range or far from everything."""
        found = self._query(lat, lon)
        if self.boundaries is not None:
            leaf = self.boundaries.leaf_at(lat, lon)
            if leaf >= 0:
                chain = self.boundaries.chain_of_leaf(leaf)
                return self._contained(chain, found[1] if found else None)
        return self._region(found[1]) if found else None

    def resolve_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[Region | None]:
        """:meth:`resolve` for many points with one vectorised tree query."""
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
