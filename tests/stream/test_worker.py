"""Delivery: in order per consumer, at least once, poison events parked while the
other consumers go on, parked events listed and retried, lag reported."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.conftest import cli_runner
from tests.stream import probe
from tests.stream.conftest import applied, tick
from veriseal.catalog.keys import KeySource
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import (
    ParkedNotFound,
    WorkerOptions,
    lag,
    list_parked,
    publish,
    retry_parked,
    worker_for,
)
from veriseal.ledger import stream_store

FAST = WorkerOptions(max_tries=3, backoff_base=0.01, backoff_max=0.05, poll=0.01)


async def test_each_consumer_gets_every_event_once_in_order(engine: Engine) -> None:
    positions = await tick(engine, 40, per_tx=7)
    worker = worker_for(engine, FAST)
    assert await worker.drain(["probe.apply"]) == 40
    positions = await tick(engine, 25, per_tx=1)  # more arrive after a first drain
    assert await worker.drain(["probe.apply"]) == 25
    assert await worker.drain(["probe.apply"]) == 0  # caught up: nothing delivered twice
    assert await applied(engine, "probe.apply") == positions
    # another consumer starts from the beginning, with its own cursor
    assert await worker.drain(["probe.slow"]) == 65
    assert await applied(engine, "probe.slow") == positions


async def test_a_poison_event_is_parked_and_the_rest_goes_on(
    engine: Engine, probe_settings: dict[str, float]
) -> None:
    positions = await tick(engine, 30, poison=[12], per_tx=30)
    bad = positions[12]
    worker = worker_for(engine, FAST)
    assert await worker.drain(["probe.poison", "probe.apply"]) == 30 + 29
    assert await applied(engine, "probe.poison") == [p for p in positions if p != bad]
    assert await applied(engine, "probe.apply") == positions  # unaffected
    [parked] = await list_parked(engine.ledger)
    assert (parked.consumer, parked.position, parked.kind, parked.tries) == (
        "probe.poison", bad, "probe.tick", FAST.max_tries
    )  # fmt: skip
    assert "PoisonError" in parked.error and parked.resolved_at is None
    declared = [c.name for _, c in engine.plugins.consumers()]
    by_name = {x.consumer: x for x in await lag(engine.ledger, declared)}
    assert by_name["probe.poison"].lag == 0 and by_name["probe.poison"].parked == 1
    assert by_name["probe.slow"].position == 0 and by_name["probe.slow"].lag == positions[-1]
    # still poison: a retry fails, counts one more try, and the event stays parked
    with pytest.raises(RuntimeError):
        await retry_parked(worker, "probe.poison", bad)
    [again] = await list_parked(engine.ledger)
    assert again.tries == FAST.max_tries + 1
    probe_settings["cured"] = 1
    await retry_parked(worker, "probe.poison", bad)
    assert sorted(await applied(engine, "probe.poison")) == positions
    assert await list_parked(engine.ledger) == []
    assert len(await list_parked(engine.ledger, resolved=True)) == 1
    with pytest.raises(ParkedNotFound):
        await retry_parked(worker, "probe.poison", bad)


def test_cli_lists_lag_and_parked(
    ledger_url: str, key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def setup() -> list[int]:
        cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=())
        async with await Engine.open(cfg, extra_plugins=[("probe", probe)]) as engine:
            positions = await tick(engine, 5, poison=[2], per_tx=5)
            await worker_for(engine, FAST).drain(["probe.poison"])
        return positions

    positions = asyncio.run(setup())
    run = cli_runner(tmp_path, monkeypatch, ["--db", ledger_url])
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(key_file))
    monkeypatch.setenv("VERISEAL_PLUGINS", "")  # the probe is no installed plugin
    [row] = json.loads(run("events", "parked", "--json"))
    assert (row["consumer"], row["position"], row["tries"]) == ("probe.poison", positions[2], 3)
    text = run("events", "parked")
    assert f"probe.poison  #{positions[2]}  probe.tick  tries=3" in text
    # the core's dashboard consumer is always declared; the probe no longer is
    lags = {c["consumer"]: c for c in json.loads(run("events", "lag", "--json"))}
    assert lags["veriseal.dashboard"]["declared"] is True
    assert lags["probe.poison"] == {
        "consumer": "probe.poison", "position": positions[-1], "head": positions[-1],
        "lag": 0, "parked": 1, "declared": False,
    }  # fmt: skip
    assert "probe.poison" in run("--lang", "zh", "events", "lag") and "落后" in run(
        "--lang", "zh", "events", "lag"
    )
    assert "consumer_invalid" in run("events", "retry", "probe.poison", "999", code=2)


async def _others(engine: Engine, n: int) -> int:
    """``n`` events no probe.poison wants; the head after them."""
    async with engine.ledger.write() as tx:
        for ref in range(n):
            await publish(tx, "probe.other", None, ref, {})
    async with engine.ledger.read() as tx:
        return await stream_store.head(tx)


async def _cursor(engine: Engine, name: str) -> int:
    async with engine.ledger.read() as tx:
        return await stream_store.cursor(tx, name)


async def test_a_looping_consumer_passes_unwanted_events_in_memory(engine: Engine) -> None:
    worker = worker_for(engine, WorkerOptions(settle=3600))
    poison = worker.consumers["probe.poison"]  # wants probe.tick only
    head = await _others(engine, 5)
    done = await worker.deliver(poison, settle=False)
    assert (done.handled, done.moved) == (0, head)  # positions (PostgreSQL's begin high)
    assert await _cursor(engine, "probe.poison") == 0  # no write transaction for them
    assert (await worker.deliver(poison, settle=False)).idle  # and no second read of them
    # a wanted event: its batch moves the cursor past everything passed before it
    ticks = await tick(engine, 2)
    done = await worker.deliver(poison, settle=False)
    assert done.handled == 2 and await _cursor(engine, "probe.poison") == ticks[-1]
    assert await applied(engine, "probe.poison") == ticks
    # a cursor set back (a replay) is honoured though positions were passed meanwhile
    head = await _others(engine, 3)
    assert (await worker.deliver(poison, settle=False)).handled == 0
    async with engine.ledger.write() as tx:
        await stream_store.set_cursor(tx, "probe.poison", 0)
    assert (await worker.deliver(poison, settle=False)).handled == 2
    assert await applied(engine, "probe.poison") == ticks + ticks
    assert await _cursor(engine, "probe.poison") == head
    # drain (tests, `events consume`) writes at once; so does a loop once ``settle`` passed
    head = await _others(engine, 2)
    assert await worker.drain(["probe.poison"]) == 0
    assert await _cursor(engine, "probe.poison") == head
    was, head = head, await _others(engine, 2)
    eager = worker_for(engine, WorkerOptions(settle=0))
    assert (await eager.deliver(eager.consumers["probe.poison"], settle=False)).moved == head - was
    assert await _cursor(engine, "probe.poison") == head


@pytest.mark.parametrize("at", [None, 0, 1, 3, 5, 9])
async def test_cursor_and_head_is_the_cursor_and_the_head_after_it(
    engine: Engine, at: int | None
) -> None:
    """One statement for a poll's two questions; the truth is the positions the test
    appended (read back by ref), the cursor where the test set it (``None``: never set,
    as for a new consumer; an index into those positions, past the last too)."""
    async with engine.ledger.write() as tx:
        for ref in range(8):
            await publish(tx, "probe.other", None, ref, {})
    async with engine.ledger.read() as tx:
        events = await stream_store.read_after(tx, 0, 2**62, {"probe.other"}, 100)
    positions = [e.position for e in sorted(events, key=lambda e: e.ref)]
    cursor = 0
    if at is not None:
        cursor = positions[at] if at < len(positions) else positions[-1] + 7
        async with engine.ledger.write() as tx:
            await stream_store.lock_cursor(tx, "probe.poll")
            await stream_store.set_cursor(tx, "probe.poll", cursor)
    newer = [p for p in positions if p > cursor]
    expected = (cursor, max(newer) if newer else cursor)
    async with engine.ledger.read() as tx:
        assert await stream_store.cursor_and_head(tx, "probe.poll") == expected
        # what it replaces, on the same ledger
        assert await stream_store.cursor(tx, "probe.poll") == cursor
        assert await stream_store.head(tx, cursor) == expected[1]
