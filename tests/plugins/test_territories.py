"""The territories plugin: region hierarchy, custom GeoJSON regions, CLI and routes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plugins.conftest import OpenEngine, brand_and_codes
from veriseal.i18n import keys
from veriseal.models import Region
from veriseal.regions.resolver import default_resolver
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli
from veriseal_territories.custom import (
    CustomRegionNotFound,
    CustomRegionStore,
    GeoJsonInvalid,
    parse,
)
from veriseal_territories.hierarchy import RegionNotFound, default_hierarchy

# A rough box around the Pearl River Delta (Guangzhou, Shenzhen, Dongguan, Foshan).
PRD = {
    "type": "Feature",
    "properties": {"name": "PRD"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[112.8, 22.4], [114.6, 22.4], [114.6, 23.6], [112.8, 23.6],
                         [112.8, 22.4]]],
    },
}  # fmt: skip
GUANGZHOU = (23.1291, 113.2644)
SHANTOU = (23.354, 116.682)  # Guangdong, but far east of the delta


def test_hierarchy_is_built_once_in_a_bounded_cache() -> None:
    assert default_hierarchy() is default_hierarchy()
    assert default_hierarchy.cache_info().maxsize == 1


def test_hierarchy_codes() -> None:
    h = default_hierarchy()
    gd = h.get("440000")
    assert (gd.code, gd.kind, gd.parent, gd.gb2260) == ("CN-GD", "province", "CN", "440000")
    assert "广东" in gd.name
    assert h.get("cn-gd") == gd
    chain = [n.code for n in h.ancestors("CN-GD/Guangzhou")]
    assert chain == ["440100", "CN-GD", "CN"]  # the legacy code aliases the 地级市
    provinces = [n for n in h.children("CN") if n.kind == "province"]
    assert len(provinces) == 31  # mainland; TW, HK and MO are countries in GeoNames
    assert all(p.gb2260 for p in provinces)
    assert h.get("HK").gb2260 == "810000"
    with pytest.raises(RegionNotFound) as err:
        h.get("XX-NOPE")
    assert err.value.code == "region_not_found"


def test_hierarchy_contains_resolved_regions() -> None:
    h = default_hierarchy()
    gz = Region("CN", "CN-GD", "Guangzhou", "440000")
    assert h.contains("CN", gz) and h.contains("440000", gz) and h.contains("CN-GD/Guangzhou", gz)
    assert not h.contains("CN-GX", gz)
    assert not h.contains("CN-GD/Shenzhen", gz)


def test_every_resolvable_province_is_in_the_tree() -> None:
    h = default_hierarchy()
    for d in default_resolver().divisions:
        got = h.get(d.key)  # the area itself, or an alias of the one holding its places
        assert got.code == d.key or d.key not in {a.code for a in h.boundaries.areas}


def test_custom_region_containment() -> None:
    region = parse("PRD", json.dumps(PRD))
    assert region.contains(*GUANGZHOU)
    assert not region.contains(*SHANTOU)
    assert region.contains(22.4, 113.0)  # on the edge counts as inside
    near = (22.35, 113.5)  # about 5.5 km south of the southern edge
    assert not region.contains(*near)
    assert region.contains(*near, buffer_km=6)
    assert not region.contains(*near, buffer_km=5)
    assert region.to_dict()["bounds"] == {"west": 112.8, "south": 22.4, "east": 114.6,
                                          "north": 23.6}  # fmt: skip


def test_feature_collections_merge() -> None:
    west = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    east = {"type": "Polygon", "coordinates": [[[5, 0], [6, 0], [6, 1], [5, 1], [5, 0]]]}
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "geometry": g} for g in (west, east)]}  # fmt: skip
    region = parse("two", json.dumps(fc))
    assert region.contains(0.5, 0.5) and region.contains(0.5, 5.5)
    assert not region.contains(0.5, 3)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"type": "Point", "coordinates": [1, 2]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}',
        # a bow tie: self-intersecting ring
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}',
        '{"type": "FeatureCollection", "features": []}',
    ],
)
def test_bad_geojson_is_refused_with_a_code(text: str) -> None:
    with pytest.raises(GeoJsonInvalid) as err:
        parse("x", text)
    assert err.value.code == "geojson_invalid"


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["type", "coordinates", "features", "geometry", "x"]), inner, max_size=4
        )
    ),
    max_leaves=30,
)
_types = st.sampled_from(["Polygon", "MultiPolygon", "Feature", "FeatureCollection", "Point"])


@settings(max_examples=300, deadline=None)
@given(_types, _json, _json)
def test_any_json_parses_or_is_refused_cleanly(kind: str, coords: object, extra: object) -> None:
    doc = {"type": kind, "coordinates": coords, "geometry": extra, "features": extra}
    try:
        region = parse("fuzz", json.dumps(doc))
    except GeoJsonInvalid:
        return
    assert region.geometry.is_valid and not region.geometry.is_empty


def test_errors_are_bilingual() -> None:
    for code in ("region_not_found", "geojson_invalid", "custom_region_not_found"):
        assert f"error.{code}" in keys()


async def test_custom_regions_are_stored_per_brand(open_engine: OpenEngine) -> None:
    engine = await open_engine()
    brand, _ = await brand_and_codes(engine, 1)
    store = CustomRegionStore(engine.plugins.context("territories").db)
    await store.put(brand.id, "PRD", json.dumps(PRD))
    assert await store.containing(brand.id, *GUANGZHOU) == ["PRD"]
    assert await store.containing(brand.id, *SHANTOU) == []
    # redefined: the newest row wins; the old one stays in the append-only table
    east = {**PRD, "geometry": {"type": "Polygon", "coordinates": [[[116, 23], [117, 23],
            [117, 24], [116, 24], [116, 23]]]}}  # fmt: skip
    await store.put(brand.id, "PRD", json.dumps(east))
    assert await store.containing(brand.id, *SHANTOU) == ["PRD"]
    assert [r.name for r in await store.regions(brand.id)] == ["PRD"]
    with pytest.raises(CustomRegionNotFound):
        await store.get(brand.id, "nowhere")
    with pytest.raises(GeoJsonInvalid):
        await store.put(brand.id, "bad", "{}")
    assert [r.name for r in await store.regions(brand.id)] == ["PRD"]  # nothing written


async def test_routes(open_engine: OpenEngine) -> None:
    engine = await open_engine()
    async with TestClient(TestServer(make_app(engine, Limits(per_minute=0)))) as client:
        r = await client.get("/api/v1/territories/regions/locate?lat=23.1291&lon=113.2644")
        assert r.status == 200
        body = await r.json()
        assert body["region"]["province"] == "CN-GD" and body["region"]["gb2260"] == "440000"
        assert [n["kind"] for n in body["chain"]] == ["county", "city", "province", "country"]
        assert [n["code"] for n in body["chain"]][1:] == ["440100", "CN-GD", "CN"]
        assert body["by"] == "boundary" and body["region"]["city_code"] == "440100"
        r = await client.get("/api/v1/territories/regions/440000")
        assert r.status == 200 and (await r.json())["code"] == "CN-GD"
        r = await client.get("/api/v1/territories/regions/locate?lat=99&lon=1")
        assert r.status == 400 and (await r.json())["error"]["code"] == "invalid_input"
        r = await client.get("/api/v1/territories/regions/NOPE-1")
        assert r.status == 404 and (await r.json())["error"]["code"] == "region_not_found"
        r = await client.get("/api/v1/territories/regions/locate?lat=0&lon=-30")
        assert (await r.json())["region"] is None


def test_cli(ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERISEAL_PASSPHRASE", "correct horse battery staple")
    for var in ("VERISEAL_CONFIG", "VERISEAL_DB", "VERISEAL_KEY_FILE", "VERISEAL_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--db", ledger_url, *args])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output

    run("init", "--brand", "acme", "--name", "Acme", "--resolver", "id.acme.example")
    assert json.loads(run("territory", "regions", "show", "440000"))[0]["code"] == "CN-GD"
    assert (
        json.loads(run("territory", "regions", "locate", "39.9", "116.4"))["region"]["gb2260"]
        == "110000"
    )
    assert "CN-GD\t" in run("territory", "regions", "list", "CN")
    geo = tmp_path / "prd.geojson"
    geo.write_text(json.dumps(PRD), encoding="utf-8")
    run("territory", "regions", "add-custom", "PRD", str(geo))
    assert json.loads(run("territory", "regions", "custom"))[0]["name"] == "PRD"
    run("territory", "regions", "contains", "PRD", *map(str, GUANGZHOU))
    run("territory", "regions", "contains", "PRD", *map(str, SHANTOU), code=1)
    out = run("territory", "regions", "show", "XX-NOPE", code=3)  # not found
    assert "[region_not_found]" in out
    geo.write_text("{", encoding="utf-8")
    assert "[geojson_invalid]" in run("territory", "regions", "add-custom", "X", str(geo), code=2)
