"""Analytics at scale: rollup ingest against a bare insert, and the sales dashboard's
queries on the rollups against the same figures by GROUP BY over the raw tables.

Usage::

    PYTHONPATH=src:plugins .venv/bin/python benchmarks/bench_analytics.py
        [--db sqlite|postgres] [--orders 100000] [--dealers 10000] [--products 100]
        [--scans 1000000] [--days 365] [--rounds 5] [--full]

One throwaway ledger (a temporary SQLite file, or a PostgreSQL database created on
127.0.0.1:5432 as ``postgres`` and dropped after) with the territories, commerce and
analytics plugins. ``--dealers`` dealer organisations are written straight into
``orgs``; ``--orders`` is the number of ORDER LINES (orders of 1 to 5 distinct
products, 3 on average), each order paid once (a ``paid`` event) at a random instant
of the last ``--days`` days, ids in the order of those instants (as the stream delivers
them); ``--scans`` scans rows (outcomes mostly genuine, units
scanned about twice each). ``--full`` sets the issue's sizes: 10,000,000 scans,
1,000,000 order lines, 10,000 dealers.

In the same run it measures:

- **bare insert** (the baseline): the generated rows written by ``executemany`` in
  big batches (orders + lines + paid event; scans rows);
- **rollup ingest**: the same orders booked through the real booking code (the
  ``analytics.sales`` consumer's ``handle`` on batches of 200 orders' facts, one write
  transaction each: one ``analytics_booked`` read and one upsert per distinct cube row
  per batch) and the same scans through ``book_scans``
  (1,000 per transaction, as ``analytics.scans``), in events/s with the ratio to the
  bare insert of the same rows; and one stock post per order (an outbound of its lines
  from one of five warehouses, every tenth an inbound) booked through ``book_post``
  (500 per transaction, as ``analytics.stock``) against a bare insert of its movement
  rows into a scratch table;
- **dashboard**: per period (7d, 30d, 90d, 365d ending on the data's last day) and
  ``--rounds`` rounds, ``Sales.summary``, ``Sales.ranking`` by product, dealer and
  province, ``Sales.trend`` on the rollups, and the same figures by GROUP BY over
  ``commerce_orders`` / ``commerce_order_lines`` joined to the ``paid`` event (with the
  same labels looked up): p50 / p99 per query, the ratio raw / rollup. The figures
  must be EQUAL, else the run fails (exit 1) naming the first difference.

It ends with the table sizes: the rollups' rows grow with days x keys, not with orders
or scans. The export of 1,000,000 rows (XLSX/CSV, time and peak memory) is
benchmarks/bench_export.py. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from veriseal.accounts.models import SYSTEM
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend import Batch, PluginContext
from veriseal.models import Brand
from veriseal_analytics.book import Booker
from veriseal_analytics.booking import Measures, place
from veriseal_analytics.consumers import SALES, Facts
from veriseal_analytics.facts import OrderFact
from veriseal_analytics.periods import Period
from veriseal_analytics.sales import By, Ranking, Sales, figures
from veriseal_analytics.scan_consumer import book_scans
from veriseal_analytics.scan_rollup import ScanFact
from veriseal_analytics.stock_consumer import book_post

TZ = "Asia/Shanghai"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # no DST since 1991: the same days as TZ
LAST_DAY = dt.date(2026, 11, 30)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: cities and districts of several provinces (what an order's region holds)
REGIONS = ("440100", "440300", "440104", "440305", "440600", "441900", "330100", "330200",
           "310101", "310115", "110101", "110105", "320100", "320500", "510100", "420100",
           "350200", "370200", "430100", "610100", "500103", "120101", "210100",
           "340100")  # fmt: skip
OUTCOMES = ("genuine",) * 90 + ("suspected_clone",) * 4 + ("invalid",) * 4 + ("recalled",) * 2
PROVINCES = ("CN-GD", "CN-ZJ", "CN-SH", "CN-BJ", "CN-JS", "CN-SC", "CN-HB", "CN-FJ")
BOOK_ORDERS, BOOK_SCANS, BOOK_POSTS, INSERT_BATCH = 200, 1000, 500, 20_000
PERIODS = (7, 30, 90, 365)
RANKED: tuple[By, ...] = ("product", "dealer", "province")


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def gtin(n: int) -> str:
    from veriseal.codes.gtin import gs1_check_digit  # noqa: PLC0415

    body = f"0950600{n:06d}"
    return body + str(gs1_check_digit(body))


@dataclass(frozen=True, slots=True)
class LineF:
    gtin: str
    units: int
    amount: int


@dataclass(frozen=True, slots=True)
class OrderF:
    """An ``OrderFact`` (veriseal_analytics.facts) of a generated order."""

    id: int
    brand_id: int
    org_id: int
    region: str
    paid_at: dt.datetime | None
    undone_at: dt.datetime | None
    lines: Sequence[LineF]


@dataclass(frozen=True, slots=True)
class MoveF:
    """A ``MoveFact`` (veriseal_analytics.stock_facts) of a generated stock post."""

    warehouse_id: int
    location_kind: str
    gtin: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PostF:
    """A ``PostFact`` (veriseal_analytics.stock_facts): an order's goods going out."""

    id: int
    brand_id: int
    kind: str
    at: dt.datetime
    lines: Sequence[MoveF]


