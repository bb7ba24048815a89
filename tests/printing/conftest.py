"""A brand with a PIN batch and a signed batch on each real ledger backend."""

from __future__ import annotations

import pytest

from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.products import make_product
from veriseal.engine import Engine
from veriseal.models import Batch, Brand, Profile
from veriseal.printing.records import BatchSource

GTIN = "09506000134352"
GTIN_NO_EXPIRY = "09506000134376"  # a product without shelf life: its codes carry no AI 17


@pytest.fixture
async def brand(engine: Engine) -> Brand:
    b = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(b, GTIN, "Green tea", shelf_life_days=365))
    await engine.catalogue.add(make_product(b, GTIN_NO_EXPIRY, "Tea pot"))
    return b


async def make_source(engine: Engine, brand: Brand, profile: Profile, pin: int, size: int,
                      lot: str = "L2401", gtin: str = GTIN) -> BatchSource:  # fmt: skip
    batch: Batch = await engine.batches.create(
        brand, BatchRequest(gtin=gtin, lot=lot, size=size, profile=profile, pin_digits=pin)
    )
    key = {k.slot: k for k in await engine.keys.list(brand)}[batch.key_slot]
    return BatchSource(brand, batch, engine.keys.material(key))
