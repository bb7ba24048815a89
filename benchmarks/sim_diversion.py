"""Accuracy of diversion (窜货) and clone alerts on a simulated dealer network.

Everything runs through the real services and a real SQLite ledger: dealers are imported
from CSV, verified through the KYC flow and granted their province; goods are shipped
with the shipment service; consumers' scans go through ``engine.scans.scan`` (verifier,
clone rules, group commit, then the territories plugin's stream consumer); another
dealer's inbound scans go through the receipt service. Nothing is re-implemented here
but the world itself:

- DEALERS dealers, spread over the 31 mainland provinces, each authorized for its own
  province, each shipped UNITS consecutive items;
- consumer scans of most units, in the holder's province, at real towns of the data
  set (a share deliberately at towns near a provincial border), with GPS noise drawn
  from a log-normal accuracy (median ~25 m, a tail of poor fixes beyond the 2 km
  cut-off) and a share located by IP only (city-level, up to ~30 km off);
- injected diversions: some dealers sell part of their stock into another province,
  either straight to consumers there or to a dealer there who scans it in;
- injected clones: some genuine codes copied and scanned many times across provinces.

Scans run in simulated order but real time (seconds), so the second scan of a unit is
made from the same place and location source as the first (a shopper rescanning at
home), not from a random new one: otherwise the clone rules' impossible-travel test
would (rightly) flag two scans 30 km apart within a minute.

Reports precision and recall of diversion alerts (per diverted unit and per inbound
receipt) and of clone alerts (per cloned code), and lists the misses with their cause.

    .venv/bin/python benchmarks/sim_diversion.py [--dealers 300] [--units 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import math
import random
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from veriseal.accounts.identity import uscc_check
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal.models import Brand, Location, LocationSource, ScanChannel
from veriseal.regions.china import PROVINCES
from veriseal.regions.resolver import default_resolver
from veriseal.scanning.service import ScanContext
from veriseal_territories.service import Territories, of

GTIN = "09506000134352"
CLONE_KINDS = {"clone_count", "impossible_travel", "clone_regions"}


@dataclass
class Truth:
    diverted_units: set[int] = field(default_factory=set)  # sold to consumers elsewhere
    diverted_receipts: set[int] = field(default_factory=set)  # movement ids
    receipt_units: set[int] = field(default_factory=set)
    cloned: set[str] = field(default_factory=set)
    # per unit index: the sources of its usable (non-IP, precise) scans
    usable: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    scanned: set[int] = field(default_factory=set)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 120, 30)).save(out, "JPEG")
    return out.getvalue()


def ring(lat: float, lon: float, km: float, bearings: int) -> list[tuple[float, float]]:
    """Points at ``km`` and half of it around (lat, lon) (flat-earth offsets)."""
    scale = max(math.cos(math.radians(lat)), 0.01)
    out = []
    for r in (km / 2, km):
        for n in range(bearings):
            a = 2 * math.pi * n / bearings
            out.append((lat + r * math.cos(a) / 111.32, lon + r * math.sin(a) / (111.32 * scale)))
    return out


def places_by_province() -> tuple[
    dict[str, list[tuple[float, float]]], dict[str, list[tuple[float, float]]]
]:
    """Towns of each mainland province, and those within ~15 km of another province."""
    r = default_resolver()
    keys = [d.key for d in r.divisions]
    towns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    wanted = {p.iso for p in PROVINCES}
    for lat, lon, div in zip(r.lat.tolist(), r.lon.tolist(), r.division.tolist(), strict=True):
        if keys[div] in wanted:
            towns[keys[div]].append((lat, lon))
    rng = random.Random(1)
    border: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, pts in towns.items():
        for lat, lon in rng.sample(pts, min(len(pts), 300)):
            around = ring(lat, lon, 15.0, 8)
            found = r.resolve_many([p[0] for p in around], [p[1] for p in around])
            if any(x is not None and x.province != key for x in found):
                border[key].append((lat, lon))
    return towns, border


def neighbouring(
    border: dict[str, list[tuple[float, float]]], provinces: list[str]
) -> dict[str, list[str]]:
    """Provinces met within 15 km of each province's border towns."""
    r = default_resolver()
    out: dict[str, list[str]] = {}
    for key, pts in border.items():
        found: set[str] = set()
        for lat, lon in pts[:60]:
            around = ring(lat, lon, 15.0, 8)
            for x in r.resolve_many([p[0] for p in around], [p[1] for p in around]):
                if x is not None and x.province != key and x.province in provinces:
                    found.add(x.province)
        out[key] = sorted(found)
    return out


