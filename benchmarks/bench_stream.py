"""Throughput of the event stream's consumers against a bare batch read of the stream.

Usage::

    PYTHONPATH=src:plugins python benchmarks/bench_stream.py [--events 20000] [--batch 200]
        [--rounds 3] [--backends sqlite,postgres] [--pg postgresql://postgres@127.0.0.1/postgres]

Per backend, one ledger is filled through the real services: a brand, a batch, a dealer
(GD01, granted Guangdong) holding every unit (one pallet shipped), and ``--events``
located genuine scans recorded through ``engine.scans.scan`` (group commit): most in
Guangzhou (inside GD01's territory), one in ten in Hangzhou (a diversion alert each).
Then, ``--rounds`` times, in the same run:

- **bare read**: ``SELECT ... FROM stream_events WHERE position > ? ORDER BY position
  LIMIT n`` from the start to the head, nothing else: the floor;
- **no-op consumer**: the stream worker delivering every event to a consumer whose
  ``handle`` does nothing (its cursor reset each round): what the runtime costs (cursor
  read, head, batch read, write transaction with the cursor lock and move);
- **dashboard consumer**: ``veriseal.dashboard`` (its cursor and ``scan_daily`` reset
  each round): the day's counts per brand, outcome and province, from the scans' briefs;
- **territories consumer**: ``territories.diversion`` (its cursor and its alerts reset
  each round): judging every located genuine scan (holder, grants, territory geometry)
  and raising the alerts in the consumer's transaction;
- **analytics consumer**: ``analytics.scans`` (its cursor, mark and rollups reset each
  round): reading each scan's facts, locating its city and booking it into the scan
  cubes, the units seen and the first-scan delays in the consumer's transaction;
- **three scan consumers, one worker** against **a worker each**: three consumers of
  scans that do nothing, delivered in turns of one batch each, as a server's consumers
  follow the head together. One worker reads each stretch of the stream once for all
  three (``veriseal.extend.stream.window``); a worker each reads it three times. The
  ratio of the two is what the shared read saves the consumers' runtime.

It prints the medians in events/s and their ratios to the bare read. On PostgreSQL it
also prints what the append lock (the trigger that keeps positions commit-ordered)
costs a group commit: appending a group of rows to ``stream_events`` against the same
rows into a copy of the table without the trigger.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import secrets
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
from PIL import Image

from veriseal.accounts.identity import uscc_check
from veriseal.accounts.models import SYSTEM, Role
from veriseal.brandops.dashboard import CONSUMER as DASHBOARD
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend import Batch, Consumer, StreamEvent, Tx, hookimpl
from veriseal.extend.stream import WorkerOptions, worker_for
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal.models import Location, LocationSource, ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal_analytics import scan_store
from veriseal_analytics.scan_consumer import SCANS_NAME
from veriseal_territories.plugin import DIVERSION_CONSUMER
from veriseal_territories.service import of

GTIN = "09506000134352"
SSCC = "095060000000000015"
GUANGZHOU = (23.1291, 113.2644)
HANGZHOU = (30.2741, 120.1551)
NOOP = "bench.noop"
DEALERS = "code,name,kind,parent,contact,phone,regions,status\nGD01,华南总代,distributor,,张三,13800000001,CN-GD,active\n"  # noqa: E501


class NoopPlugin:
    """A plugin with one consumer that does nothing (hashable: a class instance)."""

    def __init__(self, batch: int) -> None:
        self.batch = batch

    @hookimpl
    def event_consumers(self) -> Consumer:
        return Consumer(NOOP, None, _nothing, batch_size=self.batch)


async def _nothing(ctx: Any, batch: Batch, tx: Tx) -> None:
    """A consumer's ``handle`` that does nothing: the runtime's own cost."""


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def _world(engine: Engine, events: int) -> list[str]:
    """The brand, GD01 holding units 0..events-1, and their printed URIs."""
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Green tea", category="Beverages/Tea"))
    batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=events))
    t = of(engine.plugins.context("territories"))
    await t.dealers.import_csv(SYSTEM, brand.id, DEALERS)
    org_id = (await t.dealers.find(brand.id, "GD01")).org_id
    user = await engine.accounts.create_user(
        SYSTEM, contact="13900000001", display_name="d", role=Role.DISTRIBUTOR, org_id=org_id
    )
    first = "91440100MA0000001"
    sub = await engine.kyc.submit_enterprise(
        await engine.accounts.principal(user), "Dealer Co.", first + uscc_check(first), _jpeg()
    )
    await engine.kyc.review(SYSTEM, sub.id, True, "ok")
    await t.grants.grant(SYSTEM, brand.id, "GD01", "*", "CN-GD")
    ranges = (BatchRange(batch.id, 0, events - 1),)
    await engine.lifecycle.aggregation.pack(brand, PackRequest(SSCC, Children(ranges)), Where())
    await t.shipments.ship(SYSTEM, brand, "GD01", [SSCC])
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(0, events)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return [raw[i * width : (i + 1) * width] for i in range(events)]


async def _scan_all(engine: Engine, codes: Sequence[str]) -> None:
    async def one(i: int, code: str) -> None:
        lat, lon = HANGZHOU if i % 10 == 0 else GUANGZHOU
        loc = Location(lat, lon, 20.0, LocationSource.GPS)
        # each unit bought and scanned by its own consumer: distinct witnesses
        await engine.scans.scan(code, ScanContext(ScanChannel.WEB, f"device:c{i}", loc))

    for start in range(0, len(codes), 256):
        await asyncio.gather(*(one(i, c) for i, c in enumerate(codes[start : start + 256], start)))


async def _bare(engine: Engine, batch: int) -> tuple[float, int]:
    n, after = 0, 0
    start = time.perf_counter()
    while True:
        async with engine.ledger.read() as tx:
            rows = await tx.fetch(
                "SELECT position, kind, brand_id, ref, payload, at FROM stream_events"
                " WHERE position > ? ORDER BY position LIMIT ?",
                after,
                batch,
            )
        if not rows:
            break
        # what any consumer does with a row: decode it
        found = [
            StreamEvent(r["position"], r["kind"], r["brand_id"], r["ref"], {}, r["at"])
            for r in rows
        ]
        n += len(found)
        after = found[-1].position
    return time.perf_counter() - start, n


async def _reset(engine: Engine, consumer: str) -> None:
    """Move ``consumer`` back to the stream's start and drop what it wrote."""
    async with engine.ledger.write() as tx:
        await tx.execute("DELETE FROM stream_cursors WHERE consumer = ?", consumer)
        if consumer == DIVERSION_CONSUMER:
            for table in ("territories_alert_events", "territories_evidence"):
                await tx.execute(f"DELETE FROM {table}")
            await tx.execute("DELETE FROM territories_alerts")
        elif consumer == DASHBOARD:
            await tx.execute("DELETE FROM scan_daily")
        elif consumer == SCANS_NAME:
            await tx.execute("DELETE FROM analytics_marks WHERE consumer = ?", consumer)
            for brand in await engine.brands.list():
                await scan_store.forget(tx, brand.id)


