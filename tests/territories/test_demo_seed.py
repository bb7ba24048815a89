"""``veriseal serve --demo``'s plugin step: the demo brand's dealer organisations become
verified dealers with territories, and a second demo start changes nothing."""

from __future__ import annotations

from veriseal import demo
from veriseal.engine import Engine
from veriseal_territories.service import of

HANGZHOU_REGION = "330100"


async def _seed(engine: Engine) -> None:
    await demo.seed(engine, "127.0.0.1:8080")
    await demo.seed_people(engine)
    await demo.seed_verifications(engine)
    await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))


async def test_demo_dealers_get_territories_once(engine: Engine) -> None:
    await _seed(engine)
    brand = await engine.brands.get(demo.DEMO_BRAND)
    t = of(engine.plugins.context("territories"))
    dealers = await t.dealers.all(brand.id)
    kinds = sorted(str(d.kind) for d in dealers.values())
    assert kinds == ["distributor", "retailer"]
    grants = await t.grants.grants(brand.id)
    assert {g.org_id for g in grants} == set(dealers)
    shop = next(d for d in dealers.values() if str(d.kind) == "retailer")
    assert shop.regions == (HANGZHOU_REGION,)
    for dealer in dealers.values():  # verified, so they may hold territories and order
        assert await engine.kyc.org_verified(await engine.accounts.store.get_org(dealer.org_id))
    inside = await t.grants.authorize(brand.id, shop.code, demo.DEMO_GTIN, "330102", None, None)
    outside = await t.grants.authorize(brand.id, shop.code, demo.DEMO_GTIN, "440100", None, None)
    assert (inside.allowed, outside.allowed) == (True, False)

    await _seed(engine)  # a second demo start
    assert len(await t.grants.grants(brand.id)) == len(grants)
    assert set(await t.dealers.all(brand.id)) == set(dealers)
