"""Offline reverse geocoding: known places, edges, and measured province accuracy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.models import Region
from veriseal.regions.resolver import RegionResolver, chord_to_km, default_resolver, unit_vectors


@pytest.fixture(scope="module")
def resolver() -> RegionResolver:
    return default_resolver()


@pytest.mark.parametrize(
    ("lat", "lon", "country", "province", "gb2260"),
    [
        (23.1291, 113.2644, "CN", "CN-GD", "440000"),  # Guangzhou
        (31.2304, 121.4737, "CN", "CN-SH", "310000"),  # Shanghai
        (39.9042, 116.4074, "CN", "CN-BJ", "110000"),  # Beijing
        (43.8256, 87.6168, "CN", "CN-XJ", "650000"),  # Urumqi
        (29.6500, 91.1000, "CN", "CN-XZ", "540000"),  # Lhasa
        (30.5728, 104.0668, "CN", "CN-SC", "510000"),  # Chengdu
        (22.3193, 114.1694, "HK", None, "810000"),  # Hong Kong
        (40.7128, -74.0060, "US", "US-NY", None),  # New York
        (35.6762, 139.6503, "JP", "JP-13", None),  # Tokyo
        (-33.8688, 151.2093, "AU", "AU-NSW", None),  # Sydney
    ],
)
def test_known_cities(
    resolver: RegionResolver,
    lat: float,
    lon: float,
    country: str,
    province: str | None,
    gb2260: str | None,
) -> None:
    region = resolver.resolve(lat, lon)
    assert region is not None
    assert region.country == country
    if province is not None:
        assert region.province == province
    assert region.gb2260 == gb2260
    assert region.city


def test_far_from_any_place_or_out_of_range_is_none(resolver: RegionResolver) -> None:
    assert resolver.resolve(0.0, -30.0) is None  # mid-Atlantic
    assert resolver.resolve(-60.0, 150.0) is None  # Southern Ocean
    for lat, lon in [(91.0, 0.0), (0.0, 181.0), (math.nan, 0.0), (0.0, math.inf)]:
        assert resolver.resolve(lat, lon) is None


def test_unmatched_divisions_keep_a_non_iso_key(resolver: RegionResolver) -> None:
    munich = resolver.resolve(48.137, 11.575)
    assert munich is not None and munich.country == "DE"
    assert munich.province == "DE-BY"  # by boundary (Natural Earth's Bayern)
    # by nearest place alone, GeoNames' exonym has no ISO match: said so
    places = RegionResolver(
        resolver.lat, resolver.lon, resolver.division, resolver.names, resolver.divisions
    )
    assert places.boundaries is None
    alone = places.resolve(48.137, 11.575)
    assert alone is not None and alone.province == "DE:Bavaria"
    assert alone.city == munich.city  # the city label is the nearest place's either way


@settings(max_examples=300, deadline=None)
@given(
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)
def test_any_point_resolves_or_is_none_and_batch_agrees(lat: float, lon: float) -> None:
    r = default_resolver()
    one = r.resolve(lat, lon)
    assert one is None or isinstance(one, Region)
    assert r.resolve_many([lat, lat], [lon, lon]) == [one, one]
    found = r.nearest(lat, lon)
    if found is not None:
        assert 0 <= found.distance_km <= r.max_km
        # the distance is the great-circle distance to the place it names
        v = unit_vectors([lat, r.lat[found.place_index]], [lon, r.lon[found.place_index]])
        assert found.distance_km == pytest.approx(
            float(chord_to_km(np.linalg.norm(v[0] - v[1]))), abs=1e-6
        )


def test_leave_one_out_province_accuracy(resolver: RegionResolver) -> None:
    """A place's own row removed, its nearest neighbour names its province: a measurement
    (also in docs/regions.md), pinned here so a data rebuild cannot quietly degrade it."""
    rng = np.random.default_rng(2026)
    cn = np.flatnonzero(
        np.array([resolver.divisions[d].country == "CN" for d in resolver.division.tolist()])
    )
    for label, pool, floor in (("world", np.arange(len(resolver)), 0.92), ("CN", cn, 0.93)):
        idx = rng.choice(pool, size=min(5000, len(pool)), replace=False)
        _, nn = resolver._tree.query(unit_vectors(resolver.lat[idx], resolver.lon[idx]), k=2)
        same = resolver.division[idx] == resolver.division[nn[:, 1]]
        assert same.mean() >= floor, (label, same.mean())
