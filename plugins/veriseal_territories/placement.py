"""Where a located scan stands against a territory, with its uncertainty granted.

A position is a disc, never a point: its centre and a radius (the fix's accuracy plus
the brand's ``buffer_km``; an IP-derived position's disc is province-wide). A unit is
**outside** only when its whole disc lies outside every region of the territory; a disc
that straddles a border, or a position that no boundary data covers (open sea, a gap in
the data), proves nothing either way (:class:`Verdict` ``uncertain`` / ``unknown``).

Administrative regions are judged by containment in the shipped boundary polygons
(:func:`veriseal.regions.boundaries.default_boundaries`); custom GeoJSON regions by
their own polygons. Legacy GeoNames place codes outside China (``DE:Bavaria/Munich``)
have no polygon; they are judged by the nearest-place region of the centre, and only
ever make a disc "inside" (never "outside"), so their imprecision cannot raise an alert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from veriseal import Region, Relation, default_boundaries
from veriseal_territories.custom import CustomRegion
from veriseal_territories.hierarchy import default_hierarchy

#: how far outside a unit is when its holder has no territory at all (half the globe)
NO_TERRITORY_KM = 20_000.0


class Verdict(StrEnum):
    INSIDE = "inside"
    OUTSIDE = "outside"
    UNCERTAIN = "uncertain"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Standing:
    """A disc against a territory: the verdict and, when outside, how far (km from the
    disc's edge to the nearest region of the territory; :data:`NO_TERRITORY_KM` when no
    grant is in force)."""

    verdict: Verdict
    km_outside: float = 0.0


def stand(
    lat: float,
    lon: float,
    radius_km: float,
    regions: Sequence[str],
    customs: Mapping[str, CustomRegion],
    region: Region | None = None,
) -> Standing:
    """The disc (``lat``, ``lon``, ``radius_km``) against the territory made of
    ``regions`` (administrative codes and ``custom:<name>``).

    Contract: OUTSIDE only when the disc lies wholly outside every region and touches
    known land; an empty territory (no grant in force) has everything outside."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return Standing(Verdict.UNKNOWN)
    admin, places, named = _split(regions)
    gaps = _custom_gaps(lat, lon, radius_km, named, customs)
    if gaps is None or (places and region is not None and _in_places(places, region)):
        return Standing(Verdict.INSIDE)
    if admin:
        boundaries = default_boundaries()
        relation = boundaries.relate(lat, lon, radius_km, admin)
        if relation is not Relation.OUTSIDE:
            return Standing(Verdict(str(relation)))  # measured only when it matters
        gaps.append(boundaries.signed_km(lat, lon, admin) - radius_km)
    elif not default_boundaries().locate(lat, lon).chain:
        return Standing(Verdict.UNKNOWN)  # nowhere known: open sea, a hole in the data
    if places or any(g < 0 for g in gaps):
        # straddles a custom region's edge, or an approximate place is in the territory
        return Standing(Verdict.UNCERTAIN)
    return Standing(Verdict.OUTSIDE, min(gaps) if gaps else NO_TERRITORY_KM)


def _custom_gaps(
    lat: float,
    lon: float,
    radius_km: float,
    names: Sequence[str],
    customs: Mapping[str, CustomRegion],
) -> list[float] | None:
    """The disc's distance (km, from its edge) to each named custom region; None when
    the disc lies wholly inside one of them."""
    gaps: list[float] = []
    for name in names:
        shape = customs.get(name)
        if shape is None:
            continue
        d = shape.signed_km(lat, lon)
        if d + radius_km <= 0:
            return None
        gaps.append(d - radius_km)
    return gaps


def _split(regions: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(codes with polygons, approximate place codes, custom region names)."""
    h = default_hierarchy()
    admin: list[str] = []
    places: list[str] = []
    customs: list[str] = []
    for code in regions:
        if code.startswith("custom:"):
            customs.append(code[7:])
        elif h.approximate(code):
            places.append(code)
        else:
            admin.append(h.get(code).code)
    return admin, places, customs


def _in_places(places: Sequence[str], region: Region) -> bool:
    h = default_hierarchy()
    return any(h.contains(code, region) for code in places)
