"""The inventory ledger at scale (issue 16): 1,000,000 movements over 1,000 products and
200 warehouses, on each backend.

Usage::

    PYTHONPATH=src:plugins .venv/bin/python benchmarks/bench_inventory.py
        [--movements 1000000] [--products 1000] [--warehouses 200] [--posts 20000]
        [--queries 2000] [--corrupt 1000] [--rounds 5] [--rebuild-rounds 3]
        [--backend sqlite|postgres|both] [--quick]

The world: one brand with ``--products`` products and ``--warehouses`` warehouses made by
``WarehouseService.create`` (each with its standard locations main / quarantine /
rejected). The history: a seeded sequence of posts that never takes a balance below
zero nor an outbound below what is available (receipts into stock or quarantine, issues
oldest lot first, transfers between warehouses, inspections out of quarantine,
adjustments, reservations and releases), bulk-loaded with ``executemany`` (5,000 posts a
transaction) into ``inventory_posts`` / ``inventory_movements``. The caches are then
derived from the movements by one ``INSERT ... SELECT`` each, written here from their
definition (the *full rebuild* figure), and ``rebuild --check`` must find them equal to
its own derivation before anything is measured.

Figures, each beside a baseline measured in the same run on the same ledger:

- append: ``StockService.post`` (``ledger.post``: the post row, the level and balance
  rows locked, the checks, the movement, both caches updated) of ONE posting per write
  transaction, half receipts and half issues of what was just received, vs a bare
  INSERT of the same movement row, one per transaction, into a table of the same
  columns and indexes, alternating in blocks of 100 (movements/s, median of ``--rounds``
  rounds of ``--posts / --rounds`` posts each);
- stock query: ``StockService.product_levels`` (one product in every warehouse) for
  random products vs a primary-key SELECT of one level row (median latency of each
  round, median of the rounds);
- rebuild: the full derivation (once); ``rebuild --check`` (the real function, which
  reads both caches, derives the truth and compares them in Python) vs one full scan
  summing the movements, and vs fetching every balance's truth (the movements grouped
  by balance) into Python; the repair (``rebuild`` without ``--check``) after
  ``--corrupt`` cache rows (half balances, half levels) were changed (medians of
  ``--rebuild-rounds`` rounds).

``--quick`` is a smoke run (20,000 movements, 50 products, 10 warehouses).
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench_ledgers import drop, fresh_url
from veriseal import SYSTEM_PRINCIPAL
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.codes.gtin import gs1_check_digit
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend import PluginContext
from veriseal_inventory.models import Meta, MovementKind, Posting
from veriseal_inventory.rebuild import rebuild
from veriseal_inventory.service import Inventory
from veriseal_inventory.service import of as inventory_of

POSTS_PER_TX = 5000
BLOCK = 100  # appends alternate in blocks with the baseline: both share the machine's load
LOTS = ("2601A", "2604B", "2607C")  # production lots, oldest first (they sort by text)
STEP = dt.timedelta(seconds=30)  # one historical movement every 30 s, ending a day ago
MAIN, QUARANTINE, REJECTED = 0, 1, 2  # location kinds, the order WarehouseService makes them
NO_LOT = -1  # reservations post to lot ""

#: (warehouse, location kind, product, lot) as indexes, quantity, reserved
Line = tuple[int, int, int, int, int, int]
#: (warehouse id, location id, GTIN, lot, quantity, reserved)
Row = tuple[int, int, str, str, int, int]


def gtin(n: int) -> str:
    body = f"0690{n:09d}"
    return body + str(gs1_check_digit(body))


@dataclass
class World:
    engine: Engine
    ctx: PluginContext
    inv: Inventory
    brand_id: int
    gtins: list[str]
    warehouses: list[int]  # ids
    locations: list[tuple[int, int, int]]  # per warehouse: main, quarantine, rejected ids

    def row(self, line: Line) -> Row:
        """A line as (warehouse id, location id, GTIN, lot, quantity, reserved)."""
        w, kind, p, lot, q, r = line
        text = "" if lot == NO_LOT else LOTS[lot]
        return self.warehouses[w], self.locations[w][kind], self.gtins[p], text, q, r


@dataclass
class History:
    """A seeded sequence of posts, as ``(kind, lines)``, over ``warehouses`` x
    ``products``; it keeps every balance it makes so none goes below zero."""

    warehouses: int
    products: int
    rng: random.Random
    on_hand: dict[tuple[int, int, int, int], int] = field(default_factory=dict)
    reserved: dict[tuple[int, int], int] = field(default_factory=dict)

    def posts(self, movements: int) -> Iterator[tuple[str, list[Line]]]:
        left = movements
        while left:
            kind, lines = self._one(left)
            left -= len(lines)
            yield kind, lines

    def _one(self, left: int) -> tuple[str, list[Line]]:
        r = self.rng.random()
        made = None
        if left >= 2 and r < 0.13:
            made = self._transfer()
        elif left >= 2 and r < 0.18:
            made = self._inspect()
        elif r < 0.53:
            made = self._issue(min(left, 3))
        elif r < 0.56:
            made = self._adjust()
        elif r < 0.60:
            made = self._reservation()
        return made or self._receive(min(left, 3))

    # -- state ---------------------------------------------------------------------------
    def _move(self, w: int, kind: int, p: int, lot: int, q: int) -> Line:
        key = (w, kind, p, lot)
        self.on_hand[key] = self.on_hand.get(key, 0) + q
        return (w, kind, p, lot, q, 0)

    def _available(self, w: int, p: int) -> int:
        sellable = sum(self.on_hand.get((w, MAIN, p, lot), 0) for lot in range(len(LOTS)))
        return sellable - self.reserved.get((w, p), 0)

    def _oldest(self, w: int, kind: int, p: int) -> tuple[int, int] | None:
        """The oldest lot with stock at a location kind, and its quantity."""
        for lot in range(len(LOTS)):
            have = self.on_hand.get((w, kind, p, lot), 0)
            if have > 0:
                return lot, have
        return None

    def _outgoing(self, w: int, p: int, most: int) -> tuple[int, int] | None:
        """(lot, quantity) that may leave w's main stock: at most ``most``, what the lot
        holds and what is available (sellable less reserved)."""
        found = self._oldest(w, MAIN, p)
        if found is None:
            return None
        q = min(found[1], self._available(w, p), self.rng.randint(1, most))
        return None if q <= 0 else (found[0], q)

    # -- kinds of post ---------------------------------------------------------------------
    def _receive(self, lines: int) -> tuple[str, list[Line]]:
        w = self.rng.randrange(self.warehouses)
        kind = QUARANTINE if self.rng.random() < 0.2 else MAIN
        products = self.rng.sample(range(self.products), self.rng.randint(1, lines))
        return "inbound", [
            self._move(w, kind, p, self.rng.randrange(len(LOTS)), self.rng.randint(1, 60))
            for p in products
        ]

    def _issue(self, lines: int) -> tuple[str, list[Line]] | None:
        w = self.rng.randrange(self.warehouses)
        out = []
        for p in self.rng.sample(range(self.products), self.rng.randint(1, lines)):
            found = self._outgoing(w, p, 40)
            if found is not None:
                out.append(self._move(w, MAIN, p, found[0], -found[1]))
        return ("outbound", out) if out else None

    def _transfer(self) -> tuple[str, list[Line]] | None:
        w, to = self.rng.sample(range(self.warehouses), 2)
        p = self.rng.randrange(self.products)
        found = self._outgoing(w, p, 30)
        if found is None:
            return None
        lot, q = found
        return "transfer", [self._move(w, MAIN, p, lot, -q), self._move(to, MAIN, p, lot, q)]

    def _inspect(self) -> tuple[str, list[Line]] | None:
        w, p = self.rng.randrange(self.warehouses), self.rng.randrange(self.products)
        found = self._oldest(w, QUARANTINE, p)
        if found is None:
            return None
        lot, q = found
        to = REJECTED if self.rng.random() < 0.1 else MAIN
        return "transfer", [self._move(w, QUARANTINE, p, lot, -q), self._move(w, to, p, lot, q)]

    def _adjust(self) -> tuple[str, list[Line]] | None:
        w, p = self.rng.randrange(self.warehouses), self.rng.randrange(self.products)
        if self.rng.random() < 0.5:
            found = self._outgoing(w, p, 5)
            return None if found is None else (
                "adjustment", [self._move(w, MAIN, p, found[0], -found[1])])  # fmt: skip
        return "adjustment", [self._move(w, MAIN, p, self.rng.randrange(len(LOTS)), 1)]

    def _reservation(self) -> tuple[str, list[Line]] | None:
        w, p = self.rng.randrange(self.warehouses), self.rng.randrange(self.products)
        held = self.reserved.get((w, p), 0)
        if held and self.rng.random() < 0.6:
            q = -min(held, self.rng.randint(1, 10))
        else:
            q = min(self._available(w, p), self.rng.randint(1, 10))
        if q == 0:
            return None
        self.reserved[(w, p)] = held + q
        return ("reserve" if q > 0 else "release"), [(w, MAIN, p, NO_LOT, 0, q)]


# -- the world and its history --------------------------------------------------------------
def progress(label: str, text: str) -> None:
    print(f"  [{label} {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def make_world(engine: Engine, products: int, warehouses: int) -> World:
    brand = await engine.brands.create("bench", "Bench Tea", "id.bench.example")
    gtins = [gtin(n) for n in range(1, products + 1)]
    await engine.ledger.add_products([make_product(brand, g, f"茶 {g}") for g in gtins])
    ctx = engine.plugins.context("inventory")
    inv = inventory_of(ctx)
    ids, locations = [], []
    for n in range(warehouses):
        w = await inv.warehouses.create(SYSTEM_PRINCIPAL, brand, f"W{n:03d}", f"仓库 {n}")
        by_code = {loc.code: loc.id for loc in await inv.warehouses.locations(w.id)}
        ids.append(w.id)
        locations.append((by_code["main"], by_code["quarantine"], by_code["rejected"]))
    return World(engine, ctx, inv, brand.id, gtins, ids, locations)


_POST = ("INSERT INTO inventory_posts (id, brand_id, kind, document, reason, actor, at,"
         " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")  # fmt: skip
_MOVEMENT = ("INSERT INTO inventory_movements (id, post_id, brand_id, kind, warehouse_id,"
             " location_id, gtin, lot, quantity, reserved, at)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")  # fmt: skip


async def _write(world: World, chunk: list[tuple[str, list[Line]]], start: dt.datetime,
                 first: int) -> int:  # fmt: skip
    """One transaction of bulk-loaded posts; their movement count."""
    async with world.ctx.db.write() as tx:
        post_ids = await tx.dialect.reserve_ids(tx, "inventory_posts", len(chunk))
        count = sum(len(lines) for _, lines in chunk)
        move_ids = iter(await tx.dialect.reserve_ids(tx, "inventory_movements", count))
        posts, moves, index = [], [], first
        for post_id, (kind, lines) in zip(post_ids, chunk, strict=True):
            at = start + STEP * index
            posts.append((post_id, world.brand_id, kind, f"H{post_id}", "", "bench", at, at))
            moves += [(next(move_ids), post_id, world.brand_id, kind, *world.row(line), at)
                      for line in lines]  # fmt: skip
            index += len(lines)
        await tx.executemany(_POST, posts)
        await tx.executemany(_MOVEMENT, moves)
    return count


async def load(world: World, movements: int, seed: int, label: str) -> tuple[int, float]:
    """Bulk-load the seeded history; (posts, seconds)."""
    history = History(len(world.warehouses), len(world.gtins), random.Random(seed))
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1) - STEP * movements
    t0, done, posts, mark = time.perf_counter(), 0, 0, movements // 10
    chunk: list[tuple[str, list[Line]]] = []
    for item in history.posts(movements):
        chunk.append(item)
        if len(chunk) == POSTS_PER_TX:
            done += await _write(world, chunk, start, done)
            posts, chunk = posts + len(chunk), []
            if done >= mark:
                progress(label, f"history {done:,}/{movements:,} movements"
                                f" ({time.perf_counter() - t0:.0f} s)")  # fmt: skip
                mark += movements // 10
    if chunk:
        done += await _write(world, chunk, start, done)
        posts += len(chunk)
    return posts, time.perf_counter() - t0


_TRUTH = (
    "SELECT warehouse_id, location_id, gtin, lot, MIN(brand_id), SUM(quantity),"
    " SUM(reserved) FROM inventory_movements GROUP BY warehouse_id, location_id, gtin, lot"
)
_BALANCES = (
    "INSERT INTO inventory_balances (warehouse_id, location_id, gtin, lot, brand_id,"
    " on_hand, reserved) " + _TRUTH
)
_LEVELS = (
    "INSERT INTO inventory_levels (warehouse_id, gtin, brand_id, sellable, reserved,"
    " quarantine, rejected) SELECT b.warehouse_id, b.gtin, MIN(b.brand_id),"
    " SUM(CASE l.kind WHEN 'stock' THEN b.on_hand ELSE 0 END), SUM(b.reserved),"
    " SUM(CASE l.kind WHEN 'quarantine' THEN b.on_hand ELSE 0 END),"
    " SUM(CASE l.kind WHEN 'rejected' THEN b.on_hand ELSE 0 END)"
    " FROM inventory_balances b JOIN inventory_locations l ON l.id = b.location_id"
    " GROUP BY b.warehouse_id, b.gtin"
)


async def derive(world: World) -> float:
    """The full rebuild: both caches emptied and derived again from every movement, in
    one transaction; its seconds."""
    t0 = time.perf_counter()
    async with world.ctx.db.write() as tx:
        await tx.execute("DELETE FROM inventory_levels")
        await tx.execute("DELETE FROM inventory_balances")
        await tx.execute(_BALANCES)
        await tx.execute(_LEVELS)
    return time.perf_counter() - t0


async def count(world: World, table: str) -> int:
    async with world.ctx.db.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


# -- the measurements ---------------------------------------------------------------------
_BARE_TABLE = {
    "sqlite": "CREATE TABLE bench_inventory_movements (id INTEGER PRIMARY KEY,"
    " post_id INTEGER NOT NULL, brand_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    " warehouse_id INTEGER NOT NULL, location_id INTEGER NOT NULL, gtin TEXT NOT NULL,"
    " lot TEXT NOT NULL, quantity INTEGER NOT NULL, reserved INTEGER NOT NULL,"
    " at TEXT NOT NULL)",
    "postgres": "CREATE TABLE bench_inventory_movements (id BIGSERIAL PRIMARY KEY,"
    " post_id BIGINT NOT NULL, brand_id BIGINT NOT NULL, kind TEXT NOT NULL,"
    " warehouse_id BIGINT NOT NULL, location_id BIGINT NOT NULL, gtin TEXT NOT NULL,"
    " lot TEXT NOT NULL, quantity BIGINT NOT NULL, reserved BIGINT NOT NULL,"
    " at TIMESTAMPTZ NOT NULL)",
}
#: the same secondary indexes as inventory_movements
_BARE_INDEXES = (
    "CREATE INDEX bench_inventory_movements_key"
    " ON bench_inventory_movements(warehouse_id, location_id, gtin, lot, at)",
    "CREATE INDEX bench_inventory_movements_product"
    " ON bench_inventory_movements(brand_id, gtin, at)",
    "CREATE INDEX bench_inventory_movements_post ON bench_inventory_movements(post_id)",
)
_BARE_INSERT = (
    "INSERT INTO bench_inventory_movements (post_id, brand_id, kind, warehouse_id,"
    " location_id, gtin, lot, quantity, reserved, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def bare_table(world: World) -> None:
    async with world.engine.ledger.write() as tx:
        await tx.execute(_BARE_TABLE[tx.dialect.name])
        for sql in _BARE_INDEXES:
            await tx.execute(sql)


async def _bare_block(world: World, rows: list[Row], first: int) -> float:
    t0 = time.perf_counter()
    for k, row in enumerate(rows, first):
        kind = "inbound" if row[4] > 0 else "outbound"
        async with world.engine.ledger.write() as tx:
            await tx.execute(_BARE_INSERT, k, world.brand_id, kind, *row,
                             dt.datetime.now(dt.UTC))  # fmt: skip
    return time.perf_counter() - t0


async def _post_block(world: World, rows: list[Row], first: int) -> float:
    t0 = time.perf_counter()
    for k, (wid, loc, g, lot, q, _) in enumerate(rows, first):
        kind = MovementKind.INBOUND if q > 0 else MovementKind.OUTBOUND
        async with world.ctx.db.write() as tx:
            await world.inv.stock.post(tx, world.brand_id, [Posting(wid, loc, g, lot, q)],
                                       Meta(kind, "bench", f"A{k}"))  # fmt: skip
    return time.perf_counter() - t0


async def append_round(world: World, n: int, rng: random.Random) -> tuple[float, float]:
    """(movements/s through StockService.post, bare INSERTs/s) for ``n`` posts each:
    pairs of a receipt into main stock and an issue of the same quantity from it, in
    blocks of :data:`BLOCK` alternating with the same rows' bare INSERTs."""
    pairs = [(rng.randrange(len(world.warehouses)), rng.randrange(len(world.gtins)),
              rng.randint(1, 50)) for _ in range((n + 1) // 2)]  # fmt: skip
    lines: list[Line] = []
    for w, p, q in pairs:
        lines += [(w, MAIN, p, len(LOTS) - 1, q, 0), (w, MAIN, p, len(LOTS) - 1, -q, 0)]
    rows = [world.row(line) for line in lines[:n]]
    bare = posts = 0.0
    for first in range(0, n, BLOCK):
        block = rows[first : first + BLOCK]
        bare += await _bare_block(world, block, first)
        posts += await _post_block(world, block, first)
    return n / posts, n / bare


async def query_round(world: World, n: int, rng: random.Random) -> tuple[float, float, float]:
    """(median seconds of product_levels, of a primary-key SELECT of one level row,
    mean rows per product_levels) over ``n`` random products."""
    ours, base, rows = [], [], 0
    for _ in range(n):
        g = rng.choice(world.gtins)
        t0 = time.perf_counter()
        rows += len(await world.inv.stock.product_levels(world.brand_id, g))
        ours.append(time.perf_counter() - t0)
        w = rng.choice(world.warehouses)
        t0 = time.perf_counter()
        async with world.ctx.db.read() as tx:
            await tx.fetchrow(
                "SELECT sellable, reserved, quarantine, rejected FROM inventory_levels"
                " WHERE warehouse_id = ? AND gtin = ?", w, g,
            )  # fmt: skip
        base.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(base), rows / n


async def check_round(world: World) -> tuple[float, float, float]:
    """Seconds of rebuild --check, of one full scan summing the movements, and of
    fetching every balance's truth (the movements grouped by balance) into Python."""
    t0 = time.perf_counter()
    diffs = await rebuild(world.ctx, check_only=True)
    check = time.perf_counter() - t0
    if diffs:
        raise SystemExit(f"rebuild --check found {len(diffs)} differences: {diffs[:3]}")
    t0 = time.perf_counter()
    async with world.ctx.db.read() as tx:
        await tx.fetchrow("SELECT COUNT(*) AS n, SUM(quantity) AS q, SUM(reserved) AS r"
                          " FROM inventory_movements")  # fmt: skip
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    async with world.ctx.db.read() as tx:
        await tx.fetch(_TRUTH)
    return check, scan, time.perf_counter() - t0


async def repair_round(world: World, n: int, rng: random.Random) -> tuple[float, int, int]:
    """Corrupt ``n`` cache rows (half balances, half levels), then time the repair:
    (seconds, differences found, (warehouse, product) groups rewritten)."""
    async with world.ctx.db.read() as tx:
        balances = await tx.fetch(
            "SELECT warehouse_id, location_id, gtin, lot FROM inventory_balances"
        )
        levels = await tx.fetch("SELECT warehouse_id, gtin FROM inventory_levels")
    bad_b = [tuple(r.values()) for r in rng.sample(balances, n // 2)]
    bad_l = [tuple(r.values()) for r in rng.sample(levels, n - n // 2)]
    async with world.ctx.db.write() as tx:
        await tx.executemany("UPDATE inventory_balances SET on_hand = on_hand + 7 WHERE"
                             " warehouse_id = ? AND location_id = ? AND gtin = ? AND lot = ?",
                             bad_b)  # fmt: skip
        await tx.executemany("UPDATE inventory_levels SET sellable = sellable + 7"
                             " WHERE warehouse_id = ? AND gtin = ?", bad_l)  # fmt: skip
    t0 = time.perf_counter()
    diffs = await rebuild(world.ctx, check_only=False)
    seconds = time.perf_counter() - t0
    if len(diffs) != n or await rebuild(world.ctx, check_only=True):
        raise SystemExit(f"{n} rows corrupted, {len(diffs)} found; or the repair failed")
    groups = {(b[0], b[2]) for b in bad_b} | {(lv[0], lv[1]) for lv in bad_l}
    return seconds, len(diffs), len(groups)


# -- a run on one backend -------------------------------------------------------------------
@dataclass
class Figures:
    label: str
    movements: int = 0
    posts: int = 0
    load_s: float = 0.0
    derive_s: float = 0.0
    balances: int = 0
    levels: int = 0
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, **values: float) -> None:
        for key, value in values.items():
            self.runs.setdefault(key, []).append(value)

    def med(self, key: str) -> float:
        return statistics.median(self.runs[key])


async def measure(world: World, args: argparse.Namespace, f: Figures) -> None:
    rng = random.Random(args.seed + 1)
    for r in range(args.rebuild_rounds):
        check, scan, truth = await check_round(world)
        f.add(check=check, scan=scan, truth=truth)
        progress(f.label, f"rebuild --check round {r + 1}: {check:.1f} s")
    for r in range(args.rebuild_rounds):
        seconds, found, groups = await repair_round(world, args.corrupt, rng)
        f.add(repair=seconds, found=found, groups=groups)
        progress(f.label, f"repair round {r + 1}: {seconds:.1f} s")
    per_round = max(1, args.queries // args.rounds)
    for _ in range(args.rounds):
        ours, base, rows = await query_round(world, per_round, rng)
        f.add(query=ours, query_base=base, query_rows=rows)
    await bare_table(world)
    per_round = max(2, args.posts // args.rounds)
    for r in range(args.rounds):
        ours, bare = await append_round(world, per_round, rng)
        f.add(append=ours, append_base=bare)
        progress(f.label, f"append round {r + 1}: {ours:,.0f} movements/s, bare {bare:,.0f}/s")


async def one_backend(backend: str, args: argparse.Namespace, tmp: Path) -> Figures:
    f = Figures(backend)
    # a name of its own: a concurrent run (the test's smoke run) must not drop ours
    url, name = await fresh_url(backend, tmp, f"veriseal_bench_inventory_{secrets.token_hex(4)}")
    key = tmp / "bench.key"
    if not key.exists():
        create_key_file(key)
    engine = await Engine.open(Config(None, url, KeySource(key_file=key), plugins=("inventory",)))
    try:
        world = await make_world(engine, args.products, args.warehouses)
        f.posts, f.load_s = await load(world, args.movements, args.seed, backend)
        f.movements = await count(world, "inventory_movements")
        progress(backend, f"history loaded in {f.load_s:.0f} s; full rebuild of the caches")
        f.derive_s = await derive(world)
        f.balances = await count(world, "inventory_balances")
        f.levels = await count(world, "inventory_levels")
        if backend == "postgres":  # what autovacuum does soon after a bulk load
            async with engine.ledger.read() as tx:
                await tx.execute("ANALYZE")
        await measure(world, args, f)
    finally:
        await engine.close()
        await drop(name)
    return f


def report(f: Figures, args: argparse.Namespace) -> None:
    m = f.med
    print(f"{f.label}: {f.movements:,} movements in {f.posts:,} posts over"
          f" {args.products:,} products x {args.warehouses:,} warehouses"
          f" (bulk-loaded in {f.load_s:.0f} s)")  # fmt: skip
    print(
        f"  append   StockService.post, 1 posting a transaction {m('append'):9,.0f}"
        f" movements/s   bare INSERT of the row {m('append_base'):9,.0f}/s"
        f"   ratio {m('append') / m('append_base'):.3f}"
        f"   (median of {args.rounds} rounds of {max(2, args.posts // args.rounds):,})"
    )
    print(
        f"  query    product_levels, 1 product x {args.warehouses} warehouses"
        f" {m('query') * 1e3:8.3f} ms ({m('query_rows'):.0f} rows)"
        f"   PK SELECT of 1 level row {m('query_base') * 1e3:.3f} ms"
        f"   ratio {m('query') / m('query_base'):.1f}"
        f"   (median of {args.rounds} rounds of {max(1, args.queries // args.rounds):,})"
    )
    print(
        f"  rebuild  full, from {f.movements:,} movements: {f.derive_s:.1f} s"
        f" ({f.balances:,} balances, {f.levels:,} levels)"
    )
    print(
        f"  rebuild --check {m('check'):.1f} s, 0 differences"
        f"   full scan summing the movements {m('scan'):.2f} s"
        f"   ratio {m('check') / m('scan'):.1f};   fetching every balance's truth"
        f" {m('truth'):.2f} s   ratio {m('check') / m('truth'):.1f}"
        f"   (median of {args.rebuild_rounds})"
    )
    print(
        f"  repair   {args.corrupt:,} corrupted rows ({args.corrupt // 2:,} balances,"
        f" {args.corrupt - args.corrupt // 2:,} levels): {m('repair'):.1f} s,"
        f" {m('found'):.0f} differences found, {m('groups'):.0f} (warehouse, product)"
        f" rewritten, then --check clean   (median of {args.rebuild_rounds})"
    )
    sys.stdout.flush()


QUICK = {"movements": 20_000, "products": 50, "warehouses": 10, "posts": 200,
         "queries": 100, "corrupt": 20, "rounds": 2, "rebuild_rounds": 1}  # fmt: skip


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--movements", type=int, default=1_000_000)
    ap.add_argument("--products", type=int, default=1000)
    ap.add_argument("--warehouses", type=int, default=200)
    ap.add_argument("--posts", type=int, default=20_000, help="appended through ledger.post")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--corrupt", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rebuild-rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="a smoke run: " + str(QUICK))
    return ap


async def main(args: argparse.Namespace) -> int:
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            report(await one_backend(backend, args, Path(tmp)), args)
    print(f"(run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parser().parse_args())))
