"""Coordinates and distances. (Offline reverse geocoding to region codes comes with the
territories work; this module holds the geometry the clone rules need.)"""

from __future__ import annotations

import math

from veriseal.models import Location

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def distance_km(a: Location, b: Location) -> float:
    """Great-circle distance (haversine); within 0.5% of the ellipsoid everywhere."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def uncertainty_km(loc: Location, default_m: float = 5_000.0) -> float:
    """How far the true position may be from ``loc``: its accuracy, or ``default_m`` when
    the source gave none (IP-derived places are city-level at best)."""
    return (loc.accuracy_m if loc.accuracy_m is not None else default_m) / 1000.0


def min_distance_km(a: Location, b: Location) -> float:
    """The shortest distance the two fixes allow once their uncertainties are granted."""
    return max(0.0, distance_km(a, b) - uncertainty_km(a) - uncertainty_km(b))