async def _consume(engine: Engine, consumer: str, batch: int) -> tuple[float, int]:
    await _reset(engine, consumer)
    worker = worker_for(engine, WorkerOptions(max_tries=1))
    start = time.perf_counter()
    n = await worker.drain([consumer])
    return time.perf_counter() - start, n


#: the consumers of the shared-read measurement: three that want scans and do nothing
READERS = tuple(f"bench.reader{i}" for i in range(3))


def _readers(batch: int) -> list[Consumer]:
    return [Consumer(name, frozenset({"scan"}), _nothing, batch_size=batch) for name in READERS]


async def _in_turns(engine: Engine, batch: int, shared: bool) -> tuple[float, int]:
    """Seconds and events for the :data:`READERS` to reach the head from the start,
    delivered a batch each in turn; ``shared``: by one worker, else by a worker each."""
    for name in READERS:
        await _reset(engine, name)
    consumers = _readers(batch)
    options = WorkerOptions(max_tries=1)
    if shared:
        workers = [worker_for(engine, options, consumers)] * len(consumers)
    else:
        workers = [worker_for(engine, options, [c]) for c in consumers]
    n = 0
    start = time.perf_counter()
    while True:
        moved = 0
        for worker, consumer in zip(workers, consumers, strict=True):
            done = await worker.deliver(consumer)
            n, moved = n + done.handled, moved + done.moved
        if not moved:
            return time.perf_counter() - start, n


async def _alerts(engine: Engine) -> int:
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM territories_alerts")
    return 0 if row is None else int(row["n"])


