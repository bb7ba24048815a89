"""The brand console's main pages against the JSON API calls behind them, over real HTTP,
on a ledger of many scans and alerts.

Usage::

    PYTHONPATH=src python benchmarks/bench_console.py [--scans 1000000] [--alerts 10000]
        [--requests 200] [--backend sqlite|postgres] [--pg postgresql://postgres@127.0.0.1/postgres]

The default (--scans 20000 --alerts 500) is a quick run; the figures in docs come from
--scans 1000000 --alerts 10000. A brand's ledger is seeded through the ledger's bulk
path (append_scans, 5,000 scans per transaction, stream events and per-code counts
included), the alerts in one transaction with a third of them moved through the
workflow, then the dashboard's rollup is counted once (``veriseal dashboard rebuild``);
the last scans are left to the stream consumer, which is timed too.

A server (``make_site``: the console and the API) runs in its own process; this process
signs in through the console's form (a brand admin) and holds an API token of the same
user. Each page and its API call are requested alternately, ``--requests`` times each,
and p50 / p99 latencies are printed with the ratio page / API: what rendering the page
(templates, locale formatting, the brand check) costs over the same data as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from veriseal.accounts.models import SYSTEM, Role
from veriseal.brandops import workflow_store
from veriseal.brandops.dashboard import CONSUMER
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal.ledger import stream_store
from veriseal.ledger.alert_store import insert_alert
from veriseal.models import (
    AlertKind,
    Location,
    LocationSource,
    NewAlert,
    NewScan,
    Region,
    ScanChannel,
)
from veriseal.regions.china import PROVINCES

PASSWORD = "bench horse battery staple"
GTINS = ("09506000134352", "09506000134369", "09506000134376")
OUTCOMES = (("genuine", 85), ("suspected_clone", 5), ("invalid", 4), ("pin_required", 3),
            ("expired", 2), ("not_activated", 1))  # fmt: skip
CHANNELS = ((ScanChannel.WEB, 90), (ScanChannel.HANDHELD, 7), (ScanChannel.API, 3))
GROUP = 5000  # scans per transaction while seeding
LEFT_TO_CONSUMER = 0.02  # the share of scans the stream consumer counts (timed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _weighted(pairs: tuple[tuple[object, int], ...], n: int, rng: random.Random) -> list[object]:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights, k=n)


# -- seeding -----------------------------------------------------------------------------
@dataclass
class Seeded:
    brand_slug: str
    login: str
    token: str
    alert_id: int
    seconds: dict[str, float]


async def _people_and_batches(engine: Engine) -> tuple[int, list[tuple[int, str, int]], str, str]:
    brand = await engine.brands.create("acme", "Acme 茶业", "id.acme.example")
    for i, gtin in enumerate(GTINS):
        await engine.catalogue.add(make_product(brand, gtin, f"Tea {i} 茶", shelf_life_days=720))
    batches = []
    for i in range(12):
        gtin = GTINS[i % len(GTINS)]
        b = await engine.batches.create(brand, BatchRequest(gtin, f"L{i:03d}", 100_000))
        batches.append((b.id, b.gtin, b.size))
    root = await engine.accounts.brand_org(brand)
    login = "admin@acme.example"
    user = await engine.accounts.create_user(SYSTEM, contact=login, display_name="Admin",
                                             role=Role.BRAND_ADMIN, org_id=root.id,
                                             password=PASSWORD)  # fmt: skip
    token, _ = await engine.accounts.create_token(SYSTEM, "bench", ["*"], None, user.id)
    return brand.id, batches, login, token


def _scans(brand_id: int, batches: list[tuple[int, str, int]], n: int, first: int,
           now: dt.datetime, rng: random.Random) -> list[NewScan]:  # fmt: skip
    outcomes = _weighted(OUTCOMES, n, rng)  # type: ignore[arg-type]
    channels = _weighted(CHANNELS, n, rng)  # type: ignore[arg-type]
    out = []
    for i in range(n):
        batch_id, gtin, size = batches[rng.randrange(len(batches))]
        province = PROVINCES[min(int(rng.expovariate(0.15)), len(PROVINCES) - 1)]
        located = rng.random() < 0.9
        out.append(NewScan(
            at=now - dt.timedelta(seconds=rng.randrange(90 * 86400)),
            code=f"S{batch_id:03d}{rng.randrange(size):07d}",
            outcome=str(outcomes[i]), reason="", channel=channels[i],  # type: ignore[arg-type]
            actor=f"device:{first + i}", brand_id=brand_id, gtin=gtin, batch_id=batch_id,
            index=rng.randrange(size),
            location=Location(23.1, 113.3, 30.0, LocationSource.GPS) if located else None,
            region=Region("CN", province.iso, "Town", province.gb2260) if located else None,
        ))  # fmt: skip
    return out


async def _alerts(engine: Engine, brand_id: int, n: int, scan_ids: list[int],
                  rng: random.Random) -> int:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    kinds = [k for k in AlertKind if k is not AlertKind.INVALID_FLOOD]
    async with engine.ledger.write() as tx:
        ids = []
        for i in range(n):
            evidence = tuple(rng.sample(scan_ids, min(len(scan_ids), 3)))
            alert = NewAlert(now - dt.timedelta(minutes=n - i), brand_id, rng.choice(kinds),
                             f"S{i:010d}", evidence, '{"count": 21, "limit": 20}')  # fmt: skip
            ids.append(await insert_alert(tx, alert))
        for alert_id in ids[::3]:  # a third moved: investigating, then some closed
            row = await workflow_store.get(tx, alert_id)
            assert row is not None
            await workflow_store.append_event(tx, row.alert, "investigating", now, "user:1", "")
            if alert_id % 2:
                end = rng.choice(["confirmed", "dismissed"])
                await workflow_store.append_event(tx, row.alert, end, now, "user:1", "seen")
    return ids[len(ids) // 2]


async def seed(cfg: Config, n_scans: int, n_alerts: int) -> Seeded:
    rng = random.Random(7)
    seconds: dict[str, float] = {}
    async with await Engine.open(cfg) as engine:
        brand_id, batches, login, token = await _people_and_batches(engine)
        now = dt.datetime.now(dt.UTC)
        start = time.perf_counter()
        counted = n_scans - int(n_scans * LEFT_TO_CONSUMER)
        sample: list[int] = []
        for lo in range(0, counted, GROUP):
            ids = await engine.ledger.append_scans(
                _scans(brand_id, batches, min(GROUP, counted - lo), lo, now, rng)
            )
            sample += ids[:5]
        seconds["seed scans"] = time.perf_counter() - start
        # the seeded scans as a rebuild counts them: the consumer starts after them
        start = time.perf_counter()
        async with engine.ledger.write() as tx:
            await stream_store.lock_cursor(tx, CONSUMER)
            await stream_store.set_cursor(tx, CONSUMER, await stream_store.head(tx))
        await engine.ops.dashboard.rebuild(SYSTEM)
        seconds["dashboard rebuild"] = time.perf_counter() - start
        rest = n_scans - counted
        await engine.ledger.append_scans(_scans(brand_id, batches, rest, counted, now, rng))
        start = time.perf_counter()
        await worker_for(engine).drain([CONSUMER])
        seconds[f"consumer ({rest:,} scans)"] = time.perf_counter() - start
        start = time.perf_counter()
        alert_id = await _alerts(engine, brand_id, n_alerts, sample, rng)
        seconds["seed alerts"] = time.perf_counter() - start
    return Seeded("acme", login, token, alert_id, seconds)


# -- the server ------------------------------------------------------------------------
SERVE = """
import asyncio, sys
from pathlib import Path
from aiohttp import web
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.console.site import make_site
from veriseal.engine import Engine
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner

