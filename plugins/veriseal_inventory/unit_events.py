"""Units moving with territories' shipments: the ``inventory.shipments`` consumer of
``territories.shipped`` and ``territories.received`` events.

``prepare`` (before the transaction) asks territories which units each event's
movements moved (the ``territories.movement_ranges`` service; without it the batch is
passed over with nothing done) and reads their batches. ``handle`` then, per event:

- **shipped** by organisation A: the units are taken out of A's warehouses, wherever
  they are in A, with one outbound post (document: the payload's reference, else
  ``territories:<movement id>``). When A is the brand's own organisation and a
  reservation is held for the reference, the shipped units consume it in the same post.
  Units not in A's stock change nothing (stock never goes negative): an
  ``untracked_outbound`` alert records them for A's keepers.
- **received** at organisation B: the units are placed in B's default warehouse, main
  stock location, with one inbound post. Units in stock elsewhere are not placed: a
  ``duplicate_code`` alert names them and where they are; units already in B's stock are
  left as they are.

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
from veriseal_inventory.errors import StockInsufficient
from veriseal_inventory.models import LocationKind, Meta, MovementKind
from veriseal_inventory.units import Alerts, move_units, placed, postings_of
from veriseal_inventory.warehouses import location_in

ACTOR = "system:territories"
KINDS = frozenset({"territories.shipped", "territories.received"})


class MovementRanges(Protocol):
    """territories' ``territories.movement_ranges`` (declared here: plugins never
    import each other): movement id -> batch id -> inclusive (first, last) ranges."""

    async def __call__(self, brand_id: int, movement_ids: Sequence[int]
                       ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...  # fmt: skip


MOVEMENT_RANGES: ServiceKey[MovementRanges] = ServiceKey("territories.movement_ranges")


@dataclass(frozen=True)
class Prepared:
    units: dict[int, dict[int, list[IndexRange]]]  # event position -> units it moved
    batches: dict[int, ItemBatch]


async def prepare(ctx: PluginContext, events: Sequence[StreamEvent]) -> Prepared | None:
    """The units of each event (None when territories offers no ranges)."""
    lookup = ctx.optional(MOVEMENT_RANGES)
    if isinstance(lookup, Unavailable):
        return None
    units: dict[int, dict[int, list[IndexRange]]] = {}
    batches: dict[int, ItemBatch] = {}
    for e in events:
        ids = [int(m) for m in (e.payload or {}).get("movements") or []]
        if e.brand_id is None or not ids:
            continue
        found = await lookup(e.brand_id, ids)
        moved = ur.of_pairs((b, IndexRange(lo, hi)) for by_batch in found.values()
                            for b, spans in by_batch.items() for lo, hi in spans)  # fmt: skip
        for b in moved:
            if b not in batches:
                batches[b] = await ctx.batch(b)
        units[e.position] = moved
    return Prepared(units, batches)


async def handle(ctx: Any, batch: Batch, tx: Tx) -> None:
    from veriseal_inventory.service import of  # noqa: PLC0415 (the bundle imports this module)

    prepared = batch.prepared
    if not isinstance(prepared, Prepared):
        return
    moves = UnitMoves(ctx, Alerts(ctx, of(ctx).warehouses))
    for event in batch:
        units = prepared.units.get(event.position)
        if not units or event.brand_id is None:
            continue
        key = f"stream:{event.position}"
        if await store.applied(tx, event.brand_id, key) is not None:
            continue  # applied by an earlier delivery
        if event.kind == "territories.shipped":
            ids = await moves.shipped(tx, event, units, prepared.batches)
        else:
            ids = await moves.received(tx, event, units, prepared.batches)
        await store.remember(tx, event.brand_id, key, ids)


class UnitMoves:
    def __init__(self, ctx: PluginContext, alerts: Alerts) -> None:
        self.ctx = ctx
        self.alerts = alerts

    async def shipped(self, tx: Tx, event: StreamEvent, units: ur.Units,
                      batches: dict[int, ItemBatch]) -> list[int]:  # fmt: skip
        from veriseal_inventory.service import of  # noqa: PLC0415

        payload = event.payload or {}
        brand_id, org = int(event.brand_id or 0), payload.get("from_org")
        if org is None:
            return []
        document = _document(payload)
        evidence = _evidence(event, "shipped")
        warehouses = {w.id: w for w in await wstore.of_brand(tx, brand_id, [int(org)])}
        await store.lock_batches(tx, units)
        found = await store.held(tx, brand_id, units)
        ours = [h for h in found if h.place.warehouse_id in warehouses]
        elsewhere = [h for h in found if h.place.warehouse_id not in warehouses]
        untracked = ur.subtract(units, ur.of_pairs((h.batch_id, h.span) for h in ours))
        ids: list[int] = []
        if ours:
            postings = postings_of(ours, -1)
            brand = await self.ctx.brand_by_id(brand_id)
            if int(org) == (await self.ctx.brand_org(brand)).id and payload.get("reference"):
                for wid in sorted({h.place.warehouse_id for h in ours}):
                    counts = _counts([h for h in ours if h.place.warehouse_id == wid])
                    postings += await of(self.ctx).reservations.consume(
                        tx, brand_id, str(payload["reference"])[:64], wid, counts
                    )
            meta = Meta(MovementKind.OUTBOUND, ACTOR, document, "shipped (territories)",
                        None, f"stream:{event.position}:0")  # fmt: skip
            try:
                ids = await of(self.ctx).stock.post(tx, brand_id, postings, meta,
                                                    check_available=False)  # fmt: skip
            except StockInsufficient as exc:
                evidence = {**evidence, "refused": exc.code, "detail": exc.message}
                untracked, ours = ur.normalise(units), []
            else:
                await move_units(tx, brand_id, ours, None)
        if untracked:
            home = await of(self.ctx).warehouses.of_org_in(tx, brand_id, int(org))
            held_at = {(h.batch_id, h.span): h.place.warehouse_id for h in elsewhere}
            new = [store.NewAlert("untracked_outbound", b, r, home.id,
                                  _holder(held_at, b, r), document, evidence)
                   for b, r in ur.pairs(untracked)]  # fmt: skip
            await self.alerts.record(tx, brand_id, new)
        return ids

    async def received(self, tx: Tx, event: StreamEvent, units: ur.Units,
                       batches: dict[int, ItemBatch]) -> list[int]:  # fmt: skip
        from veriseal_inventory.service import of  # noqa: PLC0415

        payload = event.payload or {}
        brand_id, org = int(event.brand_id or 0), payload.get("to_org")
        if org is None:
            return []
        document = _document(payload)
        home = await of(self.ctx).warehouses.of_org_in(tx, brand_id, int(org))
        main = await location_in(tx, home, None, LocationKind.STOCK)
        await store.lock_batches(tx, units)
        found = await store.held(tx, brand_id, units)
        elsewhere = [h for h in found if h.place.warehouse_id != home.id]
        new = ur.subtract(units, ur.of_pairs((h.batch_id, h.span) for h in found))
        if elsewhere:
            await self.alerts.duplicates_in(tx, brand_id, home, elsewhere, document,
                                            _evidence(event, "received"))  # fmt: skip
        if not new:
            return []
        rows = placed(new, batches, home.id, main.id)
        meta = Meta(MovementKind.INBOUND, ACTOR, document, "received (territories)", None,
                    f"stream:{event.position}:0")  # fmt: skip
        ids = await of(self.ctx).stock.post(tx, brand_id, postings_of(rows, 1), meta)
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


def _counts(rows: Sequence[store.Held]) -> dict[str, int]:
    out: dict[str, int] = {}
    for h in rows:
        out[h.place.gtin] = out.get(h.place.gtin, 0) + h.span.count
    return out


def _holder(held_at: dict[tuple[int, IndexRange], int], batch_id: int, r: IndexRange
            ) -> int | None:  # fmt: skip
    """The warehouse (outside the shipper) holding part of ``r``, if any."""
    for (b, span), wid in held_at.items():
        if b == batch_id and span.first <= r.last and r.first <= span.last:
            return wid
    return None


#: Moves code-tracked units with territories' shipments and receipts.
SHIPMENTS = Consumer("inventory.shipments", KINDS, handle, prepare=prepare)
