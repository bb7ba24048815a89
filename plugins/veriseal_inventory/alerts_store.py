"""SQL of safety-stock settings and low-stock alerts (``inventory_settings``,
``inventory_low_stock``) and the outflow read behind velocities.

Writes take the caller's transaction, so the service (and the ledger's ``after_post``
listener) decide what is atomic. No permission checks here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.replenish import Policy

Row = Mapping[str, Any]

_POLICY = ("safety_stock", "reorder_point", "reorder_qty", "lead_time_days", "review_days",
           "pack_size")  # fmt: skip
_SETTING = ("id", "brand_id", "warehouse_id", "gtin", *_POLICY, "updated_at", "updated_by")
_ALERT = ("id", "brand_id", "warehouse_id", "gtin", "safety_stock", "close_at", "opened_at",
          "opened_level", "closed_at", "closed_level", "open_notified",
          "close_notified")  # fmt: skip
#: movement kinds whose negative quantities are goods leaving the warehouse to a buyer
#: (transfers and adjustments are not sales: they do not count towards a velocity)
SALES_KINDS = ("outbound", "consume")


@dataclass(frozen=True)
class Setting:
    """The policy of a product in one warehouse (``warehouse_id`` None: the brand's
    default for every warehouse of the brand)."""

    brand_id: int
    warehouse_id: int | None
    gtin: str
    policy: Policy
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    id: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "warehouse_id": self.warehouse_id, "gtin": self.gtin,
            **{k: getattr(self.policy, k) for k in _POLICY},
            "updated_at": None if self.updated_at is None else self.updated_at.isoformat(),
            "updated_by": self.updated_by,
        }  # fmt: skip


@dataclass(frozen=True)
class LowStock:
    """One low-stock alert: open while ``closed_at`` is None."""

    id: int
    brand_id: int
    warehouse_id: int
    gtin: str
    safety_stock: int
    close_at: int
    opened_at: dt.datetime
    opened_level: int
    closed_at: dt.datetime | None
    closed_level: int | None
    open_notified: bool = False
    close_notified: bool = False

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "warehouse_id": self.warehouse_id, "gtin": self.gtin,
            "safety_stock": self.safety_stock, "close_at": self.close_at,
            "opened_at": self.opened_at.isoformat(), "opened_level": self.opened_level,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "closed_level": self.closed_level, "open": self.is_open,
        }  # fmt: skip


def _setting(tx: Tx, r: Row) -> Setting:
    return Setting(
        brand_id=int(r["brand_id"]),
        warehouse_id=None if r["warehouse_id"] is None else int(r["warehouse_id"]),
        gtin=str(r["gtin"]),
        policy=Policy(**{k: int(r[k]) for k in _POLICY}),
        updated_at=tx.dialect.timestamp(r["updated_at"]),
        updated_by=str(r["updated_by"]),
        id=int(r["id"]),
    )


def _alert(tx: Tx, r: Row) -> LowStock:
    closed = r["closed_at"]
    return LowStock(
        id=int(r["id"]),
        brand_id=int(r["brand_id"]),
        warehouse_id=int(r["warehouse_id"]),
        gtin=str(r["gtin"]),
        safety_stock=int(r["safety_stock"]),
        close_at=int(r["close_at"]),
        opened_at=tx.dialect.timestamp(r["opened_at"]),
        opened_level=int(r["opened_level"]),
        closed_at=None if closed is None else tx.dialect.timestamp(closed),
        closed_level=None if r["closed_level"] is None else int(r["closed_level"]),
        open_notified=r["open_notified"] is not None,
        close_notified=r["close_notified"] is not None,
    )


def _in(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


# -- settings ----------------------------------------------------------------------------


async def settings(
    tx: Tx, brand_id: int, *, gtin: str | None = None, warehouse_id: int | None = None
) -> list[Setting]:
    """The brand's setting rows (defaults and per warehouse), optionally of one product
    and (``warehouse_id``) of that warehouse plus the defaults."""
    sql = "SELECT " + ", ".join(_SETTING) + " FROM inventory_settings WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if gtin is not None:
        sql += " AND gtin = ?"
        args.append(gtin)
    if warehouse_id is not None:
        sql += " AND (warehouse_id IS NULL OR warehouse_id = ?)"
        args.append(warehouse_id)
    sql += " ORDER BY gtin, warehouse_id IS NOT NULL, warehouse_id"
    return [_setting(tx, r) for r in await tx.fetch(sql, *args)]


async def effective(
    tx: Tx, brand_id: int, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], Setting]:
    """The setting that applies to each (warehouse, gtin) that has one: the warehouse's
    own row, else the brand's default row of the product."""
    wanted = sorted(set(keys))
    gtins = sorted({g for _, g in wanted})
    if not gtins:
        return {}
    found = await tx.fetch(
        "SELECT " + ", ".join(_SETTING) + " FROM inventory_settings"
        " WHERE brand_id = ? AND gtin IN " + _in(gtins),
        brand_id,
        *gtins,
    )
    rows = {(r["warehouse_id"], str(r["gtin"])): r for r in found}
    out: dict[tuple[int, str], Setting] = {}
    for warehouse_id, gtin in wanted:
        r = rows.get((warehouse_id, gtin)) or rows.get((None, gtin))
        if r is not None:
            out[(warehouse_id, gtin)] = _setting(tx, r)
    return out


