"""Where a verify request's CPU goes: the scan path stage by stage, in one process.

Usage::

    PYTHONPATH=src python benchmarks/bench_scan_path.py [--n 2000] [--rounds 5]
        [--backends sqlite,postgres] [--pg postgresql://postgres@127.0.0.1/postgres]

Each stage is timed as CPU microseconds per call (``time.process_time``: all threads of
this process, so the commit thread counts too), median of ``--rounds`` rounds of ``--n``
calls over 1,000 distinct genuine codes. In the same run it times raw primitives the
stages are built on, and prints each stage's ratio to its primitive:

- verify (parse the Digital Link, open the compact code, cached metadata) vs one AES
  block of the code's cipher (the cryptographic floor of a compact check);
- history read (``scan_summary``) vs the same SELECT through the bare driver;
- append, per scan, in groups of 16 (a group commit's share) vs a bare INSERT of the
  same rows in one transaction through the bare driver;
- the JSON verdict (``ScanResult.to_dict`` + ``json.dumps``);
- ``ScanService.scan`` end to end with 32 scans in flight (what a request costs before
  HTTP).

Compare the end-to-end figure with the hello endpoint's server CPU per request printed
by ``bench_http.py``: HTTP handling costs a verify request at least that much again.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

sys.path.insert(0, str(Path(__file__).parent))  # bench_http: a sibling script
from bench_http import _admin, prepare
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.engine import Engine
from veriseal.models import NewScan, ScanChannel
from veriseal.scanning.service import ScanContext

GROUP = 16
_SUMMARY_SQL = (
    "SELECT c.n, f.id AS f_id, f.at AS f_at, l.id AS l_id, l.at AS l_at"
    " FROM scan_codes c JOIN scans f ON f.id = c.first_id"
    " JOIN scans l ON l.id = c.last_id WHERE c.brand_id = {0} AND c.code = {1}"
)


async def cpu_us(n: int, rounds: int, one: Callable[[int], Awaitable[object]]) -> float:
    """Median over ``rounds`` of the CPU microseconds per call of ``one(i)``."""
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for i in range(n):
            await one(i)
        out.append(1e6 * (time.process_time() - start) / n)
    return statistics.median(out)


async def bench(name: str, url: str, key: Path, args: argparse.Namespace) -> None:
    paths = await prepare(url, key, "bench.example", 1000)
    cfg = Config(path=None, db_url=url, key_source=KeySource(key_file=key))
    n, rounds = args.n, args.rounds
    async with await Engine.open(cfg) as engine:
        ctx = ScanContext(ScanChannel.API, "device:bench")
        first = await engine.scans.scan(paths[0], ctx)  # warms caches, loads plugins
        info = first.verification.info
        assert info is not None and info.brand_id is not None
        brand_id = info.brand_id
        serials = [
            (await engine.verifier.verify(p)).info.serial  # type: ignore[union-attr]
            for p in paths
        ]
        ledger = engine.ledger
        stages: dict[str, float] = {}
        stages["verify"] = await cpu_us(
            n, rounds, lambda i: engine.verifier.verify(paths[i % 1000])
        )
        stages["history"] = await cpu_us(
            n, rounds, lambda i: ledger.scan_summary(brand_id, serials[i % 1000])
        )
        template = NewScan(
            at=dt.datetime.now(dt.UTC), code="", outcome="genuine", reason="genuine",
            channel=ScanChannel.API, actor="device:bench", brand_id=brand_id,
            gtin=info.gtin, batch_id=info.batch_id, index=0,
        )  # fmt: skip

        async def append(i: int) -> None:
            if i % GROUP == 0:
                group = [
                    dataclasses.replace(template, code=serials[(i + j) % 1000], index=i + j)
                    for j in range(GROUP)
                ]
                await ledger.append_scans(group)

        stages["append"] = await cpu_us(n, rounds, append)
        stages["json"] = await cpu_us(n, rounds, lambda _i: _json(first))

        async def end_to_end(_i: int) -> None:
            # ``cpu_us`` calls this n times; each call scans 32 codes concurrently
            await asyncio.gather(
                *(engine.scans.scan(paths[j % 1000], ctx) for j in range(_i, _i + 32))
            )

        stages["scan"] = await cpu_us(max(1, n // 32), rounds, end_to_end) / 32
        # raw primitives, same run
        raw: dict[str, float] = {}
        aes = Cipher(algorithms.AES(secrets.token_bytes(16)), modes.ECB()).encryptor()
        block = bytes(16)
        raw["aes"] = await cpu_us(n, rounds, lambda _i: _noop(aes.update(block)))
        raw["select"], raw["insert"] = await _driver_baselines(
            name, url, brand_id, serials, n, rounds
        )
    print(f"\n{name}: CPU us per call, medians of {rounds} rounds of {n}")
    rows = (
        ("verify: parse, open code, cached metadata", stages["verify"], "one AES block",
         raw["aes"]),
        ("history read (scan_summary)", stages["history"], "same SELECT, bare driver",
         raw["select"]),
        (f"append per scan, groups of {GROUP}", stages["append"],
         f"bare INSERT, {GROUP} rows/tx", raw["insert"]),
        ("JSON verdict (to_dict + dumps)", stages["json"], "", 0.0),
        ("ScanService.scan, 32 in flight", stages["scan"], "", 0.0),
    )  # fmt: skip
    for label, value, base_label, base in rows:
        ratio = f"{value / base:8.1f}x  {base_label} {base:7.1f} us" if base else ""
        print(f"  {label:<44} {value:8.1f} us   {ratio}")


async def _noop(_value: object) -> None:
    return None


async def _json(result: object) -> None:
    json.dumps(result.to_dict())  # type: ignore[attr-defined]


async def _driver_baselines(
    name: str, url: str, brand_id: int, serials: list[str], n: int, rounds: int
) -> tuple[float, float]:
    """The history SELECT and a 16-row INSERT transaction through the bare driver."""
    rows = [
        (f"bench-{secrets.token_hex(6)}", "genuine", dt.datetime.now(dt.UTC).isoformat())
        for _ in range(GROUP)
    ]
    if name == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (code TEXT, outcome TEXT, at TEXT)")
        select = _SUMMARY_SQL.format("?", "?")

        async def read(i: int) -> None:
            conn.execute(select, (brand_id, serials[i % 1000])).fetchall()

        async def write(i: int) -> None:
            if i % GROUP == 0:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO bench_raw VALUES (?, ?, ?)", rows)
                conn.execute("COMMIT")

        try:
            return await cpu_us(n, rounds, read), await cpu_us(n, rounds, write)
        finally:
            conn.close()
    pg = await asyncpg.connect(url)
    try:
        await pg.execute("CREATE TABLE IF NOT EXISTS bench_raw (code TEXT, outcome TEXT, at TEXT)")
        select = _SUMMARY_SQL.format("$1", "$2")

        async def pg_read(i: int) -> None:
            await pg.fetch(select, brand_id, serials[i % 1000])

        async def pg_write(i: int) -> None:
            if i % GROUP == 0:
                async with pg.transaction():
                    await pg.executemany("INSERT INTO bench_raw VALUES ($1, $2, $3)", rows)

        return await cpu_us(n, rounds, pg_read), await cpu_us(n, rounds, pg_write)
    finally:
        await pg.close()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        key = tmp / "bench.key"
        create_key_file(key)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                asyncio.run(bench("sqlite", sqlite_url(tmp / "bench.sqlite3"), key, args))
            elif backend == "postgres":
                db = f"veriseal_bench_{secrets.token_hex(4)}"
                asyncio.run(_admin(args.pg, f'CREATE DATABASE "{db}"'))
                try:
                    url = args.pg.rsplit("/", 1)[0] + "/" + db
                    asyncio.run(bench("postgres", url, key, args))
                finally:
                    asyncio.run(_admin(args.pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
