"""Offline IP geolocation: lookup speed, load time, memory, and its cost on the verify path.

Usage::

    .venv/bin/python benchmarks/bench_ipgeo.py [--n 100000] [--repeat 5] [--requests 2000]

Each figure is the MEDIAN of ``--repeat`` runs, beside a baseline measured in the same run:

- ``IpLocator.locate()`` on ``--n`` random IPv4 addresses (seed 2026) vs parsing the same
  strings with ``ipaddress.ip_address()`` alone, and vs ``inet_pton`` + ``bisect`` over a
  plain Python list of the same range starts;
- loading the data (``IpLocator.load()``, numpy already imported) and the memory it
  holds (tracemalloc);
- verify requests over real HTTP on loopback (SQLite ledger, 32 concurrent, 1,000
  genuine codes, each request forwarded for a random public address by the trusted
  proxy 127.0.0.1), three servers alternated: ``ip_location`` on (the place comes from
  the address); off with the SAME place sent as GPS parameters (the baseline: identical
  downstream work, region resolution and clone rules, without the lookup); off with no
  location at all (what having a location costs, lookup aside).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from bisect import bisect_right
from pathlib import Path

import aiohttp
from aiohttp import web

from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.regions.ipgeo import IpLocator
from veriseal.server import make_app
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner

sys.path.insert(0, str(Path(__file__).parent))
from bench_boundaries import median_seconds
from bench_http import free_port, prepare


def lookups(n: int, repeat: int) -> None:
    rng = random.Random(2026)
    ips = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(n)]
    loc = IpLocator.load()
    starts = list(loc._starts)  # the same table as a plain list
    found = sum(1 for ip in ips if loc.locate(ip) is not None)

    def plain() -> None:
        for ip in ips:
            bisect_right(starts, int.from_bytes(socket.inet_pton(socket.AF_INET, ip))) - 1

    rows = [
        ("IpLocator.locate()", median_seconds(lambda: [loc.locate(ip) for ip in ips], repeat)),
        ("ipaddress.ip_address() alone", median_seconds(
            lambda: [ipaddress.ip_address(ip) for ip in ips], repeat)),
        ("inet_pton + bisect over a list", median_seconds(plain, repeat)),
    ]  # fmt: skip
    base = rows[0][1]
    print(f"lookups ({n:,} random IPv4 addresses, {found / n:.1%} with an answer):")
    for name, secs in rows:
        print(f"  {name:32s} {n / secs:12,.0f}/s  {secs / n * 1e6:6.2f} µs"
              f"  locate()/this rate: {secs / base:.2f}")  # fmt: skip


def loading(repeat: int) -> None:
    secs = median_seconds(IpLocator.load, repeat)
    tracemalloc.start()
    held = IpLocator.load()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"load: {secs * 1000:.0f} ms (median of {repeat}); memory held {current / 1e6:.1f} MB,"
          f" peak while loading {peak / 1e6:.1f} MB; {len(held):,} ranges")  # fmt: skip


async def serve(folder: Path, on: bool) -> tuple[str, list[str], ApiRunner, Engine]:
    folder.mkdir()
    key = folder / "k.key"
    create_key_file(key)
    url = sqlite_url(folder / "l.sqlite3")
    port = free_port()
    paths = await prepare(url, key, f"127.0.0.1:{port}", 1000)
    settings = {"trusted_proxies": ["127.0.0.1/32"], "ip_location": on}
    engine = await Engine.open(Config(None, url, KeySource(key_file=key), server=settings))
    runner = ApiRunner(make_app(engine, Limits(per_minute=0)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}", paths, runner, engine


async def drive(base: str, paths: list[str], ips: list[str], mode: str, offset: int) -> float:
    """Requests/s of ``len(ips)`` verify requests, 32 at a time, request ``i`` forwarded
    for ``ips[i]``; mode ``gps`` sends that address's place as GPS parameters instead."""
    loc = IpLocator.load()
    queue = list(range(len(ips)))
    n = len(ips)
    async with aiohttp.ClientSession() as s:

        async def worker() -> None:
            while queue:
                i = queue.pop()
                headers = {"Accept": "application/json", "X-Forwarded-For": ips[i]}
                url = base + paths[(i + offset) % len(paths)]
                fix = loc.locate(ips[i]) if mode == "gps" else None
                if fix is not None:
                    url += f"&lat={fix.lat}&lon={fix.lon}&acc={fix.radius_km * 1000}"
                async with s.get(url, headers=headers) as r:
                    await r.read()

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(32)))
        return n / (time.perf_counter() - t)


async def verify_path(requests: int, repeat: int) -> None:
    rng = random.Random(2026)
    ips = [f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.7"
           for _ in range(requests)]  # fmt: skip
    modes = ("ip", "gps", "none")
    with tempfile.TemporaryDirectory() as tmp:
        servers = {m: await serve(Path(tmp) / m, m == "ip") for m in modes}
        rates: dict[str, list[float]] = {m: [] for m in modes}
        for r in range(repeat):
            for m in modes[r % 3 :] + modes[: r % 3]:  # rotate the order
                base, paths, _, _ = servers[m]
                rates[m].append(await drive(base, paths, ips, m, r * requests))
        for _, _, runner, engine in servers.values():
            await runner.cleanup()
            await engine.close()
    med = {m: statistics.median(v) for m, v in rates.items()}
    print(f"verify over HTTP ({requests} requests x {repeat}, 32 concurrent, SQLite):")
    print(f"  ip_location on (place from the address)   {med['ip']:8,.0f}/s  ratio to GPS"
          f" baseline {med['ip'] / med['gps']:.2f}")  # fmt: skip
    print(f"  off, same place sent as GPS (baseline)    {med['gps']:8,.0f}/s")
    print(f"  off, no location at all                   {med['none']:8,.0f}/s"
          f"  (having a location: {med['gps'] / med['none']:.2f} of this)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    import numpy  # noqa: F401, PLC0415  (the server has it imported already)

    loading(args.repeat)
    lookups(args.n, args.repeat)
    asyncio.run(verify_path(args.requests, args.repeat))


if __name__ == "__main__":
    main()
