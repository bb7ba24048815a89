"""The pricing service on both backends: lists and rows saved with ties and cycles
refused (nothing written), buyers built from the core's organisations and regions,
quotes scoped to a dealer's own subtree, and promotion usage recorded under a lock,
re-checked, refused when exhausted and given back on release."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import draft, priced
from veriseal import Forbidden
from veriseal_commerce import suggestions
from veriseal_commerce.engine import PriceRow, Promotion
from veriseal_commerce.pricing import (
    PriceInvalid,
    PriceListCycle,
    PriceRowTie,
    PromotionExhausted,
    SuggestedFor,
)


async def _lists(shop: Shop) -> tuple[int, int]:
    p, admin = shop.c.pricing, shop.people["admin"]
    retail = await p.add_list(admin, shop.brand, "retail")
    wholesale = await p.add_list(admin, shop.brand, "wholesale")
    await p.set_row(admin, shop.brand, PriceRow(0, retail.id, gtin=TEA, level="consumer",
                                                amount=12800))  # fmt: skip
    await p.set_row(admin, shop.brand, PriceRow(0, retail.id, gtin=WINE, level="consumer",
                                                amount=5000))  # fmt: skip
    await p.set_row(
        admin, shop.brand,
        PriceRow(0, wholesale.id, level="distributor", base_list_id=retail.id,
                 percent=Decimal(70)),
    )  # fmt: skip
    await p.set_row(
        admin, shop.brand,
        PriceRow(0, wholesale.id, level="retailer", base_list_id=retail.id,
                 percent=Decimal(85), rounding="end_9_9"),
    )  # fmt: skip
    return retail.id, wholesale.id


async def test_quotes_by_level_and_the_dealers_scope(shop: Shop) -> None:
    await _lists(shop)
    p = shop.c.pricing
    q = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 2), (WINE, 1)], "440100")
    # distributor: 70% of retail: 128.00 -> 89.60, 50.00 -> 35.00
    assert [(ln.gtin, ln.unit_price) for ln in q.lines] == [(TEA, 8960), (WINE, 3500)]
    assert q.total == 2 * 8960 + 3500
    q = await p.quote(shop.people["shop"], shop.brand, None, [(TEA, 1)], None)
    assert q.lines[0].unit_price == 10990  # 85% = 108.80 -> ends in 9.9
    # GD01 may quote for its retailer; siblings and children may not look across
    q = await p.quote(shop.people["gd"], shop.brand, shop.orgs["GZ-R1"], [(TEA, 1)], None)
    assert q.lines[0].unit_price == 10990
    for who, org in (("zj", "GD01"), ("zj", "GZ-R1"), ("shop", "GD01"), ("gd", "ZJ01")):
        with pytest.raises(Forbidden):
            await p.quote(shop.people[who], shop.brand, shop.orgs[org], [(TEA, 1)], None)
    q = await p.quote(shop.people["admin"], shop.brand, None, [(TEA, 1)], None)
    assert q.lines[0].unit_price == 12800  # brand staff without a dealer: retail


async def test_buyer_levels_regions_and_first_order(shop: Shop) -> None:
    p = shop.c.pricing
    now = dt.datetime.now(dt.UTC)
    gd = await p.buyer(shop.brand, shop.orgs["GD01"], "440305", now)
    assert gd.level == "distributor" and gd.first_order
    assert gd.region_chain == ("440305", "440300", "CN-GD", "CN")
    assert gd.org_chain[0] == shop.orgs["GD01"] and len(gd.org_chain) == 2
    r = await p.buyer(shop.brand, shop.orgs["GZ-R1"], None, now)
    assert r.level == "retailer" and r.org_chain[:2] == (shop.orgs["GZ-R1"], shop.orgs["GD01"])

    async def two_orders(brand_id: int, org_id: int) -> int:
        return 2 if org_id == shop.orgs["GD01"] else 0

    p.history = two_orders
    assert not (await p.buyer(shop.brand, shop.orgs["GD01"], None, now)).first_order
    assert (await p.buyer(shop.brand, shop.orgs["ZJ01"], None, now)).first_order
    with pytest.raises(PriceInvalid):
        await p.buyer(shop.brand, shop.orgs["GD01"], "nowhere", now)


async def test_a_tie_and_a_cycle_are_refused_and_nothing_is_written(shop: Shop) -> None:
    retail, wholesale = await _lists(shop)
    p, admin = shop.c.pricing, shop.people["admin"]
    before = await p.rows(admin, shop.brand)
    with pytest.raises(PriceRowTie) as err:
        await p.set_row(admin, shop.brand, PriceRow(0, wholesale, gtin=TEA, level="consumer",
                                                    amount=1))  # fmt: skip
    assert err.value.code == "price_row_tie"
    # the same scope in another date window is not a tie; moving it into one is
    y2030, y2031 = (dt.datetime(y, 1, 1, tzinfo=dt.UTC) for y in (2030, 2031))
    first = PriceRow(0, retail, gtin=WINE, level="retailer", amount=1, valid_from=y2030,
                     valid_until=y2031)  # fmt: skip
    await p.set_row(admin, shop.brand, first)
    ok = await p.set_row(admin, shop.brand, PriceRow(0, retail, gtin=WINE, level="retailer",
                                                     amount=2, valid_from=y2031))  # fmt: skip
    with pytest.raises(PriceRowTie):
        await p.set_row(admin, shop.brand, PriceRow(ok.id, retail, gtin=WINE, level="retailer",
                                                    amount=2, valid_from=y2030))  # fmt: skip
    before = await p.rows(admin, shop.brand)
    with pytest.raises(PriceListCycle):
        await p.set_row(admin, shop.brand, PriceRow(0, retail, gtin=WINE, base_list_id=wholesale))
    after = await p.rows(admin, shop.brand)
    assert after == before
    with pytest.raises(Forbidden):
        await p.set_row(shop.people["gd"], shop.brand, PriceRow(0, retail, amount=1))


async def test_usage_is_recorded_rechecked_and_released(shop: Shop) -> None:
    await _lists(shop)
    p, admin = shop.c.pricing, shop.people["admin"]
    promo = await p.add_promotion(admin, shop.brand, Promotion(
        0, 0, "满减", "amount_off", amount=1000, overall=2, per_dealer=1))  # fmt: skip
    q = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 10)], None)
    assert [u.promotion_id for u in q.promotions] == [promo.id]
    assert q.total == 10 * 8960 - 1000
    async with shop.ctx.db.write() as tx:
        await p.record_usage(tx, shop.brand.id, q, 1, shop.orgs["GD01"])
        await p.record_usage(tx, shop.brand.id, q, 1, shop.orgs["GD01"])  # counted once
    # the dealer's one use is spent: its next quote has no discount, a stale quote fails
    again = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 10)], None)
    assert again.promotions == () and again.total == 10 * 8960
    with pytest.raises(PromotionExhausted) as err:
        async with shop.ctx.db.write() as tx:
            await p.record_usage(tx, shop.brand.id, q, 2, shop.orgs["GD01"])
    assert err.value.code == "promotion_exhausted"
    async with shop.ctx.db.write() as tx:
        await p.record_usage(tx, shop.brand.id, q, 3, shop.orgs["ZJ01"])
    with pytest.raises(PromotionExhausted):  # overall limit of 2 reached
        async with shop.ctx.db.write() as tx:
            await p.record_usage(tx, shop.brand.id, q, 4, shop.orgs["GZ-R1"])
    async with shop.ctx.db.write() as tx:
        await p.release_usage(tx, 1)
        await p.release_usage(tx, 1)  # idempotent
    back = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 10)], None)
    assert back.total == 10 * 8960 - 1000


async def test_budget_rechecked_and_disabled_or_deleted_promotions(shop: Shop) -> None:
    await _lists(shop)
    p, admin = shop.c.pricing, shop.people["admin"]
    promo = await p.add_promotion(admin, shop.brand, Promotion(
        0, 0, "budget", "amount_off", amount=1000, budget=1500))  # fmt: skip
    q = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 1)], None)
    async with shop.ctx.db.write() as tx:
        await p.record_usage(tx, shop.brand.id, q, 1, shop.orgs["GD01"])
    with pytest.raises(PromotionExhausted):  # 1000 + 1000 > 1500
        async with shop.ctx.db.write() as tx:
            await p.record_usage(tx, shop.brand.id, q, 2, shop.orgs["ZJ01"])
    q2 = await p.quote(shop.people["zj"], shop.brand, None, [(TEA, 1)], None)
    assert q2.promotions[0].amount == 500  # what is left of the budget
    await p.set_active(admin, shop.brand, promo.id, False)
    assert (await p.quote(shop.people["zj"], shop.brand, None, [(TEA, 1)], None)).discount == 0
    with pytest.raises(PromotionExhausted):
        async with shop.ctx.db.write() as tx:
            await p.record_usage(tx, shop.brand.id, q2, 3, shop.orgs["ZJ01"])
    await p.delete_promotion(admin, shop.brand, promo.id)
    assert await p.promotions(admin, shop.brand) == []
    assert q.lines[0].discounts[0].name == "budget"  # the record outlives the rule


async def test_bad_baskets_are_refused(shop: Shop) -> None:
    await _lists(shop)
    p, gd = shop.c.pricing, shop.people["gd"]
    for lines in ([], [(TEA, 0)], [(TEA, -1)], [(TEA, 10**7)], [(TEA, True)]):
        with pytest.raises(PriceInvalid):
            await p.quote(gd, shop.brand, None, lines, None)
    q = await p.quote(gd, shop.brand, None, [(TEA, 1), (TEA, 2)], None)
    assert [(ln.gtin, ln.quantity) for ln in q.lines] == [(TEA, 3)]


async def test_rows_and_promotions_on_the_category_tree(shop: Shop) -> None:
    p, admin = shop.c.pricing, shop.people["admin"]
    cats = {"/".join(c.path): c.id for c in await shop.ctx.categories(shop.brand)}
    retail = await p.add_list(admin, shop.brand, "retail")
    await p.set_row(admin, shop.brand, PriceRow(0, retail.id, amount=10000))
    on_tea = PriceRow(0, retail.id, amount=8000, category_id=cats["Beverages/Tea"])
    tea = await p.set_row(admin, shop.brand, on_tea)
    q = await p.quote(admin, shop.brand, None, [(TEA, 1), (WINE, 1)], None)
    # a row on Beverages/Tea covers Green tea (a sub-category), not the wine
    sources = [ln.price.row_id if ln.price else None for ln in q.lines]
    assert [ln.unit_price for ln in q.lines] == [8000, 10000]
    assert sources[0] == tea.id and sources[1] != tea.id
    await p.add_promotion(admin, shop.brand, Promotion(
        0, 0, "drinks", "percent_off", percent=Decimal(10),
        category_ids=(cats["Beverages"],)))  # fmt: skip
    q = await p.quote(admin, shop.brand, None, [(TEA, 1), (WINE, 1)], None)
    assert [ln.line_total for ln in q.lines] == [7200, 9000]
    with pytest.raises(PriceInvalid):
        await p.set_row(admin, shop.brand, PriceRow(0, retail.id, amount=1, category_id=10**6))


async def test_concurrent_orders_never_exceed_the_limit(shop: Shop) -> None:
    """Eight orders at once against a promotion usable three times: exactly three
    record their use (the row lock serializes the re-check), the rest get
    ``promotion_exhausted`` and their transactions leave nothing behind."""
    await _lists(shop)
    p, admin = shop.c.pricing, shop.people["admin"]
    await p.add_promotion(admin, shop.brand, Promotion(
        0, 0, "three", "amount_off", amount=100, overall=3))  # fmt: skip
    buyer = await p.buyer(shop.brand, shop.orgs["GD01"], None, dt.datetime.now(dt.UTC))
    # every order was quoted before any was placed: the quotes all offer the promotion
    stale = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 1)], None)
    assert stale.total == 8960 - 100

    async def order(order_id: int) -> bool:
        try:
            async with shop.ctx.db.write() as tx:
                fresh = await p.quote_in(tx, shop.brand, buyer, [(TEA, 1)])
                assert fresh.total in (8960, 8960 - 100)  # offered while uses are left
                await p.record_usage(tx, shop.brand.id, stale, order_id, shop.orgs["GD01"])
        except PromotionExhausted:
            return False
        return True

    results = await asyncio.gather(*(order(n) for n in range(1, 9)))
    assert sum(results) == 3
    async with shop.ctx.db.read() as tx:
        uses = await tx.fetch("SELECT order_id FROM commerce_promotion_uses")
        counted = await tx.fetchrow("SELECT used_orders FROM commerce_promotions")
    assert len(uses) == 3 and counted is not None and int(counted["used_orders"]) == 3
    assert sorted(int(u["order_id"]) for u in uses) == [n for n, ok in enumerate(results, 1) if ok]
    async with shop.ctx.db.read() as tx:
        assert (await p.quote_in(tx, shop.brand, buyer, [(TEA, 1)])).total == 8960  # used up


async def test_without_analytics_a_suggested_only_promotion_never_applies(shop: Shop) -> None:
    """No ``analytics.suggestions`` service (the plugin is not enabled): the promotion is
    saved with its condition, but no quote or order ever gets it, and there is nothing
    to plan from; a top-k outside 1..50 is refused with nothing written."""
    await priced(shop)
    p, admin = shop.c.pricing, shop.people["admin"]
    for k in (0, 51):
        with pytest.raises(PriceInvalid):
            bad = Promotion(0, 0, "bad", "percent_off", percent=Decimal(10),
                            suggested_only=True, suggested_k=k)  # fmt: skip
            await p.add_promotion(admin, shop.brand, bad)
    before = len(await p.promotions(admin, shop.brand))
    promo = await p.add_promotion(admin, shop.brand, Promotion(
        0, 0, "推荐五折", "percent_off", percent=Decimal(50), suggested_only=True,
        suggested_k=5))  # fmt: skip
    assert len(await p.promotions(admin, shop.brand)) == before + 1
    saved = await p.promotion(admin, shop.brand, promo.id)
    assert (saved.suggested_only, saved.suggested_k) == (True, 5)
    q = await p.quote(shop.people["gd"], shop.brand, None, [(TEA, 2), (WINE, 1)], "440100")
    assert promo.id not in {d.rule_id for ln in q.lines for d in ln.discounts}
    order = await draft(shop, "gd", "440100", [(TEA, 2), (WINE, 1)])
    assert order.total == q.total
    assert promo.id not in {d["rule_id"] for ln in order.lines for d in ln.discounts}
    assert await p.suggested_counts(admin, shop.brand, 10) == []
    assert not suggestions.available(shop.ctx)  # what the form and the CLI warn about
    assert await p.read_suggestions(shop.brand.id, shop.orgs["GD01"]) == SuggestedFor(
        shop.orgs["GD01"], 5, ()
    )  # needed, but nothing to read: an order prices with none