async def _append_cost(engine: Engine, group: int, rounds: int) -> tuple[float, float]:
    """Median seconds to append ``group`` rows in one transaction, with the trigger
    (``stream_events``) and without (a copy of the table; rows removed after)."""
    async with engine.ledger.write() as tx:
        await tx.execute("CREATE SEQUENCE bench_plain_seq")
        await tx.execute("CREATE TABLE bench_plain (LIKE stream_events INCLUDING ALL)")
        await tx.execute(
            "ALTER TABLE bench_plain ALTER COLUMN position SET DEFAULT nextval('bench_plain_seq')"
        )
    rows = [("bench.append", 1, i, "{}", time.time()) for i in range(group)]
    out: dict[str, list[float]] = {"stream_events": [], "bench_plain": []}
    for _ in range(rounds * 5):
        for table, times in out.items():
            start = time.perf_counter()
            async with engine.ledger.write() as tx:
                await tx.executemany(
                    f"INSERT INTO {table} (kind, brand_id, ref, payload, at)"
                    " VALUES (?, ?, ?, ?, to_timestamp(?))",
                    rows,
                )
            times.append(time.perf_counter() - start)
    async with engine.ledger.write() as tx:
        await tx.execute("DELETE FROM stream_events WHERE kind = 'bench.append'")
        await tx.execute("DROP TABLE bench_plain")
        await tx.execute("DROP SEQUENCE bench_plain_seq")
    return statistics.median(out["stream_events"]), statistics.median(out["bench_plain"])


async def bench(url: str, args: argparse.Namespace, key: Path) -> None:
    cfg = Config(None, url, KeySource(key_file=key), plugins=("territories", "analytics"))
    engine = await Engine.open(cfg, extra_plugins=[("bench", NoopPlugin(args.batch))])
    try:
        t0 = time.perf_counter()
        codes = await _world(engine, args.events)
        await _scan_all(engine, codes)
        setup = time.perf_counter() - t0
        names = ("bare", "noop", "dashboard", "territories", "analytics", "shared", "apart")
        results: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(args.rounds):
            seconds, n = await _bare(engine, args.batch)
            results["bare"].append(n / seconds)
            seconds, n = await _consume(engine, NOOP, args.batch)
            results["noop"].append(n / seconds)
            seconds, n = await _consume(engine, DASHBOARD, args.batch)
            results["dashboard"].append(n / seconds)
            seconds, n = await _consume(engine, DIVERSION_CONSUMER, args.batch)
            results["territories"].append(n / seconds)
            seconds, n = await _consume(engine, SCANS_NAME, args.batch)
            results["analytics"].append(n / seconds)
            for shared, key_ in ((True, "shared"), (False, "apart")):
                seconds, n = await _in_turns(engine, args.batch, shared)
                results[key_].append(n / seconds)
        alerts = await _alerts(engine)
        name = url.split(":", 1)[0]
        print(
            f"\n{name}: {args.events} scans on the stream (set up in {setup:.0f} s),"
            f" batches of {args.batch}, medians of {args.rounds} rounds"
        )
        bare = statistics.median(results["bare"])
        for label, key_ in (
            ("bare SELECT ... WHERE position > ? LIMIT n", "bare"),
            ("no-op consumer (worker, cursor in tx)", "noop"),
            ("veriseal.dashboard consumer", "dashboard"),
            ("territories.diversion consumer", "territories"),
            ("analytics.scans consumer", "analytics"),
            ("3 scan consumers, one worker (shared read)", "shared"),
            ("3 scan consumers, a worker each", "apart"),
        ):
            med = statistics.median(results[key_])
            print(f"  {label:<45} {med:>10,.0f} events/s   ratio to bare {med / bare:6.3f}")
        ratios = [a / b for a, b in zip(results["shared"], results["apart"], strict=True)]
        print(
            "  3 scan consumers, one worker against a worker each (events/s, same round):"
            f" median {statistics.median(ratios):.2f}x"
        )
        print(f"  diversion alerts raised per territories round: {alerts}")
        if engine.ledger.url.startswith("postgres"):
            with_lock, plain = await _append_cost(engine, 64, args.rounds)
            print(
                f"  append 64 rows in one transaction: {with_lock * 1e3:.2f} ms with the"
                f" append lock trigger, {plain * 1e3:.2f} ms without"
                f" (+{(with_lock - plain) / 64 * 1e6:.1f} us per row)"
            )
    finally:
        await engine.close()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                await bench(f"sqlite:///{tmp}/bench.sqlite3", args, key)
                continue
            name = f"veriseal_bench_{secrets.token_hex(4)}"
            admin = await asyncpg.connect(args.pg)
            await admin.execute(f'CREATE DATABASE "{name}"')
            try:
                await bench(f"{args.pg.rsplit('/', 1)[0]}/{name}", args, key)
            finally:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    asyncio.run(main(ap.parse_args()))
