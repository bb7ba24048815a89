"""Regions: offline reverse geocoding of scans, and the administrative codes it yields.

- :mod:`veriseal.regions.resolver`: lat/lon -> :class:`veriseal.models.Region` (ISO 3166-1
  country, ISO 3166-2 province, nearest city, GB/T 2260 province in China) from the
  GeoNames data shipped in ``data/`` (no network, ever);
- :mod:`veriseal.regions.boundaries`: administrative boundaries (country, ISO 3166-2
  division, China's prefecture-level cities and counties): containment, distances to
  borders, a disc against a union of areas (imported on its own: it loads shapely);
- :mod:`veriseal.regions.china`: China's 34 provincial divisions with their GB/T 2260
  and ISO 3166-2 codes.

Precision and speed are measured in docs/regions.md and benchmarks/bench_regions.py.
"""

from __future__ import annotations

from veriseal.models import Region
from veriseal.regions.china import PROVINCES, Province, gb2260_for
from veriseal.regions.resolver import Division, RegionResolver, Resolved, default_resolver

__all__ = [
    "PROVINCES",
    "Division",
    "Province",
    "Region",
    "RegionResolver",
    "Resolved",
    "default_resolver",
    "gb2260_for",
]
