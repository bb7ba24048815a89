"""SQL of exact fulfilment (tables ``commerce_fulfil_attempts``,
``commerce_fulfilment_receipts``; see :mod:`veriseal_commerce.fulfilment` for the
protocol): rows in, records out. Callers hold the order's row lock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.extend import Tx


@dataclass(frozen=True)
class Attempt:
    """One fulfil call's claim on an order: ``reserved`` (units held back from other
    calls while territories ships them), ``confirmed`` (recorded on the order) or
    ``released`` (the shipment was refused)."""

    id: int
    order_id: int
    client_id: str
    units: dict[str, int]
    status: str


async def attempt(tx: Tx, brand_id: int, actor: str, client_id: str) -> Attempt | None:
    """The attempt of ``actor`` named ``client_id`` in the brand, if any."""
    row = await tx.fetchrow(
        "SELECT id, order_id, client_id, units, status FROM commerce_fulfil_attempts"
        " WHERE brand_id = ? AND actor = ? AND client_id = ?",
        brand_id, actor, client_id,
    )  # fmt: skip
    if row is None:
        return None
    units = {str(g): int(n) for g, n in dict(tx.dialect.decode_json(row["units"])).items()}
    return Attempt(int(row["id"]), int(row["order_id"]), row["client_id"], units, row["status"])


@dataclass(frozen=True)
class NewAttempt:
    brand_id: int
    order_id: int
    actor: str
    client_id: str
    units: dict[str, int]
    at: dt.datetime


async def reserve(tx: Tx, new: NewAttempt, released: Attempt | None) -> Attempt:
    """Reserve ``new.units``: a new attempt, or ``released`` (the same client id, refused
    before) reserved again."""
    units = tx.dialect.encode_json(new.units)
    if released is not None:
        await tx.execute(
            "UPDATE commerce_fulfil_attempts SET units = ?, status = 'reserved', created_at = ?"
            " WHERE id = ?",
            units, new.at, released.id,
        )  # fmt: skip
        return Attempt(released.id, new.order_id, new.client_id, dict(new.units), "reserved")
    attempt_id = await tx.insert_returning_id(
        "commerce_fulfil_attempts",
        {"brand_id": new.brand_id, "order_id": new.order_id, "actor": new.actor,
         "client_id": new.client_id, "units": units, "status": "reserved",
         "created_at": new.at},
    )  # fmt: skip
    return Attempt(attempt_id, new.order_id, new.client_id, dict(new.units), "reserved")


async def reserved_units(tx: Tx, order_id: int) -> dict[str, int]:
    """Units per GTIN that attempts in flight hold back on the order."""
    rows = await tx.fetch(
        "SELECT units FROM commerce_fulfil_attempts WHERE order_id = ? AND status = 'reserved'",
        order_id,
    )
    out: dict[str, int] = {}
    for r in rows:
        for gtin, n in dict(tx.dialect.decode_json(r["units"])).items():
            out[str(gtin)] = out.get(str(gtin), 0) + int(n)
    return out


async def set_status(tx: Tx, attempt_id: int, status: str) -> None:
    """``confirmed`` or ``released``."""
    if status not in ("confirmed", "released"):
        raise ValueError(status)
    await tx.execute(
        "UPDATE commerce_fulfil_attempts SET status = ? WHERE id = ?", status, attempt_id
    )


async def fulfilment_of(tx: Tx, movement_id: int) -> tuple[int, dict[str, int]] | None:
    """(order id, units per GTIN) of the fulfilment territories' ``movement_id`` made."""
    row = await tx.fetchrow(
        "SELECT order_id, units FROM commerce_fulfilments WHERE movement_id = ?", movement_id
    )
    if row is None:
        return None
    units = {str(g): int(n) for g, n in dict(tx.dialect.decode_json(row["units"])).items()}
    return int(row["order_id"]), units


async def received_of(tx: Tx, movement_id: int) -> dict[str, int]:
    """Units per GTIN of the fulfilment ``movement_id`` credited as delivered so far."""
    rows = await tx.fetch(
        "SELECT units FROM commerce_fulfilment_receipts WHERE movement_id = ?", movement_id
    )
    out: dict[str, int] = {}
    for r in rows:
        for gtin, n in dict(tx.dialect.decode_json(r["units"])).items():
            out[str(gtin)] = out.get(str(gtin), 0) + int(n)
    return out


async def has_receipt(tx: Tx, movement_id: int, receipt_id: int) -> bool:
    row = await tx.fetchrow(
        "SELECT id FROM commerce_fulfilment_receipts WHERE movement_id = ? AND receipt_id = ?",
        movement_id, receipt_id,
    )  # fmt: skip
    return row is not None


async def add_receipt(
    tx: Tx, movement_id: int, receipt_id: int, units: dict[str, int], at: dt.datetime
) -> None:
    """Credit ``units`` of the fulfilment ``movement_id`` to the receipt ``receipt_id``;
    the fulfilment is ``delivered`` once every unit it shipped arrived."""
    await tx.execute(
        "INSERT INTO commerce_fulfilment_receipts (movement_id, receipt_id, units)"
        " VALUES (?, ?, ?)",
        movement_id, receipt_id, tx.dialect.encode_json(units),
    )  # fmt: skip
    found = await fulfilment_of(tx, movement_id)
    got = await received_of(tx, movement_id)
    if found is not None and all(got.get(g, 0) >= n for g, n in found[1].items()):
        await tx.execute(
            "UPDATE commerce_fulfilments SET status = 'delivered', delivered_at = ?"
            " WHERE movement_id = ?",
            at, movement_id,
        )  # fmt: skip