async def main(url, key, port):
    cfg = Config(None, url, KeySource(key_file=Path(key)),
                 tables={"console": {"secure_cookies": False}})
    engine = await Engine.open(cfg)
    try:
        runner = ApiRunner(make_site(engine, Limits(per_minute=0)), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print("ready", flush=True)
        await asyncio.Event().wait()
    finally:
        await engine.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def _signed_in(base: str, login: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(base + "/console/signin") as r:
        found = re.search(r'name="_csrf" value="([^"]+)"', await r.text())
    assert found, "no sign-in form"
    form = {"identifier": login, "password": PASSWORD, "_csrf": found.group(1)}
    async with session.post(base + "/console/signin", data=form) as r:
        assert r.status == 200 and "/console/signout" in await r.text(), "sign-in failed"
    return session


async def _time(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    async with session.get(url, headers=headers) as r:
        await r.read()
        assert r.status == 200, (url, r.status)
    return time.perf_counter() - start


def _pairs(s: Seeded) -> list[tuple[str, str, str]]:
    """(name, console page, the JSON API call behind it)."""
    return [
        ("dashboard", "/console/dashboard", "/api/v1/dashboard"),
        ("scans", "/console/scans", "/api/v1/scans?limit=50"),
        ("scans, rare filter", "/console/scans?outcome=expired&province=CN-XJ",
         "/api/v1/scans?limit=50&outcome=expired&province=CN-XJ"),
        ("scans, one day", f"/console/scans?from={dt.date.today()}&to={dt.date.today()}",
         f"/api/v1/scans?limit=50&since={dt.date.today()}T00:00:00%2B08:00"),
        ("alerts", "/console/alerts", "/api/v1/alerts?limit=50"),
        ("alerts, confirmed", "/console/alerts?state=confirmed",
         "/api/v1/alerts?limit=50&state=confirmed"),
        ("alert", f"/console/alerts/{s.alert_id}", f"/api/v1/alerts/{s.alert_id}"),
        ("batches", "/console/batches", "/api/v1/batches"),
    ]  # fmt: skip


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Timings = list[tuple[str, list[float], list[float]]]


async def measure(base: str, s: Seeded, requests: int) -> Timings:
    page = await _signed_in(base, s.login)
    api = aiohttp.ClientSession()
    bearer = {"Authorization": f"Bearer {s.token}"}
    out = []
    try:
        for name, page_url, api_url in _pairs(s):
            await _time(page, base + page_url, {})  # warm: templates, caches
            await _time(api, base + api_url, bearer)
            pages, apis = [], []
            for _ in range(requests):
                pages.append(await _time(page, base + page_url, {}))
                apis.append(await _time(api, base + api_url, bearer))
            out.append((name, pages, apis))
        start = time.perf_counter()
        async with page.get(base + "/console/scans?export=csv&outcome=suspected_clone") as r:
            size = len(await r.read())
        export = time.perf_counter() - start
        print(f"CSV export of every suspected clone: {size / 1e6:.1f} MB in {export:.2f} s")
    finally:
        await page.close()
        await api.close()
    return out


def report(rows: Timings) -> None:
    print(f"{'':22} {'page p50':>9} {'p99':>8} {'API p50':>9} {'p99':>8} {'ratio p50':>10}")
    for name, pages, apis in rows:
        p50, a50 = _ms(pages, 0.5), _ms(apis, 0.5)
        print(f"{name:22} {p50:8.1f}ms {_ms(pages, 0.99):6.1f}ms {a50:8.1f}ms "
              f"{_ms(apis, 0.99):6.1f}ms {p50 / a50:9.2f}x")  # fmt: skip
    medians = [statistics.median(p) / statistics.median(a) for _, p, a in rows]
    print(f"median page/API ratio over the pages: {statistics.median(medians):.2f}x")


async def _pg_database(admin: str) -> str:
    name = f"veriseal_bench_console_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.rsplit("/", 1)[0] + "/" + name


async def _drop(admin: str, url: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="veriseal-bench-console-") as tmp:
        key = Path(tmp) / "k.key"
        create_key_file(key)
        url = (sqlite_url(Path(tmp) / "bench.sqlite3") if args.backend == "sqlite"
               else await _pg_database(args.pg))  # fmt: skip
        try:
            print(f"seeding {args.scans:,} scans and {args.alerts:,} alerts on {args.backend}")
            seeded = await seed(Config(None, url, KeySource(key_file=key)), args.scans,
                                args.alerts)  # fmt: skip
            for what, secs in seeded.seconds.items():
                print(f"  {what}: {secs:.1f} s")
            port = free_port()
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
            server = subprocess.Popen([sys.executable, "-c", SERVE, url, str(key), str(port)],
                                      stdout=subprocess.PIPE, env=env)  # fmt: skip
            try:
                assert server.stdout is not None
                ready = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 120)
                if ready.strip() != b"ready":
                    raise RuntimeError("the server did not start")
                report(await measure(f"http://127.0.0.1:{port}", seeded, args.requests))
            finally:
                server.terminate()
                server.wait(30)
                if server.stdout is not None:
                    server.stdout.close()
        finally:
            if args.backend == "postgres":
                await _drop(args.pg, url)
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--scans", type=int, default=20_000, help="scans to seed (1000000 for docs)")
    ap.add_argument("--alerts", type=int, default=500, help="alerts to seed (10000 for docs)")
    ap.add_argument("--requests", type=int, default=50, help="requests per page and API call")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    return ap


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parser().parse_args())))
