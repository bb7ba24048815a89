"""Commerce and inventory meeting in the service registry and on the event stream:
a submitted order reserves the brand's stock (``inventory.reserve``), an order the
brand cannot cover is refused with the product and what is available, and an order
that ends unfulfilled gives its reservation back (the ``inventory.orders`` consumer),
however often the event is delivered. The dealer's product page shows availability."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.commerce.orders_world import draft, priced
from tests.inventory.conftest import TEA, WINE, World
from veriseal import VerisealError
from veriseal.extend.stream import worker_for
from veriseal_commerce.payable import summarize
from veriseal_inventory.models import StockLine
from veriseal_inventory.reservations import GRACE


async def _levels(world: World) -> dict[str, tuple[int, int]]:
    found = await world.inv.stock.levels(world.shop.people["admin"], world.shop.brand,
                                         warehouse=world.main)  # fmt: skip
    return {lv.gtin: (lv.sellable, lv.reserved) for lv in found}


async def test_submission_reserves_and_cancelling_releases(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    await priced(shop)
    await world.inv.stock.receive(admin, world.main, [StockLine(TEA, 20), StockLine(WINE, 5)])
    order = await draft(shop)  # TEA 12, WINE 2
    submitted = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    assert submitted.availability_check == "reserved"
    assert await _levels(world) == {TEA: (20, 12), WINE: (5, 2)}
    held = await world.inv.reservations.held(shop.brand.id, order.order_no)
    assert sorted((r.gtin, r.remaining, r.status) for r in held) == [
        (TEA, 12, "held"),
        (WINE, 2, "held"),
    ]
    await shop.c.orders.cancel(shop.people["gd"], order.order_no, "changed my mind")
    await worker_for(world.engine).drain()
    assert await _levels(world) == {TEA: (20, 0), WINE: (5, 0)}
    # a redelivered event changes nothing: the reservation holds nothing any more
    async with world.ctx.db.write() as tx:
        await world.inv.reservations.release_in(tx, shop.brand.id, order.order_no, "again")
    assert await _levels(world) == {TEA: (20, 0), WINE: (5, 0)}


async def test_an_order_beyond_stock_is_refused_and_stays_a_draft(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    await priced(shop)
    await world.inv.stock.receive(admin, world.main, [StockLine(TEA, 20), StockLine(WINE, 1)])
    order = await draft(shop)  # WINE 2 > 1
    with pytest.raises(VerisealError) as refused:
        await shop.c.orders.submit(shop.people["gd"], order.order_no)
    assert refused.value.code == "stock_insufficient"
    assert (refused.value.details["gtin"], refused.value.details["have"]) == (WINE, 1)
    assert (await shop.c.orders.load(shop.people["gd"], order.order_no)).status == "draft"
    assert await _levels(world) == {TEA: (20, 0), WINE: (1, 0)}


async def test_rejection_releases(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    await priced(shop)
    await world.inv.stock.receive(admin, world.main, [StockLine(TEA, 12), StockLine(WINE, 2)])
    order = await draft(shop)
    await shop.c.orders.submit(shop.people["gd"], order.order_no)
    assert (await world.inv.reservations.availability(shop.brand.id, TEA)).available == 0
    await shop.c.orders.reject(admin, order.order_no, "out of season")
    assert await worker_for(world.engine).drain() >= 1
    assert (await world.inv.reservations.availability(shop.brand.id, TEA)).available == 12


async def test_a_paid_order_keeps_its_reservation_past_the_payment_deadline(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    await priced(shop)
    await world.inv.stock.receive(admin, world.main, [StockLine(TEA, 12), StockLine(WINE, 2)])
    order = await draft(shop)
    order = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    async with shop.ctx.db.write() as tx:  # the payment ledger says: paid in full
        await shop.c.orders.on_payment(tx, order.id, summarize(order.total, order.total, 0, "CNY"))
    assert (await shop.c.orders.load(admin, order.order_no)).status == "awaiting_review"
    await worker_for(world.engine).drain()
    assert order.pay_by is not None
    later = order.pay_by + GRACE + dt.timedelta(days=1)
    assert await world.inv.reservations.expire(later) == 0  # held until it ships or ends
    assert await _levels(world) == {TEA: (12, 12), WINE: (2, 2)}
    await shop.c.orders.approve(admin, order.order_no)
    await worker_for(world.engine).drain()
    assert await _levels(world) == {TEA: (12, 12), WINE: (2, 2)}
