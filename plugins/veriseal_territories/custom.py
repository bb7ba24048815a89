"""Custom sales regions: GeoJSON polygons that need not follow any border.

A region is a GeoJSON ``Polygon`` or ``MultiPolygon`` geometry, or a ``Feature`` /
``FeatureCollection`` of them (merged), in WGS 84 longitude/latitude order as GeoJSON
(RFC 7946) requires. Stored per brand in ``territories_custom_regions`` (append-only: the
newest row of a name wins). Containment uses shapely; ``buffer_km`` widens a region to
grant a scan's GPS uncertainty near its edge.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from veriseal import InvalidInput, NotFound, register_messages
from veriseal.extend import Database

register_messages(
    {
        "error.geojson_invalid": ("Invalid GeoJSON region", "GeoJSON 区域无效"),
        "error.custom_region_not_found": ("Custom region not found", "未找到该自定义区域"),
    }
)

_KM_PER_DEGREE = 111.32  # along a meridian; longitude degrees shrink with cos(latitude)
MAX_NAME = 100


class GeoJsonInvalid(InvalidInput):
    code = "geojson_invalid"


class CustomRegionNotFound(NotFound):
    code = "custom_region_not_found"


@dataclass(frozen=True)
class CustomRegion:
    name: str
    geometry: BaseGeometry

    def contains(self, lat: float, lon: float, buffer_km: float = 0.0) -> bool:
        """Whether the point lies inside (or on the edge of) the region, or within
        ``buffer_km`` of it (approximated in degrees at the point's latitude)."""
        return self.signed_km(lat, lon) <= buffer_km

    def signed_km(self, lat: float, lon: float) -> float:
        """Distance in km from the point to the region's edge: negative inside, positive
        outside (local flat approximation: within 1% over the tens of kilometres a
        decision turns on)."""
        point = Point(lon, lat)
        inside = self.geometry.covers(point)
        edge = self.geometry.boundary if inside else self.geometry
        nearest = nearest_points(edge, point)[0]
        scale = max(math.cos(math.radians(lat)), 0.01)
        # distance in "degrees" with longitude stretched to kilometres at this latitude
        dx = (nearest.x - lon) * _KM_PER_DEGREE * scale
        dy = (nearest.y - lat) * _KM_PER_DEGREE
        km = math.hypot(dx, dy)
        return -km if inside else km

    def to_dict(self) -> dict[str, Any]:
        minx, miny, maxx, maxy = self.geometry.bounds
        return {
            "name": self.name,
            "type": self.geometry.geom_type,
            "bounds": {"west": minx, "south": miny, "east": maxx, "north": maxy},
        }


def parse(name: str, text: str) -> CustomRegion:
    """A region from GeoJSON text. ``GeoJsonInvalid`` for anything else: bad JSON, other
    geometry types, coordinates out of range, self-intersecting rings."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or "\n" in name:
        raise GeoJsonInvalid(f"a region name is 1-{MAX_NAME} characters on one line")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise GeoJsonInvalid(f"not JSON: {exc}") from None
    geoms = [_geometry(g) for g in _geometries(data)]
    if not geoms:
        raise GeoJsonInvalid("no polygon in the GeoJSON")
    merged = shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]
    shapely.prepare(merged)  # builds the spatial index once: containment tests are fast
    return CustomRegion(name, merged)


def _geometries(data: Any) -> list[Any]:
    if not isinstance(data, dict):
        raise GeoJsonInvalid("GeoJSON must be an object")
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise GeoJsonInvalid("a FeatureCollection needs a features list")
        return [g for f in features for g in _geometries(f)]
    if kind == "Feature":
        return _geometries(data.get("geometry"))
    if kind in ("Polygon", "MultiPolygon"):
        return [data]
    raise GeoJsonInvalid(f"only Polygon / MultiPolygon regions are supported, not {kind!r}")


def _geometry(g: dict[str, Any]) -> BaseGeometry:
    try:
        geom = shape(g)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeoJsonInvalid(f"bad {g.get('type')} coordinates: {exc}") from None
    if geom.is_empty:
        raise GeoJsonInvalid("empty polygon")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoJsonInvalid("coordinates out of range: GeoJSON is [longitude, latitude]")
    if not geom.is_valid:
        raise GeoJsonInvalid(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    return geom


class CustomRegionStore:
    """The brand's custom regions in the plugin's own table (rule 4)."""

    def __init__(self, db: Database) -> None:
        self._ledger = db

    async def put(self, brand_id: int, region_name: str, geojson_text: str) -> CustomRegion:
        region = parse(region_name, geojson_text)  # validated before anything is written
        async with self._ledger.write() as tx:
            await tx.execute(
                "INSERT INTO territories_custom_regions (brand_id, name, geojson, created_at)"
                " VALUES (?, ?, ?, ?)",
                brand_id,
                region.name,
                shapely.to_geojson(region.geometry),
                dt.datetime.now(dt.UTC),
            )
        return region

    async def get(self, brand_id: int, name: str) -> CustomRegion:
        async with self._ledger.read() as tx:
            row = await tx.fetchrow(
                "SELECT geojson FROM territories_custom_regions WHERE brand_id = ? AND name = ?"
                " ORDER BY id DESC LIMIT 1",
                brand_id,
                name,
            )
        if row is None or not row["geojson"]:
            raise CustomRegionNotFound(f"no custom region {name!r}")
        return parse(name, row["geojson"])

    async def regions(self, brand_id: int) -> list[CustomRegion]:
        async with self._ledger.read() as tx:
            found = await tx.fetch(
                "SELECT name, geojson FROM territories_custom_regions t WHERE brand_id = ?"
                " AND id = (SELECT MAX(id) FROM territories_custom_regions"
                " WHERE brand_id = t.brand_id AND name = t.name) ORDER BY name",
                brand_id,
            )
        return [parse(r["name"], r["geojson"]) for r in found if r["geojson"]]

    async def containing(
        self, brand_id: int, lat: float, lon: float, buffer_km: float = 0.0
    ) -> list[str]:
        """Names of the brand's custom regions the point is in."""
        return [r.name for r in await self.regions(brand_id) if r.contains(lat, lon, buffer_km)]
