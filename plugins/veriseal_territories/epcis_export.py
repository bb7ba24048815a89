"""Shipments and receipts as EPCIS 2.0 events (the ``epcis_events`` hook).

Every movement (:mod:`veriseal_territories.shipments`) that moved goods is one
``ObjectEvent``, action ``OBSERVE``:

- a shipment (scan-out): bizStep ``shipping``, disposition ``in_transit``; sourceList:
  the shipper, destinationList: the consignee;
- a receipt (scan-in): bizStep ``receiving``, disposition ``in_progress``; sourceList:
  where the goods came from, destinationList: the receiver. The source is the dealer
  the goods were taken from; for goods shipped to the receiver, the shipper of the
  latest shipment to the receiver that named each range before the receipt (several
  shippers may be listed); for goods nobody had shipped, the brand's own organisation;
- a take-back (the brand takes goods back from a dealer, a return): bizStep
  ``receiving``, disposition ``returned`` (CBV: the object was sent back by a party
  further down the chain); sourceList: the dealer, destinationList: the brand's own
  organisation.

A party is named by its organisation, as ``owning_party``, ``possessing_party`` and
``location`` (CBV source/destination types), with :func:`org_urn`:
``urn:veriseal:org:<brand slug>:<org id>``. Organisations carry no GLN in the data
model; organisation ids are never reused, so the URN is stable across exports.

``epcList``: every item the movement moved, as the core writes items (GS1 Digital Link
URIs; the items inside a scanned case or pallet too: holdings are item-level), then the
SSCCs of the cases and pallets that were scanned. A receipt that moved nothing (all of it
received before) is not an event. Events come in event-time order (then movement id),
read a page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from veriseal import BatchRange, Brand, EpcisEvent, IndexRange
from veriseal.extend import PluginContext
from veriseal_territories import ranges
from veriseal_territories.grants import row_time

PAGE = 500
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
_STEP = {
    "out": ("shipping", "in_transit"),
    "in": ("receiving", "in_progress"),
    "back": ("receiving", "returned"),
}


def org_urn(brand: Brand, org_id: int) -> str:
    """The EPCIS identifier of one of the brand's organisations (module docstring)."""
    return f"urn:veriseal:org:{brand.slug}:{org_id}"


def parties(brand: Brand, org_ids: Sequence[int], key: str) -> list[dict[str, str]]:
    """A sourceList / destinationList (``key``: ``source`` or ``destination``)."""
    return [
        {"type": kind, key: org_urn(brand, org)}
        for org in org_ids
        for kind in ("owning_party", "possessing_party", "location")
    ]


async def events(
    ctx: PluginContext, brand: Brand, since: dt.datetime | None, until: dt.datetime | None
) -> AsyncIterator[EpcisEvent]:
    """The brand's movements with ``at`` in ``[since, until)`` as EPCIS events."""
    root = (await ctx.brand_org(brand)).id
    after_at, after_id = since or _EPOCH, 0
    end = until or _FAR
    while True:
        async with ctx.db.read() as tx:
            found = await tx.fetch(
                "SELECT id, kind, from_org, to_org, at FROM territories_movements"
                " WHERE brand_id = ? AND items > 0 AND at < ?"
                " AND (at > ? OR (at = ? AND id > ?)) ORDER BY at, id LIMIT ?",
                brand.id,
                end,
                after_at,
                after_at,
                after_id,
                PAGE,
            )
            page = []
            for row in found:
                movement_id = int(row["id"])
                items = await _ranges(tx, movement_id)
                units = await tx.fetch(
                    "SELECT sscc FROM territories_movement_units WHERE movement_id = ?"
                    " ORDER BY sscc",
                    movement_id,
                )
                to_org = int(row["to_org"])
                if row["from_org"] is not None:
                    sources = [int(row["from_org"])]
                else:
                    sources = await _shippers(tx, brand.id, movement_id, to_org, items, root)
                page.append(
                    _event(brand, row, items, [str(u["sscc"]) for u in units], sources, to_org)
                )
        for event in page:
            yield event
        if len(found) < PAGE:
            return
        after_at, after_id = found[-1]["at"], int(found[-1]["id"])


def _event(
    brand: Brand,
    row: Any,
    items: dict[int, list[IndexRange]],
    units: list[str],
    sources: list[int],
    to_org: int,
) -> EpcisEvent:
    step, disposition = _STEP[str(row["kind"])]
    return EpcisEvent(
        key=f"movement/{int(row['id'])}",
        event_time=row_time(row["at"]),
        fields={
            "action": "OBSERVE",
            "bizStep": step,
            "disposition": disposition,
            "sourceList": parties(brand, sources, "source"),
            "destinationList": parties(brand, [to_org], "destination"),
        },
        items=tuple(
            BatchRange(batch_id, r.first, r.last)
            for batch_id, spans in sorted(items.items())
            for r in spans
        ),
        units=tuple(units),
    )


async def _ranges(tx: Any, movement_id: int) -> dict[int, list[IndexRange]]:
    found = await tx.fetch(
        "SELECT batch_id, first_index, last_index FROM territories_movement_ranges"
        " WHERE movement_id = ? ORDER BY batch_id, first_index",
        movement_id,
    )
    out: dict[int, list[IndexRange]] = {}
    for r in found:
        out.setdefault(int(r["batch_id"]), []).append(
            IndexRange(int(r["first_index"]), int(r["last_index"]))
        )
    return out


async def _shippers(
    tx: Any,
    brand_id: int,
    receipt_id: int,
    receiver: int,
    items: dict[int, list[IndexRange]],
    root: int,
) -> list[int]:
    """Who shipped a receipt's goods to ``receiver``: per range, the latest shipment to
    it before the receipt that named the range; the brand's org for goods never shipped.
    In order of first appearance."""
    found: list[int] = []
    for batch_id, spans in sorted(items.items()):
        rest = ranges.normalise(spans)
        shipments = await tx.fetch(
            "SELECT m.from_org, r.first_index, r.last_index FROM territories_movements m"
            " JOIN territories_movement_ranges r ON r.movement_id = m.id"
            " WHERE m.brand_id = ? AND m.to_org = ? AND m.kind = 'out' AND m.id < ?"
            " AND r.batch_id = ? AND r.first_index <= ? AND r.last_index >= ?"
            " ORDER BY m.id DESC",
            brand_id,
            receiver,
            receipt_id,
            batch_id,
            rest[-1].last,
            rest[0].first,
        )
        for s in shipments:
            if not rest:
                break
            span = [IndexRange(int(s["first_index"]), int(s["last_index"]))]
            if ranges.intersect(rest, span):
                found.append(int(s["from_org"]))
                rest = ranges.subtract(rest, span)
        if rest:
            found.append(root)
    return list(dict.fromkeys(found))
