"""Rollups from the event stream on both backends: a paid order is a sale in every cube,
a rejection after payment reverses it, redelivery books nothing twice, and the rebuild
check finds (and repairs) a cube that drifted from the booked lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from veriseal_analytics.periods import Period
from veriseal_analytics.rebuild import rebuild
from veriseal_analytics.sales import Ranking


def _today() -> Period:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return Period(today - dt.timedelta(days=6), today)


async def test_paid_orders_are_sales_in_every_cube(world: World) -> None:
    one = await world.paid("gd", "440300", [(TEA, 12), (WINE, 2)])
    two = await world.paid("shop", "440100", [(TEA, 5)])
    three = await world.paid("zj", "330100", [(WINE, 1)])
    await world.shop.drain()
    admin, brand, sales = world.shop.people["admin"], world.shop.brand, world.an.sales
    p = _today()
    got = await sales.summary(admin, brand, p, "none")
    # the expected figures come from commerce's own orders, not from the rollups
    placed = (one, two, three)
    assert all(o.payment_status == "paid" for o in placed)
    assert got["orders"] == 3
    assert got["revenue"] == sum(o.total for o in placed)
    assert got["units"] == 12 + 2 + 5 + 1
    by_product = {
        r.key: r.current
        for r in await sales.ranking(admin, brand, Ranking("product", p, compare="none"))
    }
    assert by_product[TEA]["units"] == 17 and by_product[TEA]["orders"] == 2
    assert by_product[WINE]["units"] == 3 and by_product[WINE]["orders"] == 2
    provinces = {
        r.key: r.current["revenue"]
        for r in await sales.ranking(admin, brand, Ranking("province", p, compare="none"))
    }
    assert provinces == {
        "CN-GD": one.total + two.total,
        "CN-ZJ": got["revenue"] - one.total - two.total,
    }
    cities = {
        r.key
        for r in await sales.ranking(
            admin, brand, Ranking("city", p, within="CN-GD", compare="none")
        )
    }
    assert cities == {"440100", "440300"}
    dealers = [
        r.key
        for r in await sales.ranking(
            admin, brand, Ranking("city_dealer", p, within="440100", compare="none")
        )
    ]
    assert dealers == [f"440100|{world.shop.orgs['GZ-R1']}"]
    trend = await sales.trend(admin, brand, p)
    assert len(trend) == 7 and sum(r["revenue"] for r in trend) == got["revenue"]
    report = await rebuild(world.ctx, brand)
    assert report.clean, report.to_dict()


async def test_a_rejection_after_payment_reverses_the_sale(world: World) -> None:
    order = await world.paid()
    await world.shop.drain()
    admin, brand = world.shop.people["admin"], world.shop.brand
    await world.shop.c.orders.reject(admin, order.order_no, "out of stock")
    await world.shop.drain()
    got = await world.an.sales.summary(admin, brand, _today(), "none")
    assert (got["orders"], got["units"], got["revenue"]) == (0, 0, 0)


async def test_redelivery_books_nothing_twice_and_rebuild_repairs_drift(world: World) -> None:
    order = await world.paid()
    await world.shop.drain()
    admin, brand, ctx = world.shop.people["admin"], world.shop.brand, world.ctx
    # the consumer's cursor is moved back: every event is delivered again
    async with world.shop.engine.ledger.write() as tx:
        await tx.execute(
            "UPDATE stream_cursors SET position = 0 WHERE consumer = 'analytics.sales'"
        )
    await world.shop.drain()
    got = await world.an.sales.summary(admin, brand, _today(), "none")
    assert (got["orders"], got["revenue"]) == (1, order.total)
    # a cube row drifts (a lost update, a hand edit): the check sees it, changes nothing
    async with ctx.db.write() as tx:
        await tx.execute("UPDATE analytics_cube SET revenue = revenue + 1 WHERE cube = 'product'")
    checked = await rebuild(ctx, brand)
    assert checked.difference_count == 2 and not checked.repaired
    assert (await rebuild(ctx, brand)).difference_count == 2  # the check changed nothing
    repaired = await rebuild(ctx, brand, repair=True)
    assert repaired.repaired
    assert (await rebuild(ctx, brand)).clean
    # a booking lost entirely (the stream never delivered it): found and booked
    async with ctx.db.write() as tx:
        await tx.execute("DELETE FROM analytics_lines")
        await tx.execute("DELETE FROM analytics_booked")
        await tx.execute("DELETE FROM analytics_cube")
    lost = await rebuild(ctx, brand)
    assert lost.missing == [("sale", order.id)]
    await rebuild(ctx, brand, repair=True)
    got = await world.an.sales.summary(admin, brand, _today(), "none")
    assert (got["orders"], got["revenue"]) == (1, order.total)
