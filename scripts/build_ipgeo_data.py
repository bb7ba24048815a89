"""Build the IP geolocation table (``src/veriseal/regions/data/ipv4.npz``, ``ipfix.tsv``)
from the ip2region database that npm ships.

Run by a maintainer, never at run time::

    .venv/bin/pip install pypinyin==0.55.0 pycountry==26.2.16
    .venv/bin/python scripts/build_ipgeo_data.py [path/to/ip2region.db]

Without a path the script runs ``npm pack ip2region@2.3.0`` in a temporary folder (the
package's ``data/ip2region.db`` is ip2region's v1 database, lionsoul2014/ip2region,
Apache-2.0; the npm wrapper by yourtion is MIT) and checks its SHA-256, so a rebuild from
the same inputs gives the same table.

The database maps every IPv4 range to ``country|area|province|city|ISP`` in Chinese
(``中国|0|广东省|广州市|电信``), with provinces and cities for China only. What is kept:

- the country as ISO 3166-1 alpha-2 (``pycountry``'s Chinese translations of the country
  names, plus the table :data:`COUNTRY_NAMES` for names written differently); Taiwan, Hong
  Kong and Macao are countries, as in the GeoNames data the region resolver uses;
- in China, the province as ISO 3166-2 (``veriseal.regions.china``) and the city, matched
  to a GeoNames place of that province (``data/places.npz``) through its pinyin
  (``pypinyin``) or :data:`CITY_NAMES`; a city that cannot be matched leaves a
  province-level answer;
- the ISP is dropped.

Each answer gets a point and an honest radius, all from the GeoNames places in
``data/places.npz``: a city is its place with :data:`CITY_RADIUS_KM`; a Chinese province
is the city of that province that holds the most addresses (its capital, in practice),
a country the place nearest to the median of its places, each with the radius that holds
90% of the division's places. Every point is checked to resolve back (through
``RegionResolver``) to its own country and province. Special-purpose ranges (RFC 6890:
private, loopback, link-local, shared, documentation, multicast, reserved) map to nothing,
whatever the database says.

Output: ``ipv4.npz`` (``start``: uint32 first address of each range, sorted; ``fix``:
uint16 row of ``ipfix.tsv``, 65535 = no answer; adjacent ranges with the same answer are
merged) and ``ipfix.tsv`` (``country  province  city  lat  lon  radius_km``).
"""

from __future__ import annotations

import gettext
import hashlib
import ipaddress
import itertools
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pycountry
from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from veriseal.regions.china import PROVINCES  # noqa: E402
from veriseal.regions.geo import EARTH_RADIUS_KM  # noqa: E402
from veriseal.regions.resolver import RegionResolver  # noqa: E402

OUT = ROOT / "src" / "veriseal" / "regions" / "data"
PACKAGE = "ip2region@2.3.0"
#: the database in that package: a different one must be reviewed before it is used
SHA256 = "3a8baab4f2e536a1c4a9be683cc81d563b0d4f942b304202be6f0d4aecc7f5d4"
CITY_RADIUS_KM = 50.0  # a prefecture-level city: 5,000-15,000 km2, plus IP error
MIN_RADIUS_KM = 50.0
NONE = 0xFFFF

#: RFC 6890 special-purpose IPv4 blocks (and 240/4, multicast): never a place
SPECIAL = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip

