"""Administrative boundaries: containment at known points, discs against borders, codes,
completeness against ISO 3166-2 (pycountry), and the chain's consistency (hypothesis)."""

from __future__ import annotations

import math

import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriseal.regions.boundaries import (
    Boundaries,
    RegionNotFound,
    Relation,
    default_boundaries,
)
from veriseal.regions.china import PROVINCES
from veriseal.regions.resolver import default_resolver


@pytest.fixture(scope="module")
def b() -> Boundaries:
    return default_boundaries()


def codes(b: Boundaries, lat: float, lon: float) -> list[str]:
    return [a.code for a in b.locate(lat, lon).chain]


@pytest.mark.parametrize(
    ("lat", "lon", "chain"),
    [
        (22.5431, 114.0579, ["CN", "CN-GD", "440300", "440304"]),  # Shenzhen Futian
        (22.5465, 113.9430, ["CN", "CN-GD", "440300", "440305"]),  # Shenzhen Nanshan
        (23.0205, 113.7518, ["CN", "CN-GD", "441900"]),  # Dongguan: a city without counties
        (22.2783, 114.1747, ["HK"]),  # Hong Kong, Wan Chai
        (22.1987, 113.5439, ["MO"]),  # Macao peninsula
        (22.2710, 113.5767, ["CN", "CN-GD", "440400", "440402"]),  # Zhuhai Xiangzhou
        (20.0440, 110.1999, ["CN", "CN-HI", "460100"]),  # Haikou, Hainan island
        (18.2528, 109.5120, ["CN", "CN-HI", "460200"]),  # Sanya
        (39.9087, 116.3975, ["CN", "CN-BJ", "110100", "110101"]),  # Tiananmen, Dongcheng
        (29.5630, 106.5516, ["CN", "CN-CQ", "500100", "500103"]),  # Chongqing Yuzhong
        (21.0285, 105.8542, ["VN", "VN-HN"]),  # Hanoi
        (3.1390, 101.6869, ["MY", "MY-14"]),  # Kuala Lumpur
        (25.0330, 121.5654, ["TW", "TW-TPE"]),  # Taipei
        (48.1371, 11.5754, ["DE", "DE-BY"]),  # Munich
        (-20.8789, 55.4481, ["RE"]),  # Saint-Denis, Réunion: ISO 3166-1 lists it apart
        (4.8594, 31.5713, ["SS"]),  # Juba: a country younger than the admin-1 files
    ],
)
def test_known_points_resolve_by_containment(
    b: Boundaries, lat: float, lon: float, chain: list[str]
) -> None:
    got = codes(b, lat, lon)
    assert got[: len(chain)] == chain
    assert b.locate(lat, lon).border_km > 0


def test_futian_is_shenzhen_not_dongguan_and_carries_chinese_names(b: Boundaries) -> None:
    chain = b.locate(22.5431, 114.0579).chain
    assert [a.name for a in chain] == ["中国", "广东省", "深圳市", "福田区"]
    assert chain[2].name_en == "Shenzhen" and chain[2].gb2260 == "440300"
    assert "441900" not in {a.code for a in chain}


def test_hong_kong_and_macao_carry_their_gb2260_codes(b: Boundaries) -> None:
    assert b.area("810000").code == "HK" and b.area("HK").gb2260 == "810000"
    assert b.area("CN-MO").code == "MO" and b.area("820000").code == "MO"
    assert b.area("710000").code == "TW"


def test_open_sea_is_unknown(b: Boundaries) -> None:
    assert b.locate(0.0, -30.0).chain == ()  # mid-Atlantic
    assert b.locate(0.0, -30.0).border_km > 100  # St Peter and St Paul Rocks: 113 km
    rel, km = b.relation(0.0, -30.0, 2.0, ["CN"])
    assert rel is Relation.UNKNOWN and km > 5000


def test_relation_far_inside_outside_and_straddling_a_border(b: Boundaries) -> None:
    rel, km = b.relation(23.1291, 113.2644, 2.0, ["CN-GD"])  # Guangzhou
    assert rel is Relation.INSIDE and km < -50
    rel, km = b.relation(23.1291, 113.2644, 2.0, ["CN-FJ"])
    assert rel is Relation.OUTSIDE and km > 50
    # find a point on the Guangdong/Fujian border, then discs across it
    gd = b.geometry("CN-GD")
    border = gd.boundary.intersection(b.geometry("CN-FJ").boundary)
    assert border.length > 1.0  # degrees: the shared border is long
    p = border.interpolate(0.5, normalized=True)
    for code in ("CN-GD", "CN-FJ", "440000"):
        rel, km = b.relation(p.y, p.x, 2.0, [code])
        assert rel is Relation.UNCERTAIN and abs(km) < 2.0
    rel, _ = b.relation(p.y, p.x, 2.0, ["CN-GD", "CN-FJ"])
    assert rel is Relation.INSIDE
    rel, _ = b.relation(p.y, p.x, 2.0, ["CN"])
    assert rel is Relation.INSIDE


