"""Units moving with territories' shipments: the ``inventory.shipments`` consumer of
``territories.shipped``, ``territories.received`` and ``territories.returned`` events.

``prepare`` (before the transaction) asks territories which units each event's
movements moved (the ``territories.movement_ranges`` service; without it the batch is
passed over with nothing done) and makes every core lookup the batch needs (batches,
the organisation's default warehouse, the keepers to tell): none is made inside the
transaction. ``handle`` then, per event:

- **shipped** by organisation A: the units are taken out of A's warehouses, wherever
  they are in A, with one outbound post (document: the payload's reference, else
  ``territories:<movement id>``). When A is the brand's own organisation and a
  reservation is held for the reference, the shipped units consume it in the same post.
  Units never received by code are taken from A's stock kept by quantity
  (:mod:`.bulk_ship`: the batch's lot first). Units in neither change nothing (stock
  never goes negative): an ``untracked_outbound`` alert records them for A's keepers.
- **returned** by dealer A to the brand (``territories.take_back``): the units leave
  A's warehouses exactly as for a shipment by A (no reservation is consumed); nothing
  is placed at the brand: ``inventory.receive_return`` puts the units in quarantine
  when the warehouse scans them (:mod:`.returns`). When that receipt took the units out
  of A's warehouses first (same take-back movements), the event changes nothing.
- **received** at organisation B: the units are placed in B's default warehouse, main
  stock location, with one inbound post. Units in stock elsewhere are not placed: a
  ``duplicate_code`` alert names them and where they are; units already in one of B's
  warehouses are left as they are.

Each event is applied once: its key ``stream:<position>`` is remembered with its
movements in the same transaction (a redelivered batch changes nothing), and the post's
client id is ``stream:<position>:0``. Goods movements never fail on stock rules: a post
the ledger refuses (``stock_insufficient``: the quantity was issued by hand meanwhile)
leaves stock as it was and records the units as ``untracked_outbound``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from veriseal import Batch as ItemBatch
from veriseal import IndexRange
from veriseal.extend import Batch, Consumer, PluginContext, ServiceKey, StreamEvent, Tx, Unavailable
from veriseal_inventory import unit_ranges as ur
from veriseal_inventory import units_store as store
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.bulk_ship import take_bulk
from veriseal_inventory.errors import StockInsufficient
from veriseal_inventory.models import LocationKind, Meta, MovementKind, Posting, Warehouse
from veriseal_inventory.reservations import Reservations
from veriseal_inventory.returns import back_key
from veriseal_inventory.stock import StockService
from veriseal_inventory.unit_alerts import CodeAlerts, Keepers, duplicates
from veriseal_inventory.units import move_units, placed, postings_of
from veriseal_inventory.warehouses import location_in

ACTOR = "system:territories"
KINDS = frozenset({"territories.shipped", "territories.received", "territories.returned"})
#: the events whose units leave their ``from_org``'s warehouses
OUTGOING = frozenset({"territories.shipped", "territories.returned"})


class MovementRanges(Protocol):
    """territories' ``territories.movement_ranges`` (declared here: plugins never
    import each other): movement id -> batch id -> inclusive (first, last) ranges."""

    async def __call__(self, brand_id: int, movement_ids: Sequence[int]
                       ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...  # fmt: skip


MOVEMENT_RANGES: ServiceKey[MovementRanges] = ServiceKey("territories.movement_ranges")


@dataclass(frozen=True)
class Step:
    """What ``prepare`` learnt of one event: the units it moved, the organisation's
    default warehouse (shipped: the shipper's, for its alerts; received: where the units
    go) and whether that organisation is the brand's own."""

    units: dict[int, list[IndexRange]]
    home: Warehouse
    brand_own: bool


@dataclass(frozen=True)
class Prepared:
    steps: dict[int, Step]  # by event position
    batches: dict[int, ItemBatch]
    keepers: Keepers  # of every warehouse the batch's alerts may name


