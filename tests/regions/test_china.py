"""China's 34 provincial divisions: GB/T 2260 and ISO 3166-2 codes."""

from __future__ import annotations

import re

from veriseal.regions.china import BY_GB2260, PROVINCES, gb2260_for
from veriseal.regions.resolver import default_resolver


def test_34_divisions_with_well_formed_unique_codes() -> None:
    assert len(PROVINCES) == 34
    assert len({p.gb2260 for p in PROVINCES}) == len({p.iso for p in PROVINCES}) == 34
    for p in PROVINCES:
        assert re.fullmatch(r"[1-8][0-9]0000", p.gb2260), p
        assert re.fullmatch(r"CN-[A-Z]{2}", p.iso), p
        assert any("\u4e00" <= ch <= "\u9fff" for ch in p.name_zh), p


def test_known_codes() -> None:
    assert BY_GB2260["440000"].iso == "CN-GD"
    assert BY_GB2260["110000"].name_zh == "北京市"
    assert BY_GB2260["650000"].iso == "CN-XJ"
    assert BY_GB2260["500000"].name_en == "Chongqing"


def test_gb2260_for_resolved_places() -> None:
    assert gb2260_for("CN", "CN-SH") == "310000"
    assert gb2260_for("HK", None) == "810000"  # GeoNames lists HK, MO, TW as countries
    assert gb2260_for("MO", "MO:Macao") == "820000"
    assert gb2260_for("TW", None) == "710000"
    assert gb2260_for("JP", "JP-13") is None
    assert gb2260_for("CN", "CN:Somewhere") is None


def test_every_mainland_division_in_the_data_has_its_codes() -> None:
    mainland = {d.iso for d in default_resolver().divisions if d.country == "CN" and d.name}
    assert mainland == {p.iso for p in PROVINCES} - {"CN-TW", "CN-HK", "CN-MO"}
