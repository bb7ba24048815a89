"""The event-stream consumers of the inventory plugin (hook ``event_consumers``).

Each keeps its cursor in the transaction of its effects, so redelivery is harmless.

``inventory.orders`` reads the commerce plugin's ``commerce.order`` events: an order
that ends unfulfilled (rejected, cancelled, expired) gives back the stock reserved for
it. Releasing is idempotent: a reservation released once holds nothing the second
time."""

from __future__ import annotations

from typing import Any

from veriseal.extend import Batch, Consumer, Tx

#: order statuses that end an order before it ships (commerce's RELEASES_USAGE)
ENDED = frozenset({"rejected", "cancelled", "expired"})


async def _on_order(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415 (the bundle imports this module)

    reservations = of(ctx).reservations
    for event in batch:
        payload = event.payload or {}
        order_no = payload.get("order_no")
        if event.brand_id is None or not isinstance(order_no, str) or not order_no:
            continue
        if payload.get("to") in ENDED:
            await reservations.release_in(tx, event.brand_id, order_no[:64],
                                          f"order {payload.get('to')}")  # fmt: skip


ORDERS = Consumer("inventory.orders", frozenset({"commerce.order"}), _on_order)

CONSUMERS: list[Consumer] = [ORDERS]