def noisy_fix(rng: random.Random, lat: float, lon: float, ip_share: float) -> Location:
    if rng.random() < ip_share:  # city-level geolocation of the client address
        d, a = rng.uniform(0, 30), rng.uniform(0, 2 * math.pi)
        return Location(
            lat + d * math.cos(a) / 111.32,
            lon + d * math.sin(a) / (111.32 * math.cos(math.radians(lat))),
            None,
            LocationSource.IP,
        )
    accuracy = min(rng.lognormvariate(math.log(25), 1.1), 5000.0)
    sigma = accuracy / 1000 / 1.5  # km: the reported accuracy is roughly a 1.5-sigma radius
    dn, de = rng.gauss(0, sigma), rng.gauss(0, sigma)
    return Location(
        lat + dn / 111.32,
        lon + de / (111.32 * math.cos(math.radians(lat))),
        round(accuracy, 1),
        LocationSource.GPS,
    )


async def approve(engine: Engine, org_id: int, n: int, image: bytes) -> None:
    user = await engine.accounts.create_user(
        SYSTEM,
        contact=f"dealer{n}@sim.example",
        display_name=f"dealer {n}",
        role=Role.DISTRIBUTOR,
        org_id=org_id,
    )
    first = f"91110000MA{n:07d}"
    sub = await engine.kyc.submit_enterprise(
        await engine.accounts.principal(user), f"Dealer {n} Co.", first + uscc_check(first), image
    )
    await engine.kyc.review(SYSTEM, sub.id, True, "sim")


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    towns, border = places_by_province()
    provinces = sorted(p for p in towns if p not in ("CN-HK", "CN-MO", "CN-TW"))
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "k"
        create_key_file(key)
        cfg = Config(
            None, f"sqlite:///{tmp}/sim.sqlite3", KeySource(key_file=key), plugins=("territories",)
        )
        engine = await Engine.open(cfg)
        try:
            await run(engine, rng, args, towns, border, provinces, t0)
        finally:
            await engine.close()


@dataclass
class World:
    """The simulated market: the brand's codes, its dealers, and where each unit ends up."""

    engine: Engine
    rng: random.Random
    args: argparse.Namespace
    towns: dict[str, list[tuple[float, float]]]
    border: dict[str, list[tuple[float, float]]]
    provinces: list[str]
    brand: Brand
    codes: list[str]  # printed URIs, by unit index
    home: dict[str, str]  # dealer code -> its home province
    truth: Truth = field(default_factory=Truth)
    where_sold: dict[int, str] = field(default_factory=dict)  # unit -> consumer's province
    diverting: list[str] = field(default_factory=list)  # dealers that divert
    via_dealer: set[str] = field(default_factory=set)  # ... through another dealer
    scans: list[tuple[int, Location]] = field(default_factory=list)  # (unit, fix)

    @property
    def per(self) -> int:
        return int(self.args.units)

    def serial(self, i: int) -> str:
        return self.codes[i].rsplit("/", 1)[1]


async def run(
    engine: Engine,
    rng: random.Random,
    args: argparse.Namespace,
    towns: dict[str, list[tuple[float, float]]],
    border: dict[str, list[tuple[float, float]]],
    provinces: list[str],
    t0: float,
) -> None:
    w = await make_world(engine, rng, args, towns, border, provinces)
    await build_network(w)
    t_setup = time.perf_counter()
    await ship(w)
    await inject_diversions(w)
    consumer_scans(w)
    clone_scans(w)
    t_scan = await scan_all(w)
    await report(w, t_setup - t0, t_scan)


def territories(w: World) -> Territories:
    """The territories plugin's services, as its hooks get them."""
    return of(w.engine.plugins.context("territories"))


