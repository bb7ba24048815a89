"""``veriseal serve --demo``: the demo brand's main warehouse holds opening stock of
each demo product (and a lot awaiting inspection), so its dealers see availability and
can order at once; a second demo start adds nothing."""

from __future__ import annotations

from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal.engine import Engine
from veriseal_inventory.demo import LOTS, QUARANTINE
from veriseal_inventory.service import of


async def test_demo_brand_has_stock_to_sell(engine: Engine) -> None:
    for _ in range(2):  # a second demo start adds nothing
        await demo.seed(engine, "127.0.0.1:8080")
        await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))
    brand = await engine.brands.get(demo.DEMO_BRAND)
    inv = of(engine.plugins.context("inventory"))
    levels = await inv.stock.levels(SYSTEM, brand, gtin=demo.DEMO_GTIN)
    assert [(lv.sellable, lv.quarantine) for lv in levels] == [(sum(LOTS.values()), QUARANTINE)]
    available = await inv.reservations.availability(brand.id, demo.DEMO_GTIN)
    assert available.available == sum(LOTS.values())
