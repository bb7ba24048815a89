"""Offline reverse geocoding: speed, its cost on the verify path, and measured precision.

Usage::

    .venv/bin/python benchmarks/bench_regions.py [--n 20000] [--repeat 5] [--scans 2000]
        [--memo-scans 50000]

Speed (MEDIAN of ``--repeat`` runs, each beside its baseline measured in the same run):

- ``resolve()`` one point at a time (what a scan costs) vs the raw k-d tree query of one
  point, and ``resolve_many()`` in bulk vs the raw vectorised query (the exact path,
  without the cell memo);
- the cell memo (:mod:`veriseal.regions.cells`): ``--memo-scans`` fixes scattered around
  1,000 / 10,000 / 100,000 shops, resolved one at a time with the memo vs exactly;
- recording scans on a real SQLite ledger through ``ScanService.scan`` (group commit,
  ``--concurrency`` at a time) WITH region resolution vs the same scans with the resolver
  switched off: the ratio is what resolution costs the verify path.

Precision (deterministic, seed 2026): leave-one-out over ``--n`` places drawn from the
data set: a place's own row is skipped and its nearest OTHER place must name the same
country / province. This is pessimistic for a scan in a town (the town itself is in the
data) and realistic for a scan between towns; the distance to that neighbour is reported
for the misses, which sit near borders.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import ClonePolicy, Location, LocationSource, ScanChannel
from veriseal.regions.resolver import (
    RegionResolver,
    chord_to_km,
    default_resolver,
    unit_vectors,
)
from veriseal.scanning.service import ScanContext


def median_rate(n: int, fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times)


def sample_points(r: RegionResolver, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Points near populated places (a place plus up to ~10 km of GPS/travel noise)."""
    idx = rng.integers(0, len(r), n)
    lat = r.lat[idx].astype(np.float64) + rng.normal(0, 0.05, n)
    lon = r.lon[idx].astype(np.float64) + rng.normal(0, 0.05, n)
    return np.clip(lat, -90, 90), np.clip(lon, -180, 180)


def speed(r: RegionResolver, n: int, repeat: int) -> float:
    """Prints the lookup rates of the exact path (no cell memo: the points are distinct
    and asked again ``repeat`` times); returns the seconds of one single-point lookup."""
    r = r.with_cells(0)
    rng = np.random.default_rng(1)
    lat, lon = sample_points(r, n, rng)
    pts = list(zip(lat.tolist(), lon.tolist(), strict=True))
    vecs = unit_vectors(lat, lon)
    tree = r._tree

    def raw_one() -> None:
        for v in vecs:
            tree.query(v, k=1)

    def ours_one() -> None:
        for la, lo in pts:
            r.resolve(la, lo)

    raw1, ours1 = median_rate(n, raw_one, repeat), median_rate(n, ours_one, repeat)
    rawb = median_rate(n, lambda: tree.query(unit_vectors(lat, lon), k=1), repeat)
    oursb = median_rate(n, lambda: r.resolve_many(lat, lon), repeat)
    print(f"resolve(), one point at a time: {ours1:,.0f} lookups/s"
          f" ({1e6 / ours1:.1f} us each); raw k-d tree query: {raw1:,.0f}/s;"
          f" ratio {ours1 / raw1:.2f}")  # fmt: skip
    print(f"resolve_many(), bulk: {oursb:,.0f} lookups/s; raw vectorised query:"
          f" {rawb:,.0f}/s; ratio {oursb / rawb:.2f}")  # fmt: skip
    return 1 / ours1


def resolve_all(r: RegionResolver, pts: list[tuple[float, float]]) -> None:
    for la, lo in pts:
        r.resolve(la, lo)


def memo_speed(r: RegionResolver, n: int, repeat: int) -> None:
    """Scans made at shops: ``n`` fixes, each at one of K shops (near populated places)
    with a phone's GPS scatter of about 30 m, resolved one at a time by a resolver with
    the default cell memo (fresh for each run) against the exact path (no memo), in the
    same run, for K from a few shops to more shops than the memo holds."""
    exact = r.with_cells(0)
    rng = np.random.default_rng(4)
    for shops in (1_000, 10_000, 100_000):
        lat, lon = shop_points(r, shops, n, rng)
        memo_run(r, exact, shops, list(zip(lat, lon, strict=True)), repeat)


