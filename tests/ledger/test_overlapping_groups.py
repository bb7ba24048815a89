"""Two groups in flight at once keep every reader's view of the scans in order.

The group committer may run the next group's transaction while the one before commits
(``depth=2``, PostgreSQL's default: veriseal.ledger.turns). Readers page scans and events
by id (``after_id``, the event stream's consumers, the code memory), so an id must never
become visible after a higher one. Here every statement of the groups' transactions is
delayed by a random pause, so their steps interleave every way they can, while groups
share codes (the same ``scan_codes`` rows), carry client ids (some twice, in different
groups) and hold members the database refuses (bisected away).

The truth is kept apart from the code under test: a poller outside the committer reads
``scans`` and ``stream_events`` in autocommit as any reader would, only ever asking for
ids above the highest it has seen; the counts are recounted from the rows.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest

from veriseal.errors import TextInvalid
from veriseal.ledger import Ledger
from veriseal.ledger.base import Row, Tx
from veriseal.models import NewScan, ScanQuery
from veriseal.scanning.memory import CodeMemory
from veriseal.scanning.service import GroupCommitter

from .test_scan_contract import scan

CODES = [f"C00SHARED{i}" for i in range(6)]
_ALL = ScanQuery(limit=10_000)


class _Jittery(Tx):
    """A transaction whose every statement (and its commit) waits a random 0-2 ms first."""

    def __init__(self, tx: Tx, rng: random.Random) -> None:
        self._tx, self._rng = tx, rng
        self.dialect = tx.dialect

    async def pause(self) -> None:
        await asyncio.sleep(self._rng.random() * 0.002)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        await self.pause()
        return await self._tx.fetch(sql, *args)

    async def execute(self, sql: str, *args: Any) -> None:
        await self.pause()
        await self._tx.execute(sql, *args)

    async def executemany(self, sql: str, args: Sequence[Sequence[Any]]) -> None:
        await self.pause()
        await self._tx.executemany(sql, args)


class _Overlap:
    """Wraps ``ledger.hot_write`` with jitter, counting the transactions open at once."""

    def __init__(self, ledger: Ledger, seed: int) -> None:
        self.rng = random.Random(seed)
        self.open = self.peak = 0
        self._real = ledger.hot_write

    @asynccontextmanager
    async def hot_write(self) -> AsyncIterator[Tx]:
        async with self._real() as tx:
            self.open += 1
            self.peak = max(self.peak, self.open)
            try:
                jittery = _Jittery(tx, self.rng)
                yield jittery
                await jittery.pause()  # and before the commit
            finally:
                self.open -= 1


class _Poller:
    """Reads what is committed, as a paging reader does: only ids above those seen."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.scans: list[int] = []
        self.events: list[tuple[int, int]] = []  # (position, ref) of scan events

    async def poll(self) -> None:
        async with self._ledger.read() as tx:
            after = self.scans[-1] if self.scans else 0
            found = await tx.fetch("SELECT id FROM scans WHERE id > ? ORDER BY id", after)
            self.scans += [int(r["id"]) for r in found]
            after = self.events[-1][0] if self.events else 0
            found = await tx.fetch(
                "SELECT position, ref FROM stream_events WHERE position > ? AND kind = 'scan'"
                " ORDER BY position",
                after,
            )
            self.events += [(int(r["position"]), int(r["ref"])) for r in found]

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.poll()
            await asyncio.sleep(0)


class _Recording(CodeMemory):
    """The code memory, recording the ids of the groups in the order it is told of them."""

    def __init__(self, checked: bool) -> None:
        super().__init__(checked=checked)
        self.told: list[int] = []

    def committed(self, ids: Sequence[int], scans: Sequence[NewScan]) -> None:
        self.told += ids
        super().committed(ids, scans)


