"""An engine over each real ledger backend, a brand with a product, and helpers to
derive a batch's real codes (see tests/conftest.py for ``ledger_url``)."""

from __future__ import annotations

import pytest

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.minting import Minter
from veriseal.catalog.products import make_product
from veriseal.engine import Engine
from veriseal.models import Batch, Brand

GTIN = "09506000134352"
PREFIX = "9506000"  # the GS1 company prefix of GTIN above


@pytest.fixture
async def brand(engine: Engine) -> Brand:
    b = await engine.brands.create("acme", "Acme Tea", "id.acme.example")
    await engine.catalogue.add(make_product(b, GTIN, "Green tea", shelf_life_days=365))
    return b


async def make_batch(engine: Engine, brand: Brand, lot: str = "L1", size: int = 100) -> Batch:
    return await engine.batches.create(brand, BatchRequest(gtin=GTIN, lot=lot, size=size))


async def codes(engine: Engine, brand: Brand, batch: Batch, start: int, stop: int) -> list[str]:
    """The printed URIs of indexes ``start..stop-1``, derived like ``batch codes``."""
    keys = {k.slot: k for k in await engine.keys.list(brand)}
    with Minter(brand, batch, engine.keys.material(keys[batch.key_slot])) as m:
        chunk = m.chunk(start, stop)
    width = chunk.uris.shape[1]
    raw = chunk.uris.tobytes().decode()
    return [raw[i * width : (i + 1) * width] for i in range(stop - start)]
