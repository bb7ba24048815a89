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
- the dealer's inbound scan (``territories.received``) marks the shipped units
  delivered (consumer :data:`DELIVERIES`, idempotent: its cursor moves in the same
  transaction); a fulfilled order whose units are all delivered and which is paid
  becomes ``closed`` (a later payment closes it too: :meth:`OrderService.on_payment`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from veriseal import (
    Brand,
    Conflict,
    IndexRange,
    InvalidInput,
    Principal,
    normalise_ranges,
    register_messages,
    total_ranges,
)
from veriseal.extend import Batch, Consumer, PluginContext, ServiceKey, Tx, Unavailable
from veriseal_commerce import orders_store as store
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


def fit(order: Order, counts: dict[str, int]) -> None:
    """``fulfil_*`` unless ``counts`` fit what the order still has to ship."""
    if not counts or not any(counts.values()):
        raise FulfilInvalid("no units scanned")
    remaining: dict[str, int] = {}
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
        if not entries or len(entries) > MAX_ENTRIES:
            raise FulfilInvalid(f"scan 1 to {MAX_ENTRIES} codes")
        order = await self.orders.load(principal, order_no)
        self.ctx.require(principal, ORDERS_FULFIL, brand_id=order.brand_id)
        next_status(OrderStatus(order.status), OrderAction.SHIP_PART)  # approved or partly
        ship = self.ctx.optional(SHIP)
        if isinstance(ship, Unavailable):
            raise FulfilmentUnavailable(ship.reason)
        brand = await self.ctx.brand_by_id(order.brand_id)
        counts = await count_units(self.ctx, brand, entries)
        fit(order, counts)
        shipped = await ship(principal, order.brand_id, order.org_id, entries,
                             reference=order.order_no, client_id=client_id)  # fmt: skip
        recipients = await self.orders.recipients_of(order)
        async with self.ctx.db.write() as tx:
            current = await store.get(tx, order.id, lock=True)
            now = dt.datetime.now(dt.UTC)
            for movement_id in shipped.movement_ids:
                await store.add_fulfilment(tx, order.id, movement_id, counts,
                                           actor_of(principal), now)  # fmt: skip
            lines = await store.add_units(tx, order.id, _spread(current, counts, "shipped"),
                                          "shipped")  # fmt: skip
            done = all(ln.shipped >= ln.quantity for ln in lines)
            action = OrderAction.SHIP_ALL if done else OrderAction.SHIP_PART
            move = Move(action, actor_of(principal), change=Change(fulfilment_status=_axis(lines)),
                        data={"units": counts, "movements": shipped.movement_ids})  # fmt: skip
            await self.orders.move(tx, current, move, recipients)
        return await self.orders.load(principal, order_no)

    async def delivered(self, tx: Tx, brand_id: int, to_org: int, units: dict[str, int]) -> None:
        """Units per GTIN received by ``to_org``: delivered on its oldest open orders."""
        left = dict(units)
        for order_id in await store.open_deliveries(tx, brand_id, to_org):
            if not any(left.values()):
                return
            order = await store.get(tx, order_id, lock=True)
            spread = _spread(order, left, "delivered")
            if not spread:
                continue
            lines = await store.add_units(tx, order.id, spread, "delivered")
            for line_no, n in spread:
                gtin = next(ln.gtin for ln in order.lines if ln.line_no == line_no)
                left[gtin] -= n
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


async def _on_received(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_commerce.service import of  # noqa: PLC0415 (the bundle imports this module)

    for event in batch:
        payload = event.payload or {}
        units = {str(g): int(n) for g, n in dict(payload.get("units") or {}).items()}
        if event.brand_id is None or not units:
            continue
        await of(ctx).fulfilment.delivered(tx, event.brand_id, int(payload["to_org"]), units)


#: Marks orders' shipped units delivered when the dealer scans them in.
DELIVERIES = Consumer("commerce.deliveries", frozenset({"territories.received"}), _on_received)