def _member(rng: random.Random, n: int, brand: int) -> NewScan:
    roll = rng.random()
    if roll < 0.05:  # refused by the database: its group is bisected
        return scan(n, code="C00\x00BAD", outcome="invalid")
    client = {"client_scan_id": f"up-{rng.randrange(40)}"} if roll < 0.25 else {}
    return scan(n, code=rng.choice(CODES), brand_id=brand, **client)  # type: ignore[arg-type]


async def _commit_all(
    committer: GroupCommitter, poller: _Poller, members: list[NewScan], rng: random.Random
) -> list[int | BaseException]:
    """Each member appended at its own moment, while ``poller`` reads; the outcomes."""
    stop = asyncio.Event()
    committer.start()
    polling = asyncio.create_task(poller.run(stop))

    async def submit(n: int, member: NewScan) -> int | BaseException:
        await asyncio.sleep(n * 0.0004 + rng.random() * 0.002)  # arrivals spread out
        try:
            return await committer.append(member)
        except Exception as exc:
            return exc

    try:
        # a deadlock (a transaction waiting for a later one) fails here, never hangs
        return await asyncio.wait_for(
            asyncio.gather(*(submit(n, m) for n, m in enumerate(members))), timeout=120
        )
    finally:
        stop.set()
        await polling
        try:
            await asyncio.wait_for(committer.stop(), timeout=30)
        except TimeoutError:  # deadlocked: free the connections, or closing would hang
            for flight in list(committer._flying):
                flight.cancel()
            raise


def _one_scan_per_client_id(members: list[NewScan], outcomes: list[int | BaseException]) -> None:
    """A client id uploaded twice is one scan, whichever group carried it first."""
    by_client: dict[str, set[int]] = {}
    for member, outcome in zip(members, outcomes, strict=True):
        if member.client_scan_id is not None and isinstance(outcome, int):
            by_client.setdefault(member.client_scan_id, set()).add(outcome)
    assert all(len(ids) == 1 for ids in by_client.values()), by_client


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_overlapping_groups_keep_ids_in_commit_order(ledger: Ledger, seed: int) -> None:
    brand = (await ledger.create_brand("acme", "Acme", "id.acme.example")).id
    overlap = _Overlap(ledger, seed)
    ledger.hot_write = overlap.hot_write  # type: ignore[method-assign]
    memory = _Recording(checked=not ledger.dialect.one_writer)
    for code in CODES:  # remembered codes: the memory moves them on per group
        memory.remember((brand, code), await ledger.scan_summary(brand, code), memory.generation)
    committer = GroupCommitter(ledger, max_group=6, resolver=None, memory=memory, depth=2)
    poller, rng = _Poller(ledger), random.Random(seed)
    members = [_member(rng, n, brand) for n in range(160)]
    outcomes = await _commit_all(committer, poller, members, rng)
    await poller.poll()

    for member, outcome in zip(members, outcomes, strict=True):
        bad = "\x00" in member.code
        assert isinstance(outcome, TextInvalid) if bad else isinstance(outcome, int), outcome
    acknowledged = {o for o in outcomes if isinstance(o, int)}
    stored = sorted(s.id for s in await ledger.list_scans(brand, _ALL))
    assert set(stored) == acknowledged  # nothing lost, nothing refused stored
    _one_scan_per_client_id(members, outcomes)

    # every reader that pages by id saw every scan: none became visible below one seen
    assert poller.scans == stored
    assert [ref for _, ref in poller.events] == stored  # the stream, in the same order
    # the code memory was told in commit order (a client id's repeat names its first id)
    assert list(dict.fromkeys(memory.told)) == stored
    for code in CODES:  # counts as the rows say, and as the memory holds them
        rows = [s for s in await ledger.list_scans(brand, _ALL) if s.scan.code == code]
        summary = await ledger.scan_summary(brand, code)
        assert summary.count == len(rows)
        assert summary.last_id == (max(s.id for s in rows) if rows else None)
        assert memory.summary((brand, code)) == summary
    if not ledger.dialect.one_writer:
        assert overlap.peak == 2  # the groups did overlap
    assert committer.groups > 10
