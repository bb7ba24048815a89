"""The commerce plugin's demo data (hook ``seed_demo``): a retail price list, a wholesale
list derived from it, and two promotions, so the demo's dealers see their own prices and
can order at once.

Idempotent: a brand that has any price list already is left as it is."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from veriseal import SYSTEM_PRINCIPAL as SYSTEM
from veriseal import Brand
from veriseal.extend import PluginContext
from veriseal_commerce.pricing_models import PriceRow, Promotion
from veriseal_commerce.service import of

RETAIL = "零售价 Retail"
WHOLESALE = "批发价 Wholesale"
RETAIL_PRICE = 12800  # 128.00 CNY a tin
#: distributors buy at 60 % of retail, shops at 75 %, rounded up to a price ending in 8
WHOLESALE_SHARES = {"distributor": Decimal(60), "retailer": Decimal(75)}


async def seed(ctx: PluginContext, brand: Brand) -> None:
    pricing = of(ctx).pricing
    if await pricing.lists(SYSTEM, brand):
        return
    products = await ctx.products(brand)
    retail = await pricing.add_list(SYSTEM, brand, RETAIL)
    wholesale = await pricing.add_list(SYSTEM, brand, WHOLESALE)
    for product in products:
        retail_row = PriceRow(0, retail.id, gtin=product.gtin, level="consumer",
                              amount=RETAIL_PRICE)  # fmt: skip
        await pricing.set_row(SYSTEM, brand, retail_row)
        for level, share in WHOLESALE_SHARES.items():
            row = PriceRow(0, wholesale.id, gtin=product.gtin, level=level,
                           base_list_id=retail.id, percent=share, rounding="end_8")  # fmt: skip
            await pricing.set_row(SYSTEM, brand, row)
    now = dt.datetime.now(dt.UTC)
    await pricing.add_promotion(
        SYSTEM,
        brand,
        Promotion(
            0, brand.id, "满1000减80 80 off 1,000", "amount_off", min_amount=100000,
            amount=8000, priority=10, starts=now, budget=1_000_000,
        ),
    )  # fmt: skip
    await pricing.add_promotion(
        SYSTEM,
        brand,
        Promotion(
            0, brand.id, "整箱9折 10% off by the case", "tiered", priority=5,
            tiers=((12, Decimal(10)),), starts=now,
        ),
    )  # fmt: skip
