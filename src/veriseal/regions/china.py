"""China's 34 provincial-level divisions: GB/T 2260 code, ISO 3166-2 code, names.

GB/T 2260 numbers a provincial division ``NN0000`` (two significant digits); ISO 3166-2:CN
has used letter codes (``CN-GD``) since 2017. GeoNames, the place data behind
:mod:`veriseal.regions.resolver`, lists Taiwan, Hong Kong and Macao as countries of their own
(``TW``, ``HK``, ``MO``); :func:`gb2260_for` maps those to their GB/T 2260 codes too, so a
China-wide territory can name all 34.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Province:
    gb2260: str  # six digits, e.g. "440000"
    iso: str  # ISO 3166-2, e.g. "CN-GD"
    name_zh: str
    name_en: str  # the GeoNames admin1 name (pinyin, or the English exonym)


PROVINCES: tuple[Province, ...] = (
    Province("110000", "CN-BJ", "北京市", "Beijing"),
    Province("120000", "CN-TJ", "天津市", "Tianjin"),
    Province("130000", "CN-HE", "河北省", "Hebei"),
    Province("140000", "CN-SX", "山西省", "Shanxi"),
    Province("150000", "CN-NM", "内蒙古自治区", "Inner Mongolia"),
    Province("210000", "CN-LN", "辽宁省", "Liaoning"),
    Province("220000", "CN-JL", "吉林省", "Jilin"),
    Province("230000", "CN-HL", "黑龙江省", "Heilongjiang"),
    Province("310000", "CN-SH", "上海市", "Shanghai"),
    Province("320000", "CN-JS", "江苏省", "Jiangsu"),
    Province("330000", "CN-ZJ", "浙江省", "Zhejiang"),
    Province("340000", "CN-AH", "安徽省", "Anhui"),
    Province("350000", "CN-FJ", "福建省", "Fujian"),
    Province("360000", "CN-JX", "江西省", "Jiangxi"),
    Province("370000", "CN-SD", "山东省", "Shandong"),
    Province("410000", "CN-HA", "河南省", "Henan"),
    Province("420000", "CN-HB", "湖北省", "Hubei"),
    Province("430000", "CN-HN", "湖南省", "Hunan"),
    Province("440000", "CN-GD", "广东省", "Guangdong"),
    Province("450000", "CN-GX", "广西壮族自治区", "Guangxi"),
    Province("460000", "CN-HI", "海南省", "Hainan"),
    Province("500000", "CN-CQ", "重庆市", "Chongqing"),
    Province("510000", "CN-SC", "四川省", "Sichuan"),
    Province("520000", "CN-GZ", "贵州省", "Guizhou"),
    Province("530000", "CN-YN", "云南省", "Yunnan"),
    Province("540000", "CN-XZ", "西藏自治区", "Tibet"),
    Province("610000", "CN-SN", "陕西省", "Shaanxi"),
    Province("620000", "CN-GS", "甘肃省", "Gansu"),
    Province("630000", "CN-QH", "青海省", "Qinghai"),
    Province("640000", "CN-NX", "宁夏回族自治区", "Ningxia"),
    Province("650000", "CN-XJ", "新疆维吾尔自治区", "Xinjiang"),
    Province("710000", "CN-TW", "台湾省", "Taiwan"),
    Province("810000", "CN-HK", "香港特别行政区", "Hong Kong"),
    Province("820000", "CN-MO", "澳门特别行政区", "Macao"),
)

BY_GB2260: dict[str, Province] = {p.gb2260: p for p in PROVINCES}
BY_ISO: dict[str, Province] = {p.iso: p for p in PROVINCES}
BY_GEONAMES_NAME: dict[str, Province] = {p.name_en: p for p in PROVINCES}
#: GeoNames country codes that GB/T 2260 counts as provincial divisions of China.
_COUNTRY_AS_PROVINCE = {"TW": "710000", "HK": "810000", "MO": "820000"}


def gb2260_for(country: str, iso_3166_2: str | None) -> str | None:
    """The GB/T 2260 provincial code of a resolved place, or None outside China."""
    if country in _COUNTRY_AS_PROVINCE:
        return _COUNTRY_AS_PROVINCE[country]
    if country == "CN" and iso_3166_2 in BY_ISO:
        return BY_ISO[iso_3166_2].gb2260
    return None


def province_key(text: str) -> str:
    """A province as scans store it, from what a person types: a GB/T 2260 code
    (``440000``) becomes its ISO 3166-2 code (``CN-GD``); ISO codes are upper-cased;
    ``CC:Name`` keys (divisions without an ISO code) are kept as written."""
    text = text.strip()
    by_gb = {p.gb2260: p.iso for p in PROVINCES}
    return by_gb.get(text) or (text.upper() if ":" not in text else text)
