"""An engine with the probe plugin (tests/stream/probe) on each backend, and helpers to
publish ticks and read what the probe consumers applied."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from tests.stream import probe
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.stream import publish


@pytest.fixture(autouse=True)
def probe_settings() -> Iterator[dict[str, float]]:
    """The probe's settings, restored after each test."""
    saved = dict(probe.SETTINGS)
    yield probe.SETTINGS
    probe.SETTINGS.clear()
    probe.SETTINGS.update(saved)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.key"
    create_key_file(path)
    return path


@pytest.fixture
async def engine(ledger_url: str, key_file: Path) -> AsyncIterator[Engine]:
    """An engine with only the probe plugin enabled."""
    cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=())
    eng = await Engine.open(cfg, extra_plugins=[("probe", probe)])
    try:
        yield eng
    finally:
        await eng.close()


async def tick(engine: Engine, n: int, poison: Sequence[int] = (), per_tx: int = 1) -> list[int]:
    """Publish ``n`` ``probe.tick`` events (refs 0..n-1; ``poison`` refs marked so),
    ``per_tx`` per transaction; return their positions."""
    for first in range(0, n, per_tx):
        async with engine.ledger.write() as tx:
            for ref in range(first, min(n, first + per_tx)):
                await publish(tx, "probe.tick", None, ref, {"poison": ref in poison})
    async with engine.ledger.read() as tx:
        found = await tx.fetch(
            "SELECT position FROM stream_events WHERE kind = 'probe.tick' ORDER BY position"
        )
    return [int(r["position"]) for r in found]


async def applied(engine: Engine, consumer: str) -> list[int]:
    """Positions the consumer applied, in the order it applied them (doubles included)."""
    async with engine.ledger.read() as tx:
        found = await tx.fetch(
            "SELECT position FROM probe_applied WHERE consumer = ? ORDER BY id", consumer
        )
    return [int(r["position"]) for r in found]
