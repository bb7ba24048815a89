"""The stream's storage: events commit with the facts they announce, positions are
commit-ordered (PostgreSQL included), plugins' kinds are namespaced."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from tests.stream import probe
from tests.stream.conftest import applied, tick
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import StreamEventInvalid, WorkerOptions, publish, worker_for
from veriseal.ledger import stream_store
from veriseal.models import AlertKind, NewAlert, ScanChannel
from veriseal.scanning.service import ScanContext

GTIN = "09506000134352"


async def _events(engine: Engine) -> list[stream_store.StreamEvent]:
    async with engine.ledger.read() as tx:
        return await stream_store.read_after(tx, 0, 2**62, None, 10_000)


async def test_scans_and_alerts_are_announced(engine: Engine) -> None:
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Tea"))
    batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=10))
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(0, 2)
    width = chunk.uris.shape[1]
    code = chunk.uris.tobytes().decode()[:width]
    genuine = await engine.scans.scan(code, ScanContext(ScanChannel.WEB))
    fake = await engine.scans.scan("nonsense", ScanContext(ScanChannel.WEB))
    now = dt.datetime.now(dt.UTC)
    alert = NewAlert(now, brand.id, AlertKind.CLONE_COUNT, "X1", (genuine.scan_id,), "{}")
    alert_id = await engine.ledger.append_alert(alert)
    found = await _events(engine)
    assert [(e.kind, e.ref, e.brand_id) for e in found] == [
        ("scan", genuine.scan_id, brand.id),
        ("scan", fake.scan_id, None),
        ("alert", alert_id, brand.id),
    ]
    brief = found[0].payload.pop("brief")  # its scan's, as tests/ledger/test_event_briefs.py checks
    assert found[0].payload == {"outcome": "genuine", "located": False}
    assert brief[1:5] == ["web", GTIN, batch.id, 0]  # channel, gtin, batch, unit
    assert "brief" not in found[1].payload  # a fake names no brand: nothing to count
    assert found[2].payload == {"kind": "clone_count", "code": "X1"}
    assert [e.position for e in found] == sorted({e.position for e in found})


async def test_an_event_rolls_back_with_its_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError):
        async with engine.ledger.write() as tx:
            await publish(tx, "probe.tick", None, 1, {})
            raise RuntimeError("the fact failed")
    assert await _events(engine) == []
    await tick(engine, 1)
    assert len(await _events(engine)) == 1


async def test_publish_refuses_core_kinds_and_big_payloads(engine: Engine) -> None:
    async with engine.ledger.write() as tx:
        for kind in ("scan", "alert", "Probe.tick", "probe."):
            with pytest.raises(StreamEventInvalid):
                await publish(tx, kind, None, 1)
        with pytest.raises(StreamEventInvalid):
            await publish(tx, "probe.tick", None, 1, {"blob": "x" * 5000})
    assert await _events(engine) == []


@pytest.mark.postgres
async def test_out_of_order_commits_are_never_skipped(pg_url: str, key_file: Path) -> None:
    """Two transactions append; the one with the higher position tries to commit first
    while a consumer reads. Without commit-ordered positions the consumer would move
    past the later one's position and never see the earlier transaction's event."""
    cfg = Config(None, pg_url, KeySource(key_file=key_file), plugins=())
    async with await Engine.open(cfg, extra_plugins=[("probe", probe)]) as engine:
        worker = worker_for(engine, WorkerOptions(max_tries=1))
        first_in = asyncio.Event()
        release_first = asyncio.Event()

        async def first() -> None:
            async with engine.ledger.write() as tx:
                await publish(tx, "probe.tick", None, 1)
                first_in.set()
                await release_first.wait()

        async def second() -> None:
            async with engine.ledger.write() as tx:
                await publish(tx, "probe.tick", None, 2)

        t1 = asyncio.create_task(first())
        await first_in.wait()
        t2 = asyncio.create_task(second())
        try:
            await asyncio.sleep(0.3)
            await worker.drain(["probe.apply"])
            assert await applied(engine, "probe.apply") == []
        finally:
            release_first.set()  # a failed assertion must not leave the transaction open
            await asyncio.gather(t1, t2)
        await worker.drain(["probe.apply"])
        done = await _events(engine)
        assert [e.ref for e in done] == [1, 2]
        assert await applied(engine, "probe.apply") == [e.position for e in done]