#: ip2region's country names that pycountry's Chinese names do not spell the same way
COUNTRY_NAMES = {
    "美国": "US", "英国": "GB", "俄罗斯": "RU", "韩国": "KR", "朝鲜": "KP", "越南": "VN",
    "老挝": "LA", "伊朗": "IR", "叙利亚": "SY", "玻利维亚": "BO", "委内瑞拉": "VE",
    "坦桑尼亚": "TZ", "摩尔多瓦": "MD", "捷克": "CZ", "荷兰": "NL", "梵蒂冈": "VA",
    "巴勒斯坦": "PS", "文莱": "BN", "刚果金": "CD", "刚果布": "CG", "科特迪瓦": "CI",
    "北马其顿": "MK", "马其顿": "MK", "密克罗尼西亚": "FM", "土耳其": "TR", "斯威士兰": "SZ",
    "佛得角": "CV", "东帝汶": "TL", "圣马丁": "MF", "荷属圣马丁": "SX", "库拉索": "CW",
    "中国": "CN", "台湾": "TW", "香港": "HK", "澳门": "MO", "多米尼加": "DO", "波黑": "BA",
    "留尼旺": "RE", "马耳他": "MT", "危地马拉": "GT", "特立尼达和多巴哥": "TT", "柬埔寨": "KH",
    "吉尔吉斯斯坦": "KG", "科索沃": "XK", "马恩岛": "IM", "法属波利尼西亚": "PF", "中非": "CF",
    "福克兰群岛": "FK", "圣皮埃尔和密克隆群岛": "PM", "瓦利斯和富图纳群岛": "WF",
    "托克劳群岛": "TK", "蒙塞拉特岛": "MS", "圣巴泰勒米": "BL", "阿森松岛": "SH",
    "南乔治亚岛和南桑威奇群岛": "GS", "法国南部领地": "TF",
    # continents ("欧洲", "亚太地区", ...) are no country: those ranges get no answer
}  # fmt: skip
#: Chinese cities whose GeoNames name is not their pinyin
CITY_NAMES = {
    "呼和浩特市": "Hohhot", "乌鲁木齐市": "Urumqi", "拉萨市": "Lhasa", "哈尔滨市": "Harbin",
    "喀什地区": "Kashgar", "西安市": "Xi'an", "厦门市": "Xiamen", "包头市": "Baotou",
    "日喀则市": "Shigatse", "伊犁哈萨克自治州": "Yining", "阿克苏地区": "Aksu",
}  # fmt: skip
_OUTSIDE_MAINLAND = {"台湾": "TW", "香港": "HK", "澳门": "MO"}


@dataclass(frozen=True)
class Answer:
    country: str
    province: str = ""
    city: str = ""  # ip2region's Chinese name; the GeoNames name is found later


def fetch_database() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.extractfile("package/data/ip2region.db")
            assert member is not None
            return member.read()


def segments(db: bytes) -> list[tuple[int, int, str]]:
    """ip2region v1: a super block (first and last index offsets), then 12-byte index
    entries ``start, end, (length << 24) | offset``; each datum is a 4-byte city id and
    the UTF-8 text ``country|area|province|city|ISP``."""
    first, last = struct.unpack_from("<II", db, 0)
    out = []
    for pos in range(first, last + 12, 12):
        start, end, ptr = struct.unpack_from("<III", db, pos)
        length, offset = ptr >> 24, ptr & 0xFFFFFF
        out.append((start, end, db[offset + 4 : offset + length].decode("utf-8")))
    return out


def country_codes() -> dict[str, str]:
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            if hasattr(c, attr):
                names.setdefault(zh.gettext(getattr(c, attr)), c.alpha_2)
    return names | COUNTRY_NAMES


def _province(name: str) -> str | None:
    for p in PROVINCES:
        short = re.sub(r"(省|市|(壮族|回族|维吾尔)?自治区|特别行政区)$", "", p.name_zh)
        if name in (p.name_zh, short):
            return p.iso
    return None


def answer(
    text: str, countries: dict[str, str], with_places: set[str], unknown: Counter[str], size: int
) -> Answer | None:
    country, _area, province, city, _isp = (text.split("|") + [""] * 5)[:5]
    if country in ("0", "", "内网IP", "保留"):
        return None
    if country == "中国" and province.rstrip("省") in _OUTSIDE_MAINLAND:
        return Answer(_OUTSIDE_MAINLAND[province.rstrip("省")])
    code = countries.get(country)
    if code is None:
        unknown[country] += size
        return None
    if code not in with_places:
        unknown[f"{country} ({code}: no GeoNames place)"] += size
        return None
    if code != "CN" or province in ("0", ""):
        return Answer(code)
    iso = _province(province)
    if iso is None:
        unknown[f"{country}|{province}"] += size
        return Answer(code)
    return Answer(code, iso, "" if city in ("0", "") else city)


