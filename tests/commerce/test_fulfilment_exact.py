"""Fulfilment by scanning is exact, on both backends:

- N concurrent fulfil calls for one order (real concurrent transactions on PostgreSQL,
  interleaved coroutines on SQLite) never ship more units than ordered: the goods the
  territories ledger moved for the order equal what the order records, and every call
  that did not fit was refused with ``fulfil_too_many``;
- a retry with the same client id (after a crash between the shipment and its
  confirmation, or after a success) counts the shipment once; a refused shipment frees
  its reservation;
- a receipt credits exactly the order whose shipment was received (not the dealer's
  oldest open order), units no order shipped are ignored, and replaying the stream
  changes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.commerce.conftest import TEA, Shop
from tests.commerce.orders_world import draft, priced
from veriseal import SYSTEM_PRINCIPAL, Conflict, VerisealError
from veriseal_commerce.fulfilment import SHIP, FulfilInvalid, FulfilTooMany, fit
from veriseal_commerce.orders_store import Order, OrderLine
from veriseal_commerce.payable import summarize

CALLS, ORDERED, EACH = 6, 4, 2


async def _approved(shop: Shop, quantity: int) -> Order:
    order = await draft(shop, lines=[(TEA, quantity)])
    order = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    async with shop.ctx.db.write() as tx:
        for listener in shop.c.payment_listeners:
            await listener(tx, order.id, summarize(order.total, order.total, 0, order.currency))
    return await shop.c.orders.approve(shop.people["admin"], order.order_no)


def _order(lines: list[OrderLine]) -> Order:
    at = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    return Order(1, 1, 1, "SO1", "approved", "paid", "partially_shipped", "CNY", 0, 0, "440100",
                 "", "passed", "not_checked", None, "x", at, at, 0, tuple(lines))  # fmt: skip


# per product: (quantity, shipped share, reserved, scanned)
_LINE = st.tuples(st.integers(1, 20), st.integers(0, 20), st.integers(0, 20), st.integers(0, 25))


@given(st.lists(_LINE, min_size=1, max_size=4))
def test_fit_admits_exactly_what_is_neither_shipped_nor_reserved(
    rows: list[tuple[int, int, int, int]],
) -> None:
    lines, reserved, counts = [], {}, {}
    free_total = []
    for n, (quantity, share, wanted, scanned) in enumerate(rows):
        gtin = f"0950600000{n:04d}"
        shipped = min(share, quantity)
        held = min(wanted, quantity - shipped)  # attempts never reserve past the order
        lines.append(OrderLine(n + 1, gtin, "p", quantity, 1, "", (), False, quantity,
                               shipped=shipped))  # fmt: skip
        reserved[gtin], counts[gtin] = held, scanned
        free_total.append((scanned, quantity - shipped - held))
    order = _order(lines)
    if all(scanned == 0 for scanned, _ in free_total):
        with pytest.raises(FulfilInvalid):
            fit(order, counts, reserved)
    elif any(scanned > free for scanned, free in free_total):
        with pytest.raises(FulfilTooMany):
            fit(order, counts, reserved)
    else:
        fit(order, counts, reserved)


async def _moved_for(shop: Shop, order_no: str) -> int:
    """Units the territories ledger shipped with the order's number as reference (read
    from the movements table, not from commerce)."""
    async with shop.engine.ledger.read() as tx:
        row = await tx.fetchrow(
            "SELECT COALESCE(SUM(items), 0) AS n FROM territories_movements"
            " WHERE kind = 'out' AND note = ?",
            order_no,
        )
    return 0 if row is None else int(row["n"])


async def _shipped(shop: Shop, order_no: str) -> int:
    order = await shop.c.orders.load(SYSTEM_PRINCIPAL, order_no)
    return sum(ln.shipped for ln in order.lines)


async def test_concurrent_fulfilment_never_ships_more_than_ordered(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, ORDERED)
    operator = shop.people["operator"]
    scans = [shop.codes(TEA, 100 + i * EACH, EACH) for i in range(CALLS)]
    results = await asyncio.gather(
        *(shop.c.fulfilment.ship(operator, order.order_no, s) for s in scans),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    # a call that lost the race is refused before its goods move: too many units, or
    # the order was fulfilled meanwhile
    codes = {"fulfil_too_many", "order_transition"}
    assert all(isinstance(r, VerisealError) and r.code in codes for r in refused), refused
    assert len(refused) == CALLS - ORDERED // EACH
    assert await _moved_for(shop, order.order_no) == ORDERED
    assert await _shipped(shop, order.order_no) == ORDERED
    done = await shop.c.orders.load(SYSTEM_PRINCIPAL, order.order_no)
    assert (done.status, done.fulfilment_status) == ("fulfilled", "shipped")


async def test_a_retry_with_the_same_client_id_counts_once(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, ORDERED)
    operator = shop.people["operator"]
    codes = shop.codes(TEA, 200, EACH)
    await shop.c.fulfilment.ship(operator, order.order_no, codes, client_id="hh-1")
    again = await shop.c.fulfilment.ship(operator, order.order_no, codes, client_id="hh-1")
    assert sum(ln.shipped for ln in again.lines) == EACH
    assert await _moved_for(shop, order.order_no) == EACH


async def test_a_crash_between_shipment_and_confirmation_is_recovered_by_the_retry(
    shop: Shop,
) -> None:
    await priced(shop)
    order = await _approved(shop, ORDERED)
    operator = shop.people["operator"]
    codes = shop.codes(TEA, 300, EACH)
    # the first attempt reserves and ships, then the process dies before confirming
    await shop.c.fulfilment.reserve(operator, order.order_no, codes, "hh-crash")
    ship = shop.ctx.service(SHIP)
    await ship(operator, order.brand_id, order.org_id, codes, reference=order.order_no,
               client_id="hh-crash")  # fmt: skip
    # the reservation holds the units: nobody can ship past the order meanwhile
    with pytest.raises(VerisealError) as held:
        await shop.c.fulfilment.ship(operator, order.order_no, shop.codes(TEA, 400, ORDERED))
    assert held.value.code == "fulfil_too_many"
    # the handheld retries the same upload: recorded once
    got = await shop.c.fulfilment.ship(operator, order.order_no, codes, client_id="hh-crash")
    assert sum(ln.shipped for ln in got.lines) == EACH
    got = await shop.c.fulfilment.ship(operator, order.order_no, codes, client_id="hh-crash")
    assert sum(ln.shipped for ln in got.lines) == EACH
    assert await _moved_for(shop, order.order_no) == EACH
    rest = await shop.c.fulfilment.ship(operator, order.order_no, shop.codes(TEA, 500, EACH))
    assert rest.status == "fulfilled"
    assert await _moved_for(shop, order.order_no) == ORDERED


async def test_a_refused_shipment_frees_its_reservation(shop: Shop) -> None:
    await priced(shop)
    order = await _approved(shop, ORDERED)
    operator = shop.people["operator"]
    away = shop.codes(TEA, 600, ORDERED)
    await shop.t.ship(SYSTEM_PRINCIPAL, shop.brand, "ZJ01", away)
    with pytest.raises(Conflict) as refused:
        await shop.c.fulfilment.ship(operator, order.order_no, away)
    assert refused.value.code == "not_held"
    done = await shop.c.fulfilment.ship(operator, order.order_no, shop.codes(TEA, 700, ORDERED))
    assert done.status == "fulfilled"


async def _replay_deliveries(shop: Shop) -> None:
    async with shop.engine.ledger.write() as tx:
        await tx.execute(
            "UPDATE stream_cursors SET position = 0 WHERE consumer = ?", "commerce.deliveries"
        )


async def test_a_receipt_delivers_the_order_whose_shipment_arrived(shop: Shop) -> None:
    await priced(shop)
    first = await _approved(shop, EACH)
    second = await _approved(shop, EACH)
    operator, gd = shop.people["operator"], shop.people["gd"]
    first_codes, second_codes = shop.codes(TEA, 800, EACH), shop.codes(TEA, 810, EACH)
    await shop.c.fulfilment.ship(operator, first.order_no, first_codes)
    await shop.c.fulfilment.ship(operator, second.order_no, second_codes)
    # an ordinary shipment to the same dealer, not for any order
    plain = shop.codes(TEA, 820, 3)
    await shop.t.ship(SYSTEM_PRINCIPAL, shop.brand, "GD01", plain)
    await shop.t.receive(gd, shop.brand, [*plain, *second_codes])
    # the receipt names the outbound movements its units came from
    async with shop.engine.ledger.read() as tx:
        outs = await tx.fetch(
            "SELECT id, note, items FROM territories_movements WHERE kind = 'out' ORDER BY id"
        )
        row = await tx.fetchrow(
            "SELECT payload FROM stream_events WHERE kind = 'territories.received'"
            " ORDER BY position DESC LIMIT 1"
        )
        assert row is not None
        payload = tx.dialect.decode_json(row["payload"])
    expected = {str(r["id"]): {TEA: int(r["items"])} for r in outs
                if r["note"] != first.order_no}  # fmt: skip
    assert payload["shipments"] == expected and len(expected) == 2
    await shop.drain()
    for _ in range(2):  # as delivered, and again after the stream is replayed
        a = await shop.c.orders.load(gd, first.order_no)
        b = await shop.c.orders.load(gd, second.order_no)
        assert [ln.delivered for ln in a.lines] == [0]
        assert a.fulfilment_status == "shipped"
        assert [ln.delivered for ln in b.lines] == [EACH]
        assert (b.status, b.fulfilment_status) == ("closed", "delivered")
        await _replay_deliveries(shop)
        await shop.drain()
    await shop.t.receive(gd, shop.brand, first_codes)
    await shop.drain()
    a = await shop.c.orders.load(gd, first.order_no)
    assert ([ln.delivered for ln in a.lines], a.status) == ([EACH], "closed")
