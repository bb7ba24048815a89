"""Fulfilment by scanning on both backends: a case SSCC and items ship an approved
order in parts; wrong products, too many units and units the shipper does not hold are
refused with nothing written; the dealer's inbound scan delivers it through the event
stream and a paid, delivered order closes."""

from __future__ import annotations

import pytest

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import draft, priced
from veriseal import SYSTEM_PRINCIPAL, Conflict
from veriseal.codes.gtin import gs1_check_digit
from veriseal.lifecycle.aggregation import Children, PackRequest
from veriseal.lifecycle.events import BatchRange, Where
from veriseal_commerce.fulfilment import FulfilTooMany, FulfilWrongProduct
from veriseal_commerce.order_states import IllegalTransition
from veriseal_commerce.orders_store import Order
from veriseal_commerce.payable import summarize


def sscc(n: int) -> str:
    body = f"09506000{n:09d}"
    return body + str(gs1_check_digit(body))


async def _case(shop: Shop, n: int, gtin: str, first: int, last: int) -> str:
    batch = shop.batches[gtin]
    request = PackRequest(sscc(n), Children((BatchRange(batch.id, first, last),)))
    await shop.engine.lifecycle.aggregation.pack(shop.brand, request, Where())
    return sscc(n)


async def _approved(shop: Shop, lines: list[tuple[str, int]]) -> Order:
    order = await draft(shop, lines=lines)
    order = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    await _pay(shop, order, order.total)
    return await shop.c.orders.approve(shop.people["admin"], order.order_no)


async def _pay(shop: Shop, order: Order, amount: int) -> None:
    async with shop.ctx.db.write() as tx:
        for listener in shop.c.payment_listeners:
            await listener(tx, order.id, summarize(order.total, amount, 0, order.currency))


async def _movements(shop: Shop) -> int:
    async with shop.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM territories_movements")
    return 0 if row is None else int(row["n"])


async def test_the_whole_flow_to_closed(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, [(TEA, 12), (WINE, 2)])
    case = await _case(shop, 1, TEA, 0, 9)  # ten tea items
    operator = shop.people["operator"]
    part = await shop.c.fulfilment.ship(operator, order.order_no, [case])
    assert (part.status, part.fulfilment_status) == ("partially_fulfilled", "partially_shipped")
    assert {ln.gtin: ln.shipped for ln in part.lines} == {TEA: 10, WINE: 0}
    rest = [*shop.codes(TEA, 10, 2), *shop.codes(WINE, 0, 2)]
    done = await shop.c.fulfilment.ship(shop.people["admin"], order.order_no, rest)
    assert (done.status, done.fulfilment_status) == ("fulfilled", "shipped")
    # the shipments carry the order number and were published with unit counts per GTIN
    async with shop.engine.ledger.read() as tx:
        rows = await tx.fetch(
            "SELECT payload FROM stream_events WHERE kind = 'territories.shipped' ORDER BY position"
        )
    shipped = [tx.dialect.decode_json(r["payload"]) for r in rows]
    assert [(p["units"], p["reference"], p["to_org"]) for p in shipped] == [
        ({TEA: 10}, order.order_no, shop.orgs["GD01"]),
        ({TEA: 2, WINE: 2}, order.order_no, shop.orgs["GD01"]),
    ]
    # the dealer scans the goods in: the consumer marks them delivered; paid -> closed
    gd = shop.people["gd"]
    await shop.t.receive(gd, shop.brand, [case])
    await shop.drain()
    half = await shop.c.orders.load(gd, order.order_no)
    assert (half.status, half.fulfilment_status) == ("fulfilled", "shipped")
    assert {ln.gtin: ln.delivered for ln in half.lines} == {TEA: 10, WINE: 0}
    await shop.t.receive(gd, shop.brand, rest)
    await shop.drain()
    closed = await shop.c.orders.load(gd, order.order_no)
    assert (closed.status, closed.fulfilment_status) == ("closed", "delivered")
    assert await shop.drain() == 0  # nothing left over
    view = await shop.c.orders.view(gd, order.order_no)
    state = "draft"
    for e in view.events:
        assert e.from_status == state
        state = e.to_status
    assert state == "closed"


async def test_delivered_but_unpaid_closes_when_paid(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, [(TEA, 2)])
    # a refund after approval leaves the order approved, the payment axis refunded
    async with shop.ctx.db.write() as tx:
        await shop.c.orders.on_payment(tx, order.id, summarize(order.total, order.total,
                                                               order.total, "CNY"))  # fmt: skip
    codes = shop.codes(TEA, 0, 2)
    await shop.c.fulfilment.ship(shop.people["operator"], order.order_no, codes)
    await shop.t.receive(shop.people["gd"], shop.brand, codes)
    await shop.drain()
    got = await shop.c.orders.load(SYSTEM_PRINCIPAL, order.order_no)
    assert (got.status, got.fulfilment_status, got.payment_status) == (
        "fulfilled", "delivered", "refunded")  # fmt: skip
    await _pay(shop, got, got.total)
    assert (await shop.c.orders.load(SYSTEM_PRINCIPAL, order.order_no)).status == "closed"


async def test_refusals_write_nothing(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, [(TEA, 12)])
    operator = shop.people["operator"]
    case = await _case(shop, 2, TEA, 0, 9)
    before = (await _movements(shop), (await shop.c.orders.load(operator, order.order_no)).version)
    with pytest.raises(FulfilWrongProduct) as wrong:
        await shop.c.fulfilment.ship(operator, order.order_no, shop.codes(WINE, 0, 1))
    assert wrong.value.details["gtin"] == WINE
    with pytest.raises(FulfilTooMany) as many:
        await shop.c.fulfilment.ship(operator, order.order_no, [case, *shop.codes(TEA, 10, 3)])
    assert (many.value.details["scanned"], many.value.details["remaining"]) == (13, 12)
    # units the brand no longer holds (already shipped to another dealer)
    away = shop.codes(TEA, 20, 2)
    await shop.t.ship(SYSTEM_PRINCIPAL, shop.brand, "ZJ01", away)
    with pytest.raises(Conflict) as held:
        await shop.c.fulfilment.ship(operator, order.order_no, away)
    assert held.value.code == "not_held"
    assert (await _movements(shop), (await shop.c.orders.load(operator, order.order_no)).version
            ) == (before[0] + 1, before[1])  # only the direct shipment to ZJ01  # fmt: skip
    # a dealer cannot fulfil; an order not yet approved cannot ship
    with pytest.raises(Exception) as dealer:
        await shop.c.fulfilment.ship(shop.people["gd"], order.order_no, [case])
    assert getattr(dealer.value, "code", "") == "forbidden"
    other = await draft(shop, lines=[(TEA, 1)])
    with pytest.raises(IllegalTransition):
        await shop.c.fulfilment.ship(operator, other.order_no, shop.codes(TEA, 30, 1))
