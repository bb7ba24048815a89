"""The SQLite scan hot path: inline statements, COMMIT in a thread, background checkpoints.

What it must keep from the plain path: a failed group changes nothing, a lock held by
another process is waited for (without freezing the event loop), and the WAL does not
grow without bound now that commits no longer checkpoint it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from veriseal.errors import StorageError
from veriseal.ledger.sqlite import SqliteLedger
from veriseal.models import ScanQuery

from .test_scan_contract import scan


@pytest.fixture
async def sqlite_ledger(tmp_path: Path) -> AsyncIterator[SqliteLedger]:
    ledger = await SqliteLedger.open(tmp_path / "hot.sqlite3")
    await ledger.migrate()
    try:
        yield ledger
    finally:
        await ledger.close()


async def test_a_failed_group_changes_nothing(sqlite_ledger: SqliteLedger) -> None:
    await sqlite_ledger.append_scans([scan(0)])
    with pytest.raises(RuntimeError):
        async with sqlite_ledger.hot_write() as tx:
            await tx.execute("DELETE FROM scans")
            raise RuntimeError("the group failed half-way")
    assert len(await sqlite_ledger.list_scans(None)) == 1
    # the connection is usable again: the next group commits
    await sqlite_ledger.append_scans([scan(1)])
    assert len(await sqlite_ledger.list_scans(None)) == 2


async def test_another_writer_is_waited_for_without_blocking_the_loop(
    sqlite_ledger: SqliteLedger, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "hot.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # e.g. the CLI writing while the server runs
    appending = asyncio.create_task(sqlite_ledger.append_scans([scan(0)]))
    ticks = 0
    started = time.monotonic()
    while time.monotonic() - started < 0.3:  # the loop keeps serving meanwhile
        await asyncio.sleep(0.01)
        ticks += 1
    assert not appending.done()
    assert ticks >= 10
    other.execute("COMMIT")
    other.close()
    assert len(await asyncio.wait_for(appending, 10)) == 1
    assert len(await sqlite_ledger.list_scans(None)) == 1


async def test_hot_statements_map_errors(sqlite_ledger: SqliteLedger) -> None:
    with pytest.raises(StorageError):
        async with sqlite_ledger.hot_read() as tx:
            await tx.fetch("SELECT nope FROM scans")


async def test_background_checkpoints_bound_the_wal(
    sqlite_ledger: SqliteLedger, tmp_path: Path
) -> None:
    """Commits no longer checkpoint; the background rounds must keep the WAL from
    growing with the ledger (without them it grows by every commit's frames)."""
    wal = tmp_path / "hot.sqlite3-wal"
    sizes = []
    for i in range(800):
        await sqlite_ledger.append_scans([scan(i, code=f"C{i:05d}AAA")])
        if i in (399, 799):
            await asyncio.sleep(0.2)  # let a round that is under way finish
            sizes.append(wal.stat().st_size)
    assert sizes[1] < 1.5 * sizes[0], sizes  # 400 more commits: not 400 commits more WAL
    assert len(await sqlite_ledger.list_scans(None, ScanQuery(limit=1000))) == 800
