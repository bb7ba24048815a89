"""The inventory plugin's demo data (hook ``seed_demo``): the brand's main warehouse
with a stock of each demo product (two lots, one awaiting inspection in quarantine), so
the demo's dealers see availability and can order at once.

Idempotent: a brand whose main warehouse has any movement is left as it is."""

from __future__ import annotations

from veriseal import SYSTEM_PRINCIPAL as SYSTEM
from veriseal import Brand
from veriseal.extend import PluginContext
from veriseal_inventory.models import StockLine
from veriseal_inventory.service import of
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery

#: units in stock of each demo product, by lot; and units awaiting inspection
LOTS = {"DEMO-2026A": 480, "DEMO-2026B": 720}
QUARANTINE = 120


async def seed(ctx: PluginContext, brand: Brand) -> None:
    inv = of(ctx)
    main = await inv.warehouses.of_org(brand.id, (await ctx.brand_org(brand)).id)
    if await inv.stock.movements(SYSTEM, brand, MovementQuery([main.id], limit=1)):
        return
    products = await ctx.products(brand)
    lines = [StockLine(p.gtin, qty, lot) for p in products for lot, qty in LOTS.items()]
    if not lines:
        return
    opening = MoveRequest("DEMO-OPENING", "opening stock / 期初库存")
    await inv.stock.receive(SYSTEM, main, lines, opening)
    arriving = MoveRequest("DEMO-IN-1", "awaiting inspection / 待检", location="quarantine")
    await inv.stock.receive(SYSTEM, main, [StockLine(p.gtin, QUARANTINE, "DEMO-2026C")
                                           for p in products], arriving)  # fmt: skip
