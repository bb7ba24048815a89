"""Sales, reversals and returns booked from commerce's facts into the rollups.

Contracts:

- :meth:`Booker.order_bookings` gives a paid order's sale on the day it was paid and,
  once it was rejected, cancelled or expired after that, its reversal on that day
  (negative units, revenue and orders); :meth:`Booker.return_booking` a completed
  return's units and refund on its completion day. :meth:`Booker.book` books them, a
  batch (the consumer's delivery, a rebuild's page) in one go, exactly as booking them
  one by one would: each booking happens once (``analytics_booked``; a repeated one in
  the batch once), whoever asks first: the stream consumer or the rebuild;
- a line's dimensions are looked up when it is booked: the product's leaf category,
  the dealer's organisation kind (the channel) and the order's region (province and
  city); later changes to them do not rewrite booked history;
- days and hours are in ``[plugins.analytics] tz`` (default ``Asia/Shanghai``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from veriseal import Brand, NotFound
from veriseal.extend import PluginContext, Tx
from veriseal_analytics import rollup_store
from veriseal_analytics.booking import (
    RETURN,
    REVERSAL,
    SALE,
    Booking,
    Line,
    Where,
    local,
    place,
)
from veriseal_analytics.facts import OrderFact, ReturnFact
from veriseal_analytics.service import tz


@dataclass
class Booker:
    """Books facts; caches the lookups of one run (an event batch, a rebuild)."""

    ctx: PluginContext
    tz: str = "Asia/Shanghai"
    _channels: dict[int, str] = field(default_factory=dict)
    _categories: dict[tuple[int, str], int | None] = field(default_factory=dict)
    _places: dict[str, tuple[str, str]] = field(default_factory=dict)
    _brands: dict[int, Brand | None] = field(default_factory=dict)

    async def order_bookings(self, fact: OrderFact) -> list[Booking]:
        """The sale and the reversal ``fact`` calls for (booked or not: :meth:`book`
        skips what is booked already, in one read for the whole batch)."""
        out: list[Booking] = []
        for kind, at, sign in ((SALE, fact.paid_at, 1), (REVERSAL, fact.undone_at, -1)):
            if at is None:
                continue
            day, hour = local(at, self.tz)
            where = await self._where(fact.org_id, fact.region)
            lines = tuple([Line(kind, fact.id, fact.id, day, hour, x.gtin,
                                await self.category(fact.brand_id, x.gtin), where,
                                sign * x.units, sign * x.amount) for x in fact.lines])  # fmt: skip
            out.append(Booking(fact.brand_id, kind, fact.id, day, at, lines))
        return out

    async def return_booking(self, fact: ReturnFact, order: OrderFact | None) -> Booking | None:
        """A completed return's booking (its order gives dealer and region); None for a
        return not completed or whose order is unknown."""
        at = fact.completed_at
        if at is None or order is None:
            return None
        day, hour = local(at, self.tz)
        where = await self._where(order.org_id, order.region)
        lines = tuple([Line(RETURN, fact.id, fact.order_id, day, hour, x.gtin,
                            await self.category(fact.brand_id, x.gtin), where, x.units,
                            x.amount) for x in fact.lines])  # fmt: skip
        return Booking(fact.brand_id, RETURN, fact.id, day, at, lines)

    async def prefetch(
        self, orders: Sequence[OrderFact], returns: Sequence[ReturnFact] = ()
    ) -> None:
        """Look up the orders' dealers (one query; a return's dealer is its order's) and
        the products' leaf categories (``ctx.products(brand, gtins)``, one query per
        brand), so a batch's bookings find them cached rather than asking per dealer and
        product; a dealer or GTIN not found is left to :meth:`_where` / :meth:`category`
        (which ask one by one, as before)."""
        todo: dict[int, set[str]] = {}
        facts: list[OrderFact | ReturnFact] = [*orders, *returns]
        for f in facts:
            for x in f.lines:
                if (f.brand_id, x.gtin) not in self._categories:
                    todo.setdefault(f.brand_id, set()).add(x.gtin)
        for brand_id, gtins in todo.items():
            brand = await self._brand(brand_id)
            for p in [] if brand is None else await self.ctx.products(brand, gtins):
                if p.gtin in gtins:  # the product's own category is its chain's leaf
                    self._categories[(brand_id, p.gtin)] = p.category_id
        found = await self.ctx.orgs({o.org_id for o in orders} - self._channels.keys())
        self._channels.update((i, str(org.kind)) for i, org in found.items())

    async def book(self, tx: Tx, bookings: Sequence[Booking]) -> int:
        """Book ``bookings`` as one batch (:func:`.rollup_store.book`: each once, one
        upsert per distinct cube row); the number of bookings made."""
        return len(await rollup_store.book(tx, bookings))

    async def _where(self, org_id: int, region: str) -> Where:
        if org_id not in self._channels:
            try:
                self._channels[org_id] = str((await self.ctx.org(org_id)).kind)
            except NotFound:
                self._channels[org_id] = ""
        if region not in self._places:
            self._places[region] = place(region)
        province, city = self._places[region]
        return Where(org_id, self._channels[org_id], province, city)

    async def category(self, brand_id: int, gtin: str) -> int | None:
        """The product's leaf category now (None: none or no such product), cached."""
        key = (brand_id, gtin)
        if key not in self._categories:
            brand = await self._brand(brand_id)
            try:
                chain = () if brand is None else await self.ctx.category_chain(brand, gtin)
            except NotFound:
                chain = ()
            self._categories[key] = chain[0] if chain else None
        return self._categories[key]

    async def _brand(self, brand_id: int) -> Brand | None:
        if brand_id not in self._brands:
            try:
                self._brands[brand_id] = await self.ctx.brand_by_id(brand_id)
            except NotFound:
                self._brands[brand_id] = None
        return self._brands[brand_id]


def booker(ctx: PluginContext) -> Booker:
    return Booker(ctx, tz(ctx))
