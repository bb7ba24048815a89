"""Return statistics on both backends: rates by product and dealer are units in live
requests over units delivered on the period's orders (counted here from the orders
placed, not from the statistics' own queries); by reason and month the units asked;
a dealer sees only its own subtree; declined units do not count."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.returns.conftest import TEA, WINE, World, deliver
from veriseal import VerisealError
from veriseal_commerce.returns import ReturnAsk
from veriseal_commerce.returns_stats import stats

DAY = dt.timedelta(days=1)


async def test_rates_by_product_dealer_reason_and_month(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    gd_order = await deliver(world, "gd", lines=((TEA, 10), (WINE, 2)))
    zj_order = await deliver(world, "zj", lines=((TEA, 4),), first={TEA: 500})
    r = await shop.c.returns.open(shop.people["gd"], ReturnAsk(
        gd_order.order.order_no, "return", "damaged", gd_order.codes[TEA][:3]))  # fmt: skip
    await shop.c.returns.approve(admin, r.return_no, gd_order.codes[TEA][:2])  # one declined
    await shop.c.returns.open(shop.people["gd"], ReturnAsk(
        gd_order.order.order_no, "exchange", "wrong_item", gd_order.codes[WINE][:1]))  # fmt: skip
    await shop.c.returns.open(shop.people["zj"], ReturnAsk(
        zj_order.order.order_no, "return", "damaged", zj_order.codes[TEA][:1]))  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    s = await stats(shop.ctx, admin, shop.brand, now - DAY, now + DAY)
    by_product = {x.key: (x.delivered, x.returned) for x in s.by_product}
    assert by_product == {TEA: (14, 3), WINE: (2, 1)}
    by_dealer = {x.key: (x.delivered, x.returned) for x in s.by_dealer}
    assert by_dealer == {str(shop.orgs["GD01"]): (12, 3), str(shop.orgs["ZJ01"]): (4, 1)}
    assert s.by_reason == {"damaged": 3, "wrong_item": 1}
    assert s.by_month == {f"{now:%Y-%m}": 4}
    assert s.total.rate == pytest.approx(4 / 16)
    # a dealer sees its own subtree only
    mine = await stats(shop.ctx, shop.people["zj"], shop.brand, now - DAY, now + DAY)
    assert {x.key: (x.delivered, x.returned) for x in mine.by_product} == {TEA: (4, 1)}
    # an empty period
    empty = await stats(shop.ctx, admin, shop.brand, now + DAY, now + 2 * DAY)
    assert (empty.by_product, empty.total.rate) == ([], None)


async def test_only_reviewers_and_dealers_of_the_brand(world: World) -> None:
    shop = world.shop
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(VerisealError) as refused:
        await stats(shop.ctx, shop.people["operator"], shop.brand, now - DAY, now)
    assert refused.value.code == "forbidden"