def posts_of(orders: Sequence[OrderF]) -> list[PostF]:
    """One stock post per order: its lines out of one of five warehouses (every tenth
    post an inbound of the same lines instead)."""
    out = []
    for o in orders:
        inbound = o.id % 10 == 0
        sign, kind = (1, "inbound") if inbound else (-1, "outbound")
        at = o.paid_at or dt.datetime.now(dt.UTC)
        lines = [MoveF(1 + o.org_id % 5, "stock", x.gtin, sign * x.units) for x in o.lines]
        out.append(PostF(o.id, o.brand_id, kind, at, lines))
    return out


@dataclass
class World:
    brand: Brand
    orders: list[OrderF]
    scans: list[ScanFact]
    lines: int


# -- generation and the bare insert (the baseline) -------------------------------------


async def setup(engine: Engine, args: argparse.Namespace) -> tuple[Brand, list[int], list[str]]:
    """The brand, its products (in the catalogue, two categories) and the dealers (orgs
    rows written directly: 10,000 through the accounts service would take minutes)."""
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    gtins = [gtin(n) for n in range(1, args.products + 1)]
    for i, g in enumerate(gtins):
        cat = "Tea" if i % 2 else "Teaware"
        await engine.catalogue.add(make_product(brand, g, f"Tea {g}", category=cat))
    ctx = engine.plugins.context("analytics")
    root = await ctx.brand_org(brand)
    async with ctx.db.write() as tx:
        top = await tx.fetchrow("SELECT MAX(id) AS m FROM orgs")
        first = int(top["m"] if top else 0) + 1
        now = dt.datetime.now(dt.UTC)
        rows = [(first + i, brand.id, "distributor" if i % 5 == 0 else "retailer",
                 f"经销商 {i:05d}", root.id, f"{root.path}{first + i}/", now)
                for i in range(args.dealers)]  # fmt: skip
        await tx.executemany("INSERT INTO orgs (id, brand_id, kind, name, parent_id, path,"
                             " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    return brand, [first + i for i in range(args.dealers)], gtins


def generate(brand: Brand, dealers: list[int], gtins: list[str], args: argparse.Namespace,
             first_order: int) -> tuple[list[OrderF], list[ScanFact]]:  # fmt: skip
    rnd = random.Random(19)
    end = dt.datetime.combine(LAST_DAY + dt.timedelta(days=1), dt.time(), SHANGHAI)
    span = args.days * 86400
    orders: list[OrderF] = []
    made, oid = 0, first_order
    while made < args.orders:
        n = min(rnd.randint(1, 5), args.orders - made, len(gtins))
        paid = end - dt.timedelta(seconds=rnd.randrange(1, span))
        lines = [LineF(g, u, u * rnd.choice((990, 1250, 4800)))
                 for g in rnd.sample(gtins, n) for u in (rnd.randint(1, 24),)]  # fmt: skip
        orders.append(OrderF(oid, brand.id, rnd.choice(dealers), rnd.choice(REGIONS),
                             paid.astimezone(dt.UTC), None, lines))  # fmt: skip
        made, oid = made + n, oid + 1
    # ids follow the paid instants, as the stream delivers them: a delivery batch holds
    # neighbouring orders (mostly of one day), as in production
    orders = [replace(o, id=first_order + i)
              for i, o in enumerate(sorted(orders, key=lambda o: (o.paid_at, o.id)))]  # fmt: skip
    # instants drawn first and sorted, so ids follow time as the ledger assigns them
    # (and 10M facts are built once: memory)
    offsets = sorted((rnd.randrange(1, span) for _ in range(args.scans)), reverse=True)
    end_utc, units = end.astimezone(dt.UTC), max(1, args.scans // 2)
    scans: list[ScanFact] = []
    for i, off in enumerate(offsets):
        u = rnd.randrange(units)
        scans.append(ScanFact(i + 1, brand.id, end_utc - dt.timedelta(seconds=off),
                              rnd.choice(OUTCOMES), gtins[u % len(gtins)],
                              PROVINCES[u % len(PROVINCES)], REGIONS[u % len(REGIONS)],
                              1 + u // 100_000, u % 100_000, "web"))  # fmt: skip
    del offsets
    return orders, scans


def chunks(rows: Sequence[Any], n: int) -> list[Sequence[Any]]:
    return [rows[i : i + n] for i in range(0, len(rows), n)]


async def insert_orders(ctx: PluginContext, orders: list[OrderF]) -> None:
    for part in chunks(orders, INSERT_BATCH // 3):
        o_rows, l_rows, e_rows = [], [], []
        for o in part:
            total = sum(x.amount for x in o.lines)
            o_rows.append((o.id, o.brand_id, o.org_id, f"SO{o.id:010d}", "paid", "paid",
                           "unfulfilled", "CNY", total, total, o.region, "x", "ok", "ok",
                           "bench", o.paid_at, o.paid_at))  # fmt: skip
            l_rows += [(o.id, n + 1, x.gtin, "Tea", x.units, x.amount // x.units, "list", "[]",
                        x.amount) for n, x in enumerate(o.lines)]  # fmt: skip
            e_rows.append((o.id, 1, "paid", "submitted", "paid", "bench", "", "{}", o.paid_at))
        async with ctx.db.write() as tx:
            await tx.executemany(
                "INSERT INTO commerce_orders (id, brand_id, org_id, order_no, status,"
                " payment_status, fulfilment_status, currency, total, paid, region, address,"
                " territory_check, availability_check, created_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", o_rows)  # fmt: skip
            await tx.executemany(
                "INSERT INTO commerce_order_lines (order_id, line_no, gtin, name, quantity,"
                " unit_price, price_note, discounts, amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                l_rows)  # fmt: skip
            await tx.executemany(
                "INSERT INTO commerce_order_events (order_id, seq, action, from_status,"
                " to_status, actor, note, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                e_rows)  # fmt: skip


async def insert_posts(ctx: PluginContext, posts: list[PostF]) -> None:
    """The movement rows of ``posts`` into a scratch table (inventory is not loaded)."""
    for part in chunks(posts, INSERT_BATCH // 3):
        rows = [(p.id, x.warehouse_id, x.gtin, x.quantity, p.kind, int(p.at.timestamp()))
                for p in part for x in p.lines]  # fmt: skip
        async with ctx.db.write() as tx:
            await tx.executemany("INSERT INTO bench_movements VALUES (?, ?, ?, ?, ?, ?)", rows)


async def insert_scans(ctx: PluginContext, scans: list[ScanFact]) -> None:
    # batch_id stays NULL in the raw rows (it references batches); the facts booked carry
    # a unit so the first-scan / repeat bookkeeping runs as for real units
    for part in chunks(scans, INSERT_BATCH):
        rows = [(s.id, s.at, s.brand_id, f"c{s.batch_id}.{s.index}", s.gtin, None, s.index,
                 s.outcome, "", s.channel, "anon", s.province, s.city) for s in part]  # fmt: skip
        async with ctx.db.write() as tx:
            await tx.executemany(
                "INSERT INTO scans (id, at, brand_id, code, gtin, batch_id, unit_index,"
                " outcome, reason, channel, actor, province, city)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip


# -- the rollup ingest -------------------------------------------------------------------


async def book_orders(ctx: PluginContext, orders: list[OrderF]) -> None:
    """The orders booked by the ``analytics.sales`` consumer's own ``handle``, a delivery
    batch (200 orders' facts, as ``prepare`` hands them) per write transaction."""
    for part in chunks(orders, BOOK_ORDERS):
        facts: dict[int, OrderFact | None] = {o.id: o for o in part}
        async with ctx.db.write() as tx:
            await SALES.handle(ctx, Batch((), Facts(facts)), tx)


async def book_all_scans(ctx: PluginContext, scans: list[ScanFact]) -> None:
    for part in chunks(scans, BOOK_SCANS):
        async with ctx.db.write() as tx:
            await book_scans(tx, part, TZ)


async def book_posts(ctx: PluginContext, posts: list[PostF]) -> None:
    for part in chunks(posts, BOOK_POSTS):
        booker = Booker(ctx, TZ)
        async with ctx.db.write() as tx:
            for p in part:
                await book_post(tx, booker, p)


async def timed(what: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await what()
    return time.perf_counter() - start


# -- the dashboard: rollups (Sales) and raw GROUP BY ------------------------------------


class Raw:
    """The dashboard's figures by GROUP BY over the raw commerce tables."""

    def __init__(self, ctx: PluginContext, sales: Sales, postgres: bool) -> None:
        self.ctx, self.sales = ctx, sales
        self.day = ("to_char(e.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')" if postgres
                    else "date(e.at, '+8 hours')")  # fmt: skip

    _FROM = (" FROM commerce_order_events e JOIN commerce_orders o ON o.id = e.order_id"
             " JOIN commerce_order_lines l ON l.order_id = o.id"
             " JOIN bench_region r ON r.region = o.region"
             " WHERE o.brand_id = ? AND e.action = 'paid' AND e.at >= ? AND e.at < ?")  # fmt: skip
    _SUMS = (" COUNT(DISTINCT o.id) AS orders, SUM(l.quantity) AS units,"
             " SUM(l.amount) AS revenue")  # fmt: skip
    _KEY: ClassVar[dict[str, str]] = {
        "product": "l.gtin",
        "dealer": "CAST(o.org_id AS TEXT)",
        "province": "r.province",
    }

    @staticmethod
    def _span(p: Period) -> tuple[dt.datetime, dt.datetime]:
        lo = dt.datetime.combine(p.start, dt.time(), SHANGHAI).astimezone(dt.UTC)
        hi = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(), SHANGHAI)
        return lo, hi.astimezone(dt.UTC)

    @staticmethod
    def _m(r: Any) -> Measures:
        return Measures(int(r["orders"] or 0), int(r["units"] or 0), int(r["revenue"] or 0))

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self.ctx.db.read() as tx:
            return list(await tx.fetch(sql, *args))

    async def summary(self, brand: Brand, p: Period) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, q in (("now", p), ("before", p.previous())):
            rows = await self._fetch(f"SELECT {self._SUMS}{self._FROM}", brand.id, *self._span(q))
            out[name] = figures(self._m(rows[0]))
        return out

    async def ranking(self, brand: Brand, by: By, p: Period, top: int = 10) -> list[Any]:
        k = self._KEY[by]
        now = await self._fetch(f"SELECT {k} AS key, {self._SUMS}{self._FROM} GROUP BY {k}"
                                f" ORDER BY SUM(l.amount) DESC, {k} LIMIT ?",
                                brand.id, *self._span(p), top)  # fmt: skip
        keys = [str(r["key"]) for r in now]
        before: dict[str, Measures] = {}
        if keys:
            rows = await self._fetch(f"SELECT {k} AS key, {self._SUMS}{self._FROM}"
                                     f" AND {k} IN ({', '.join('?' * len(keys))}) GROUP BY {k}",
                                     brand.id, *self._span(p.previous()), *keys)  # fmt: skip
            before = {str(r["key"]): self._m(r) for r in rows}
        labels = await self.sales.labels(brand, by, keys, "zh")
        return [(key, labels.get(key, key), figures(self._m(r)),
                 figures(before.get(key, Measures())))
                for key, r in zip(keys, now, strict=True)]  # fmt: skip

    async def trend(self, brand: Brand, p: Period) -> list[dict[str, Any]]:
        rows = await self._fetch(f"SELECT {self.day} AS day, {self._SUMS}{self._FROM}"
                                 f" GROUP BY {self.day}", brand.id, *self._span(p))  # fmt: skip
        per = {str(r["day"]): self._m(r) for r in rows}
        out, d = [], p.start
        while d <= p.end:
            out.append({"bucket": d.isoformat(), **figures(per.get(d.isoformat(), Measures()))})
            d += dt.timedelta(days=1)
        return out


class Mismatch(Exception):
    pass


def same(what: str, rollup: Any, raw: Any) -> None:
    if rollup != raw:
        raise Mismatch(f"{what}: rollups {str(rollup)[:300]} != raw {str(raw)[:300]}")


Timings = dict[tuple[str, int], tuple[list[float], list[float]]]


async def dashboard(ctx: PluginContext, brand: Brand, rounds: int, postgres: bool) -> Timings:
    """Per (query, period days): the rollup and raw timings (seconds); checks equality."""
    sales, raw = Sales(ctx), Raw(ctx, Sales(ctx), postgres)
    out: Timings = {}

    async def clock(name: str, days: int, f: Callable[[], Awaitable[Any]],
                    g: Callable[[], Awaitable[Any]]) -> tuple[Any, Any]:  # fmt: skip
        t0 = time.perf_counter()
        a = await f()
        t1 = time.perf_counter()
        b = await g()
        t2 = time.perf_counter()
        cube, plain = out.setdefault((name, days), ([], []))
        cube.append(t1 - t0)
        plain.append(t2 - t1)
        return a, b

    for n in range(rounds):
        say(f"  dashboard round {n + 1}/{rounds}")
        for days in PERIODS:
            p = Period(LAST_DAY - dt.timedelta(days=days - 1), LAST_DAY)
            a, b = await clock("summary", days, partial(sales.summary, SYSTEM, brand, p),
                               partial(raw.summary, brand, p))  # fmt: skip
            keep = ("revenue", "units", "orders", "aov")
            same(f"summary {days}d", ({k: a[k] for k in keep},
                                      {k: a["previous"][k] for k in keep}),
                 ({k: b["now"][k] for k in keep}, {k: b["before"][k] for k in keep}))  # fmt: skip
            for by in RANKED:
                q = Ranking(by, p)
                a, b = await clock(f"ranking by {by}", days,
                                   partial(sales.ranking, SYSTEM, brand, q),
                                   partial(raw.ranking, brand, by, p))  # fmt: skip
                same(f"ranking by {by} {days}d",
                     [(r.key, r.label, r.current, r.previous) for r in a], b)  # fmt: skip
            a, b = await clock("trend (day)", days, partial(sales.trend, SYSTEM, brand, p),
                               partial(raw.trend, brand, p))  # fmt: skip
            same(f"trend {days}d", a, b)
    return out


def p99(xs: list[float]) -> float:
    s = sorted(xs)
    return s[max(0, -(-99 * len(s) // 100) - 1)]  # nearest rank


# -- the run -----------------------------------------------------------------------------


async def run(url: str, args: argparse.Namespace, key: Path) -> int:
    postgres = not url.startswith("sqlite")
    cfg = Config(None, url, KeySource(key_file=key),
                 plugins=("territories", "commerce", "analytics"))  # fmt: skip
    engine = await Engine.open(cfg)
    try:
        ctx = engine.plugins.context("analytics")
        say("setup: brand, products, dealers")
        brand, dealers, gtins = await setup(engine, args)
        async with ctx.db.write() as tx:
            await tx.execute("CREATE TABLE bench_region (region TEXT PRIMARY KEY,"
                             " province TEXT NOT NULL)")  # fmt: skip
            await tx.executemany("INSERT INTO bench_region VALUES (?, ?)",
                                 [(r, place(r)[0]) for r in REGIONS])  # fmt: skip
            await tx.execute("CREATE TABLE bench_movements (post_id BIGINT NOT NULL,"
                             " warehouse_id BIGINT NOT NULL, gtin TEXT NOT NULL,"
                             " quantity BIGINT NOT NULL, kind TEXT NOT NULL,"
                             " at BIGINT NOT NULL)")  # fmt: skip
        say("generating rows")
        orders, scans = generate(brand, dealers, gtins, args, 1)
        n_lines = sum(len(o.lines) for o in orders)
        say(f"bare insert: {len(orders)} orders ({n_lines} lines)")
        t_ins_o = await timed(lambda: insert_orders(ctx, orders))
        say(f"bare insert: {len(scans)} scans")
        t_ins_s = await timed(lambda: insert_scans(ctx, scans))
        say("booking orders (the analytics.sales consumer, 200 per transaction)")
        t_book_o = await timed(lambda: book_orders(ctx, orders))
        say("booking scans (book_scans, 1000 per transaction)")
        t_book_s = await timed(lambda: book_all_scans(ctx, scans))
        posts = posts_of(orders)
        say(f"bare insert: {len(posts)} stock posts")
        t_ins_p = await timed(lambda: insert_posts(ctx, posts))
        say("booking stock posts (book_post, 500 per transaction)")
        t_book_p = await timed(lambda: book_posts(ctx, posts))
        say("dashboard queries")
        try:
            times = await dashboard(ctx, brand, args.rounds, postgres)
        except Mismatch as e:
            print(f"FAILED: the rollups and the raw GROUP BY differ: {e}")
            return 1
        sizes = {}
        async with ctx.db.read() as tx:
            for t in ("commerce_orders", "commerce_order_lines", "commerce_order_events",
                      "analytics_lines", "analytics_cube", "scans", "analytics_scan_cube",
                      "analytics_scanned_codes", "bench_movements",
                      "analytics_stock_cube"):  # fmt: skip
                r = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {t}")
                sizes[t] = int(r["n"]) if r else 0
    finally:
        await engine.close()

    print(f"{'postgres' if postgres else 'sqlite'}: {n_lines} order lines in {len(orders)} orders,"
          f" {len(scans)} scans, {args.dealers} dealers, {args.products} products,"
          f" {args.days} days")  # fmt: skip
    print("ingest (one run each; baseline = bare executemany insert of the same rows):")
    for name, n, ins, book in (("orders", len(orders), t_ins_o, t_book_o),
                               ("scans", len(scans), t_ins_s, t_book_s),
                               ("stock", len(posts), t_ins_p, t_book_p)):  # fmt: skip
        print(f"  {name:6} bare insert {n / ins:12,.0f} events/s | rollup booking"
              f" {n / book:10,.0f} events/s | ratio booking/insert {ins / book:.3f}")  # fmt: skip
    print(f"dashboard (ms, p50 / p99 of {args.rounds} rounds; ratio = raw p50 / rollup p50):")
    print(f"  {'query':20} {'period':>6} {'rollup p50':>10} {'p99':>8} {'raw p50':>10}"
          f" {'p99':>8} {'ratio':>8}")  # fmt: skip
    for (name, days), (cube, plain) in times.items():
        c50, r50 = statistics.median(cube), statistics.median(plain)
        print(f"  {name:20} {days:>5}d {c50 * 1e3:10.2f} {p99(cube) * 1e3:8.2f}"
              f" {r50 * 1e3:10.2f} {p99(plain) * 1e3:8.2f} {r50 / c50:8.1f}")  # fmt: skip
    print("figures EQUAL: rollups == raw GROUP BY for every query, period and round")
    print("table sizes (rows):")
    for t, n in sizes.items():
        print(f"  {t:26} {n:12,}")
    print(
        f"  analytics_cube / commerce_order_lines = "
        f"{sizes['analytics_cube'] / max(1, sizes['commerce_order_lines']):.3f}"
    )
    print("export of 1,000,000 rows (XLSX/CSV, time and peak memory): benchmarks/bench_export.py")
    return 0


async def measure(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        if args.db == "sqlite":
            return await run(f"sqlite:///{tmp}/bench.db", args, key)
        import asyncpg  # noqa: PLC0415 (PostgreSQL only)

        name = f"veriseal_bench_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await run(f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", args, key)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--orders", type=int, default=100_000, help="order LINES to generate")
    p.add_argument("--dealers", type=int, default=10_000)
    p.add_argument("--products", type=int, default=100)
    p.add_argument("--scans", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--full", action="store_true",
                   help="the issue's sizes: 10M scans, 1M order lines, 10k dealers")  # fmt: skip
    return p


def main(args: argparse.Namespace) -> int:
    if args.full:
        args.scans, args.orders, args.dealers = 10_000_000, 1_000_000, 10_000
    return asyncio.run(measure(args))


if __name__ == "__main__":
    sys.exit(main(parser().parse_args()))
