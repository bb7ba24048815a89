"""An engine over each real backend, with extra plugin objects registered (tests/conftest.py
gives ``ledger_url``), and a brand with a product and a batch to scan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.catalog.conftest import GTIN
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.models import Brand

OpenEngine = Callable[..., Awaitable[Engine]]


@pytest.fixture
async def open_engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[OpenEngine]:
    """``await open_engine(extra=[(name, plugin)], plugins=("territories",))``; every
    engine opened is closed after the test."""
    key_file = tmp_path / "test.key"
    create_key_file(key_file)
    opened: list[Engine] = []

    async def go(
        extra: list[tuple[str, object]] | None = None, plugins: tuple[str, ...] = ("territories",)
    ) -> Engine:
        cfg = Config(None, ledger_url, KeySource(key_file=key_file), plugins=plugins)
        engine = await Engine.open(cfg, extra_plugins=extra or [])
        opened.append(engine)
        return engine

    yield go
    for engine in opened:
        await engine.close()


async def brand_and_codes(engine: Engine, n: int = 3) -> tuple[Brand, list[str]]:
    brand = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    await engine.catalogue.add(make_product(brand, GTIN, "Green tea"))
    batch = await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot="L1", size=100))
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(0, n)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return brand, [raw[i * width : (i + 1) * width] for i in range(n)]