def test_relation_against_a_city_and_its_signed_distance_in_km(b: Boundaries) -> None:
    rel, km = b.relation(22.5431, 114.0579, 5.0, ["440300"])  # Futian, Shenzhen
    # Futian lies on the Shenzhen River: Hong Kong is within 5 km
    assert rel is Relation.UNCERTAIN and -5.0 < km < 0
    rel, km = b.relation(22.5431, 114.0579, 0.2, ["440300"])
    assert rel is Relation.INSIDE
    rel, km = b.relation(22.5431, 114.0579, 2.0, ["441900"])  # Dongguan
    assert rel is Relation.OUTSIDE and 10 < km < 60


def test_codes_aliases_and_tree(b: Boundaries) -> None:
    assert b.area("440000").code == "CN-GD" and b.area("cn-gd").code == "CN-GD"
    assert b.area("CN-GD/Shenzhen").code == "440300"
    assert b.area("CN-GD/Guangzhou").code == "440100"
    assert b.contains("CN", "440305") and b.contains("CN-GD", "440305")
    assert b.contains("440000", "440300") and not b.contains("CN-FJ", "440300")
    assert not b.contains("CN", "HK")  # ISO 3166-1 lists Hong Kong as a country
    assert [a.code for a in b.children("440300")][:2] == ["440303", "440304"]
    with pytest.raises(RegionNotFound) as err:
        b.area("XX-NOPE")
    assert err.value.code == "region_not_found"


def test_china_complete_all_provinces_and_prefecture_cities(b: Boundaries) -> None:
    for p in PROVINCES:
        assert b.area(p.gb2260).gb2260 == p.gb2260
        assert b.area(p.iso).name == p.name_zh
    cities = [a for a in b.areas if a.level == 2]
    # 333 prefecture-level units (GB/T 2260, 2023) + the 4 municipalities'
    # city rows + province-administered county-level units
    assert len(cities) >= 360
    assert {"440300", "441900", "460300", "469001", "419001", "652700"} <= {a.code for a in cities}
    assert sum(1 for a in b.areas if a.level == 3) >= 2800


def test_first_level_coverage_against_iso_3166_2(b: Boundaries) -> None:
    """The share of pycountry's first-level ISO 3166-2 codes that have a polygon
    (measured at build time: docs/regions.md); the floor catches a degraded rebuild."""
    top = {s.code for s in pycountry.subdivisions if not getattr(s, "parent_code", None)}
    have = {a.code for a in b.areas if a.level == 1}
    assert set(b.missing_iso) == {c for c in top - have if not c.startswith("CN-")}
    assert len(top & have) / len(top) >= 0.73  # 0.749 at build (2026-12)
    assert {"VN-HN", "MY-14", "US-CA", "JP-13", "IN-MH", "FR-IDF"} & have >= {
        "VN-HN",
        "MY-14",
        "US-CA",
        "JP-13",
        "IN-MH",
    }


def test_locate_many_agrees_with_locate(b: Boundaries) -> None:
    pts = [(22.5431, 114.0579), (0.0, -30.0), (21.0285, 105.8542), (math.nan, 1.0)]
    many = b.locate_many([p[0] for p in pts], [p[1] for p in pts])
    for (lat, lon), got in zip(pts, many, strict=True):
        if math.isnan(lat):
            assert got.chain == ()
            continue
        one = b.locate(lat, lon)
        assert got.chain == one.chain
        assert got.border_km == pytest.approx(one.border_km)


def test_border_km_is_a_great_circle_distance(b: Boundaries) -> None:
    """The local projection's distance to the nearest boundary point agrees with the
    haversine distance to that point (within 0.5%)."""
    from veriseal.models import Location, LocationSource  # noqa: PLC0415
    from veriseal.regions.geo import distance_km  # noqa: PLC0415

    lat, lon = 23.1291, 113.2644
    outline = b.geometry("440100").boundary
    import shapely  # noqa: PLC0415

    nearest = shapely.shortest_line(shapely.Point(lon, lat), outline).coords[1]
    km = b.locate(lat, lon).border_km
    gps = LocationSource.GPS
    exact = distance_km(Location(lat, lon, None, gps), Location(nearest[1], nearest[0], None, gps))
    # the projected nearest point may differ from the degree-space one: km <= exact
    assert km <= exact * 1.005 and km > 0


