"""The stream consumer ``analytics.stock``: inventory's stock posts
(``inventory.posted``) booked into the stock cube (:mod:`.stock_booking`).

``prepare`` reads the batch's posts through ``inventory.stock_facts`` before the
transaction opens (an event carries at most 30 lines; the facts have them all);
``handle`` books each in the transaction that moves the cursor, once per post
(``analytics_stock_posts``: a redelivered event books nothing). Without the inventory
plugin the consumer passes its events by. The rebuild (:mod:`.stock_rebuild`) books
through :func:`book_post` too, so both book alike."""

from __future__ import annotations

from collections.abc import Sequence

from veriseal.extend import Batch, Consumer, PluginContext, StreamEvent, Tx, Unavailable
from veriseal_analytics import stock_store
from veriseal_analytics.book import Booker, booker
from veriseal_analytics.booking import local
from veriseal_analytics.stock_booking import Flow, StockKey, post_rows
from veriseal_analytics.stock_facts import POSTED, STOCK_FACTS, PostFact

NAME = "analytics.stock"


def rows_of(fact: PostFact, tz: str) -> tuple[str, dict[StockKey, Flow]]:
    """The post's local day and the cube rows it adds to."""
    day = local(fact.at, tz)[0]
    changes = [(x.warehouse_id, x.gtin, x.quantity) for x in fact.lines]
    return day, post_rows(day, fact.kind, changes)


async def categories(b: Booker, brand_id: int, rows: dict[StockKey, Flow]) -> dict[str, int | None]:
    """The current category of each product of ``rows`` (cached by the booker)."""
    return {g: await b.category(brand_id, g) for g in sorted({k[2] for k in rows})}


async def book_post(tx: Tx, b: Booker, fact: PostFact) -> bool:
    """Book one post unless it is booked already; whether it was booked now."""
    day, rows = rows_of(fact, b.tz)
    cats = await categories(b, fact.brand_id, rows)
    return await stock_store.book(tx, fact.brand_id, fact.id, day, fact.at, rows, cats)


async def _prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> list[PostFact]:
    facts = ctx.optional(STOCK_FACTS)
    if isinstance(facts, Unavailable):
        return []
    by_brand: dict[int, list[int]] = {}
    for e in events:
        if e.brand_id is not None:
            by_brand.setdefault(e.brand_id, []).append(e.ref)
    found: list[PostFact] = []
    for brand_id, ids in sorted(by_brand.items()):
        found.extend(await facts.by_ids(brand_id, ids))
    return found


async def _handle(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    found = batch.prepared
    if not isinstance(found, list):
        return
    b = booker(ctx)
    for fact in found:
        await book_post(tx, b, fact)


STOCK = Consumer(NAME, frozenset({POSTED}), _handle, batch_size=500, prepare=_prepare)
