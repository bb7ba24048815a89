"""The region tree on the boundaries: codes, legacy aliases, containment of scan regions."""

from __future__ import annotations

import pytest

from veriseal import Region, default_resolver
from veriseal_territories.hierarchy import Hierarchy, RegionNotFound, default_hierarchy


@pytest.fixture(scope="module")
def h() -> Hierarchy:
    return default_hierarchy()


def test_codes_levels_and_chinese_names(h: Hierarchy) -> None:
    assert [n.code for n in h.ancestors("440305")] == ["440305", "440300", "CN-GD", "CN"]
    assert [n.kind for n in h.ancestors("440305")] == ["county", "city", "province", "country"]
    assert h.get("440000").code == "CN-GD" and h.get("cn-gd").name == "广东省 / Guangdong"
    assert h.get("440300").name == "深圳市 / Shenzhen"
    assert h.get("810000").code == "HK"
    assert "440300" in {n.code for n in h.children("CN-GD")}
    with pytest.raises(RegionNotFound):
        h.get("CN-GD/Atlantis")


def test_legacy_china_city_code_is_an_alias_of_the_administrative_city(h: Hierarchy) -> None:
    assert h.get("CN-GD/Shenzhen").code == "440300"
    assert h.get("CN-GD/Guangzhou").code == "440100"
    # a scan in Futian, resolved by boundary, lies in the legacy-granted city
    futian = default_resolver().resolve(22.5431, 114.0579)
    assert futian is not None and h.contains("CN-GD/Shenzhen", futian)
    assert h.contains("440304", futian) and not h.contains("441900", futian)


def test_regions_stored_before_city_codes_still_match(h: Hierarchy) -> None:
    old = Region("CN", "CN-GD", "Shenzhen", "440000")  # no city_code: stored earlier
    assert h.contains("CN", old) and h.contains("440000", old)
    assert h.contains("440300", old)  # via the legacy alias of its place
    assert not h.contains("440100", old)
    unknown_place = Region("CN", "CN-GD", "Nowhere", "440000")
    assert h.contains("CN-GD", unknown_place) and not h.contains("440300", unknown_place)


def test_legacy_place_codes_outside_china_stay_approximate(h: Hierarchy) -> None:
    r = default_resolver()
    munich = r.resolve(48.137, 11.575)
    assert munich is not None and munich.province == "DE-BY"
    node = h.get(f"DE:Bavaria/{munich.city}")
    assert node.kind == "place" and node.parent == "DE-BY"
    assert h.contains(node.code, munich)  # its nearest place is that place
    assert h.contains(node.code, Region("DE", "DE:Bavaria", munich.city))  # old Region
    berlin = r.resolve(52.52, 13.405)
    assert berlin is not None and not h.contains(node.code, berlin)
    assert [n.code for n in h.ancestors(node.code)][1:] == ["DE-BY", "DE"]


def test_locate_shows_the_admin_chain(h: Hierarchy) -> None:
    got = h.locate(22.5431, 114.0579)
    assert got["by"] == "boundary"
    assert [n["code"] for n in got["chain"]] == ["440304", "440300", "CN-GD", "CN"]  # type: ignore[index, union-attr]
    assert got["region"]["city_code"] == "440300"  # type: ignore[index]
    sea = h.locate(0.0, -30.0)
    assert sea["chain"] == [] and sea["by"] in (None, "nearest_place")


def test_search_by_code_and_by_name_in_both_languages(h: Hierarchy) -> None:
    assert [n.code for n in h.search("440300")] == ["440300"]
    assert h.search("cn-gd")[0].code == "CN-GD"
    assert h.search("深圳")[0].code == "440300"
    assert h.search("Shenzhen")[0].code == "440300"
    # exact names first, then prefixes (provinces before cities), then the rest
    found = [n.code for n in h.search("guang", 4)]
    assert found[:2] == ["CN-GD", "CN-GX"] and "440100" in found
    assert h.search("  ") == [] and h.search("no such place anywhere") == []
    assert len(h.search("a", 7)) == 7


def test_labels_in_the_readers_language(h: Hierarchy) -> None:
    assert h.label("440305", "zh") == "南山区 · 深圳市 · 广东省"
    assert h.label("440305", "en") == "Nanshan · Shenzhen · Guangdong"
    assert h.label("CN", "zh") == "中国" and h.label("CN", "en") == "China"
    assert h.label("custom:Pearl Delta", "zh") == "Pearl Delta"
    assert h.label("XX-NOWHERE", "en") == "XX-NOWHERE"
