"""Fulfilment by scanning: an approved order ships when its goods are scanned out.

Contracts:

- scanned entries (item URIs, case or pallet SSCCs) are counted per GTIN (cases and
  pallets expanded to their items) and must fit what is still to ship: a product not
  on the order (``fulfil_wrong_product``) or more units than remain (``fulfil_too_many``)
  is refused before anything is written;
- the goods move through territories' ``territories.ship`` service (its shipment
  policy and holdings apply: a unit the shipper does not hold is refused there with
  ``not_held``, nothing written), to the ordering dealer, with the order number as the
  reference; the order then records the shipment and becomes ``partially_fulfilled``
  or, once every unit shipped, ``fulfilled``;
- the dealer's inbound scan (``territories.received``) marks delivered exactly the
  units of the order's shipments that arrived: its payload names, per receipt, the
  outbound movements the units came from (``shipments``: movement id -> units per
  GTIN) and the consumer :data:`DELIVERIES` credits the fulfilment recorded for that
  movement (units no order shipped are ignored); a receipt is credited once per
  fulfilment (``commerce_fulfilment_receipts``), so a redelivered or replayed event
  changes nothing; a fulfilled order whose units are all delivered and which is paid
  becomes ``closed`` (a later payment closes it too: :meth:`OrderService.on_payment`).

The shipping protocol (territories commits its shipment in its own transaction, so the
two writes cannot be one):

1. *reserve*: in one transaction holding the order's row lock, the scanned units must
   fit ``quantity - shipped - reserved`` of each product, where ``reserved`` sums the
   attempts still in flight; the attempt is written ``reserved`` under its key
   (brand, actor, client id; a call without a client id gets a fresh one). Concurrent
   calls for one order queue on the lock, so together they never reserve more than
   the order still needs;
2. *ship*: ``territories.ship`` with the same client id. A coded refusal (``not_held``,
   ``shipment_not_authorized``, ...) writes nothing there and *releases* the attempt;
3. *confirm*: in one transaction holding the order's row lock, the movement becomes the
   order's fulfilment, the lines' ``shipped`` grow and the attempt is ``confirmed``.

A crash between 2 and 3 leaves the attempt ``reserved`` (its units stay held back, so
no other call can over-ship meanwhile). The retry with the same client id finds it,
skips 1, gets territories' replay of the movement in 2 (nothing shipped twice) and
confirms in 3; a retry of a ``confirmed`` attempt returns the order unchanged; a retry
of a ``released`` one reserves afresh. A client id is its actor's for one order
(``fulfil_client_id_reused`` for another).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from veriseal import (
    Brand,
    Conflict,
    IndexRange,
    InvalidInput,
    Principal,
    VerisealError,
    normalise_ranges,
    register_messages,
    total_ranges,
)
from veriseal.extend import Batch, Consumer, PluginContext, ServiceKey, Tx, Unavailable
from veriseal_commerce import fulfil_store
from veriseal_commerce import orders_store as store
from veriseal_commerce.fulfil_store import Attempt, NewAttempt
from veriseal_commerce.order_states import OrderAction, OrderStatus, fulfilment_status, next_status
from veriseal_commerce.orders import Move, OrderService, actor_of
from veriseal_commerce.orders_store import Change, Order
from veriseal_commerce.payable import PaymentStatus
from veriseal_commerce.permissions import ORDERS_FULFIL

register_messages(
    {
        "error.fulfil_wrong_product": (
            "A scanned product is not on this order", "扫描的商品不在此订单中"),
        "error.fulfil_too_many": (
            "More units scanned than the order still needs", "扫描数量超过订单待发数量"),
        "error.fulfil_invalid": ("Nothing to ship was scanned", "未扫描任何待发货商品"),
        "error.fulfil_client_id_reused": (
            "This client id was used for another order", "此客户端编号已用于其他订单"),
        "error.fulfilment_unavailable": (
            "Shipping needs the territories plugin", "发货需要启用渠道管理插件"),
    }
)  # fmt: skip

MAX_ENTRIES = 5000


class FulfilWrongProduct(InvalidInput):
    code = "fulfil_wrong_product"


class FulfilTooMany(InvalidInput):
    code = "fulfil_too_many"


class FulfilInvalid(InvalidInput):
    code = "fulfil_invalid"


class FulfilClientIdReused(Conflict):
    code = "fulfil_client_id_reused"


class FulfilmentUnavailable(Conflict):
    code = "fulfilment_unavailable"


class Shipped(Protocol):
    @property
    def movement_ids(self) -> list[int]: ...


class Ship(Protocol):
    async def __call__(
        self, principal: Principal, brand_id: int, to_org_id: int, items: Sequence[str], *,
        reference: str, client_id: str | None = None,
    ) -> Shipped: ...  # fmt: skip


SHIP: ServiceKey[Ship] = ServiceKey("territories.ship")
PAID = frozenset({str(PaymentStatus.PAID), str(PaymentStatus.OVER_PAID)})


async def count_units(ctx: PluginContext, brand: Brand, entries: Sequence[str]) -> dict[str, int]:
    """Units per GTIN named by ``entries`` (cases and pallets down to their items; a
    unit named twice, or inside a named case, counts once)."""
    children, by_batch = await ctx.resolve_items(brand, entries)
    spans: dict[int, list[IndexRange]] = {b: list(r) for b, r in by_batch.items()}
    for sscc in children.units:
        inner = await ctx.contents(brand, sscc, deep=True)
        for br in inner.ranges:
            spans.setdefault(br.batch_id, []).append(IndexRange(br.first, br.last))
    counts: dict[str, int] = {}
    for batch_id, ranges in spans.items():
        gtin = (await ctx.batch(batch_id)).gtin
        counts[gtin] = counts.get(gtin, 0) + total_ranges(normalise_ranges(ranges))
    return counts


def fit(order: Order, counts: dict[str, int], reserved: dict[str, int] | None = None) -> None:
    """``fulfil_*`` unless ``counts`` fit what the order still has to ship, less the
    units ``reserved`` by attempts in flight."""
    if not counts or not any(counts.values()):
        raise FulfilInvalid("no units scanned")
    remaining = {g: -n for g, n in (reserved or {}).items()}
    for line in order.lines:
        remaining[line.gtin] = remaining.get(line.gtin, 0) + line.quantity - line.shipped
    for gtin, n in sorted(counts.items()):
        if gtin not in remaining:
            raise FulfilWrongProduct(f"{gtin} is not on order {order.order_no}", gtin=gtin)
        if n > remaining[gtin]:
            raise FulfilTooMany(
                f"{n} units of {gtin} scanned, {remaining[gtin]} still to ship",
                gtin=gtin, scanned=n, remaining=remaining[gtin],
            )  # fmt: skip


def _spread(order: Order, counts: dict[str, int], column: str) -> list[tuple[int, int]]:
    """(line_no, units) to add to ``column`` (shipped or delivered), lines in order."""
    left = dict(counts)
    out = []
    for line in order.lines:
        cap = line.quantity - line.shipped if column == "shipped" else line.shipped - line.delivered
        take = min(cap, left.get(line.gtin, 0))
        if take > 0:
            out.append((line.line_no, take))
            left[line.gtin] -= take
    return out


def _axis(lines: Sequence[store.OrderLine]) -> str:
    return str(fulfilment_status(sum(ln.quantity for ln in lines),
                                 sum(ln.shipped for ln in lines),
                                 sum(ln.delivered for ln in lines)))  # fmt: skip


class Fulfilment:
    """Shipping orders by scanning and noting their delivery (see the module docstring)."""

    def __init__(self, ctx: PluginContext, orders: OrderService) -> None:
        self.ctx = ctx
        self.orders = orders

    async def ship(self, principal: Principal, order_no: str, entries: Sequence[str],
                   client_id: str | None = None) -> Order:  # fmt: skip
        """Ship ``entries`` for the order (reserve, ship, confirm: the module docstring)."""
        order = await self.orders.load(principal, order_no)
        self.ctx.require(principal, ORDERS_FULFIL, brand_id=order.brand_id)
        ship = self.ctx.optional(SHIP)
        if isinstance(ship, Unavailable):
            raise FulfilmentUnavailable(ship.reason)
        key = client_id if client_id is not None else f"fulfil-{uuid.uuid4().hex}"
        attempt = await self.reserve(principal, order_no, entries, key)
        if attempt.status == "reserved":
            try:
                shipped = await ship(principal, order.brand_id, order.org_id, entries,
                                     reference=order.order_no, client_id=key)  # fmt: skip
            except VerisealError:  # refused: territories wrote nothing
                await self._release(attempt)
                raise
            await self._confirm(principal, attempt, shipped.movement_ids)
        return await self.orders.load(principal, order_no)

    async def reserve(self, principal: Principal, order_no: str, entries: Sequence[str],
                      client_id: str) -> Attempt:  # fmt: skip
        """Step 1: hold back the scanned units for the attempt ``client_id`` (or find the
        attempt a retry repeats: ``reserved`` or ``confirmed``)."""
        if not entries or len(entries) > MAX_ENTRIES:
            raise FulfilInvalid(f"scan 1 to {MAX_ENTRIES} codes")
        order = await self.orders.load(principal, order_no)
        self.ctx.require(principal, ORDERS_FULFIL, brand_id=order.brand_id)
        next_status(OrderStatus(order.status), OrderAction.SHIP_PART)  # approved or partly
        counts = await count_units(self.ctx, await self.ctx.brand_by_id(order.brand_id), entries)
        actor = actor_of(principal)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, order.id, lock=True)
            found = await fulfil_store.attempt(tx, current.brand_id, actor, client_id)
            if found is not None and found.order_id != current.id:
                raise FulfilClientIdReused(f"client id {client_id!r} shipped another order")
            if found is not None and found.status != "released":
                return found
            next_status(OrderStatus(current.status), OrderAction.SHIP_PART)
            fit(current, counts, await fulfil_store.reserved_units(tx, current.id))
            new = NewAttempt(current.brand_id, current.id, actor, client_id, counts,
                             dt.datetime.now(dt.UTC))  # fmt: skip
            return await fulfil_store.reserve(tx, new, found)

    async def _release(self, attempt: Attempt) -> None:
        async with self.ctx.db.write() as tx:
            await store.get(tx, attempt.order_id, lock=True)
            await fulfil_store.set_status(tx, attempt.id, "released")

    async def _confirm(self, principal: Principal, attempt: Attempt,
                       movement_ids: Sequence[int]) -> None:  # fmt: skip
        """Step 3: record the shipment on the order (once: a confirmed attempt is left)."""
        async with self.ctx.db.read() as tx:
            recipients = await self.orders.recipients_of(await store.get(tx, attempt.order_id))
        actor, counts = actor_of(principal), attempt.units
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, attempt.order_id, lock=True)
            now = await fulfil_store.attempt(tx, current.brand_id, actor, attempt.client_id)
            if now is None or now.status != "reserved":
                return  # a concurrent retry confirmed it
            at = dt.datetime.now(dt.UTC)
            for movement_id in movement_ids:
                await store.add_fulfilment(tx, current.id, movement_id, counts, actor, at)
            lines = await store.add_units(tx, current.id, _spread(current, counts, "shipped"),
                                          "shipped")  # fmt: skip
            await fulfil_store.set_status(tx, attempt.id, "confirmed")
            done = all(ln.shipped >= ln.quantity for ln in lines)
            action = OrderAction.SHIP_ALL if done else OrderAction.SHIP_PART
            move = Move(action, actor, change=Change(fulfilment_status=_axis(lines)),
                        data={"units": counts, "movements": list(movement_ids)})  # fmt: skip
            await self.orders.move(tx, current, move, recipients)

    async def delivered(self, tx: Tx, brand_id: int, receipt_id: int,
                        shipments: dict[int, dict[str, int]]) -> None:  # fmt: skip
        """The receipt ``receipt_id`` took ``shipments`` (outbound movement id -> units
        per GTIN): each movement an order recorded is credited to that order, once."""
        for movement_id, units in sorted(shipments.items()):
            found = await fulfil_store.fulfilment_of(tx, movement_id)
            if found is None or await fulfil_store.has_receipt(tx, movement_id, receipt_id):
                continue  # not an order's shipment, or this receipt counted already
            order = await store.get(tx, found[0], lock=True)
            before = await fulfil_store.received_of(tx, movement_id)
            credit = {g: min(n, found[1].get(g, 0) - before.get(g, 0)) for g, n in units.items()}
            credit = {g: n for g, n in credit.items() if n > 0}
            if order.brand_id != brand_id or not credit:
                continue
            at = dt.datetime.now(dt.UTC)
            await fulfil_store.add_receipt(tx, movement_id, receipt_id, credit, at)
            lines = await store.add_units(tx, order.id, _spread(order, credit, "delivered"),
                                          "delivered")  # fmt: skip
            await self._settle(tx, order, lines)

    async def _settle(self, tx: Tx, order: Order, lines: Sequence[store.OrderLine]) -> None:
        axis = _axis(lines)
        recipients = await self.orders.recipients_of(order)
        change = Change(fulfilment_status=axis)
        if axis == "delivered":
            await store.mark_delivered(tx, order.id, dt.datetime.now(dt.UTC))
        if axis == "delivered" and order.status == "fulfilled" and order.payment_status in PAID:
            await self.orders.move(tx, order, Move(OrderAction.CLOSE, "system", change=change),
                                   recipients)  # fmt: skip
        else:
            await self.orders.record(tx, order, Move("delivery", "system", change=change),
                                     recipients)  # fmt: skip


def _shipments(payload: dict[str, Any]) -> dict[int, dict[str, int]]:
    """``shipments`` of a ``territories.received`` payload (movement id keys are strings
    in JSON)."""
    raw = dict(payload.get("shipments") or {})
    return {int(m): {str(g): int(n) for g, n in dict(u).items()} for m, u in raw.items()}


async def _on_received(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_commerce.service import of  # noqa: PLC0415 (the bundle imports this module)

    for event in batch:
        payload = event.payload or {}
        shipments = _shipments(payload)
        if event.brand_id is None or not shipments or not payload.get("movements"):
            continue  # a receipt of goods no shipment put in transit to the receiver
        receipt_id = int(payload["movements"][0])
        await of(ctx).fulfilment.delivered(tx, event.brand_id, receipt_id, shipments)


#: Marks orders' shipped units delivered when the dealer scans them in.
DELIVERIES = Consumer("commerce.deliveries", frozenset({"territories.received"}), _on_received)
