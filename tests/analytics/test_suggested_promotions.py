"""Promotions limited to the ordering dealer's suggested products, with the analytics
plugin enabled, on both backends: a dealer with order history gets the discount on its
suggested product and not on the others, its order agrees with its quote and records
the promotion's use, and brand staff see how many dealers each product is suggested to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from tests.commerce.orders_world import UNIT, draft, priced, uses
from veriseal import Forbidden
from veriseal.server.app import Limits, make_app
from veriseal_commerce.engine import Promotion
from veriseal_commerce.pricing import PriceInvalid, SuggestedFor
from veriseal_commerce.pricing_models import SUGGESTED_REASON


async def test_a_suggested_only_promotion_follows_each_dealers_suggestions(world: World) -> None:
    s = world.shop
    admin, p = s.people["admin"], s.c.pricing
    opening = await priced(s)
    await p.set_active(admin, s.brand, opening, False)  # only the promotion below
    mine = Promotion(0, 0, "为您推荐九折", "percent_off", percent=Decimal(10),
                     suggested_only=True, suggested_k=1)  # fmt: skip
    promo = await p.add_promotion(admin, s.brand, mine)
    assert (promo.suggested_only, promo.suggested_k) == (True, 1)
    assert (await p.promotion(admin, s.brand, promo.id)).suggested_only  # saved
    basket = [(TEA, 10), (WINE, 2)]
    # no order yet: nothing is suggested, nothing discounted (and nothing fails)
    q = await p.quote(s.people["gd"], s.brand, None, basket, "440100")
    assert q.discount == 0
    for _ in range(3):  # GD01 re-orders tea, ZJ01 wine: each one's top suggestion
        await world.paid("gd", "440300", [(TEA, 4)])
        await world.paid("zj", "330100", [(WINE, 3)])
    await s.drain()

    q = await p.quote(s.people["gd"], s.brand, None, basket, "440100")
    tea_off = UNIT[TEA] * 10 // 10
    assert [ln.line_total for ln in q.lines] == [UNIT[TEA] * 10 - tea_off, UNIT[WINE] * 2]
    assert [d.rule_id for d in q.lines[0].discounts] == [promo.id]
    assert q.lines[0].discounts[0].reason.endswith(SUGGESTED_REASON)
    assert q.lines[1].discounts == ()
    zj = await p.quote(s.people["zj"], s.brand, None, basket, "330100")
    assert [ln.line_total for ln in zj.lines] == [UNIT[TEA] * 10, UNIT[WINE] * 2 * 9 // 10]

    # an order reads them before its write transaction and prices with what it read
    gd01 = s.orgs["GD01"]
    assert await p.read_suggestions(s.brand.id, gd01) == SuggestedFor(gd01, 1, (TEA,))
    buyer = await p.buyer(s.brand, gd01, "440100", dt.datetime.now(dt.UTC))
    async with s.engine.ledger.read() as tx:
        given = await p.quote_in(tx, s.brand, buyer, basket, SuggestedFor(gd01, 1, (WINE,)))
        other = await p.quote_in(tx, s.brand, buyer, basket, SuggestedFor(-1, 1, (WINE,)))
    assert [bool(ln.discounts) for ln in given.lines] == [False, True]  # used as given
    assert [bool(ln.discounts) for ln in other.lines] == [True, False]  # not its: read now

    # the order is priced by the same engine with the same suggestions: it agrees
    order = await draft(s, "gd", "440100", basket)
    assert order.total == q.total
    assert [(ln.gtin, ln.unit_price, ln.amount) for ln in order.lines] == [
        (ln.gtin, ln.unit_price, ln.line_total) for ln in q.lines
    ]
    assert [[(d["rule_id"], d["amount"], d["reason"]) for d in ln.discounts]
            for ln in order.lines] == [
        [(d.rule_id, d.amount, d.reason) for d in ln.discounts] for ln in q.lines
    ]  # fmt: skip
    submitted = await s.c.orders.submit(s.people["gd"], order.order_no)
    assert submitted.total == q.total
    assert await uses(s, order.id) == [(promo.id, False)]

    # planning: per product, how many dealers have it in their top k
    top1 = await p.suggested_counts(admin, s.brand, 1)
    assert sorted((c.gtin, c.dealers) for c in top1) == [(TEA, 1), (WINE, 1)]
    top2 = await p.suggested_counts(admin, s.brand, 2)
    assert sorted((c.gtin, c.dealers) for c in top2) == [(TEA, 2), (WINE, 2)]
    with pytest.raises(Forbidden):
        await p.suggested_counts(s.people["gd"], s.brand, 1)
    with pytest.raises(PriceInvalid):
        await p.suggested_counts(admin, s.brand, 51)
    # the same over HTTP, for brand staff only
    headers = {}
    for who in ("admin", "gd"):
        token, _ = await s.engine.accounts.create_token(s.people[who], "t", ["*"])
        headers[who] = {"Authorization": f"Bearer {token}"}
    async with TestClient(TestServer(make_app(s.engine, Limits(per_minute=0)))) as c:
        url = "/api/v1/commerce/promotions/suggested?k=1"
        r = await c.get(url, headers=headers["admin"])
        plan = await r.json()
        assert r.status == 200 and plan["available"] is True
        assert sorted((x["gtin"], x["dealers"]) for x in plan["products"]) == [(TEA, 1), (WINE, 1)]
        assert (await c.get(url, headers=headers["gd"])).status == 403
