"""Where a place is: names, area codes and coordinates to :class:`Place`, offline.

Everything comes from the shipped boundary data (``veriseal.default_boundaries()``):
an area's code or name gives its representative point (inside the area, not merely
its centroid, which a crescent-shaped province can lie outside), and a point gives the
first-level division and, in China, the prefecture-level city containing it. Names
match Chinese (``深圳市`` or ``深圳``) and English (``Shenzhen``); a name shared by two
areas resolves to the coarser one (a province before a city of the same name), which
is the reading a person typing ``北京`` means."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import shapely

from veriseal import InvalidInput, RegionNotFound, default_boundaries, register_messages
from veriseal_logistics.models import Place

register_messages({
    "error.logistics_place_unknown": (
        "Unknown place: give a city or province name, an area code or 'lat,lon'",
        "无法识别的地点：请填写城市或省份名称、行政区划代码或“纬度,经度”",
    ),
})  # fmt: skip


class PlaceUnknown(InvalidInput):
    code = "logistics_place_unknown"


_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
# suffixes people leave out: 深圳 for 深圳市, 广东 for 广东省, 广西 for 广西壮族自治区
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州",
             "地区", "省", "市", "盟")  # fmt: skip
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Lower-cased name -> area code for China's provinces and cities and every
    country's first-level divisions (coarser first, so the coarser wins a tie)."""
    out: dict[str, str] = {}
    areas = sorted((a for a in default_boundaries().areas if a.level in (1, 2)),
                   key=lambda a: (a.level, a.code))  # fmt: skip
    for a in areas:
        keys = {a.name, a.name_en}
        for suffix in _SUFFIXES:
            if a.name.endswith(suffix) and len(a.name) > len(suffix) + 1:
                keys.add(a.name[: -len(suffix)])
        for k in keys:
            if k:
                out.setdefault(k.strip().lower(), a.code)
    return out


@lru_cache(maxsize=4096)
def _center(code: str) -> tuple[float, float]:
    """(lat, lon) of a point inside the area."""
    with _lock:  # shapely's prepared geometries are not shared across threads safely
        geom = default_boundaries().geometry(code)
        point = shapely.point_on_surface(geom)
    return float(point.y), float(point.x)


def locate(lat: float, lon: float, name: str = "") -> Place:
    """The point with the province and (China) city containing it."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PlaceUnknown(f"no such coordinates: {lat},{lon}")
    chain = default_boundaries().locate(lat, lon).chain
    province = next((a.code for a in chain if a.level == 1), None)
    city = next((a.code for a in chain if a.level == 2), None)
    label = name or next((a.name for a in reversed(chain) if a.level <= 2), "")
    return Place(label, round(lat, 6), round(lon, 6), province, city)


def of_area(code: str, name: str = "") -> Place:
    """An area's place: its representative point, its province and (a Chinese city or
    county) its city. ``PlaceUnknown`` for a code the data does not know."""
    b = default_boundaries()
    try:
        chain = b.ancestors(code)
    except RegionNotFound as e:
        raise PlaceUnknown(f"no area {code!r}") from e
    area = chain[-1]
    lat, lon = _center(area.code)
    province = next((a.code for a in chain if a.level == 1), None)
    city = next((a.code for a in chain if a.level == 2), None)
    return Place(name or area.name, round(lat, 6), round(lon, 6), province, city)


def resolve_place(text: str) -> Place:
    """A place from what a person types: ``lat,lon``, an area code (``440300``,
    ``CN-GD``) or a name (``深圳市``, ``深圳``, ``Shenzhen``)."""
    value = (text or "").strip()
    if not value or len(value) > 200:
        raise PlaceUnknown("no place given")
    m = _LATLON.match(value)
    if m:
        return locate(float(m.group(1)), float(m.group(2)))
    try:
        return of_area(value)
    except PlaceUnknown:
        pass
    code = _names().get(value.lower())
    if code is None:
        for suffix in _SUFFIXES:
            if value.endswith(suffix):
                code = _names().get(value[: -len(suffix)].lower())
                break
    if code is None:
        raise PlaceUnknown(f"unknown place {value!r}")
    return of_area(code, value)


def place_from_area(area_code: str = "", name: str = "", center: str = "") -> Place:
    """A carrier's checkpoint place: 快递100's ``areaCode`` (``CN440300000000`` or
    ``440300000000``: the GB/T 2260 code padded to 12 digits), ``areaName`` and
    ``areaCenter`` (``"lng,lat"``). Coordinates win when given; an unknown code falls
    back to the name; nothing known gives a place with only its name."""
    lon_lat = _LATLON.match(center or "")
    if lon_lat:
        lon, lat = float(lon_lat.group(1)), float(lon_lat.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return locate(lat, lon, name)
    digits = re.sub(r"^CN", "", (area_code or "").strip().upper())
    if re.fullmatch(r"\d{6}(\d{6})?", digits):
        six = digits[:6]
        for code in (six, six[:4] + "00", six[:2] + "0000"):
            try:
                return of_area(code, name)
            except PlaceUnknown:
                continue
    if name:
        try:
            found = resolve_place(name)
            return Place(name, found.lat, found.lon, found.province, found.city)
        except PlaceUnknown:
            return Place(name[:200])
    return Place()
