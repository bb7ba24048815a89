"""Read-your-writes: a write acknowledged to a caller is visible to its next read.

The SQLite backend reads on a connection of its own (WAL). A statement left open on it
keeps a read transaction, and every statement started meanwhile on that connection
reads the same, older snapshot: a user created a moment ago was answered 404. This
test writes and reads back under concurrency on both backends, on real databases
(``tests/server/test_read_your_writes.py`` does the same through the HTTP API).
"""

from __future__ import annotations

import asyncio

from veriseal.ledger import Ledger

CYCLES = 100
TASKS = 8


async def test_plain_write_then_read_under_concurrent_reads(ledger: Ledger) -> None:
    """The ledger alone: every committed write() is seen by the next read(), while other
    tasks keep the reader busy with their own statements."""
    async with ledger.write() as tx:
        await tx.execute("CREATE TABLE ryw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    misses: list[int] = []
    done = asyncio.Event()

    async def busy_reader() -> None:
        while not done.is_set():
            async with ledger.read() as tx:
                await tx.fetch("SELECT COUNT(*) AS n FROM ryw")

    async def writer(first: int) -> None:
        for n in range(first, CYCLES * 2, TASKS):
            async with ledger.write() as tx:
                await tx.execute("INSERT INTO ryw (id, v) VALUES (?, ?)", n, str(n))
            async with ledger.read() as tx:
                if await tx.fetchrow("SELECT v FROM ryw WHERE id = ?", n) is None:
                    misses.append(n)

    readers = [asyncio.create_task(busy_reader()) for _ in range(4)]
    try:
        await asyncio.gather(*(writer(i) for i in range(TASKS)))
    finally:
        done.set()
        await asyncio.gather(*readers)
    assert misses == [], f"{len(misses)} of {CYCLES * 2} writes not seen by the next read"