def memo_run(
    r: RegionResolver, exact: RegionResolver, shops: int, pts: list[tuple[float, float]],
    repeat: int,
) -> None:  # fmt: skip
    n = len(pts)
    fresh = [r.with_cells(32_768) for _ in range(repeat)]  # built outside the timing
    runs = iter(fresh)
    ours = median_rate(n, lambda: resolve_all(next(runs), pts), repeat)
    base = median_rate(n, lambda: resolve_all(exact, pts), repeat)
    cells = fresh[-1].cells
    assert cells is not None
    hits = sum(cells.peek(la, lo) is not None for la, lo in pts) / n
    print(f"{n:,} scans at {shops:,} shops (30 m GPS scatter), one at a time: with the"
          f" cell memo {ours:,.0f} lookups/s, exact {base:,.0f}/s, ratio"
          f" {ours / base:.2f}; {cells.certified:,} cells certified, {cells.mixed:,}"
          f" mixed; {hits:.0%} of the points now in a certified cell")  # fmt: skip


def precision(r: RegionResolver, n: int) -> None:
    rng = np.random.default_rng(2026)
    countries = np.array([d.country for d in r.divisions])
    has_iso = np.array([bool(d.iso) for d in r.divisions])
    place_country = countries[r.division]
    print(
        f"data: {len(r):,} places, {len(r.divisions):,} first-level divisions;"
        f" {has_iso[r.division].mean():.1%} of places have an ISO 3166-2 province code"
    )
    china = np.flatnonzero(place_country == "CN")
    for label, pool in (("world", np.arange(len(r))), ("China", china)):
        idx = rng.choice(pool, size=min(n, len(pool)), replace=False)
        chord, nn = r._tree.query(unit_vectors(r.lat[idx], r.lon[idx]), k=2)
        other = nn[:, 1]
        km = chord_to_km(chord[:, 1])
        same_country = countries[r.division[idx]] == countries[r.division[other]]
        same_province = r.division[idx] == r.division[other]
        miss = ~same_province
        print(f"leave-one-out, {label} ({len(idx):,} places): country {same_country.mean():.1%},"
              f" province {same_province.mean():.1%}; neighbour distance median"
              f" {np.median(km):.1f} km (misses: median {np.median(km[miss]):.1f} km)")  # fmt: skip


MODES = ("off", "bulk", "eager", "eager-exact")


def shop_points(
    r: RegionResolver, shops: int, n: int, rng: np.random.Generator
) -> tuple[list[float], list[float]]:
    """``n`` fixes, each at one of ``shops`` shops near populated places, with a phone's
    GPS scatter of about 30 m."""
    slat, slon = sample_points(r, shops, rng)
    pick = rng.integers(0, shops, n)
    scatter = 30.0 / 111_195.0  # 30 m in degrees of latitude
    lat = np.clip(slat[pick] + rng.normal(0, scatter, n), -90, 90)
    lon = np.clip(slon[pick] + rng.normal(0, scatter, n), -180, 180)
    return lat.tolist(), lon.tolist()


