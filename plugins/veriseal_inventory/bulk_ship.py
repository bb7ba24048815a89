"""Shipped units that were never received by code: taken from the shipper's stock by
quantity.

Many brands (and the demo) keep stock by quantity: goods received by ``stock receive``
or an inbound receipt carry no unit codes, yet leave by scanning when territories ships
them. The units of such a shipment are not in ``inventory_units``; what stands for them
is the part of a balance that no tracked unit accounts for (its *bulk*: on hand less the
tracked units at the same place). :func:`take_bulk` takes the shipped units from that
bulk, the batch's own lot first, then other lots oldest first, only in stock locations;
what the bulk cannot cover stays untracked (the caller raises ``untracked_outbound``
for it, and stock never goes below zero)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from veriseal import Batch as ItemBatch
from veriseal import IndexRange
from veriseal.extend import Tx
from veriseal_inventory import stock_store
from veriseal_inventory import unit_ranges as ur
from veriseal_inventory import warehouse_store as wstore
from veriseal_inventory.models import LocationKind, Posting

Key = tuple[int, int, str, str]  # warehouse, location, gtin, lot


@dataclass(frozen=True)
class Bulk:
    """Postings taking units by quantity, the units they cover, and the units left
    uncovered."""

    postings: list[Posting]
    covered: dict[int, list[IndexRange]]
    uncovered: dict[int, list[IndexRange]]


async def tracked_counts(tx: Tx, warehouse_ids: list[int]) -> dict[Key, int]:
    """Tracked units per place in the warehouses."""
    if not warehouse_ids:
        return {}
    rows = await tx.fetch(
        "SELECT warehouse_id, location_id, gtin, lot,"
        " SUM(last_index - first_index + 1) AS n FROM inventory_units"
        f" WHERE warehouse_id IN ({', '.join('?' * len(warehouse_ids))})"
        " GROUP BY warehouse_id, location_id, gtin, lot",
        *warehouse_ids,
    )
    return {(int(r["warehouse_id"]), int(r["location_id"]), r["gtin"], r["lot"]): int(r["n"])
            for r in rows}  # fmt: skip


async def bulk_of(tx: Tx, warehouse_ids: list[int]) -> dict[Key, int]:
    """Untracked quantity per stock-location place of the warehouses."""
    tracked = await tracked_counts(tx, warehouse_ids)
    out: dict[Key, int] = {}
    for wid in sorted(warehouse_ids):
        stock = {loc.id for loc in await wstore.locations(tx, wid)
                 if loc.kind is LocationKind.STOCK}  # fmt: skip
        for b in await stock_store.balances(tx, wid):
            if b.location_id not in stock:
                continue
            key = (b.warehouse_id, b.location_id, b.gtin, b.lot)
            free = b.on_hand - tracked.get(key, 0)
            if free > 0:
                out[key] = free
    return out


async def take_bulk(tx: Tx, units: Mapping[int, list[IndexRange]], warehouse_ids: list[int],
                    batches: Mapping[int, ItemBatch]) -> Bulk:  # fmt: skip
    """Cover ``units`` from the warehouses' bulk (see the module docstring)."""
    pool = await bulk_of(tx, warehouse_ids)
    taken: dict[Key, int] = {}
    covered: list[tuple[int, IndexRange]] = []
    uncovered: list[tuple[int, IndexRange]] = []
    for batch_id, span in ur.pairs(units):
        batch = batches[batch_id]
        need, first = span.count, span.first
        places = sorted((k for k in pool if k[2] == batch.gtin and pool[k] > 0),
                        key=lambda k: (k[3] != batch.lot, k[3], k[1], k[0]))  # fmt: skip
        for key in places:
            n = min(need, pool[key])
            if n <= 0:
                continue
            pool[key] -= n
            taken[key] = taken.get(key, 0) + n
            covered.append((batch_id, IndexRange(first, first + n - 1)))
            first, need = first + n, need - n
            if need == 0:
                break
        if need:
            uncovered.append((batch_id, IndexRange(first, span.last)))
    postings = [Posting(w, loc, g, lot, -n) for (w, loc, g, lot), n in sorted(taken.items())]
    return Bulk(postings, ur.of_pairs(covered), ur.of_pairs(uncovered))
