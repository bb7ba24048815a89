"""``veriseal serve --demo``: the demo's shop gets its own price and the promotions at
once, and a second demo start adds nothing."""

from __future__ import annotations

from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal.engine import Engine
from veriseal_commerce.service import of


async def _seed(engine: Engine) -> None:
    await demo.seed(engine, "127.0.0.1:8080")
    await demo.seed_people(engine)
    await demo.seed_verifications(engine)
    await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))


async def test_demo_shop_orders_at_its_price(engine: Engine) -> None:
    await _seed(engine)
    await _seed(engine)  # a second demo start adds nothing
    brand = await engine.brands.get(demo.DEMO_BRAND)
    pricing = of(engine.plugins.context("commerce")).pricing
    assert len(await pricing.lists(SYSTEM, brand)) == 2
    assert len(await pricing.promotions(SYSTEM, brand)) == 2
    root = await engine.accounts.brand_org(brand)
    orgs = await engine.accounts.org_tree(SYSTEM, root.id)
    shop = next(o for o in orgs if str(o.kind) == "retailer")
    quote = await pricing.quote(SYSTEM, brand, shop.id, [(demo.DEMO_GTIN, 12)], "330102")
    # retail 128.00; a shop pays 75 % = 96.00, rounded up to end in 8: 98.00 a tin
    assert quote.lines[0].unit_price == 9800
    undiscounted = 12 * 9800  # 1,176.00: the 满1000减80 applies first (priority 10) ...
    after_amount_off = undiscounted - 8000
    after_case = after_amount_off - after_amount_off * 10 // 100  # ... then 10 % by the case
    assert (quote.subtotal, quote.total) == (undiscounted, after_case)