async def prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> Prepared | None:
    """Every lookup the batch needs, before its transaction opens (see the module
    docstring); None when territories offers no ranges."""
    from veriseal_inventory.service import of  # noqa: PLC0415 (the bundle imports this module)

    lookup = ctx.optional(MOVEMENT_RANGES)
    if isinstance(lookup, Unavailable):
        return None
    inv = of(ctx)
    steps: dict[int, Step] = {}
    batches: dict[int, ItemBatch] = {}
    named: set[int] = set()
    for e in events:
        payload = e.payload or {}
        ids = [int(m) for m in payload.get("movements") or []]
        org = payload.get("from_org" if e.kind in OUTGOING else "to_org")
        if e.brand_id is None or not ids or org is None:
            continue
        found = await lookup(e.brand_id, ids)
        moved = ur.of_pairs((b, IndexRange(lo, hi)) for by_batch in found.values()
                            for b, spans in by_batch.items() for lo, hi in spans)  # fmt: skip
        if not moved:
            continue
        for b in moved:
            if b not in batches:
                batches[b] = await ctx.batch(b)
        root = (await ctx.brand_org(await ctx.brand_by_id(e.brand_id))).id
        home = await inv.warehouses.of_org(e.brand_id, int(org))
        steps[e.position] = Step(moved, home, int(org) == root)
        async with ctx.db.read() as tx:
            named |= {home.id, *(h.place.warehouse_id for h in await store.held(tx, e.brand_id,
                                                                               moved))}  # fmt: skip
            named |= {w.id for w in await wstore.of_brand(tx, e.brand_id, [int(org)])}
    keepers = await CodeAlerts(ctx, inv.warehouses).keepers_of(named)
    return Prepared(steps, batches, keepers)


