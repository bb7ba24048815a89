"""A slow consumer does not slow the verify endpoint: the server keeps answering,
about as fast as without it, while the consumer lags behind in the same process.

The consumer is slow where the contract puts slow work: ``prepare`` (outside any
transaction) on both backends, and also inside ``handle`` on PostgreSQL, where an open
consumer transaction blocks no scan. (On SQLite every write transaction holds the one
write lock, so ``handle`` must stay short: docs/events.md.) The bound is behavioural and
generous; the figures are measured in benchmarks/, not asserted here."""

from __future__ import annotations

import asyncio
import statistics
import time

from aiohttp.test_utils import TestClient, TestServer

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.engine import Engine
from veriseal.extend.stream import WorkerOptions, lag, worker_for
from veriseal.server.app import Limits, make_app

GTIN = "09506000134352"
REQUESTS = 30


async def _paths(engine: Engine, n: int) -> list[str]:
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Tea"))
    batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=n))
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(0, n)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return ["/" + raw[i * width : (i + 1) * width].split("/", 3)[3] for i in range(n)]


async def _latencies(client: TestClient, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        start = time.perf_counter()
        r = await client.get(path, headers={"Accept": "application/json"})
        assert r.status == 200 and (await r.json())["outcome"] == "genuine"
        out.append(time.perf_counter() - start)
    return out


async def test_a_slow_consumer_does_not_hold_up_verification(
    engine: Engine, probe_settings: dict[str, float]
) -> None:
    probe_settings["slow_prepare"] = 0.3
    probe_settings["slow_handle"] = 0.3 if engine.ledger.url.startswith("postgres") else 0.0
    paths = await _paths(engine, 2 * REQUESTS)
    worker = worker_for(engine, WorkerOptions(poll=0.01))
    stop = asyncio.Event()
    async with TestClient(TestServer(make_app(engine, Limits(per_minute=0)))) as client:
        alone = await _latencies(client, paths[:REQUESTS])
        consuming = asyncio.create_task(worker.run(stop, ["probe.slow"]))
        try:
            await asyncio.sleep(0.1)  # the consumer is busy with its first event
            beside = await _latencies(client, paths[REQUESTS:])
            # (the core's dashboard consumer has a cursor from the start: its migration's)
            [slow] = [x for x in await lag(engine.ledger, ["probe.slow"]) if x.declared]
        finally:
            stop.set()
            await consuming
    # the consumer lags far behind (one event per 0.3-0.6 s) ...
    assert slow.lag >= REQUESTS
    # ... while every verification was answered, about as fast as without it
    assert statistics.median(beside) < 5 * statistics.median(alone) + 0.05
    assert max(beside) < 1.0
