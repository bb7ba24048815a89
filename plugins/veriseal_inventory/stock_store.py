"""SQL of the read side: levels, balances and movements as records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.models import Balance, Level, Movement


@dataclass(frozen=True)
class MovementQuery:
    warehouse_ids: list[int] | None = None  # None: every warehouse of the brand
    gtin: str | None = None
    document: str | None = None
    before_id: int | None = None  # paging: movements older than this one
    limit: int = 100


def _level(row: Any) -> Level:
    return Level(int(row["warehouse_id"]), row["gtin"], int(row["sellable"]),
                 int(row["reserved"]), int(row["quarantine"]), int(row["rejected"]))  # fmt: skip


def _in(column: str, values: list[int]) -> str:
    return f"{column} IN ({', '.join('?' * len(values))})"


async def levels(tx: Tx, brand_id: int, warehouse_ids: list[int], gtin: str | None = None
                 ) -> list[Level]:  # fmt: skip
    """Levels of the warehouses (one product's, or all), by warehouse then product."""
    if not warehouse_ids:
        return []
    sql = ("SELECT warehouse_id, gtin, sellable, reserved, quarantine, rejected"
           " FROM inventory_levels WHERE brand_id = ? AND "
           + _in("warehouse_id", warehouse_ids))  # fmt: skip
    args: list[Any] = [brand_id, *warehouse_ids]
    if gtin is not None:
        sql += " AND gtin = ?"
        args.append(gtin)
    rows = await tx.fetch(sql + " ORDER BY warehouse_id, gtin", *args)
    return [_level(r) for r in rows]


async def product_levels(tx: Tx, brand_id: int, gtin: str) -> list[Level]:
    """One product's level in every warehouse of the brand (index ``levels_product``)."""
    rows = await tx.fetch(
        "SELECT warehouse_id, gtin, sellable, reserved, quarantine, rejected"
        " FROM inventory_levels WHERE brand_id = ? AND gtin = ? ORDER BY warehouse_id",
        brand_id, gtin,
    )  # fmt: skip
    return [_level(r) for r in rows]


async def balances(tx: Tx, warehouse_id: int, gtin: str | None = None) -> list[Balance]:
    sql = ("SELECT warehouse_id, location_id, gtin, lot, on_hand, reserved"
           " FROM inventory_balances WHERE warehouse_id = ?"
           " AND (on_hand <> 0 OR reserved <> 0)")  # fmt: skip
    args: list[Any] = [warehouse_id]
    if gtin is not None:
        sql += " AND gtin = ?"
        args.append(gtin)
    rows = await tx.fetch(sql + " ORDER BY gtin, location_id, lot", *args)
    return [Balance(int(r["warehouse_id"]), int(r["location_id"]), r["gtin"], r["lot"],
                    int(r["on_hand"]), int(r["reserved"])) for r in rows]  # fmt: skip


async def movements(tx: Tx, brand_id: int, q: MovementQuery) -> list[Movement]:
    """Newest first."""
    sql = ("SELECT m.id, m.post_id, m.kind, m.warehouse_id, m.location_id, m.gtin, m.lot,"
           " m.quantity, m.reserved, m.at, p.document, p.reason, p.actor, p.recorded_at"
           " FROM inventory_movements m JOIN inventory_posts p ON p.id = m.post_id"
           " WHERE m.brand_id = ?")  # fmt: skip
    args: list[Any] = [brand_id]
    if q.warehouse_ids is not None:
        if not q.warehouse_ids:
            return []
        sql += " AND " + _in("m.warehouse_id", q.warehouse_ids)
        args += q.warehouse_ids
    for clause, value in (("m.gtin = ?", q.gtin), ("p.document = ?", q.document),
                          ("m.id < ?", q.before_id)):  # fmt: skip
        if value is not None:
            sql += f" AND {clause}"
            args.append(value)
    rows = await tx.fetch(sql + " ORDER BY m.id DESC LIMIT ?", *args, q.limit)
    return [
        Movement(int(r["id"]), int(r["post_id"]), r["kind"], int(r["warehouse_id"]),
                 int(r["location_id"]), r["gtin"], r["lot"], int(r["quantity"]),
                 int(r["reserved"]), tx.dialect.timestamp(r["at"]), r["document"],
                 r["reason"], r["actor"], tx.dialect.timestamp(r["recorded_at"]))
        for r in rows
    ]  # fmt: skip
