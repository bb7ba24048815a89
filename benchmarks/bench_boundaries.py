"""Administrative boundaries: lookup speed, relation() speed, load time, memory, data size.

Usage::

    .venv/bin/python benchmarks/bench_boundaries.py [--n 20000] [--repeat 5]

Every figure is the MEDIAN of ``--repeat`` rounds, printed beside a baseline measured in
the same run, with the ratio (figure / baseline):

- ``locate()`` one point at a time, and ``RegionResolver.resolve()`` (what a scan costs
  now: boundary + nearest place), against the old nearest-place ``resolve()`` (the same
  resolver without boundaries);
- ``locate_many()`` and ``resolve_many()`` in bulk, against the old ``resolve_many()`` and
  against raw ``shapely.contains_xy`` of the same points in ONE prepared polygon (the
  floor of any point-in-polygon work);
- ``relation()`` for a 2 km disc against a city (440300, Shenzhen) and a province (CN-GD),
  and from Zhejiang against CN-GD (600-900 km outside: a diverted unit), and ``relate()``
  (the verdict without the distance) against CN-GD, each against raw
  ``shapely.contains(prepared area, disc)`` for the same discs;
- loading (fresh ``Boundaries.load()``) against the place data's ``RegionResolver`` load,
  and the resident memory the first load adds.

Points: GeoNames places drawn at random (seed 2026) plus up to ~10 km of noise, so they
sit where scans happen; the relation() discs are centred within ~60 km of Shenzhen, or
of Hangzhou.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import shapely

from veriseal.regions.boundaries import Boundaries, disc
from veriseal.regions.resolver import RegionResolver


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def row(what: str, n: int, t: float, base_what: str, base_n: int, base_t: float) -> None:
    rate, base = n / t, base_n / base_t
    print(f"| {what} | {rate:,.0f}/s ({1e6 / rate:.1f} µs) | {base_what}: {base:,.0f}/s"
          f" | {rate / base:.3g} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n, repeat = args.n, max(args.repeat, 5)

    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    b = Boundaries.load()
    first_load = time.perf_counter() - t0
    gc.collect()
    grown = rss_mb() - before
    load = median_seconds(Boundaries.load, repeat)
    places = RegionResolver.load()  # its boundaries: default_boundaries(), loaded once
    plain = RegionResolver(places.lat, places.lon, places.division, places.names,
                           places.divisions)  # fmt: skip
    places_load = median_seconds(RegionResolver.load, repeat)  # boundaries cached by now
    size = (resources.files("veriseal.regions") / "data" / "boundaries.npz").read_bytes()

    rng = np.random.default_rng(2026)
    pick = rng.integers(0, len(plain), n)
    lat = plain.lat[pick].astype(np.float64) + rng.normal(0, 0.05, n)
    lon = plain.lon[pick].astype(np.float64) + rng.normal(0, 0.05, n)
    pts = list(zip(lat.tolist(), lon.tolist(), strict=True))
    m = max(n // 10, 500)

    print(f"data: {len(size) / 1e6:.2f} MB, {len(b.areas)} areas; first load"
          f" {first_load:.2f} s, +{grown:.0f} MB resident\n")  # fmt: skip
    print("| what | rate | baseline in the same run | ratio |\n|---|---|---|---|")
    t_old = median_seconds(lambda: [plain.resolve(y, x) for y, x in pts], repeat)
    t_loc = median_seconds(lambda: [b.locate(y, x) for y, x in pts], repeat)
    t_res = median_seconds(lambda: [places.resolve(y, x) for y, x in pts], repeat)
    row("`locate()`, one at a time", n, t_loc, "old nearest-place `resolve()`", n, t_old)
    row("`resolve()` (boundary + nearest place), one at a time", n, t_res,
        "old nearest-place `resolve()`", n, t_old)  # fmt: skip

    gd = b.geometry("CN-GD")
    t_raw = median_seconds(lambda: shapely.contains_xy(gd, lon, lat), repeat)
    t_old_many = median_seconds(lambda: plain.resolve_many(lat, lon), repeat)
    t_many = median_seconds(lambda: b.locate_many(lat, lon), repeat)
    t_res_many = median_seconds(lambda: places.resolve_many(lat, lon), repeat)
    row("`locate_many()`, bulk", n, t_many, "old `resolve_many()`", n, t_old_many)
    row("`locate_many()`, bulk", n, t_many, "raw `contains_xy`, one prepared province", n,
        t_raw)  # fmt: skip
    row("`resolve_many()` (boundary + nearest place), bulk", n, t_res_many,
        "old `resolve_many()`", n, t_old_many)  # fmt: skip

    sz = (22.6 + rng.uniform(-0.5, 0.5, m), 114.0 + rng.uniform(-0.5, 0.5, m))
    hz = (30.27 + rng.uniform(-0.5, 0.5, m), 120.16 + rng.uniform(-0.5, 0.5, m))
    cases = [  # (what, centres, code, call)
        ("`relation()` 2 km disc vs 440300", sz, "440300", b.relation),
        ("`relation()` 2 km disc vs CN-GD", sz, "CN-GD", b.relation),
        # a unit of a Guangdong dealer seen in Zhejiang: the diversion case, 600-900 km
        # from the territory's edge
        ("`relation()` 2 km disc in Zhejiang vs CN-GD", hz, "CN-GD", b.relation),
    ]
    if hasattr(b, "relate"):  # the verdict alone, as the diversion check asks first
        cases.append(("`relate()` 2 km disc vs CN-GD", sz, "CN-GD", b.relate))
    for what, (ys, xs), code, call in cases:
        points = list(zip(ys.tolist(), xs.tolist(), strict=True))
        discs = [disc(y, x, 2.0) for y, x in points]
        area = b.geometry(code)
        b.relation(22.6, 114.0, 2.0, [code])  # the union is cached: measure the steady state
        t_rel = median_seconds(
            lambda c=code, f=call, pp=points: [f(y, x, 2.0, [c]) for y, x in pp], repeat
        )
        t_raw_rel = median_seconds(lambda a=area, d=discs: [shapely.contains(a, x) for x in d],
                                   repeat)  # fmt: skip
        row(what, m, t_rel, "raw `contains(area, disc)`", m, t_raw_rel)
    print(f"| `Boundaries.load()` | {load:.2f} s | `RegionResolver.load()` (places):"
          f" {places_load:.2f} s | {load / places_load:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
