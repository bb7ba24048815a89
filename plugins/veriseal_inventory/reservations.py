"""Reservations: sellable stock held for a reference (an order number) until it expires.

The commerce plugin asks through the service registry (``inventory.reserve``) when a
dealer submits an order: the brand's own warehouses (its organisation's) are searched
in id order and the quantity is held where it is available, split over warehouses if
need be; ``stock_insufficient`` names the product and what is available when the brand
cannot cover a line, and nothing is held. Reserving a reference again replaces what it
held (a re-submitted order). Every hold, release, expiry and consumption is a movement
of the reserved quantity (kinds ``reserve``, ``release``, ``consume``) on the
warehouse's main stock location, so a rebuild restores reservations' totals too.

A reservation ends by being
- consumed when its goods ship (:meth:`Reservations.consume`, in the shipment's post);
- released when its order is cancelled, rejected or expires (the ``inventory.orders``
  consumer of ``commerce.order`` events), or
- expired by the periodic task after ``expires_at``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.extend import PluginContext, Tx
from veriseal_inventory import ledger_store, stock_store
from veriseal_inventory import reservation_store as store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.errors import StockInsufficient, StockInvalid
from veriseal_inventory.models import LocationKind, Meta, MovementKind, Posting, Reservation
from veriseal_inventory.stock import StockService
from veriseal_inventory.warehouses import location_in

_SYSTEM = "system"
#: how long past its expiry a reservation waits for its order's own end or payment
GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Availability:
    """What the brand can still promise of a product (``inventory.availability``)."""

    gtin: str
    available: int
    sellable: int
    reserved: int
    warehouses: int

    def __str__(self) -> str:
        return f"{self.available} available / 可订 {self.available}"

    def to_dict(self) -> dict[str, Any]:
        return {"gtin": self.gtin, "available": self.available, "sellable": self.sellable,
                "reserved": self.reserved, "warehouses": self.warehouses}  # fmt: skip


class Reservations:
    def __init__(self, ctx: PluginContext, stock: StockService) -> None:
        self.ctx = ctx
        self.stock = stock

    async def _root(self, brand_id: int) -> int:
        """The brand's own organisation (looked up BEFORE a transaction opens: a lookup
        inside one would wait for a second pooled connection)."""
        return (await self.ctx.brand_org(await self.ctx.brand_by_id(brand_id))).id

    @staticmethod
    async def _sources(tx: Tx, brand_id: int, root: int) -> list[int]:
        """The warehouses a brand sells from: its own organisation's, in id order."""
        return [w.id for w in await wstore.of_brand(tx, brand_id, [root])]

    async def reserve(self, brand_id: int, reference: str, lines: Sequence[tuple[str, int]],
                      expires_at: dt.datetime) -> list[Reservation]:  # fmt: skip
        """Hold ``lines`` (GTIN, quantity) for ``reference`` until ``expires_at``."""
        reference = _reference(reference)
        wanted: dict[str, int] = {}
        for gtin, qty in lines:
            if qty <= 0 or not (gtin.isdigit() and len(gtin) == 14):
                raise StockInvalid("a reservation line is a GTIN and a positive quantity")
            wanted[gtin] = wanted.get(gtin, 0) + qty
        if not wanted:
            raise StockInvalid("a reservation has at least one line")
        root = await self._root(brand_id)
        async with self.ctx.db.write() as tx:
            sources = await self._sources(tx, brand_id, root)
            # Lock every level the reservation reads, in key order, before reading:
            # two submissions for the last units queue here.
            keys = [(w, g) for w in sources for g in wanted]
            await ledger_store.lock_levels(tx, brand_id, keys)
            await self._release_in(tx, brand_id, reference, "released", "replaced")
            levels = {(lv.warehouse_id, lv.gtin): lv
                      for lv in await stock_store.levels(tx, brand_id, sources)}  # fmt: skip
            plan: list[tuple[int, str, int]] = []
            for gtin, qty in sorted(wanted.items()):
                need = qty
                for wid in sources:
                    level = levels.get((wid, gtin))
                    n = min(need, level.available if level else 0)
                    if n > 0:
                        plan.append((wid, gtin, n))
                        need -= n
                    if need == 0:
                        break
                if need:
                    have = qty - need
                    raise StockInsufficient(
                        f"only {have} of {gtin} available, {qty} ordered"
                        f" / 商品 {gtin} 可订 {have}，订购 {qty}",
                        gtin=gtin, have=have, need=qty,
                    )  # fmt: skip
            postings = []
            for wid, gtin, n in plan:
                main = await self._main(tx, wid)
                postings.append(Posting(wid, main, gtin, "", 0, n))
                await store.insert(tx, brand_id, reference, wid, gtin, n, expires_at)
            meta = Meta(MovementKind.RESERVE, _SYSTEM, reference, "order submitted")
            await self.stock.post(tx, brand_id, postings, meta)
            return await store.of_reference(tx, brand_id, reference)

    async def _main(self, tx: Tx, warehouse_id: int) -> int:
        w = await wstore.get(tx, warehouse_id)
        assert w is not None
        return (await location_in(tx, w, None, LocationKind.STOCK)).id

    async def release(self, brand_id: int, reference: str, reason: str = "") -> int:
        """Give back what ``reference`` holds; how many units were released."""
        async with self.ctx.db.write() as tx:
            return await self._release_in(tx, brand_id, _reference(reference), "released",
                                          reason or "released")  # fmt: skip

    async def release_in(self, tx: Tx, brand_id: int, reference: str, reason: str) -> int:
        """:meth:`release` inside an open write transaction (an event consumer's)."""
        return await self._release_in(tx, brand_id, reference, "released", reason)

    async def _release_in(self, tx: Tx, brand_id: int, reference: str, status: str,
                          reason: str) -> int:  # fmt: skip
        held = [r for r in await store.of_reference(tx, brand_id, reference, lock=True)
                if r.status == "held" and r.remaining > 0]  # fmt: skip
        if not held:
            return 0
        postings = [Posting(r.warehouse_id, await self._main(tx, r.warehouse_id), r.gtin, "",
                            0, -r.remaining) for r in held]  # fmt: skip
        for r in held:
            await store.close(tx, r.id, status)
        kind = MovementKind.RELEASE
        await self.stock.post(tx, brand_id, postings, Meta(kind, _SYSTEM, reference, reason))
        return sum(r.remaining for r in held)

    async def extend_in(self, tx: Tx, brand_id: int, reference: str, until: dt.datetime) -> None:
        """Hold what ``reference`` holds until ``until`` at least (a paid order)."""
        await store.extend(tx, brand_id, reference, until)

    async def consume(self, tx: Tx, brand_id: int, reference: str, warehouse_id: int,
                      counts: dict[str, int]) -> list[Posting]:  # fmt: skip
        """The postings that take ``counts`` (GTIN -> units shipped from the warehouse)
        off ``reference``'s reservation there: add them to the outbound's own post so the
        shipped units stop being reserved in the same commit. At most what is held."""
        out: list[Posting] = []
        held = {r.gtin: r for r in await store.of_reference(tx, brand_id, reference, lock=True)
                if r.status == "held" and r.warehouse_id == warehouse_id}  # fmt: skip
        for gtin, n in sorted(counts.items()):
            r = held.get(gtin)
            take = 0 if r is None else min(r.remaining, n)
            if r is None or take <= 0:
                continue
            await store.take(tx, r.id, take)
            out.append(Posting(warehouse_id, await self._main(tx, warehouse_id), gtin, "", 0,
                               -take))  # fmt: skip
        return out

    async def expire(self, now: dt.datetime | None = None) -> int:
        """Release every reservation more than :data:`GRACE` past its expiry; how many
        references. (Commerce expires an unpaid order at the same deadline and its
        event releases the hold at once; a payment at the last minute extends it. The
        grace keeps this fallback from racing either.)"""
        now = now or dt.datetime.now(dt.UTC)
        async with self.ctx.db.read() as tx:
            due = await store.due(tx, now - GRACE)
        for brand_id, reference in due:
            async with self.ctx.db.write() as tx:
                await self._release_in(tx, brand_id, reference, "expired", "expired")
        return len(due)

    async def held(self, brand_id: int, reference: str) -> list[Reservation]:
        async with self.ctx.db.read() as tx:
            return await store.of_reference(tx, brand_id, _reference(reference))

    async def availability(self, brand_id: int, gtin: str, org_id: int | None = None
                           ) -> Availability:  # fmt: skip
        """What the brand can promise of ``gtin`` from its own warehouses. ``org_id`` is
        the asking buyer's organisation (all buyers see the same figure today)."""
        del org_id
        root = await self._root(brand_id)
        async with self.ctx.db.read() as tx:
            sources = await self._sources(tx, brand_id, root)
            levels = await stock_store.levels(tx, brand_id, sources, gtin)
        return Availability(
            gtin, sum(lv.available for lv in levels), sum(lv.sellable for lv in levels),
            sum(lv.reserved for lv in levels), len(levels),
        )  # fmt: skip


def _reference(text: str) -> str:
    text = text.strip()
    if not text or len(text) > 64:
        raise StockInvalid("a reservation's reference has 1 to 64 characters")
    return text
