"""The stream consumer ``analytics.sales``: commerce's order and return events booked
into the rollups (:mod:`.book`).

``prepare`` reads the facts of the batch's paid, undone and returned orders through
``commerce.sales_facts`` before the transaction opens (the slow part); ``handle`` books
them in the transaction that moves the cursor, all of the batch in one go (one read of
``analytics_booked``, one upsert per distinct cube row), so a batch is booked exactly
once, and a redelivered one books nothing (``analytics_booked``). Without the commerce plugin the
consumer passes its events by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from veriseal.extend import Batch, Consumer, PluginContext, StreamEvent, Tx, Unavailable
from veriseal_analytics.book import booker
from veriseal_analytics.facts import SALES_FACTS, OrderFact, ReturnFact

#: the order actions that make or undo a sale
_ORDER_ACTIONS = frozenset({"paid", "reject", "cancel", "expire"})


@dataclass
class Facts:
    orders: dict[int, OrderFact | None] = field(default_factory=dict)
    returns: list[ReturnFact] = field(default_factory=list)


async def _prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> Facts:
    found = Facts()
    facts = ctx.optional(SALES_FACTS)
    if isinstance(facts, Unavailable):
        return found
    for e in events:
        p = e.payload or {}
        if e.kind == "commerce.order" and p.get("action") in _ORDER_ACTIONS:
            found.orders[e.ref] = await facts.order(e.ref)
        elif e.kind == "commerce.return" and p.get("to") == "completed":
            r = await facts.return_(e.ref)
            if r is not None:
                found.returns.append(r)
                if r.order_id not in found.orders:
                    found.orders[r.order_id] = await facts.order(r.order_id)
    return found


async def _handle(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    found = batch.prepared
    if not isinstance(found, Facts):
        return
    b = booker(ctx)
    await b.prefetch([o for o in found.orders.values() if o is not None], found.returns)
    bookings = [bk for order in found.orders.values() if order is not None
                for bk in await b.order_bookings(order)]  # fmt: skip
    for r in found.returns:
        if (bk := await b.return_booking(r, found.orders.get(r.order_id))) is not None:
            bookings.append(bk)
    await b.book(tx, bookings)


SALES = Consumer("analytics.sales", frozenset({"commerce.order", "commerce.return"}), _handle,
                 batch_size=200, prepare=_prepare)  # fmt: skip