async def scan_rates(n: int, concurrency: int, repeat: int, shops: int) -> dict[str, float]:
    """Scans/s on ONE ledger in four modes, alternated (ABCDDCBA...) so that the growing
    ledger and noisy neighbours weigh on all alike: ``off`` (no region resolution),
    ``bulk`` (the default: the group committer resolves each group at once), ``eager``
    (a ``max_regions`` policy in force: each scan resolved before its clone rules, plus
    the rule's query of the code's regions), and ``eager`` again with a resolver without
    the cell memo (``eager-exact``; ``bulk`` never asks the memo). ``shops``: the scans
    are made at that many shops (:func:`shop_points`), the memo warmed first by every
    fix once (with the defaults, 40 sightings of each shop: its cells proved, as a busy
    server's memo holds them); 0: each at a new place."""
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "k.key"
        create_key_file(key)
        cfg = Config(None, f"sqlite:///{tmp}/l.sqlite3", KeySource(key_file=key), plugins=())
        async with await Engine.open(cfg) as engine:
            brand = await engine.brands.create("acme", "Acme", "id.acme.example")
            await engine.catalogue.add(make_product(brand, "09506000134352", "Tea"))
            total = n * repeat * len(MODES)
            batch = await engine.batches.create(
                brand, BatchRequest(gtin="09506000134352", lot="L1", size=total)
            )
            key_rec = (await engine.keys.list(brand))[0]
            with Minter(brand, batch, engine.keys.material(key_rec)) as m:
                chunk = m.chunk(0, total)
            width = chunk.uris.shape[1]
            raw = chunk.uris.tobytes().decode()
            uris = [raw[i * width : (i + 1) * width] for i in range(total)]
            rng = np.random.default_rng(3)
            lat, lon = (
                shop_points(_r(), shops, total, rng) if shops else sample_points(_r(), total, rng)
            )
            where = [Location(float(a), float(b), 20.0, LocationSource.GPS)
                     for a, b in zip(lat, lon, strict=True)]  # fmt: skip
            resolver = engine.committer.resolver
            exact = _r().with_cells(0)
            if shops:  # the memo as a brand's busy server holds it: its shops' cells proved
                for la, lo in zip(lat, lon, strict=True):
                    _r().resolve(la, lo)
            times: dict[str, list[float]] = {m: [] for m in MODES}
            cycle = (*MODES, *reversed(MODES))
            order = [cycle[i % len(cycle)] for i in range(len(MODES) * repeat)]
            for rep, mode in enumerate(order):
                engine.committer.resolver = (
                    None if mode == "off" else (lambda: exact) if "exact" in mode else resolver
                )
                regions = 1000 if mode.startswith("eager") else None
                await engine.ledger.set_clone_policy(
                    brand.id, None, ClonePolicy(max_regions=regions)
                )
                base = rep * n
                t = time.perf_counter()
                for start in range(base, base + n, concurrency):
                    stop = min(start + concurrency, base + n)
                    await asyncio.gather(*(
                        engine.scans.scan(uris[i], ScanContext(ScanChannel.WEB, location=where[i]))
                        for i in range(start, stop)
                    ))  # fmt: skip
                times[mode].append(time.perf_counter() - t)
    return {mode: n / statistics.median(ts) for mode, ts in times.items()}


def _r() -> RegionResolver:
    return default_resolver()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scans", type=int, default=2_000)
    ap.add_argument("--memo-scans", type=int, default=50_000)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    t = time.perf_counter()
    r = _r()
    print(f"load: {time.perf_counter() - t:.2f} s (scipy import, data, k-d tree build)")
    single = speed(r, args.n, args.repeat)
    memo_speed(r, args.memo_scans, args.repeat)
    precision(r, args.n)
    for shops in (0, 1_000):
        rates = asyncio.run(scan_rates(args.scans, args.concurrency, args.repeat, shops))
        where = f"at {shops:,} shops" if shops else "each at a new place"
        off = rates["off"]
        # fmt: off
        print(f"ScanService.scan on SQLite, {args.concurrency} concurrent, genuine codes with GPS"
              f" ({where}): without regions {off:,.0f} scans/s; with regions (bulk, the"
              f" default) {rates['bulk']:,.0f} scans/s, ratio {rates['bulk'] / off:.2f};"
              f" with a max_regions"
              f" rule (eager) {rates['eager']:,.0f} scans/s, ratio {rates['eager'] / off:.2f}"
              f" ({rates['eager-exact'] / off:.2f} without the cell memo); one exact lookup"
              f" alone is {single * 100 * rates['bulk']:.1f}% of a recorded scan's time")
        # fmt: on


if __name__ == "__main__":
    main()
