"""Replacement orders: the exchange of returned goods (:meth:`OrderService.replace`).

When the review of a return approves an exchange, the brand sends the dealer the same
goods again on a NEW order linked to the one it replaces (``replaces_order_id``) and to
the return (``return_no``). Contracts:

- only brand reviewers (``orders.review`` on the order's brand) may do it; dealers get
  ``forbidden``. Every refusal comes before anything is written;
- the original must have shipped (partially fulfilled, fulfilled or closed:
  ``replacement_not_shipped``); the goods must be on it and not all exchanged already
  (:mod:`.replacement_pricing`);
- each line is priced at the ORIGINAL order's net unit price of its GTIN (what the dealer
  paid per unit after its discounts; promotions are NOT evaluated again) and carries an
  equal "换货 / Exchange" discount, so the total is 0, nothing is due and the payment
  status is ``paid`` (:func:`.payable.summarize` of nothing due); there is no payment
  deadline, so no payment can be opened for it (``order_not_payable``);
- the order enters the machine ``approved`` (:data:`.order_states.ENTRIES`, action
  ``replace`` on its timeline): it ships by scanning and closes when delivered like any
  order. The original's timeline records ``replaced`` (its status unchanged), and both
  orders show the link (:attr:`Order.replaces`, :attr:`Order.replacements`);
- stock is reserved through ``inventory.reserve`` under the new order number, as a
  submission does (``stock_insufficient``: nothing created; without the inventory
  plugin ``availability_check`` is ``not_checked``); the territory check is the
  original's (same dealer, goods and region);
- idempotent by ``return_no`` (per brand): calling again returns the same order, whatever
  the lines; a return number used for another order is ``replacement_return_reused``.
  The replacement's number derives from the brand and the return (:func:`replacement_no`),
  so concurrent calls reserve under one reference; they queue on the original order's
  row lock and the later ones return the first one's order.
- it is not an order the dealer placed: pricing's "first order" condition ignores it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from veriseal import Conflict, InvalidInput, Principal, register_messages
from veriseal.extend import Tx
from veriseal_commerce import order_checks
from veriseal_commerce import orders_store as store
from veriseal_commerce.order_states import OrderAction, OrderStatus, entry_status
from veriseal_commerce.orders import MAX_LINES, MAX_QUANTITY, actor_of
from veriseal_commerce.orders_store import Change, NewOrder, Order, OrderEvent, OrderLine
from veriseal_commerce.payable import summarize
from veriseal_commerce.permissions import ORDER_STATUS, ORDERS_REVIEW
from veriseal_commerce.replacement_pricing import Exchange, replacement_lines

if TYPE_CHECKING:
    from veriseal_commerce.orders import OrderService

register_messages(
    {
        "error.replacement_invalid": ("Invalid replacement order", "换货订单无效"),
        "error.replacement_not_shipped": (
            "Only goods of an order that shipped can be exchanged",
            "原订单尚未发货，不能换货",
        ),
        "error.replacement_return_reused": (
            "This return already has a replacement for another order",
            "此退货单已用于其他订单的换货",
        ),
    }
)

#: the original statuses whose goods can come back: something shipped
SHIPPED = frozenset({OrderStatus.PARTIALLY_FULFILLED, OrderStatus.FULFILLED, OrderStatus.CLOSED})
#: how long a replacement's reservation holds at most (it lasts until the goods ship;
#: inventory keeps an approved order's reservation the same way)
RESERVE_FOR = dt.timedelta(days=90)
MAX_RETURN_NO = 64


class ReplacementInvalid(InvalidInput):
    code = "replacement_invalid"


class ReplacementNotShipped(Conflict):
    code = "replacement_not_shipped"


class ReplacementReturnReused(Conflict):
    code = "replacement_return_reused"


Lines = list[tuple[str, int]]


def _validate(return_no: str, lines: Sequence[tuple[str, int]]) -> tuple[str, Lines]:
    """The return number (stripped) and the lines merged by GTIN; ``replacement_invalid``."""
    number = return_no.strip() if isinstance(return_no, str) else ""
    if not number or len(number) > MAX_RETURN_NO or not number.isprintable():
        raise ReplacementInvalid(f"a return number has 1 to {MAX_RETURN_NO} printable characters")
    if not lines or len(lines) > MAX_LINES:
        raise ReplacementInvalid(f"a replacement has 1 to {MAX_LINES} lines")
    merged: dict[str, int] = {}
    for gtin, qty in lines:
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_QUANTITY:
            raise ReplacementInvalid(f"quantity of {gtin}: a whole number 1..{MAX_QUANTITY}")
        merged[str(gtin)] = merged.get(str(gtin), 0) + qty
    if max(merged.values()) > MAX_QUANTITY:
        raise ReplacementInvalid(f"quantity: at most {MAX_QUANTITY} per product")
    return number, list(merged.items())


def _same(found: Order, original: Order) -> Order:
    """The replacement ``found`` for the return if it replaces ``original``."""
    if found.replaces_order_id != original.id:
        raise ReplacementReturnReused(
            f"return {found.return_no} was exchanged on order {found.order_no}",
            return_no=found.return_no, order_no=found.order_no,
        )  # fmt: skip
    return found


async def replace(svc: OrderService, principal: Principal, order_no: str, return_no: str,
                  lines: Sequence[tuple[str, int]]) -> Order:  # fmt: skip
    """:meth:`OrderService.replace` (see the module docstring)."""
    ctx = svc.ctx
    ctx.require(principal, ORDERS_REVIEW)  # the role first: a 403, whatever the input
    number, wanted = _validate(return_no, lines)
    original = await svc.load(principal, order_no)
    ctx.require(principal, ORDERS_REVIEW, brand_id=original.brand_id)
    async with ctx.db.read() as tx:
        found = await store.by_return(tx, original.brand_id, number)
        exchanged = await store.exchanged(tx, original.id)
    if found is not None:
        return _same(found, original)
    if OrderStatus(original.status) not in SHIPPED:
        raise ReplacementNotShipped(f"order {original.order_no} is {original.status}")
    exchange = Exchange(original.order_no, number)
    planned = replacement_lines(original.lines, exchanged, wanted, exchange)  # fail early
    now = dt.datetime.now(dt.UTC)
    new_no = replacement_no(original.brand_id, number)
    recipients = await svc.recipients_of(original)
    sub = order_checks.Submission(
        original.brand_id, original.org_id, new_no, original.region,
        [(g, _name(planned, g), q) for g, q in wanted], now + RESERVE_FOR,
    )  # fmt: skip
    availability = await order_checks.reserve_stock(ctx, sub)  # stock_insufficient: nothing
    try:
        async with ctx.db.write() as tx:
            current = await store.get(tx, original.id, lock=True)
            raced = await store.by_return(tx, current.brand_id, number)
            if raced is None:
                new = NewOrder(current.brand_id, current.org_id, new_no, current.currency, 0,
                               current.region, current.address, actor_of(principal),
                               now)  # fmt: skip
                await _write(svc, tx, current, new, exchange, wanted, availability, recipients)
    except Exception:  # refused or failed: unless a concurrent call made the order, no
        async with ctx.db.read() as tx:  # order holds the reservation: give it back
            made = await store.by_return(tx, original.brand_id, number)
        if made is None:
            await order_checks.release_stock(ctx, original.brand_id, new_no, "replacement refused")
        raise
    if raced is not None:  # a concurrent call made it first; the hold (same number) is its
        return _same(raced, original)
    return await svc.load(principal, new_no)


def replacement_no(brand_id: int, return_no: str) -> str:
    """``SR-`` and 16 hex digits of SHA-256 over the brand and the return number: the same
    return always gives the same order number, so concurrent calls reserve stock under ONE
    reference (inventory replaces a reference's hold) instead of each holding its own."""
    digest = hashlib.sha256(f"{brand_id}:{return_no}".encode()).hexdigest()
    return f"SR-{digest[:16].upper()}"


def _name(lines: Sequence[OrderLine], gtin: str) -> str:
    return next((ln.name for ln in lines if ln.gtin == gtin), gtin)


async def _write(svc: OrderService, tx: Tx, original: Order, new: NewOrder,
                 exchange: Exchange, wanted: Lines, availability: str,
                 recipients: Sequence[int]) -> None:  # fmt: skip
    """The replacement's rows, both timelines, the notice and (last) the stream event,
    under the original's row lock (its earlier replacements are counted again here)."""
    priced = replacement_lines(original.lines, await store.exchanged(tx, original.id), wanted,
                               exchange)  # fmt: skip
    status = entry_status(OrderAction.REPLACE)
    paid = summarize(0, 0, 0, original.currency)  # nothing due: paid
    state = {"status": str(status), "payment_status": str(paid.status),
             "territory_check": original.territory_check, "availability_check": availability,
             "replaces_order_id": original.id, "return_no": exchange.return_no}  # fmt: skip
    order_id = await store.insert(tx, new, state)
    await store.replace_lines(tx, order_id, priced)
    goods = sum(ln.unit_price * ln.quantity for ln in priced)
    await store.append_event(tx, order_id, OrderEvent(
        1, str(OrderAction.REPLACE), str(status), str(status), new.created_by, exchange.reason,
        {"replaces": original.order_no, "return_no": exchange.return_no, "goods": goods,
         "total": 0, "availability": availability}, new.at,
    ))  # fmt: skip
    # the original's side of the link: an entry on its timeline, its status unchanged
    await store.update(tx, original, Change(), new.at)
    await store.append_event(tx, original.id, OrderEvent(
        0, "replaced", original.status, original.status, new.created_by, exchange.reason,
        {"replacement": new.order_no, "return_no": exchange.return_no, "goods": goods},
        new.at,
    ))  # fmt: skip
    title = (f"换货订单 {new.order_no}（原订单 {original.order_no}）已审核 / Replacement order"
             f" {new.order_no} for {original.order_no} approved")  # fmt: skip
    await svc.ctx.notify(recipients, ORDER_STATUS, title, exchange.reason,
                         {"order_no": new.order_no, "status": str(status),
                          "action": str(OrderAction.REPLACE)}, tx=tx)  # fmt: skip
    await svc.ctx.publish(tx, "commerce.order", new.brand_id, order_id,
                          {"order_no": new.order_no, "action": str(OrderAction.REPLACE),
                           "from": str(status), "to": str(status),
                           "replaces": original.order_no,
                           "return_no": exchange.return_no})  # fmt: skip
