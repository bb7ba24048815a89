"""SQL of warehouses and locations (tables ``inventory_warehouses``,
``inventory_locations``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.models import STANDARD_LOCATIONS, Location, LocationKind, Warehouse

_COLS = "id, brand_id, org_id, code, name, address, is_default, created_at"


def _warehouse(tx: Tx, row: Any) -> Warehouse:
    return Warehouse(
        int(row["id"]), int(row["brand_id"]), int(row["org_id"]), row["code"], row["name"],
        row["address"], bool(row["is_default"]), tx.dialect.timestamp(row["created_at"]),
    )  # fmt: skip


def _location(row: Any) -> Location:
    return Location(int(row["id"]), int(row["warehouse_id"]), row["code"],
                    LocationKind(row["kind"]))  # fmt: skip


async def get(tx: Tx, warehouse_id: int) -> Warehouse | None:
    row = await tx.fetchrow(f"SELECT {_COLS} FROM inventory_warehouses WHERE id = ?",
                            warehouse_id)  # fmt: skip
    return None if row is None else _warehouse(tx, row)


async def by_code(tx: Tx, brand_id: int, code: str) -> Warehouse | None:
    row = await tx.fetchrow(
        f"SELECT {_COLS} FROM inventory_warehouses WHERE brand_id = ? AND code = ?",
        brand_id, code,
    )  # fmt: skip
    return None if row is None else _warehouse(tx, row)


async def default_of(tx: Tx, brand_id: int, org_id: int) -> Warehouse | None:
    row = await tx.fetchrow(
        f"SELECT {_COLS} FROM inventory_warehouses"
        " WHERE brand_id = ? AND org_id = ? AND is_default = 1",
        brand_id, org_id,
    )  # fmt: skip
    return None if row is None else _warehouse(tx, row)


async def of_brand(tx: Tx, brand_id: int, org_ids: list[int] | None = None) -> list[Warehouse]:
    """The brand's warehouses in id order (``org_ids``: only those organisations')."""
    sql = f"SELECT {_COLS} FROM inventory_warehouses WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if org_ids is not None:
        if not org_ids:
            return []
        sql += f" AND org_id IN ({', '.join('?' * len(org_ids))})"
        args += org_ids
    return [_warehouse(tx, r) for r in await tx.fetch(sql + " ORDER BY id", *args)]


async def insert(tx: Tx, brand_id: int, org_id: int, code: str, name: str, address: str,
                 *, is_default: bool) -> int | None:  # fmt: skip
    """The new warehouse's id with its standard locations, or None when a warehouse with
    the code (or the organisation's default) exists already: a concurrent creator won."""
    row = await tx.fetchrow(
        "INSERT INTO inventory_warehouses (brand_id, org_id, code, name, address, is_default,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        brand_id, org_id, code, name, address, 1 if is_default else 0, dt.datetime.now(dt.UTC),
    )  # fmt: skip
    if row is None:
        return None
    warehouse_id = int(row["id"])
    await tx.executemany(
        "INSERT INTO inventory_locations (warehouse_id, code, kind) VALUES (?, ?, ?)",
        [(warehouse_id, code, str(kind)) for code, kind in STANDARD_LOCATIONS],
    )
    return warehouse_id


async def locations(tx: Tx, warehouse_id: int) -> list[Location]:
    rows = await tx.fetch(
        "SELECT id, warehouse_id, code, kind FROM inventory_locations WHERE warehouse_id = ?"
        " ORDER BY id",
        warehouse_id,
    )
    return [_location(r) for r in rows]


async def locations_by_id(tx: Tx, ids: list[int]) -> dict[int, Location]:
    if not ids:
        return {}
    rows = await tx.fetch(
        "SELECT id, warehouse_id, code, kind FROM inventory_locations"
        f" WHERE id IN ({', '.join('?' * len(ids))})",
        *ids,
    )
    return {int(r["id"]): _location(r) for r in rows}


async def add_location(tx: Tx, warehouse_id: int, code: str, kind: LocationKind) -> int | None:
    row = await tx.fetchrow(
        "INSERT INTO inventory_locations (warehouse_id, code, kind) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        warehouse_id, code, str(kind),
    )  # fmt: skip
    return None if row is None else int(row["id"])
