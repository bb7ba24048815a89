"""SQL of stocktakes (tables ``inventory_stocktakes``, ``inventory_stocktake_lines``,
``inventory_stocktake_codes``) and the reads of the stock ledger a count needs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.count_states import CountStatus
from veriseal_inventory.models import Warehouse
from veriseal_inventory.stocktake_input import CountScope
from veriseal_inventory.stocktake_models import CountMode, LineRow, Stocktake
from veriseal_inventory.variance import LineKey

_COLS = (
    "id, brand_id, warehouse_id, mode, blind, status, locations, gtins, watermark,"
    " unit_costs, opened_by, opened_at, submitted_by, submitted_at, reason, decided_by,"
    " decided_at, decision_note, movements"
)


def _stocktake(tx: Tx, r: Any) -> Stocktake:
    def ts(value: Any) -> dt.datetime | None:
        return None if value is None else tx.dialect.timestamp(value)

    opened = ts(r["opened_at"])
    assert opened is not None
    return Stocktake(
        int(r["id"]), int(r["brand_id"]), int(r["warehouse_id"]), CountMode(r["mode"]),
        bool(r["blind"]), CountStatus(r["status"]), tuple(json.loads(r["locations"])),
        tuple(json.loads(r["gtins"])), int(r["watermark"]), json.loads(r["unit_costs"]),
        r["opened_by"], opened, r["submitted_by"], ts(r["submitted_at"]), r["reason"],
        r["decided_by"], ts(r["decided_at"]), r["decision_note"], int(r["movements"]),
    )  # fmt: skip


async def insert(tx: Tx, w: Warehouse, mode: CountMode, blind: bool, scope: CountScope,
                 watermark: int, actor: str) -> int | None:  # fmt: skip
    """The new count's id; None when the warehouse has an active count already."""
    row = await tx.fetchrow(
        "INSERT INTO inventory_stocktakes (brand_id, warehouse_id, mode, blind, status,"
        " locations, gtins, watermark, opened_by, opened_at)"
        " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        w.brand_id, w.id, str(mode), 1 if blind else 0, json.dumps(list(scope.location_ids)),
        json.dumps(list(scope.gtins)), watermark, actor, dt.datetime.now(dt.UTC),
    )  # fmt: skip
    return None if row is None else int(row["id"])


async def insert_lines(tx: Tx, stocktake_id: int, frozen: dict[LineKey, int]) -> None:
    await tx.executemany(
        "INSERT INTO inventory_stocktake_lines (stocktake_id, location_id, gtin, lot, frozen)"
        " VALUES (?, ?, ?, ?, ?)",
        [(stocktake_id, *key, qty) for key, qty in sorted(frozen.items())],
    )


async def get(tx: Tx, stocktake_id: int, *, lock: bool = False) -> Stocktake | None:
    """One count (``lock``: its row held until the transaction ends)."""
    row = await tx.fetchrow(
        f"SELECT {_COLS} FROM inventory_stocktakes WHERE id = ?"
        + (tx.dialect.for_update if lock else ""),
        stocktake_id,
    )
    return None if row is None else _stocktake(tx, row)


async def listed(tx: Tx, brand_id: int, warehouse_ids: Sequence[int],
                 status: CountStatus | None, limit: int) -> list[Stocktake]:  # fmt: skip
    """The counts of these warehouses, newest first."""
    if not warehouse_ids:
        return []
    sql = (f"SELECT {_COLS} FROM inventory_stocktakes WHERE brand_id = ?"
           f" AND warehouse_id IN ({', '.join('?' * len(warehouse_ids))})")  # fmt: skip
    args: list[Any] = [brand_id, *warehouse_ids]
    if status is not None:
        sql += " AND status = ?"
        args.append(str(status))
    rows = await tx.fetch(sql + " ORDER BY id DESC LIMIT ?", *args, limit)
    return [_stocktake(tx, r) for r in rows]


async def lines(tx: Tx, stocktake_id: int) -> list[LineRow]:
    rows = await tx.fetch(
        "SELECT location_id, gtin, lot, frozen, counted, expected_at_count, source,"
        " counted_by FROM inventory_stocktake_lines WHERE stocktake_id = ?"
        " ORDER BY location_id, gtin, lot",
        stocktake_id,
    )
    return [
        LineRow(int(r["location_id"]), r["gtin"], r["lot"], int(r["frozen"]),
                None if r["counted"] is None else int(r["counted"]),
                None if r["expected_at_count"] is None else int(r["expected_at_count"]),
                r["source"], r["counted_by"])
        for r in rows
    ]  # fmt: skip


