"""The territories shipments waybills belong to.

The consumer :data:`SHIPMENTS` keeps ``logistics_shipments`` from the stream's
``territories.shipped`` events (idempotent: a movement is stored once, whatever is
redelivered). A waybill registered for a shipment (``movement_id``) or for an order
(``reference`` naming an order with exactly one shipment) takes its shipper, receiver
and order number from it; its destination, unless given, is the receiving dealer's
first territory region (territories' ``territories.dealer`` service)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal.extend import Batch, Consumer, PluginContext, Tx


@dataclass(frozen=True, slots=True)
class Shipment:
    movement_id: int
    brand_id: int
    from_org: int | None
    to_org: int
    reference: str
    units: dict[str, int]
    at: dt.datetime


async def _on_shipped(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    for e in batch:
        p = e.payload or {}
        if not isinstance(p.get("to_org"), int):
            continue
        await tx.execute(
            "INSERT INTO logistics_shipments (movement_id, brand_id, from_org, to_org,"
            " reference, units, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            int(e.ref), e.brand_id, p.get("from_org"), p["to_org"],
            str(p.get("reference") or "")[:64], tx.dialect.encode_json(p.get("units") or {}),
            e.at,
        )  # fmt: skip


SHIPMENTS = Consumer("logistics.shipments", frozenset({"territories.shipped"}), _on_shipped)


def _shipment(tx: Tx, r: Any) -> Shipment:
    return Shipment(int(r["movement_id"]), int(r["brand_id"]),
                    None if r["from_org"] is None else int(r["from_org"]), int(r["to_org"]),
                    str(r["reference"]), dict(tx.dialect.decode_json(r["units"])),
                    tx.dialect.timestamp(r["at"]))  # fmt: skip


_COLUMNS = "movement_id, brand_id, from_org, to_org, reference, units, at"


async def by_movement(tx: Tx, brand_id: int, movement_id: int) -> Shipment | None:
    row = await tx.fetchrow(
        f"SELECT {_COLUMNS} FROM logistics_shipments WHERE brand_id = ? AND movement_id = ?",
        brand_id, movement_id,
    )  # fmt: skip
    return None if row is None else _shipment(tx, row)


async def by_reference(tx: Tx, brand_id: int, reference: str) -> list[Shipment]:
    rows = await tx.fetch(
        f"SELECT {_COLUMNS} FROM logistics_shipments WHERE brand_id = ? AND reference = ?"
        " ORDER BY movement_id", brand_id, reference)  # fmt: skip
    return [_shipment(tx, r) for r in rows]
