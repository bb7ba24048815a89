"""SQL of reservations (table ``inventory_reservations``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.models import Reservation

_COLS = "id, brand_id, reference, warehouse_id, gtin, quantity, remaining, status, expires_at"


def _row(tx: Tx, r: Any) -> Reservation:
    return Reservation(int(r["id"]), int(r["brand_id"]), r["reference"], int(r["warehouse_id"]),
                       r["gtin"], int(r["quantity"]), int(r["remaining"]), r["status"],
                       tx.dialect.timestamp(r["expires_at"]))  # fmt: skip


async def insert(tx: Tx, brand_id: int, reference: str, warehouse_id: int, gtin: str,
                 quantity: int, expires_at: dt.datetime) -> None:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    await tx.execute(
        "INSERT INTO inventory_reservations (brand_id, reference, warehouse_id, gtin,"
        " quantity, remaining, status, expires_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?, ?)",
        brand_id, reference, warehouse_id, gtin, quantity, quantity, expires_at, now, now,
    )  # fmt: skip


async def of_reference(tx: Tx, brand_id: int, reference: str, *, lock: bool = False
                       ) -> list[Reservation]:  # fmt: skip
    suffix = tx.dialect.for_update if lock else ""
    rows = await tx.fetch(
        f"SELECT {_COLS} FROM inventory_reservations WHERE brand_id = ? AND reference = ?"
        f" ORDER BY id{suffix}",
        brand_id, reference,
    )  # fmt: skip
    return [_row(tx, r) for r in rows]


async def close(tx: Tx, reservation_id: int, status: str) -> None:
    await tx.execute(
        "UPDATE inventory_reservations SET status = ?, updated_at = ? WHERE id = ?",
        status, dt.datetime.now(dt.UTC), reservation_id,
    )  # fmt: skip


async def take(tx: Tx, reservation_id: int, n: int) -> None:
    """``n`` units of the reservation shipped: consumed when nothing remains."""
    await tx.execute(
        "UPDATE inventory_reservations SET remaining = remaining - ?, updated_at = ?,"
        " status = CASE WHEN remaining - ? = 0 THEN 'consumed' ELSE status END WHERE id = ?",
        n, dt.datetime.now(dt.UTC), n, reservation_id,
    )  # fmt: skip


async def due(tx: Tx, now: dt.datetime) -> list[tuple[int, str]]:
    """(brand, reference) of held reservations past their expiry."""
    rows = await tx.fetch(
        "SELECT DISTINCT brand_id, reference FROM inventory_reservations"
        " WHERE status = 'held' AND expires_at < ? ORDER BY brand_id, reference",
        now,
    )
    return [(int(r["brand_id"]), r["reference"]) for r in rows]


async def extend(tx: Tx, brand_id: int, reference: str, until: dt.datetime) -> None:
    await tx.execute(
        "UPDATE inventory_reservations SET expires_at = ?, updated_at = ?"
        " WHERE brand_id = ? AND reference = ? AND status = 'held' AND expires_at < ?",
        until, dt.datetime.now(dt.UTC), brand_id, reference, until,
    )  # fmt: skip