async def set_count(tx: Tx, stocktake_id: int, key: LineKey, counted: int, expected: int,
                    source: str, actor: str) -> None:  # fmt: skip
    """Record the latest counted figure of a line (a line not frozen starts at 0)."""
    await tx.execute(
        "INSERT INTO inventory_stocktake_lines (stocktake_id, location_id, gtin, lot, frozen,"
        " counted, expected_at_count, source, counted_by, counted_at)"
        " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)"
        " ON CONFLICT (stocktake_id, location_id, gtin, lot) DO UPDATE SET"
        " counted = excluded.counted, expected_at_count = excluded.expected_at_count,"
        " source = excluded.source, counted_by = excluded.counted_by,"
        " counted_at = excluded.counted_at",
        stocktake_id, *key, counted, expected, source, actor, dt.datetime.now(dt.UTC),
    )  # fmt: skip


async def add_codes(tx: Tx, stocktake_id: int,
                    units: Iterable[tuple[int, int, LineKey]]) -> int:  # fmt: skip
    """Record scanned units (batch id, index, line); those scanned before are kept where
    they were first counted. The number of units new to the count."""
    before = await _codes_total(tx, stocktake_id)
    await tx.executemany(
        "INSERT INTO inventory_stocktake_codes (stocktake_id, batch_id, idx, location_id,"
        " gtin, lot) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(stocktake_id, batch_id, idx, *key) for batch_id, idx, key in units],
    )
    return await _codes_total(tx, stocktake_id) - before


async def _codes_total(tx: Tx, stocktake_id: int) -> int:
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM inventory_stocktake_codes WHERE stocktake_id = ?",
        stocktake_id,
    )
    return 0 if row is None else int(row["n"])


async def code_counts(tx: Tx, stocktake_id: int, keys: Iterable[LineKey]) -> dict[LineKey, int]:
    """Units scanned per line, for ``keys``."""
    out = {}
    for key in sorted(set(keys)):
        row = await tx.fetchrow(
            "SELECT COUNT(*) AS n FROM inventory_stocktake_codes WHERE stocktake_id = ?"
            " AND location_id = ? AND gtin = ? AND lot = ?",
            stocktake_id, *key,
        )  # fmt: skip
        out[key] = 0 if row is None else int(row["n"])
    return out


async def transition(tx: Tx, stocktake_id: int, before: CountStatus, after: CountStatus,
                     **fields: Any) -> bool:  # fmt: skip
    """Move the count from ``before`` to ``after`` setting ``fields``; False when it was
    no longer in ``before`` (a concurrent decision won)."""
    sets = "".join(f", {name} = ?" for name in fields)
    row = await tx.fetchrow(
        f"UPDATE inventory_stocktakes SET status = ?{sets} WHERE id = ? AND status = ?"
        " RETURNING id",
        str(after), *fields.values(), stocktake_id, str(before),
    )  # fmt: skip
    return row is not None


# -- the stock ledger as a count reads it ----------------------------------------------
async def lock_levels(tx: Tx, warehouse_id: int) -> None:
    """Hold the warehouse's level rows until the transaction ends. Every post locks its
    level rows first, so a freeze taken after this sees no post half-way (and takes the
    rows in the posts' own order: warehouse, then product, so nothing deadlocks)."""
    await tx.fetch(
        "SELECT gtin FROM inventory_levels WHERE warehouse_id = ? ORDER BY gtin"
        + tx.dialect.for_update,
        warehouse_id,
    )


async def last_movement(tx: Tx) -> int:
    row = await tx.fetchrow("SELECT MAX(id) AS m FROM inventory_movements")
    return 0 if row is None or row["m"] is None else int(row["m"])


async def on_hand(tx: Tx, warehouse_id: int) -> dict[LineKey, int]:
    """Every line of the warehouse with stock on hand."""
    rows = await tx.fetch(
        "SELECT location_id, gtin, lot, on_hand FROM inventory_balances"
        " WHERE warehouse_id = ? AND on_hand <> 0",
        warehouse_id,
    )
    return {LineKey(int(r["location_id"]), r["gtin"], r["lot"]): int(r["on_hand"])
            for r in rows}  # fmt: skip


async def on_hand_of(tx: Tx, warehouse_id: int, key: LineKey) -> int:
    row = await tx.fetchrow(
        "SELECT on_hand FROM inventory_balances WHERE warehouse_id = ? AND location_id = ?"
        " AND gtin = ? AND lot = ?",
        warehouse_id, *key,
    )  # fmt: skip
    return 0 if row is None else int(row["on_hand"])


async def moved_since(tx: Tx, warehouse_id: int, watermark: int) -> set[LineKey]:
    """Lines of the warehouse an on-hand movement touched after ``watermark``."""
    rows = await tx.fetch(
        "SELECT DISTINCT location_id, gtin, lot FROM inventory_movements"
        " WHERE warehouse_id = ? AND id > ? AND quantity <> 0",
        warehouse_id, watermark,
    )  # fmt: skip
    return {LineKey(int(r["location_id"]), r["gtin"], r["lot"]) for r in rows}