async def make_world(
    engine: Engine,
    rng: random.Random,
    args: argparse.Namespace,
    towns: dict[str, list[tuple[float, float]]],
    border: dict[str, list[tuple[float, float]]],
    provinces: list[str],
) -> World:
    """A brand with one batch of codes, DEALERS x UNITS, and each dealer's home."""
    brand = await engine.brands.create("sim", "Sim Tea", "id.sim.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Tea", category="Beverages/Tea"))
    n_dealers, per = args.dealers, args.units
    batch = await engine.batches.create(
        brand, BatchRequest(gtin=GTIN, lot="S1", size=n_dealers * per)
    )
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(0, n_dealers * per)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    codes = [raw[i * width : (i + 1) * width] for i in range(n_dealers * per)]
    home = {f"D{d:04d}": provinces[d % len(provinces)] for d in range(n_dealers)}
    return World(engine, rng, args, towns, border, provinces, brand, codes, home)


async def build_network(w: World) -> None:
    """The dealer network, through the real import, KYC and grant services."""
    t = territories(w)
    csv_text = "code,name,kind,parent,contact,phone,regions,status\n" + "".join(
        f"{c},经销商{c},distributor,,联系人,1380000{i:04d},{p},active\n"
        for i, (c, p) in enumerate(w.home.items())
    )
    await t.dealers.import_csv(SYSTEM, w.brand.id, csv_text)
    image = jpeg()
    for n, code in enumerate(w.home):
        dealer = await t.dealers.find(w.brand.id, code)
        await approve(w.engine, dealer.org_id, n, image)
        await t.grants.grant(SYSTEM, w.brand.id, code, "category:Beverages/Tea", w.home[code])
    # this sim's IP positions are noise around the true town with a 25 km radius it does
    # not send: its scoring counts IP-only units as undetectable, so IP is not evidence
    await t.diversion.set_tolerances(SYSTEM, w.brand.id, buffer_km=w.args.buffer_km, ip_weight=0)


async def ship(w: World) -> None:
    """Every dealer its own consecutive range, sold (so far) in its home province."""
    t = territories(w)
    for n, code in enumerate(w.home):
        await t.shipments.ship(SYSTEM, w.brand, code, w.codes[n * w.per : (n + 1) * w.per])
        for i in range(n * w.per, (n + 1) * w.per):
            w.where_sold[i] = w.home[code]