def _key(name: str) -> str:
    """A place name for matching: ASCII letters only (``Ürümqi`` -> ``urumqi``)."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_.lower())


class Places:
    """The GeoNames places behind the region resolver, indexed for anchoring answers."""

    def __init__(self, resolver: RegionResolver) -> None:
        self.r = resolver
        self.lat = resolver.lat.astype(np.float64)
        self.lon = resolver.lon.astype(np.float64)
        self.by_country: dict[str, list[int]] = defaultdict(list)
        self.by_province: dict[str, list[int]] = defaultdict(list)
        self.by_name: dict[tuple[str, str], int] = {}
        for i, d in enumerate(resolver.division.tolist()):
            div = resolver.divisions[d]
            self.by_country[div.country].append(i)
            if div.country == "CN":
                self.by_province[div.iso].append(i)
                self.by_name.setdefault((div.iso, _key(resolver.names[i])), i)

    def city(self, province: str, name_zh: str) -> int | None:
        if name_zh in CITY_NAMES:
            return self.by_name.get((province, _key(CITY_NAMES[name_zh])))
        stem = re.sub(r"(市|地区|盟|自治州|林区)$", "", name_zh)
        return self.by_name.get((province, _key("".join(lazy_pinyin(stem)))))

    def km(self, i: int, others: list[int]) -> np.ndarray:
        la1, lo1 = np.radians(self.lat[i]), np.radians(self.lon[i])
        la2, lo2 = np.radians(self.lat[others]), np.radians(self.lon[others])
        h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))

    def median_place(self, members: list[int]) -> int:
        la, lo = np.median(self.lat[members]), np.median(self.lon[members])
        d = (self.lat[members] - la) ** 2 + ((self.lon[members] - lo) * np.cos(np.radians(la))) ** 2
        return members[int(np.argmin(d))]

    def radius(self, anchor: int, members: list[int]) -> float:
        return max(MIN_RADIUS_KM, float(np.percentile(self.km(anchor, members), 90)))


def build_fixes(
    answers: dict[Answer, int], places: Places
) -> tuple[list[tuple[str, str, str, float, float, float]], dict[Answer, int]]:
    """One row per distinct answer (point and radius), and each answer's row."""
    rows: list[tuple[str, str, str, float, float, float]] = []
    index: dict[Answer, int] = {}
    city_place = {a: places.city(a.province, a.city) for a in answers if a.city}
    # a province's anchor: its matched city that holds the most addresses
    weight: Counter[tuple[str, int]] = Counter()
    for a, size in answers.items():
        if city_place.get(a) is not None:
            weight[(a.province, city_place[a])] += size  # type: ignore[index]
    capital = {}
    for (prov, place), _n in weight.most_common()[::-1]:
        capital[prov] = place  # the most-weighted wins (written last)
    for a in sorted(answers, key=lambda a: (a.country, a.province, a.city)):
        place = city_place.get(a)
        if place is not None:
            row = (a.country, a.province, places.r.names[place], place, CITY_RADIUS_KM)
        elif a.province:
            members = places.by_province[a.province]
            anchor = capital.get(a.province, places.median_place(members))
            row = (a.country, a.province, "", anchor, places.radius(anchor, members))
        else:
            members = places.by_country[a.country]
            anchor = places.median_place(members)
            row = (a.country, "", "", anchor, places.radius(anchor, members))
        country, province, city, anchor, radius = row
        got = places.r.resolve(float(places.lat[anchor]), float(places.lon[anchor]))
        assert got is not None and got.country == country, (a, got)
        assert not province or got.province == province, (a, got)
        fix = (country, province, city, round(float(places.lat[anchor]), 4),
               round(float(places.lon[anchor]), 4), round(radius))  # fmt: skip
        if fix not in rows:
            rows.append(fix)
        index[a] = rows.index(fix)
    return rows, index


