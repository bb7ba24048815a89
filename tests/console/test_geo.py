"""The province map's GeoJSON: every provincial unit, valid shapes, served cacheably."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import shapely
from aiohttp import web
from shapely.geometry import shape

from veriseal.console.geo import geo_handler, provinces_geojson

#: GB/T 2260 codes of China's 34 provincial units
CODES = {
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000",
    "310000", "320000", "330000", "340000", "350000", "360000", "370000", "410000",
    "420000", "430000", "440000", "450000", "460000", "500000", "510000", "520000",
    "530000", "540000", "610000", "620000", "630000", "640000", "650000", "710000",
    "810000", "820000",
}  # fmt: skip


@pytest.fixture(scope="module")
def collection() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(provinces_geojson("CN"))
    return data


def _shapes(collection: dict[str, Any]) -> dict[str, shapely.Geometry]:
    return {f["properties"]["code"]: shape(f["geometry"]) for f in collection["features"]}


def test_every_province_with_its_codes_and_names(collection: dict[str, Any]) -> None:
    assert collection["type"] == "FeatureCollection"
    props = [f["properties"] for f in collection["features"]]
    assert {p["code"] for p in props} == CODES
    assert len(props) == 34
    by_code = {p["code"]: p for p in props}
    assert by_code["440000"] == {
        "code": "440000", "iso": "CN-GD", "name_zh": "广东省", "name_en": "Guangdong"
    }  # fmt: skip
    assert by_code["810000"]["iso"] == "CN-HK"
    assert by_code["710000"]["iso"] == "CN-TW"
    for p in props:
        assert p["iso"].startswith("CN-") and p["name_zh"] and p["name_en"]


def test_geometries_are_valid_small_and_rounded(collection: dict[str, Any]) -> None:
    raw = provinces_geojson("CN")
    assert len(raw) < 600_000  # the screen's budget, uncompressed
    shapes = _shapes(collection)
    for code, geom in shapes.items():
        assert geom.geom_type == "MultiPolygon", code
        assert geom.is_valid and not geom.is_empty, code
        # RFC 7946: exterior rings counter-clockwise
        assert all(p.exterior.is_ccw for p in geom.geoms), code
    xy = shapely.get_coordinates(list(shapes.values()))
    assert (abs(xy * 1000 - (xy * 1000).round()) < 1e-6).all()  # 3 decimals
    # simplified as a coverage: neighbours do not overlap
    ordered = list(shapes.values())
    union_area = shapely.union_all(ordered).area
    assert union_area == pytest.approx(sum(g.area for g in ordered), rel=1e-4)


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (113.2644, 23.1291, "440000"),  # Guangzhou
        (116.4074, 39.9042, "110000"),  # Beijing
        (114.1694, 22.3193, "810000"),  # Hong Kong, Kowloon
        (113.5439, 22.1987, "820000"),  # Macao
        (121.5654, 25.0330, "710000"),  # Taipei
        (87.6168, 43.8256, "650000"),  # Ürümqi
    ],
)
def test_a_city_falls_in_its_province(
    collection: dict[str, Any], lon: float, lat: float, code: str
) -> None:
    hits = [c for c, g in _shapes(collection).items() if g.contains(shapely.Point(lon, lat))]
    assert hits == [code]


def test_the_result_is_cached() -> None:
    assert provinces_geojson("CN") is provinces_geojson("CN")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/console/geo/cn-provinces.json", geo_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/console/geo/cn-provinces.json"
    finally:
        await runner.cleanup()


async def test_served_as_cacheable_geojson_with_an_etag(server: str) -> None:
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        async with http.get(server, headers={"Accept-Encoding": "gzip"}) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("application/geo+json")
            assert r.headers["Cache-Control"] == "public, max-age=86400"
            assert r.headers["Content-Encoding"] == "gzip"
            etag = r.headers["ETag"]
            body = gzip.decompress(await r.read())
        assert body == provinces_geojson("CN")
        async with http.get(server, headers={"If-None-Match": etag}) as r:
            assert r.status == 304
            assert r.headers["ETag"] == etag
            assert await r.read() == b""
        async with http.get(server, headers={"If-None-Match": f"W/{etag}"}) as r:
            assert r.status == 304
        async with http.get(server, headers={"If-None-Match": '"stale"'}) as r:
            assert r.status == 200
