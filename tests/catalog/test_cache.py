"""The metadata cache: TTL, version-driven clearing, and freshness across processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from veriseal.cache import TtlCache
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.errors import NotFound
from veriseal.models import BatchStatus, Brand
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
