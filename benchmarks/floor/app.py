"""The floor: a verify endpoint that does nothing but what every durable verification must.

``benchmarks/bench_http.py`` serves it next to ``veriseal serve`` and gives both the same
requests. Where the hello endpoint is the HTTP stack's ceiling and the peer is a typical
implementation, the floor is the least work a verify request with Veriseal's durability
can cost in this stack: what Veriseal spends above it is its own logic.

Per request, on the Digital Link path: one AES block (the cryptographic floor of opening
a compact code); the scan queued for a group commit that writes, per scan, the rows
Veriseal's ledger writes (a ``scans`` row with the same non-null columns, the code's
``scan_codes`` count, a ``scan`` event on ``stream_events``), into tables with Veriseal's
own columns and indexes, one transaction per group, the COMMIT in a thread; the answer,
a small JSON verdict with the scan's id, sent after the commit. No code is parsed or
checked, no history is read, no clone rule runs, no consumer reacts, and there is no
error handling or request id: those are what the floor leaves out.

The tables are copied from a ledger Veriseal migrated (``--like``), never written here
by hand, so they follow its migrations:

- SQLite: the ``CREATE`` statements of the three tables and their indexes, read from that
  ledger file, run in the floor's own file (``--db``), with the ledger's pragmas
  (``journal_mode=WAL``, ``synchronous=FULL``: every COMMIT is fsynced);
- PostgreSQL: ``CREATE TABLE floor.<t> (LIKE public.<t> INCLUDING ALL)`` in that
  database, so the event position is still drawn through the ledger's commit-ordering
  lock (the column's default) and scan ids from the ledger's sequence. The copies are
  plain tables: the ledger's are partitioned by month.

It imports aiohttp, uvloop, asyncpg, msgspec and cryptography, never veriseal. Run::

    python benchmarks/floor/app.py --port 8002 --like LEDGER_URL [--db FLOOR.sqlite3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import signal
import sqlite3
from collections.abc import Awaitable, Callable

import asyncpg
import msgspec
import uvloop
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TABLES = ("scans", "scan_codes", "stream_events")
GTIN = "09506000134352"
_SCAN = (
    "INSERT INTO {s}scans (id, at, brand_id, code, gtin, batch_id, unit_index, outcome,"
    " reason, channel, actor, received_at, client) VALUES ({marks})"
)
_COUNT = (
    "INSERT INTO {s}scan_codes (brand_id, code, n, first_id, last_id) VALUES ({marks})"
    " ON CONFLICT (brand_id, code) DO UPDATE SET n = {s}scan_codes.n + 1,"
    " last_id = excluded.last_id"
)
_EVENT = "INSERT INTO {s}stream_events (kind, brand_id, ref, payload, at) VALUES ({marks})"
_PAYLOAD = b'{"outcome":"genuine","located":false}'.decode()

#: one group's rows: (code, scan time) per scan; writes them, returns their scan ids
Writer = Callable[[list[tuple[str, dt.datetime]]], Awaitable[list[int]]]


def _sql(template: str, schema: str, n: int, style: str) -> str:
    marks = ", ".join("?" * n) if style == "qmark" else ", ".join(f"${i + 1}" for i in range(n))
    return template.format(s=schema, marks=marks)


Rows = list[tuple[object, ...]]


def _rows(group: list[tuple[str, object]], ids: list[int], now: object) -> tuple[Rows, ...]:
    """The three tables' rows of a group: (code, time) per scan; times as the driver
    takes them (text on SQLite, as the ledger stores them)."""
    pairs = enumerate(zip(ids, group, strict=True))
    scans = [(i, at, 1, code, GTIN, 1, n, "genuine", "genuine", "api", "device:floor", at,
              "floor") for n, (i, (code, at)) in pairs]  # fmt: skip
    counts = [(1, code, 1, i, i) for i, (code, _) in zip(ids, group, strict=True)]
    events = [("scan", 1, i, _PAYLOAD, now) for i in ids]
    return scans, counts, events


async def sqlite_writer(ledger: str, db: str) -> Writer:
    """Group writes into ``db`` (created with ``ledger``'s tables) on SQLite."""
    source = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    found = source.execute(  # the tables first ("table" > "index"), then their indexes
        "SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?, ?) AND sql IS NOT NULL"
        " ORDER BY type DESC",
        TABLES,
    )
    ddl = [sql for (sql,) in found]
    source.close()
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    for sql in ddl:
        conn.execute(sql)
    scan_sql, count_sql, event_sql = (
        _sql(_SCAN, "", 13, "qmark"),
        _sql(_COUNT, "", 5, "qmark"),
        _sql(_EVENT, "", 5, "qmark"),
    )
    loop = asyncio.get_running_loop()

    async def write(group: list[tuple[str, dt.datetime]]) -> list[int]:
        # BEGIN and the inserts inline (no thread hop for a few microseconds of work), the
        # COMMIT and its fsync in a thread, as Veriseal's SQLite ledger does
        conn.execute("BEGIN IMMEDIATE")
        first = int(conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM scans").fetchone()[0])
        ids = list(range(first, first + len(group)))
        now = dt.datetime.now(dt.UTC).isoformat()
        scans, counts, events = _rows([(c, at.isoformat()) for c, at in group], ids, now)
        conn.executemany(scan_sql, scans)
        conn.executemany(count_sql, counts)
        conn.executemany(event_sql, events)
        await loop.run_in_executor(None, conn.commit)
        return ids

    return write


async def postgres_writer(ledger: str) -> Writer:
    """Group writes into plain copies of the ledger's tables (schema ``floor``)."""
    pool = await asyncpg.create_pool(ledger, min_size=1, max_size=1)
    async with pool.acquire() as conn:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS floor")
        for table in TABLES:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS floor.{table} (LIKE public.{table} INCLUDING ALL)"
            )
    scan_sql, count_sql, event_sql = (
        _sql(_SCAN, "floor.", 13, "numeric"),
        _sql(_COUNT, "floor.", 5, "numeric"),
        _sql(_EVENT, "floor.", 5, "numeric"),
    )

    async def write(group: list[tuple[str, dt.datetime]]) -> list[int]:
        async with pool.acquire() as conn, conn.transaction():
            reserved = await conn.fetch(
                "SELECT nextval('public.scans_id_seq') FROM generate_series(1, $1)", len(group)
            )
            ids = sorted(r[0] for r in reserved)
            scans, counts, events = _rows(list(group), ids, dt.datetime.now(dt.UTC))
            await conn.executemany(scan_sql, scans)
            await conn.executemany(count_sql, counts)
            await conn.executemany(event_sql, events)
        return ids

    return write


class Floor:
    """The request handler and its group committer."""

    def __init__(self, write: Writer) -> None:
        self._write = write
        self._queue: asyncio.Queue[tuple[str, dt.datetime, asyncio.Future[int]]] = asyncio.Queue()
        self._cipher = Cipher(algorithms.AES(os.urandom(16)), modes.ECB()).encryptor()
        self._json = msgspec.json.Encoder()

    async def commit_forever(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < 512:
                group.append(self._queue.get_nowait())
            try:
                ids = await self._write([(code, at) for code, at, _ in group])
            except Exception as exc:  # every waiter learns of it
                for _, _, future in group:
                    future.set_exception(exc)
                continue
            for (_, _, future), scan_id in zip(group, ids, strict=True):
                future.set_result(scan_id)

    async def verify(self, request: web.Request) -> web.Response:
        code = request.path_qs
        self._cipher.update(hashlib.blake2b(code.encode(), digest_size=16).digest())
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put((code, dt.datetime.now(dt.UTC), future))
        scan_id = await future
        body = self._json.encode({"outcome": "genuine", "scan_id": scan_id})
        return web.Response(body=body, content_type="application/json")


async def serve(port: int, like: str, db: str | None) -> None:
    if like.startswith("sqlite"):
        if db is None:
            raise SystemExit("--db FILE is needed on SQLite")
        path = like.removeprefix("sqlite:")  # sqlite:///abs, sqlite:////abs or sqlite:rel
        write = await sqlite_writer("/" + path.lstrip("/") if path.startswith("//") else path, db)
    else:
        write = await postgres_writer(like)
    floor = Floor(write)
    app = web.Application()
    app.router.add_get("/{tail:.*}", floor.verify)
    committing = asyncio.create_task(floor.commit_forever())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    # SIGTERM and SIGINT stop it from inside the loop: a process started in the
    # background by a non-interactive shell inherits SIGINT ignored, and Python then
    # raises no KeyboardInterrupt for it
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        committing.cancel()
        await runner.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--like", required=True, help="a ledger Veriseal migrated (its URL)")
    ap.add_argument("--db", help="the floor's own SQLite file")
    args = ap.parse_args()
    uvloop.install()
    asyncio.run(serve(args.port, args.like, args.db))


if __name__ == "__main__":
    main()