async def handle(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415 (the bundle imports this module)

    prepared = batch.prepared
    if not isinstance(prepared, Prepared):
        return
    inv = of(ctx)
    moves = UnitMoves(inv.stock, inv.reservations, CodeAlerts(ctx, inv.warehouses), prepared)
    for event in batch:
        step = prepared.steps.get(event.position)
        if step is None or event.brand_id is None:
            continue
        key = f"stream:{event.position}"
        if await store.applied(tx, event.brand_id, key) is not None:
            continue  # applied by an earlier delivery
        if event.kind in OUTGOING:
            ids = await moves.shipped(tx, event, step)
        else:
            ids = await moves.received(tx, event, step)
        await store.remember(tx, event.brand_id, key, ids)


class UnitMoves:
    """One event's effects, inside the consumer's transaction (no core lookups here:
    ``prepare`` made them)."""

    def __init__(self, stock: StockService, reservations: Reservations, alerts: CodeAlerts,
                 prepared: Prepared) -> None:  # fmt: skip
        self.stock = stock
        self.reservations = reservations
        self.alerts = alerts
        self.prepared = prepared

    async def shipped(self, tx: Tx, event: StreamEvent, step: Step) -> list[int]:
        payload = event.payload or {}
        brand_id, units = int(event.brand_id or 0), step.units
        document = _document(payload)
        returned = event.kind == "territories.returned"
        evidence = _evidence(event, "returned" if returned else "shipped")
        warehouses = sorted(w.id for w in await wstore.of_brand(tx, brand_id, [step.home.org_id]))
        await store.lock_batches(tx, units)
        if returned:  # the return receipt may have taken them already (under these locks)
            ids_moved = [int(m) for m in payload.get("movements") or []]
            if await store.applied(tx, brand_id, back_key(ids_moved)) is not None:
                return []
        found = await store.held(tx, brand_id, units)
        ours = [h for h in found if h.place.warehouse_id in warehouses]
        elsewhere = [h for h in found if h.place.warehouse_id not in warehouses]
        rest = ur.subtract(units, ur.of_pairs((h.batch_id, h.span) for h in ours))
        # units never received by code leave the shipper's stock kept by quantity
        bulk = await take_bulk(tx, rest, warehouses, self.prepared.batches)
        untracked = bulk.uncovered
        ids: list[int] = []
        postings = postings_of(ours, -1) + bulk.postings
        if postings:
            reference = str(payload.get("reference") or "")[:64]
            if step.brand_own and reference and not returned:
                postings += await self._consume(tx, brand_id, reference, postings)
            note = "returned to the brand (territories)" if returned else "shipped (territories)"
            meta = Meta(MovementKind.OUTBOUND, ACTOR, document, note, None,
                        f"stream:{event.position}:0")  # fmt: skip
            try:
                # the goods have left: the record follows them (never a refusal for
                # stock promised to orders), but never below zero on hand
                ids = await self.stock.post(tx, brand_id, postings, meta, check_available=False)
            except StockInsufficient as exc:
                evidence = {**evidence, "refused": exc.code, "detail": exc.message}
                untracked, ours = ur.normalise(units), []
            else:
                await move_units(tx, brand_id, ours, None)
        if returned:  # the return receipt will not take them again
            await store.remember(tx, brand_id, back_key(
                [int(m) for m in payload.get("movements") or []]), ids)  # fmt: skip
        if untracked:
            held_at = {(h.batch_id, h.span): h.place.warehouse_id for h in elsewhere}
            new = [store.NewAlert("untracked_outbound", b, r, step.home.id,
                                  _holder(held_at, b, r), document, evidence)
                   for b, r in ur.pairs(untracked)]  # fmt: skip
            await self.alerts.record(tx, brand_id, new, self.prepared.keepers)
        return ids

    async def _consume(self, tx: Tx, brand_id: int, reference: str,
                       outbound: list[Posting]) -> list[Posting]:  # fmt: skip
        """The postings consuming ``reference``'s reservation for the units shipped
        from each warehouse (in the outbound's own post)."""
        out: list[Posting] = []
        for wid in sorted({p.warehouse_id for p in outbound}):
            counts: dict[str, int] = {}
            for p in outbound:
                if p.warehouse_id == wid:
                    counts[p.gtin] = counts.get(p.gtin, 0) - p.quantity
            out += await self.reservations.consume(tx, brand_id, reference, wid, counts)
        return out

    async def received(self, tx: Tx, event: StreamEvent, step: Step) -> list[int]:
        brand_id, units, home = int(event.brand_id or 0), step.units, step.home
        document = _document(event.payload or {})
        main = await location_in(tx, home, None, LocationKind.STOCK)
        await store.lock_batches(tx, units)
        found = await store.held(tx, brand_id, units)
        own = {w.id for w in await wstore.of_brand(tx, brand_id, [home.org_id])}
        elsewhere = [h for h in found if h.place.warehouse_id not in own]
        new = ur.subtract(units, ur.of_pairs((h.batch_id, h.span) for h in found))
        if elsewhere:
            alerts = duplicates(home, elsewhere, document, _evidence(event, "received"))
            await self.alerts.record(tx, brand_id, alerts, self.prepared.keepers)
        if not new:
            return []
        rows = placed(new, self.prepared.batches, home.id, main.id)
        meta = Meta(MovementKind.INBOUND, ACTOR, document, "received (territories)", None,
                    f"stream:{event.position}:0")  # fmt: skip
        ids = await self.stock.post(tx, brand_id, postings_of(rows, 1), meta)
        await move_units(tx, brand_id, rows, rows[0].place)
        return ids


def _document(payload: dict[str, Any]) -> str:
    reference = str(payload.get("reference") or "").strip()
    movements = payload.get("movements") or [0]
    return (reference or f"territories:{movements[0]}")[:64]


def _evidence(event: StreamEvent, what: str) -> dict[str, Any]:
    payload = event.payload or {}
    return {"event": what, "position": event.position, "movements": payload.get("movements"),
            "from_org": payload.get("from_org"), "to_org": payload.get("to_org"),
            "reference": payload.get("reference") or ""}  # fmt: skip


def _holder(held_at: dict[tuple[int, IndexRange], int], batch_id: int, r: IndexRange
            ) -> int | None:  # fmt: skip
    """The warehouse (outside the shipper) holding part of ``r``, if any."""
    for (b, span), wid in held_at.items():
        if b == batch_id and span.first <= r.last and r.first <= span.last:
            return wid
    return None


#: Moves code-tracked units with territories' shipments and receipts.
SHIPMENTS = Consumer("inventory.shipments", KINDS, handle, prepare=prepare)
