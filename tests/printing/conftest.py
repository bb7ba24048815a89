"""A brand with a PIN batch and a signed batch on each real ledger backend."""

from __future__ import annotations

import pytest

from veriseal.batches import BatchRequest
from veriseal.catalogue import make_product
from veriseal.engine import Engine
from veriseal.models import Batch, Brand, Profile
from veriseal.printing.records import BatchSource

GTIN = "09506000134352"


@pytest.fixture
async def brand(engine: Engine) -> Brand:
    b = await engine.brands.create("acme", "Acme", "id.acme.example")
    await engine.catalogue.add(make_product(b, GTIN, "Green tea", shelf_life_days=365))
    return b


async def make_source(engine: Engine, brand: Brand, profile: Profile, pin: int, size: int,
                      lot: str = "L2401") -> BatchSource:  # fmt: skip
    batch: Batch = await engine.batches.create(
        brand, BatchRequest(gtin=GTIN, lot=lot, size=size, profile=profile, pin_digits=pin)
    )
    key = {k.slot: k for k in await engine.keys.list(brand)}[batch.key_slot]
    return BatchSource(brand, batch, engine.keys.material(key))
