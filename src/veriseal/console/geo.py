"""The province map's shapes: China's provincial units as GeoJSON for the console's charts.

Contract:

- :func:`provinces_geojson` returns a GeoJSON FeatureCollection (RFC 7946: WGS 84
  lon/lat, exterior rings counter-clockwise) of a country's first-level divisions; for
  ``"CN"`` that is all 34 provincial units: the 31 of the mainland plus Hong Kong, Macao
  and Taiwan. Each feature's properties: ``code`` (GB/T 2260, 6 digits, "440000"),
  ``iso`` (ISO 3166-2, "CN-GD", "CN-HK"), ``name_zh``, ``name_en``. Other countries:
  ``code`` is the ISO code (no GB/T 2260 code exists).
- The shapes come from :func:`veriseal.regions.boundaries.default_boundaries` (the data
  the scan resolver uses), simplified for the screen as one COVERAGE (neighbours keep
  sharing their borders: no slivers or overlaps; every island kept) with a tolerance of
  0.015 degree (about 1.5 km, under a pixel on a map of the whole country) and snapped to
  a 0.001-degree grid (about 100 m; coordinates written with 3 decimals). CN: about 560 KB.
- Built once per country and process (about 1.5 s on first use, the boundary data
  included), then served from memory.
- :func:`geo_handler` serves ``provinces_geojson("CN")`` (the console mounts it at
  ``/console/geo/cn-provinces.json``) as ``application/geo+json``, cacheable for a day,
  with a strong ETag (304 on a matching ``If-None-Match``), compressed when the client
  accepts it. The first call builds the shapes in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections.abc import Iterator, Sequence

import numpy as np
import shapely
from aiohttp import web

from veriseal.regions.boundaries import AdminArea, default_boundaries

TOLERANCE = 0.015  # degrees: coverage simplification
GRID = 0.001  # degrees: the coordinates' precision (3 decimals)
DECIMALS = 3
#: ISO 3166-1 "countries" that are China's provincial units (GB/T 2260 710000/810000/820000)
CN_SARS_AND_TAIWAN = ("HK", "MO", "TW")
MAX_AGE = 86400  # seconds: the shapes change only with a release


def _units(country: str) -> list[AdminArea]:
    b = default_boundaries()
    units = [a for a in b.children(country) if a.level == 1]
    if b.area(country).code == "CN":
        units.extend(b.area(code) for code in CN_SARS_AND_TAIWAN)
    return sorted(units, key=lambda a: a.gb2260 or a.code)


def _ring(coords: Sequence[Sequence[float]]) -> list[list[float]]:
    return [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in coords]


def _polygons(geometry: shapely.Geometry) -> Iterator[list[list[list[float]]]]:
    for part in shapely.get_parts(geometry):
        if part.is_empty:
            continue
        yield [_ring(part.exterior.coords), *(_ring(r.coords) for r in part.interiors)]


def _feature(area: AdminArea, geometry: shapely.Geometry) -> dict[str, object]:
    iso = f"CN-{area.code}" if area.code in CN_SARS_AND_TAIWAN else area.code
    return {
        "type": "Feature",
        "id": area.gb2260 or iso,
        "properties": {
            "code": area.gb2260 or iso,
            "iso": iso,
            "name_zh": area.name,
            "name_en": area.name_en,
        },
        "geometry": {"type": "MultiPolygon", "coordinates": list(_polygons(geometry))},
    }


@functools.lru_cache(maxsize=8)  # one entry per country asked for; a few hundred KB each
def provinces_geojson(country: str = "CN") -> bytes:
    """The first-level divisions of ``country`` as GeoJSON bytes (see the module
    docstring). ``RegionNotFound`` for an unknown country."""
    b = default_boundaries()
    units = _units(country)
    shapes = np.array([b.geometry(a.code) for a in units], dtype=object)
    shapes = shapely.coverage_simplify(shapes, TOLERANCE)
    shapes = shapely.set_precision(shapes, GRID)  # stays valid: GEOS re-nodes if needed
    shapes = shapely.orient_polygons(shapes, exterior_cw=False)  # RFC 7946 winding
    collection = {
        "type": "FeatureCollection",
        "features": [_feature(a, g) for a, g in zip(units, shapes, strict=True)],
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@functools.lru_cache(maxsize=8)
def _etag(country: str) -> str:
    return hashlib.sha256(provinces_geojson(country)).hexdigest()[:32]


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison (a ``W/`` prefix does not matter), ``*`` matches all."""
    tags = {t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")}
    return etag in tags or "*" in tags


async def geo_handler(request: web.Request) -> web.StreamResponse:
    """GET: China's provinces as GeoJSON (see the module docstring)."""
    etag = await asyncio.to_thread(_etag, "CN")  # the first call builds the shapes
    headers = {"Cache-Control": f"public, max-age={MAX_AGE}"}
    if _matches(request.headers.get("If-None-Match", ""), etag):
        response = web.Response(status=304, headers=headers)
        response.etag = etag
        return response
    response = web.Response(
        body=provinces_geojson("CN"), content_type="application/geo+json", headers=headers
    )
    response.etag = etag
    response.enable_compression()
    return response
