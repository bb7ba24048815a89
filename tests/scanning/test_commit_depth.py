"""``[server] commit_depth``: how many groups of scans the committer keeps in flight.

The setting is checked before any I/O; SQLite commits one group at a time whatever it
says; on PostgreSQL a depth of 2 serves a burst of concurrent scans of shared codes with
every scan stored once, counted once (a recount of the rows is the truth) and the code
memory equal to the ledger. The ordering itself is tested in
``tests/ledger/test_overlapping_groups.py`` and ``tests/ledger/test_turns.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.catalog.test_lifecycle import first_codes, make_batch
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import MAX_COMMIT_DEPTH, Engine, _remote_depth
from veriseal.errors import ConfigError
from veriseal.models import Brand, ScanChannel, ScanQuery
from veriseal.scanning.service import ScanContext, ScanResult


def _config(url: str, key_file: Path, depth: object) -> Config:
    return Config(
        path=None,
        db_url=url,
        key_source=KeySource(key_file=key_file),
        server={"commit_depth": depth},
    )


@pytest.mark.parametrize("bad", [0, MAX_COMMIT_DEPTH + 1, "2", True, 1.5, None])
async def test_a_bad_depth_fails_before_the_ledger_opens(key_file: Path, bad: object) -> None:
    nowhere = "postgresql://nobody@127.0.0.1:1/never"  # opening it would fail otherwise
    with pytest.raises(ConfigError, match="commit_depth"):
        await Engine.open(_config(nowhere, key_file, bad))


@pytest.mark.parametrize(
    ("url", "depth"),
    [
        ("postgresql://postgres@127.0.0.1:5432/veriseal", 1),
        ("postgresql://postgres@localhost/veriseal", 1),
        ("postgresql://postgres@[::1]:5432/veriseal", 1),
        ("postgresql://postgres@127.0.0.2/veriseal", 1),
        ("postgresql:///veriseal?host=/var/run/postgresql", 1),
        ("postgresql://veriseal@db.internal:5432/veriseal", 2),
        ("postgresql://veriseal@10.0.3.7/veriseal", 2),
    ],
)
def test_auto_keeps_two_groups_in_flight_only_for_a_server_elsewhere(url: str, depth: int) -> None:
    assert _remote_depth(url) == depth


async def test_depth_two_stores_and_counts_every_scan_once(
    engine: Engine, brand: Brand, key_file: Path
) -> None:
    batch = await make_batch(engine, brand)
    codes = await first_codes(engine, brand, batch, 5)
    async with await Engine.open(_config(engine.ledger.url, key_file, 2)) as deep:
        expected = 1 if engine.ledger.dialect.one_writer else 2
        assert deep.committer.depth == expected  # SQLite: one group at a time regardless
        ctx = ScanContext(ScanChannel.API, actor="device:burst")
        rounds = 12
        # the rounds arrive a little apart, as requests do, so they fill several groups
        # (all at once they made one group, once nothing else staggered them)
        scans: list[asyncio.Task[ScanResult]] = []
        for _ in range(rounds):
            scans += [asyncio.create_task(deep.scans.scan(code, ctx)) for code in codes]
            await asyncio.sleep(0.002)
        results = await asyncio.gather(*scans)
        assert len({r.scan_id for r in results}) == rounds * len(codes)
        if not engine.ledger.dialect.one_writer:
            assert deep.committer.groups > 1
        memory = deep.committer.memory
        assert memory is not None
        by_serial: dict[str, set[int]] = {}
        for result in results:
            info = result.verification.info
            assert info is not None
            by_serial.setdefault(info.serial, set()).add(result.scan_id)
        assert len(by_serial) == len(codes)
        for serial, ids in by_serial.items():
            stored = await deep.ledger.list_scans(brand.id, ScanQuery(code=serial, limit=1000))
            assert {s.id for s in stored} == ids
            summary = await deep.ledger.scan_summary(brand.id, serial)
            verified = sum(s.scan.outcome in {"genuine", "suspected_clone"} for s in stored)
            assert summary.count == verified == rounds
            assert summary.last_id == max(ids)
            held = memory.summary((brand.id, serial))
            if memory.checked and held != summary:
                # PostgreSQL: a summary read while a group committed is kept, as every
                # use confirms it against the ledger's (count, newest id) first; so it
                # must differ there, and the next scan reads it afresh (below)
                head = (summary.count, summary.last_id)
                assert held is None or (held.count, held.last_id) != head
            else:
                assert held == summary  # remembered, and moved on by every group
        # a scan after them all is judged with every one of them, memory or not
        again = await asyncio.gather(*(deep.scans.scan(code, ctx) for code in codes))
        for result in again:
            info = result.verification.info
            assert info is not None
            assert result.previous.count == rounds
            assert result.previous.last_id == max(by_serial[info.serial])