async def save_setting(tx: Tx, s: Setting, at: dt.datetime, actor: str) -> int:
    """Insert or replace the row of (brand, warehouse or default, gtin); its id."""
    scope = "warehouse_id IS NULL" if s.warehouse_id is None else "warehouse_id = ?"
    key: list[Any] = [] if s.warehouse_id is None else [s.warehouse_id]
    values = {k: getattr(s.policy, k) for k in _POLICY}
    found = await tx.fetchrow(
        f"SELECT id FROM inventory_settings WHERE brand_id = ? AND gtin = ? AND {scope}"
        + tx.dialect.for_update,
        s.brand_id,
        s.gtin,
        *key,
    )
    if found is not None:
        await tx.execute(
            "UPDATE inventory_settings SET "
            + ", ".join(f"{k} = ?" for k in values)
            + ", updated_at = ?, updated_by = ? WHERE id = ?",
            *values.values(),
            at,
            actor,
            found["id"],
        )
        return int(found["id"])
    return await tx.insert_returning_id(
        "inventory_settings",
        {"brand_id": s.brand_id, "warehouse_id": s.warehouse_id, "gtin": s.gtin, **values,
         "updated_at": at, "updated_by": actor},
    )  # fmt: skip


async def delete_setting(tx: Tx, brand_id: int, warehouse_id: int | None, gtin: str) -> bool:
    scope = "warehouse_id IS NULL" if warehouse_id is None else "warehouse_id = ?"
    key: list[Any] = [] if warehouse_id is None else [warehouse_id]
    found = await tx.fetchrow(
        f"SELECT id FROM inventory_settings WHERE brand_id = ? AND gtin = ? AND {scope}",
        brand_id,
        gtin,
        *key,
    )
    if found is None:
        return False
    await tx.execute("DELETE FROM inventory_settings WHERE id = ?", found["id"])
    return True


# -- alerts ------------------------------------------------------------------------------


async def open_alerts(
    tx: Tx, keys: Iterable[tuple[int, str]], *, lock: bool = False
) -> dict[tuple[int, str], LowStock]:
    """The open alerts among ``keys`` (``lock``: rows held until the transaction ends;
    the ledger already holds the levels rows of these keys, so this adds no new order)."""
    wanted = sorted(set(keys))
    out: dict[tuple[int, str], LowStock] = {}
    for warehouse_id in sorted({w for w, _ in wanted}):
        gtins = [g for w, g in wanted if w == warehouse_id]
        found = await tx.fetch(
            "SELECT " + ", ".join(_ALERT) + " FROM inventory_low_stock"
            " WHERE warehouse_id = ? AND closed_at IS NULL AND gtin IN " + _in(gtins)
            + " ORDER BY gtin" + (tx.dialect.for_update if lock else ""),
            warehouse_id,
            *gtins,
        )  # fmt: skip
        for r in found:
            out[(warehouse_id, str(r["gtin"]))] = _alert(tx, r)
    return out


