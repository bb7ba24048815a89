"""Aggregation at factory scale: pack 1,000,000 items into cases of 24, as ranges.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_aggregation.py [--items 1000000]
        [--case 24] [--per-tx 2000] [--rounds 3] [--backends sqlite,postgres]
        [--pg postgresql://postgres@127.0.0.1/postgres]

For each backend and round, on a fresh ledger: one batch of ``--items`` codes, one SSCC
per case (one allocation row), then ``AggregationService.pack_many`` in transactions of
``--per-tx`` cases (one AggregationEvent per case, EPCIS requires one parentID per
event). It prints the rows each table gained and the MEDIAN wall time, next to the
baseline measured in the same run on the same ledger: the straightforward design, one
row per item ``(batch, index, parent)`` with the index that enforces "one parent per
item", bulk-inserted with the same transaction size in items. The ratio is
ranges time / row-per-item time.

It also times the verifier's activation lookup (``BatchLifecycle.status``) on a batch
whose state is fragmented into one range per case, against a plain ``dict`` lookup.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from veriseal.cache import TtlCache
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.lifecycle.activation import BatchLifecycle
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, UnitState, Where
from veriseal.lifecycle.index_ranges import IndexRange, RangeMap
from veriseal.scanning.verification import Verifier

GTIN = "09506000134352"
TABLES = ("events", "event_ranges", "event_units", "packed_ranges", "packed_units")


async def _pg_admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _rows(engine: Engine, table: str) -> int:
    async with engine.ledger.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def one_round(db_url: str, key: Path, items: int, case: int, per_tx: int) -> dict[str, float]:
    engine = await Engine.open(Config(path=None, db_url=db_url, key_source=KeySource(key_file=key)))
    try:
        brand = await engine.brands.create("bench", "Bench", "id.bench.example")
        await engine.catalogue.add(make_product(brand, GTIN, "Tea"))
        batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="B1", size=items))
        cases = -(-items // case)
        alloc = await engine.lifecycle.ssccs.mint(brand, "9506000", cases)
        plan = [
            PackRequest(
                sscc, Children((BatchRange(batch.id, i * case, min(items, (i + 1) * case) - 1),))
            )
            for i, sscc in enumerate(alloc.ssccs())
        ]
        where = Where("urn:epc:id:sgln:9506000.00001.L1", None, "bench")
        before = {t: await _rows(engine, t) for t in TABLES}
        start = time.perf_counter()
        for lo in range(0, len(plan), per_tx):
            await engine.lifecycle.aggregation.pack_many(brand, plan[lo : lo + per_tx], where)
        ranges_s = time.perf_counter() - start
        gained = {t: await _rows(engine, t) - before[t] for t in TABLES}

        # baseline: one row per item, with the index that keeps one parent per item
        async with engine.ledger.write() as tx:
            await tx.execute(
                "CREATE TABLE bench_item_parent (batch_id BIGINT NOT NULL,"
                " idx BIGINT NOT NULL, parent TEXT NOT NULL, PRIMARY KEY (batch_id, idx))"
            )
        ssccs = [p.parent for p in plan]
        start = time.perf_counter()
        step = per_tx * case
        for lo in range(0, items, step):
            async with engine.ledger.write() as tx:
                await tx.executemany(
                    "INSERT INTO bench_item_parent (batch_id, idx, parent) VALUES (?, ?, ?)",
                    [(batch.id, i, ssccs[i // case]) for i in range(lo, min(items, lo + step))],
                )
        rows_s = time.perf_counter() - start
        base_rows = await _rows(engine, "bench_item_parent")
        return {"ranges_s": ranges_s, "rows_s": rows_s, "base_rows": base_rows, **gained}
    finally:
        await engine.close()


def lookup_rates(items: int, case: int, probes: int = 200_000) -> tuple[float, float, int]:
    """Lookups/s of a lifecycle fragmented into one state range per case (alternating
    active / decommissioned so no two neighbours merge), and of a dict baseline."""
    states: RangeMap[UnitState] = RangeMap()
    for i, lo in enumerate(range(0, items, case)):
        state = UnitState.ACTIVE if i % 2 == 0 else UnitState.DECOMMISSIONED
        states.assign(IndexRange(lo, min(items, lo + case) - 1), state)
    life = BatchLifecycle(True, states)
    index = [int.from_bytes(os.urandom(4)) % items for _ in range(probes)]
    start = time.perf_counter()
    for i in index:
        life.status(i)
    ranged = probes / (time.perf_counter() - start)
    table = {lo: UnitState.ACTIVE for lo in range(0, items, case)}
    start = time.perf_counter()
    for i in index:
        table.get(i - i % case)
    plain = probes / (time.perf_counter() - start)
    return ranged, plain, len(states)


async def verify_rates(
    db_url: str, key: Path, n: int = 20_000, rounds: int = 3
) -> tuple[float, float]:
    """Online verifications/s of one batch's codes with the activation check (batch
    requires activation, all activated but 1 in 100 decommissioned) and, on the same
    ledger and codes, without it (a Verifier built without a state lookup)."""
    engine = await Engine.open(Config(path=None, db_url=db_url, key_source=KeySource(key_file=key)))
    try:
        brand = await engine.brands.create("vbench", "Bench", "id.bench.example")
        await engine.catalogue.add(make_product(brand, "09506000000008", "Tea"))
        batch = await engine.batches.create(
            brand, BatchRequest(gtin="09506000000008", lot="V1", size=n)
        )
        life = engine.lifecycle.activation
        await life.set_required(brand, batch, True)
        await life.activate(batch, [IndexRange(0, n - 1)], Where())
        await life.decommission(
            batch, [IndexRange(i, i) for i in range(0, n, 100)], "bench", Where()
        )
        keys = {k.slot: k for k in await engine.keys.list(brand)}
        with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
            chunk = m.chunk(0, n)
        width = chunk.uris.shape[1]
        raw = chunk.uris.tobytes().decode()
        uris = [raw[i * width : (i + 1) * width] for i in range(n)]
        plain = Verifier(engine.ledger, engine.keys, TtlCache())
        with_check, without = [], []
        for _ in range(rounds):
            for verifier, times in ((engine.verifier, with_check), (plain, without)):
                start = time.perf_counter()
                for uri in uris:
                    await verifier.verify(uri)
                times.append(time.perf_counter() - start)
        return n / statistics.median(with_check), n / statistics.median(without)
    finally:
        await engine.close()


async def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--case", type=int, default=24)
    ap.add_argument("--per-tx", type=int, default=2000, help="cases per transaction")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    print(
        f"cores {os.cpu_count()}, {args.items:,} items in cases of {args.case},"
        f" {args.per_tx} cases per transaction, medians of {args.rounds} rounds\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        for backend in args.backends.split(","):
            results = []
            for r in range(args.rounds):
                if backend == "sqlite":
                    url = sqlite_url(Path(tmp) / f"agg{r}.sqlite3")
                    results.append(await one_round(url, key, args.items, args.case, args.per_tx))
                else:
                    name = f"veriseal_bench_{secrets.token_hex(4)}"
                    await _pg_admin(args.pg, f'CREATE DATABASE "{name}"')
                    try:
                        url = args.pg.rsplit("/", 1)[0] + "/" + name
                        results.append(
                            await one_round(url, key, args.items, args.case, args.per_tx)
                        )
                    finally:
                        await _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                print(
                    f"  {backend} round {r + 1}: ranges {results[-1]['ranges_s']:.2f} s,"
                    f" row per item {results[-1]['rows_s']:.2f} s",
                    file=sys.stderr,
                )
            ranges_s = statistics.median(x["ranges_s"] for x in results)
            rows_s = statistics.median(x["rows_s"] for x in results)
            last = results[-1]
            new_rows = int(sum(last[t] for t in TABLES))
            print(f"{backend}:")
            print(
                "  rows gained: "
                + ", ".join(f"{t} {int(last[t]):,}" for t in TABLES)
                + f"  (total {new_rows:,} = {new_rows / args.items:.3f} per item)"
            )
            print(
                f"  pack as ranges: {ranges_s:.2f} s = {args.items / ranges_s:,.0f} items/s,"
                f" {int(last['events']) / ranges_s:,.0f} cases/s"
            )
            print(
                f"  baseline, one row per item: {int(last['base_rows']):,} rows,"
                f" {rows_s:.2f} s = {args.items / rows_s:,.0f} items/s"
            )
            print(
                f"  ratio time ranges / row per item: {ranges_s / rows_s:.2f};"
                f" rows ranges / row per item: {new_rows / last['base_rows']:.3f}\n"
            )
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "bench.key"
        create_key_file(key)
        checked, unchecked = await verify_rates(sqlite_url(Path(tmp) / "v.sqlite3"), key)
    print(
        f"online verification (SQLite, cached metadata), with the activation check:"
        f" {checked:,.0f}/s; without it: {unchecked:,.0f}/s; ratio {checked / unchecked:.2f}"
    )
    ranged, plain, segments = lookup_rates(args.items, args.case)
    print(
        f"activation lookup, {segments:,} state ranges in one batch (bisect):"
        f" {ranged:,.0f} lookups/s; dict baseline {plain:,.0f}/s; ratio {ranged / plain:.2f}"
    )
    print(f"(run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    asyncio.run(main())
