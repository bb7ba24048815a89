"""The metadata cache: TTL, version-driven clearing, and freshness across processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from tests.lifecycle.test_activation import LINE
from veriseal.cache import SingleFlight, TtlCache
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.errors import NotFound
from veriseal.ledger import Ledger
from veriseal.ledger.base import Tx
from veriseal.lifecycle.activation import CodeStates
from veriseal.lifecycle.index_ranges import IndexRange
from veriseal.models import BatchStatus, Brand, CodeStatus
from veriseal.scanning.verification import Outcome

from .test_lifecycle import first_codes, make_batch


async def test_ttl_and_version() -> None:
    now, version, loads = [0.0], [0], []

    async def load() -> int:
        loads.append(1)
        return len(loads)

    cache = TtlCache(ttl=2.0, clock=lambda: now[0], version=lambda: version[0])
    assert [await cache.get("k", load) for _ in range(3)] == [1, 1, 1]
    now[0] = 2.5
    assert await cache.get("k", load) == 2  # expired
    version[0] += 1
    assert await cache.get("k", load) == 3  # this process changed metadata


async def test_changes_by_another_process_show_within_the_ttl(
    engine: Engine, brand: Brand, ledger_url: str, key_file: Path
) -> None:
    batch = await make_batch(engine, brand)
    uri = (await first_codes(engine, brand, batch))[0]
    assert (await engine.verifier.verify(uri)).outcome is Outcome.GENUINE
    other_cfg = Config(path=None, db_url=ledger_url, key_source=KeySource(key_file=key_file))
    async with await Engine.open(other_cfg) as other:  # e.g. the CLI while the server runs
        await other.batches.set_status(batch, BatchStatus.RECALLED)
    assert (await engine.verifier.verify(uri)).outcome is Outcome.GENUINE  # cached
    engine.verifier._cache.ttl = 0.0  # what passing the TTL amounts to
    assert (await engine.verifier.verify(uri)).outcome is Outcome.RECALLED
    # a change through the same ledger object is seen at once
    engine.verifier._cache.ttl = 60.0
    await engine.batches.set_status(batch, BatchStatus.ACTIVE)
    assert (await engine.verifier.verify(uri)).outcome is Outcome.GENUINE


async def test_concurrent_misses_share_one_read() -> None:
    """Requests in flight when an entry expires wait for one read, not one read each."""
    reads: list[int] = []
    gate = asyncio.Event()

    async def load() -> str:
        reads.append(1)
        await gate.wait()
        return "product"

    cache = TtlCache(ttl=2.0)
    waiters = [asyncio.create_task(cache.get("k", load)) for _ in range(20)]
    await asyncio.sleep(0)
    waiters[0].cancel()  # one caller giving up does not cancel the read the rest await
    gate.set()
    done = await asyncio.gather(*waiters[1:])
    assert done == ["product"] * 19
    assert len(reads) == 1


async def test_a_failed_read_reaches_every_waiter_and_is_not_cached() -> None:
    attempts: list[int] = []

    async def load() -> str:
        attempts.append(1)
        await asyncio.sleep(0)
        raise NotFound("no such product")

    cache = TtlCache(ttl=2.0)
    results = await asyncio.gather(
        *(cache.get("k", load) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, NotFound) for r in results) and len(attempts) == 1
    with pytest.raises(NotFound):
        await cache.get("k", load)
    assert len(attempts) == 2


async def test_single_flight_forget_starts_a_fresh_read_for_later_callers() -> None:
    """After ``forget``, a caller does not join the read begun before it; the older
    read ending does not unregister the newer one."""
    flights: SingleFlight[str, int] = SingleFlight()
    gates = [asyncio.Event(), asyncio.Event()]
    reads: list[int] = []

    async def read() -> int:
        n = len(reads)
        reads.append(n)
        await gates[n].wait()
        return n

    before = asyncio.create_task(flights.run("k", read))
    await asyncio.sleep(0)
    flights.forget("k")  # e.g. this process wrote what "k" reads
    after = [asyncio.create_task(flights.run("k", read)) for _ in range(3)]
    await asyncio.sleep(0)
    gates[0].set()
    assert await before == 0
    late = asyncio.create_task(flights.run("k", read))  # joins the read still running
    gates[1].set()
    assert await asyncio.gather(*after, late) == [1, 1, 1, 1]
    assert reads == [0, 1]


class _GatedLedger:
    """The real ledger, but its first read transaction holds its caller after it ends,
    until ``gate`` opens: a read under way, its rows already read."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.gate = asyncio.Event()
        self.reads = 0

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        self.reads += 1
        first = self.reads == 1
        async with self._ledger.read() as tx:
            yield tx
        if first:
            await self.gate.wait()


async def test_code_states_share_one_read_when_an_entry_expires(
    engine: Engine, brand: Brand
) -> None:
    """The requests in flight when a batch's entry expires wait for one read (each made
    its own: 24 reads per expiry at 32 in flight, measured in the verify server)."""
    now = [0.0]
    states = CodeStates(engine.ledger, ttl=2.0, clock=lambda: now[0])
    batch = await make_batch(engine, brand)
    assert await states.status(batch, 0) is CodeStatus.LIVE and states.loads == 1
    now[0] = 2.5
    got = await asyncio.gather(*(states.status(batch, i) for i in range(32)))
    assert got == [CodeStatus.LIVE] * 32 and states.loads == 2


async def test_code_states_keep_no_read_begun_before_this_process_wrote(
    engine: Engine, brand: Brand
) -> None:
    """A read under way when this process decommissions a code: callers after the write
    read afresh, and the older read, ending last, does not put the live state back."""
    batch = await make_batch(engine, brand)
    gated = _GatedLedger(engine.ledger)
    states = CodeStates(cast("Ledger", gated), ttl=60.0)
    before = asyncio.create_task(states.status(batch, 0))
    while gated.reads == 0:
        await asyncio.sleep(0)
    await engine.lifecycle.activation.decommission(batch, [IndexRange(0, 0)], "jam", LINE)
    states.invalidate(batch.id)  # as the activation service does after its write
    # (joining the held read instead would wait for ever: bounded, so it fails)
    fresh = await asyncio.wait_for(states.status(batch, 0), 10)
    assert fresh is CodeStatus.DECOMMISSIONED
    gated.gate.set()
    assert await before is CodeStatus.LIVE  # it asked before the write
    assert await states.status(batch, 0) is CodeStatus.DECOMMISSIONED
    assert states.loads == 2