def test_resolver_takes_country_and_province_by_containment() -> None:
    r = default_resolver()
    futian = r.resolve(22.5431, 114.0579)
    assert futian is not None
    assert (futian.country, futian.province, futian.gb2260) == ("CN", "CN-GD", "440000")
    assert (futian.city_code, futian.county_code) == ("440300", "440304")
    assert futian.city  # the nearest GeoNames place, human-facing
    hk = r.resolve(22.2783, 114.1747)
    assert hk is not None and (hk.country, hk.gb2260, hk.city_code) == ("HK", "810000", None)
    assert r.resolve_many([22.5431, 22.2783], [114.0579, 114.1747]) == [futian, hk]


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-60, max_value=75, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
    st.floats(min_value=0.01, max_value=50),
)
def test_chain_is_consistent_and_relation_agrees_with_locate(
    lat: float, lon: float, radius: float
) -> None:
    b = default_boundaries()
    place = b.locate(lat, lon)
    for parent, child in zip(place.chain, place.chain[1:], strict=False):
        assert child.parent == parent.code and child.level > parent.level
    assert place.border_km >= 0
    if not place.chain:
        return
    finest = place.chain[-1].code
    rel, km = b.relation(lat, lon, radius, [finest])
    assert rel in (Relation.INSIDE, Relation.UNCERTAIN)
    assert km <= 1e-6  # the point is in the area: non-positive distance
    country, _ = b.relation(lat, lon, radius, [place.chain[0].code])
    assert country is not Relation.OUTSIDE
    # a disc crossing no border of its area is inside it, unless it touches another
    # country's area overlapping this one (sources disagree along some national borders)
    if place.border_km > radius * 1.001 and country is Relation.INSIDE:
        assert rel is Relation.INSIDE
    # (a disc crossing it may still be INSIDE: the sea counts for neither side)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=18, max_value=50, allow_nan=False),
    st.floats(min_value=75, max_value=130, allow_nan=False),
    st.floats(min_value=0.01, max_value=30),
    st.sampled_from(["CN", "CN-GD", "CN-SC", "440300", "510100", "VN", "MN"]),
)
def test_relation_inside_implies_the_chain_names_a_code(
    lat: float, lon: float, radius: float, code: str
) -> None:
    b = default_boundaries()
    rel, km = b.relation(lat, lon, radius, [code])
    chain = {a.code for a in b.locate(lat, lon).chain}
    if rel is Relation.INSIDE and chain:
        assert b.area(code).code in chain
    if rel is Relation.OUTSIDE:
        assert b.area(code).code not in chain and km > 0
    if b.area(code).code in chain:
        assert rel in (Relation.INSIDE, Relation.UNCERTAIN) and km <= 1e-6


@settings(max_examples=60, deadline=None)
@given(
    st.floats(min_value=15, max_value=50),
    st.floats(min_value=75, max_value=135),
    st.sampled_from([["CN-GD"], ["CN-ZJ", "CN-JS"], ["CN-XJ"], ["CN"]]),
)
def test_distance_to_a_territory_is_the_nearest_point_of_its_whole_boundary(
    b: Boundaries, lat: float, lon: float, codes: list[str]
) -> None:
    """``signed_km`` measures only the boundary near the point, in numpy; measured here
    over the whole boundary with shapely, in the same local projection, it is the same.
    ``relation`` is ``relate`` and ``signed_km`` together."""
    import shapely  # noqa: PLC0415

    from veriseal.regions.boundaries import KM_PER_DEGREE  # noqa: PLC0415

    union = shapely.union_all([b.geometry(c) for c in codes])
    c = math.cos(math.radians(lat))
    local = shapely.transform(shapely.boundary(union), lambda xy: (xy - (lon, lat)) * (c, 1.0))
    km = shapely.distance(local, shapely.Point(0.0, 0.0)) * KM_PER_DEGREE
    inside = shapely.contains_xy(union, lon, lat)
    got = b.signed_km(lat, lon, codes)
    assert got == pytest.approx(-km if inside else km, rel=1e-9, abs=1e-6)
    assert b.relation(lat, lon, 3.0, codes) == (b.relate(lat, lon, 3.0, codes), got)