_SPECIAL = [(int(n.network_address), int(n.broadcast_address))
            for n in map(ipaddress.IPv4Network, SPECIAL)]  # fmt: skip


def special(start: int, end: int) -> bool:
    return any(start >= low and end <= high for low, high in _SPECIAL)


def split_special(segs: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Cut every range at the special-purpose blocks' edges, so each piece is wholly
    inside or wholly outside one."""
    cuts = sorted({low for low, _ in _SPECIAL} | {high + 1 for _, high in _SPECIAL})
    out = []
    for start, end, text in segs:
        inner = [c for c in cuts if start < c <= end]
        for a, b in zip([start, *inner], [*(c - 1 for c in inner), end], strict=True):
            out.append((a, b, text))
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--any"]
    db = Path(args[0]).read_bytes() if args else fetch_database()
    digest = hashlib.sha256(db).hexdigest()
    print(f"ip2region.db: {len(db):,} bytes, sha256 {digest}")
    if digest != SHA256 and "--any" not in sys.argv:
        sys.exit(f"not the database of {PACKAGE} (pass --any to build from it anyway)")
    segs = split_special(segments(db))
    assert segs[0][0] == 0 and segs[-1][1] == 2**32 - 1
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(segs))
    countries = country_codes()
    places = Places(RegionResolver.load())
    with_places = set(places.by_country)
    unknown: Counter[str] = Counter()
    per_seg: list[Answer | None] = []
    sizes: Counter[Answer] = Counter()
    for start, end, text in segs:
        a = (
            None
            if special(start, end)
            else answer(text, countries, with_places, unknown, end - start + 1)
        )
        per_seg.append(a)
        if a is not None:
            sizes[a] += end - start + 1
    rows, index = build_fixes(dict(sizes), places)
    assert len(rows) < NONE
    starts: list[int] = []
    fixes: list[int] = []
    for (start, _end, _text), a in zip(segs, per_seg, strict=True):
        fix = NONE if a is None else index[a]
        if not fixes or fixes[-1] != fix:
            starts.append(start)
            fixes.append(fix)
    np.savez_compressed(OUT / "ipv4.npz", start=np.asarray(starts, dtype=np.uint32),
                        fix=np.asarray(fixes, dtype=np.uint16))  # fmt: skip
    with (OUT / "ipfix.tsv").open("w", encoding="utf-8", newline="\n") as f:
        f.write("country\tprovince\tcity\tlat\tlon\tradius_km\n")
        for row in rows:
            f.write("\t".join(str(v) for v in row) + "\n")
    report(segs, per_seg, sizes, rows, index, unknown, len(starts))


def report(segs, per_seg, sizes, rows, index, unknown, n_ranges) -> None:  # type: ignore[no-untyped-def]
    total = sum(sizes.values())
    cn = sum(n for a, n in sizes.items() if a.country == "CN")
    cn_prov = sum(n for a, n in sizes.items() if a.country == "CN" and a.province)
    city = sum(n for a, n in sizes.items() if rows[index[a]][2])
    cn_city_asked = sum(n for a, n in sizes.items() if a.city)
    print(f"{len(segs):,} source ranges -> {n_ranges:,} ranges, {len(rows)} distinct answers")
    print(
        f"addresses with an answer: {total:,}; China {cn:,}, of which with a province"
        f" {cn_prov / cn:.1%}, with a matched city {city / cn:.1%}"
        f" (ip2region names a city for {cn_city_asked / cn:.1%})"
    )
    if unknown:
        print("unmatched (addresses):", unknown.most_common(30))


if __name__ == "__main__":
    main()