async def inject_diversions(w: World) -> None:
    """A tenth of the dealers sell half their stock elsewhere: a third of them to a
    dealer there (who scans it in), the others straight to consumers."""
    rng, dealers = w.rng, list(w.home)
    neighbours = neighbouring(w.border, w.provinces)
    w.diverting = rng.sample(dealers, max(1, len(dealers) // 10))
    w.via_dealer = set(w.diverting[: len(w.diverting) // 3])
    for code in w.diverting:
        n = dealers.index(code)
        units = list(range(n * w.per, n * w.per + w.per // 2))  # half its stock
        near = neighbours.get(w.home[code], [])
        if near and rng.random() < w.args.neighbour_share:  # just across a border
            elsewhere = rng.choice(near)
        else:
            elsewhere = rng.choice([p for p in w.provinces if p != w.home[code]])
        if code in w.via_dealer:  # sold to a dealer there, who scans it in
            buyer = rng.choice([d for d in dealers if w.home[d] == elsewhere])
            r = await territories(w).receive(
                SYSTEM, w.brand, [w.codes[i] for i in units], at_ref=buyer
            )
            w.truth.diverted_receipts.update(x.movement_id for x in r.taken)
            w.truth.receipt_units.update(units)
        else:
            w.truth.diverted_units.update(units)
        for i in units:
            w.where_sold[i] = elsewhere


def consumer_scans(w: World) -> None:
    """Most units scanned by a shopper near a town of the province they were sold in."""
    rng, args = w.rng, w.args
    for i, province in w.where_sold.items():
        if rng.random() > args.scanned:
            continue
        pool = (
            w.border[province]
            if rng.random() < args.border_share and w.border[province]
            else w.towns[province]
        )
        lat, lon = rng.choice(pool)
        # the shopper lives up to --rural-km from the town (then the GPS noise applies)
        d, a = rng.uniform(0, args.rural_km), rng.uniform(0, 2 * math.pi)
        lat, lon = (
            lat + d * math.cos(a) / 111.32,
            lon + d * math.sin(a) / (111.32 * math.cos(math.radians(lat))),
        )
        fix = noisy_fix(rng, lat, lon, args.ip_share)
        repeats = 2 if rng.random() < 0.2 else 1
        for _ in range(repeats):
            w.scans.append((i, fix))
            w.truth.scanned.add(i)
            if fix.source is LocationSource.GPS and (fix.accuracy_m or 0) <= 2000:
                w.truth.usable[i] += 1


def clone_scans(w: World) -> None:
    """Copies of genuine in-territory codes scanned across the country."""
    truth = w.truth
    clean = [i for i in w.where_sold if i not in truth.diverted_units | truth.receipt_units]
    for i in w.rng.sample(clean, w.args.clones):
        truth.cloned.add(w.serial(i))
        for _ in range(w.args.copies):
            lat, lon = w.rng.choice(w.towns[w.rng.choice(w.provinces)])
            w.scans.append((i, noisy_fix(w.rng, lat, lon, 0.0)))


async def scan_all(w: World) -> float:
    """Every scan through the real scan service, in shuffled order; the seconds taken."""
    scans, engine = w.scans, w.engine
    order = list(range(len(scans)))
    w.rng.shuffle(order)
    # keep each unit's own scans in order (the repeat after the first)
    t_scan0 = time.perf_counter()
    sem = asyncio.Semaphore(32)  # concurrent consumers: group commit batches them

    async def one(k: int) -> None:
        i, fix = scans[k]
        async with sem:
            await engine.scans.scan(w.codes[i], ScanContext(ScanChannel.WEB, f"device:{i}", fix))

    # units are scanned by one consumer at a time: process in waves with no unit twice
    pending = order
    while pending:
        wave: list[int] = []
        later: list[int] = []
        seen: set[int] = set()
        for k in pending:
            (later if scans[k][0] in seen else wave).append(k)
            seen.add(scans[k][0])
        await asyncio.gather(*(one(k) for k in wave))
        pending = later
    await worker_for(w.engine).drain()  # the diversion checks run on the event stream
    return time.perf_counter() - t_scan0


@dataclass(frozen=True)
class Score:
    """True and false positives and misses of one alert kind."""

    tp: set[Any]  # unit indexes or movement ids
    fp: set[Any]
    fn: set[Any]


async def report(w: World, t_setup: float, t_scan: float) -> None:
    """Score the alerts against the truth and print the figures and the misses."""
    args, truth = w.args, w.truth
    alerts = await territories(w).alerts.list(SYSTEM, w.brand.id, limit=10**7)
    live = [a for a in alerts if a.state != "dismissed"]
    superseded = [a for a in alerts if a.state == "dismissed"]
    # a consignment's alert lists its units (the first 200; the sim's consignments are
    # smaller), a single-unit alert of an older version is its own index
    scan_alerted = {
        u["index"] for a in live if a.source == "scan" for u in a.evidence.get("units", [])
    } | {a.index for a in live if a.source == "scan" and "units" not in a.evidence}
    receipt_alerted = {a.movement_id for a in live if a.source == "receipt"}
    detectable = {i for i in truth.diverted_units if truth.usable.get(i)}
    units = Score(
        scan_alerted & truth.diverted_units,
        {i for i in scan_alerted if i not in truth.diverted_units},
        detectable - scan_alerted,
    )
    receipts = Score(
        receipt_alerted & truth.diverted_receipts,
        receipt_alerted - truth.diverted_receipts,
        truth.diverted_receipts - receipt_alerted,
    )
    tp = len(units.tp) + len(receipts.tp)
    precision = tp / max(tp + len(units.fp) + len(receipts.fp), 1)
    recall = tp / max(len(detectable) + len(truth.diverted_receipts), 1)
    core = await w.engine.ledger.list_alerts(w.brand.id, limit=10**7)
    cloned_alerted = {a.alert.code for a in core if str(a.alert.kind) in CLONE_KINDS}
    c_tp = cloned_alerted & truth.cloned
    c_precision = len(c_tp) / max(len(cloned_alerted), 1)
    c_recall = len(c_tp) / max(len(truth.cloned), 1)
    ip_only = {i for i in truth.diverted_units & truth.scanned if not truth.usable.get(i)}

    print(
        f"dealers {args.dealers} in {len(set(w.home.values()))} provinces,"
        f" {args.dealers * w.per} units,"
        f" {len(w.scans)} scans ({args.ip_share:.0%} IP-located,"
        f" {args.border_share:.0%} at border towns), {len(w.diverting)} diverting dealers"
        f" ({len(w.via_dealer)} via another dealer's inbound scan, {args.neighbour_share:.0%}"
        f" into a neighbouring province), {args.clones} cloned codes"
        f" x {args.copies} copy scans; buffer {args.buffer_km:g} km"
    )
    print(
        f"setup {t_setup:.1f} s; scans {t_scan:.1f} s"
        f" ({len(w.scans) / t_scan:.0f} scans/s through the real scan service)"
    )
    print(
        f"DIVERSION precision {precision:.3f}  recall {recall:.3f}"
        f"  (units: TP {len(units.tp)} FP {len(units.fp)} FN {len(units.fn)};"
        f" receipts: TP {len(receipts.tp)} FP {len(receipts.fp)} FN {len(receipts.fn)})"
    )
    print(
        f"  not counted: {len(ip_only)} diverted units seen only by IP or with a fix worse"
        f" than 2 km (undetectable by design at ip_weight 0); {len(superseded)} diversion"
        " alerts dismissed as superseded by a clone alert"
    )
    print(
        f"CLONE     precision {c_precision:.3f}  recall {c_recall:.3f}"
        f"  (codes: TP {len(c_tp)} FP {len(cloned_alerted - truth.cloned)}"
        f" FN {len(truth.cloned - cloned_alerted)})"
    )
    by_index = {
        u["index"]: (a, u["seen"])
        for a in live
        if a.source == "scan"
        for u in a.evidence.get("units", [{"index": a.index, "seen": a.evidence["seen"]}])
    }
    print_misses(w, by_index, units, cloned_alerted)


def print_misses(
    w: World, by_index: dict[Any, Any], units: Score, cloned_alerted: set[str]
) -> None:
    """The first false and missed alerts of each kind, with what was seen."""
    truth = w.truth
    r = default_resolver()
    for i in sorted(units.fp)[:15]:
        a, seen = by_index[i]
        print(
            f"  false diversion: unit {i} of {a.evidence['holder']['code']}"
            f" ({a.evidence['territory']['regions']}) seen in {seen['province']}"
            f" {seen['city']} source {seen['source']} accuracy {seen['accuracy_m']} m;"
            f" cloned={w.serial(i) in truth.cloned}"
        )
    for i in sorted(units.fn)[:15]:
        fixes = [f for k, f in w.scans if k == i]
        regions = [
            (f.source.value, f.accuracy_m, getattr(r.resolve(f.lat, f.lon), "province", None))
            for f in fixes
        ]
        print(f"  missed diversion: unit {i} sold in {w.where_sold[i]}, fixes {regions}")
    for code in sorted(truth.cloned - cloned_alerted)[:15]:
        print(f"  missed clone: {code}")
    for code in sorted(cloned_alerted - truth.cloned)[:15]:
        print(f"  false clone: {code}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dealers", type=int, default=300)
    p.add_argument("--units", type=int, default=20, help="units shipped to each dealer")
    p.add_argument("--scanned", type=float, default=0.8, help="share of units scanned")
    p.add_argument("--ip-share", type=float, default=0.1)
    p.add_argument("--border-share", type=float, default=0.2)
    p.add_argument("--rural-km", type=float, default=3.0, help="shoppers live this far out")
    p.add_argument(
        "--neighbour-share",
        type=float,
        default=0.5,
        help="share of diversions into a neighbouring province",
    )
    p.add_argument("--buffer-km", type=float, default=5.0, help="diversion border buffer")
    p.add_argument("--clones", type=int, default=30)
    p.add_argument("--copies", type=int, default=25)
    p.add_argument("--seed", type=int, default=7)
    asyncio.run(main(p.parse_args()))
