"""The event-stream consumers of the inventory plugin (hook ``event_consumers``).

Each keeps its cursor in the transaction of its effects, so redelivery is harmless.

``inventory.orders`` reads the commerce plugin's ``commerce.order`` events:

- an order that ends unfulfilled (rejected, cancelled, expired) gives back the stock
  reserved for it, and so does a fulfilled or closed one (what its shipments did not
  consume: goods shipped from another warehouse than the one holding them);
- a paid order (awaiting review, approved) keeps its reservation past the payment
  deadline it was made with: until it ships or ends (:data:`PAID_HOLD` as a safety net).

Both are idempotent: a reservation released once holds nothing the second time, and
extending twice sets the same kind of deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from veriseal.extend import Batch, Consumer, Tx

#: order statuses after which nothing more ships under the order's reservation
ENDED = frozenset({"rejected", "cancelled", "expired", "fulfilled", "closed"})
#: paid order statuses: the reservation is kept until the goods ship
PAID = frozenset({"awaiting_review", "approved", "partially_fulfilled"})
#: how long a paid order's reservation is held at most (an order stuck in review)
PAID_HOLD = dt.timedelta(days=90)


async def _on_order(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415 (the bundle imports this module)

    reservations = of(ctx).reservations
    for event in batch:
        payload = event.payload or {}
        order_no = payload.get("order_no")
        if event.brand_id is None or not isinstance(order_no, str) or not order_no:
            continue
        to = payload.get("to")
        if to in ENDED:
            await reservations.release_in(tx, event.brand_id, order_no[:64], f"order {to}")
        elif to in PAID:
            until = event.at + PAID_HOLD
            await reservations.extend_in(tx, event.brand_id, order_no[:64], until)


ORDERS = Consumer("inventory.orders", frozenset({"commerce.order"}), _on_order)

CONSUMERS: list[Consumer] = [ORDERS]