@dataclass(frozen=True)
class Opening:
    brand_id: int
    warehouse_id: int
    gtin: str
    safety_stock: int
    close_at: int
    level: int


async def open_alert(tx: Tx, o: Opening, at: dt.datetime) -> int:
    return await tx.insert_returning_id(
        "inventory_low_stock",
        {"brand_id": o.brand_id, "warehouse_id": o.warehouse_id, "gtin": o.gtin,
         "safety_stock": o.safety_stock, "close_at": o.close_at, "opened_at": at,
         "opened_level": o.level},
    )  # fmt: skip


async def close_alert(tx: Tx, alert_id: int, at: dt.datetime, level: int) -> None:
    await tx.execute(
        "UPDATE inventory_low_stock SET closed_at = ?, closed_level = ?"
        " WHERE id = ? AND closed_at IS NULL",
        at,
        level,
        alert_id,
    )


async def alerts(
    tx: Tx,
    brand_id: int,
    *,
    warehouse_ids: Sequence[int] | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> list[LowStock]:
    """The brand's alerts, newest first (``warehouse_ids``: only those warehouses)."""
    sql = "SELECT " + ", ".join(_ALERT) + " FROM inventory_low_stock WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if warehouse_ids is not None:
        if not warehouse_ids:
            return []
        sql += " AND warehouse_id IN " + _in(warehouse_ids)
        args.extend(warehouse_ids)
    if open_only:
        sql += " AND closed_at IS NULL"
    sql += " ORDER BY opened_at DESC, id DESC LIMIT ?"
    return [_alert(tx, r) for r in await tx.fetch(sql, *args, limit)]


async def unsent(tx: Tx, limit: int) -> list[LowStock]:
    """Alerts whose opening or closing notice has not gone out, oldest first."""
    found = await tx.fetch(
        "SELECT " + ", ".join(_ALERT) + " FROM inventory_low_stock WHERE open_notified IS NULL"
        " OR (closed_at IS NOT NULL AND close_notified IS NULL) ORDER BY id LIMIT ?",
        limit,
    )
    return [_alert(tx, r) for r in found]


async def locked(tx: Tx, alert_id: int) -> LowStock | None:
    """One alert, its row held until the transaction ends (the sender's claim)."""
    found = await tx.fetchrow(
        "SELECT "
        + ", ".join(_ALERT)
        + " FROM inventory_low_stock WHERE id = ?"
        + tx.dialect.for_update,
        alert_id,
    )
    return None if found is None else _alert(tx, found)


async def mark_notified(tx: Tx, alert_id: int, column: str, at: dt.datetime) -> None:
    assert column in ("open_notified", "close_notified")
    await tx.execute(f"UPDATE inventory_low_stock SET {column} = ? WHERE id = ?", at, alert_id)


# -- outflow -----------------------------------------------------------------------------


async def outflow(
    tx: Tx, warehouse_id: int, gtins: Sequence[str], since: dt.datetime
) -> dict[str, list[tuple[dt.datetime, int]]]:
    """Units sold out of the warehouse per product since ``since``: (effective time,
    units) of each sales movement (see :data:`SALES_KINDS`), oldest first."""
    if not gtins:
        return {}
    found = await tx.fetch(
        "SELECT gtin, at, quantity FROM inventory_movements WHERE warehouse_id = ?"
        " AND kind IN " + _in(SALES_KINDS) + " AND quantity < 0 AND at >= ?"
        " AND gtin IN " + _in(gtins) + " ORDER BY at, id",
        warehouse_id,
        *SALES_KINDS,
        since,
        *gtins,
    )
    out: dict[str, list[tuple[dt.datetime, int]]] = {g: [] for g in gtins}
    for r in found:
        out[str(r["gtin"])].append((tx.dialect.timestamp(r["at"]), -int(r["quantity"])))
    return out
