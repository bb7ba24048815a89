"""The SQLite ledger's row factory against ``dict(sqlite3.Row)`` and bare tuples.

Usage::

    PYTHONPATH=src python benchmarks/bench_sqlite_rows.py [--rows 1000] [--rounds 15]

Every ``Tx.fetch`` on SQLite returns rows as dicts. They were built as
``dict(sqlite3.Row)``, which looks every column up by name, case-insensitively: quadratic
in the columns. The ledger's factory (``veriseal.ledger.sqlite._dict_row``) zips the
statement's names, built once per statement, with the row. Measured here on the ledger's
own ``scans`` table (a migrated ledger, 23 columns per row), reading ``--rows`` rows in
one statement; medians of ``--rounds`` rounds, the three ways rotated within each round,
with the ratio of each against bare tuples (the driver's floor).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from veriseal.ledger.sqlite import SqliteLedger, _dict_row


def _fill(file: Path, rows: int) -> None:
    async def migrate() -> None:
        ledger = await SqliteLedger.open(file)
        await ledger.migrate()
        await ledger.close()

    asyncio.run(migrate())
    conn = sqlite3.connect(file)  # foreign keys off: the rows need no brand row
    conn.executemany(
        "INSERT INTO scans (id, at, brand_id, code, gtin, unit_index, outcome, reason,"
        " channel, actor, lat, lon, accuracy_m, loc_source, country, province, city,"
        " gb2260, received_at, client) VALUES"
        " (?, '2026-12-05T10:00:00.123456+00:00', 1, ?, '09506000134352', ?, 'genuine',"
        " 'genuine', 'web', ?, 31.23, 121.47, 20.0, 'gps', 'CN', 'CN-SH', 'Shanghai',"
        " '310100', '2026-12-05T10:00:01+00:00', 'a1b2c3d4e5f60718')",
        [(i, f"C{i:019d}", i, f"device:{i:022d}") for i in range(1, rows + 1)],
    )
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "rows.sqlite3"
        _fill(file, args.rows)
        sql = f"SELECT * FROM scans ORDER BY id LIMIT {args.rows}"
        conns = {name: sqlite3.connect(file) for name in ("tuples", "sqlite3.Row", "ledger")}
        conns["sqlite3.Row"].row_factory = sqlite3.Row
        conns["ledger"].row_factory = _dict_row
        reads: dict[str, Callable[[], Any]] = {
            "tuples": lambda: conns["tuples"].execute(sql).fetchall(),
            "sqlite3.Row": lambda: [dict(r) for r in conns["sqlite3.Row"].execute(sql)],
            "ledger": lambda: conns["ledger"].execute(sql).fetchall(),
        }
        columns = len(conns["tuples"].execute(sql).description)
        assert reads["ledger"]() == reads["sqlite3.Row"]()  # the same dicts
        times: dict[str, list[float]] = {name: [] for name in reads}
        names = list(reads)
        for r in range(args.rounds):
            for name in names[r % 3 :] + names[: r % 3]:
                start = time.perf_counter()
                reads[name]()
                times[name].append((time.perf_counter() - start) / args.rows * 1e6)
        for conn in conns.values():
            conn.close()
    floor = statistics.median(times["tuples"])
    print(f"{args.rows:,} rows of {columns} columns, medians of {args.rounds} rounds")
    for name, label in (
        ("tuples", "bare tuples (the driver's floor)"),
        ("sqlite3.Row", "dict(sqlite3.Row) (before)"),
        ("ledger", "the ledger's _dict_row (now)"),
    ):
        us = statistics.median(times[name])
        print(f"  {label:36s} {us:6.2f} us/row   x{us / floor:4.2f} of tuples")
    before, now = statistics.median(times["sqlite3.Row"]), statistics.median(times["ledger"])
    print(f"  now/before {now / before:.2f}")


if __name__ == "__main__":
    main()
