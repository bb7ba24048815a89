"""SQL of the stock ledger: posts, movements and the two caches (balances, levels).

Rows of the caches are locked in one fixed order (levels by (warehouse, product), then
balances by (warehouse, location, product, lot)) so concurrent posts queue instead of
deadlocking; SQLite has one writer and needs no row locks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.models import Meta, Posting

BalanceKey = tuple[int, int, str, str]  # warehouse, location, gtin, lot
LevelKey = tuple[int, str]  # warehouse, gtin
#: the level column each location kind counts into
LEVEL_COLUMN = {"stock": "sellable", "quarantine": "quarantine", "rejected": "rejected"}


async def insert_post(tx: Tx, brand_id: int, meta: Meta, at: dt.datetime,
                      now: dt.datetime) -> int | None:  # fmt: skip
    """The new post's id, or None when ``meta.client_id`` was posted before."""
    row = await tx.fetchrow(
        "INSERT INTO inventory_posts (brand_id, kind, document, reason, actor, at,"
        " recorded_at, client_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        brand_id, str(meta.kind), meta.document, meta.reason, meta.actor, at, now,
        meta.client_id,
    )  # fmt: skip
    return None if row is None else int(row["id"])


async def replayed(tx: Tx, brand_id: int, client_id: str) -> list[int]:
    """The movement ids of the post made earlier under ``client_id``."""
    rows = await tx.fetch(
        "SELECT m.id FROM inventory_movements m JOIN inventory_posts p ON p.id = m.post_id"
        " WHERE p.brand_id = ? AND p.client_id = ? ORDER BY m.id",
        brand_id, client_id,
    )  # fmt: skip
    return [int(r["id"]) for r in rows]


async def lock_levels(tx: Tx, brand_id: int, keys: Sequence[LevelKey]) -> dict[LevelKey, Any]:
    """Create missing level rows, then lock every row of ``keys`` in sorted order."""
    out: dict[LevelKey, Any] = {}
    for warehouse_id, gtin in sorted(set(keys)):
        await tx.execute(
            "INSERT INTO inventory_levels (warehouse_id, gtin, brand_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            warehouse_id, gtin, brand_id,
        )  # fmt: skip
        out[(warehouse_id, gtin)] = await tx.fetchrow(
            "SELECT sellable, reserved, quarantine, rejected FROM inventory_levels"
            f" WHERE warehouse_id = ? AND gtin = ?{tx.dialect.for_update}",
            warehouse_id, gtin,
        )  # fmt: skip
    return out


async def lock_balances(tx: Tx, brand_id: int, keys: Iterable[BalanceKey]
                        ) -> dict[BalanceKey, tuple[int, int]]:  # fmt: skip
    """Create missing balance rows, then lock each in sorted order: (on_hand, reserved)."""
    out: dict[BalanceKey, tuple[int, int]] = {}
    for key in sorted(set(keys)):
        await tx.execute(
            "INSERT INTO inventory_balances (warehouse_id, location_id, gtin, lot, brand_id)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            *key, brand_id,
        )  # fmt: skip
        row = await tx.fetchrow(
            "SELECT on_hand, reserved FROM inventory_balances WHERE warehouse_id = ?"
            f" AND location_id = ? AND gtin = ? AND lot = ?{tx.dialect.for_update}",
            *key,
        )  # fmt: skip
        assert row is not None
        out[key] = (int(row["on_hand"]), int(row["reserved"]))
    return out


async def later_changes(tx: Tx, key: BalanceKey, after: dt.datetime) -> list[int]:
    """On-hand changes of the balance ``key`` effective after ``after``, in time order."""
    rows = await tx.fetch(
        "SELECT quantity FROM inventory_movements WHERE warehouse_id = ? AND location_id = ?"
        " AND gtin = ? AND lot = ? AND at > ? ORDER BY at, id",
        *key, after,
    )  # fmt: skip
    return [int(r["quantity"]) for r in rows]


async def append(tx: Tx, brand_id: int, post_id: int, meta: Meta, at: dt.datetime,
                 postings: Sequence[Posting]) -> list[int]:  # fmt: skip
    """Insert the movements of a post; their ids in posting order."""
    ids = await tx.dialect.reserve_ids(tx, "inventory_movements", len(postings))
    await tx.executemany(
        "INSERT INTO inventory_movements (id, post_id, brand_id, kind, warehouse_id,"
        " location_id, gtin, lot, quantity, reserved, at) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i, post_id, brand_id, str(meta.kind), p.warehouse_id, p.location_id, p.gtin,
             p.lot, p.quantity, p.reserved, at)
            for i, p in zip(ids, postings, strict=True)
        ],
    )  # fmt: skip
    return ids


async def apply(tx: Tx, balances: dict[BalanceKey, tuple[int, int]],
                levels: dict[LevelKey, dict[str, int]]) -> None:  # fmt: skip
    """Add the deltas to the cached rows (locked by the caller)."""
    await tx.executemany(
        "UPDATE inventory_balances SET on_hand = on_hand + ?, reserved = reserved + ?"
        " WHERE warehouse_id = ? AND location_id = ? AND gtin = ? AND lot = ?",
        [(q, r, *key) for key, (q, r) in sorted(balances.items())],
    )
    await tx.executemany(
        "UPDATE inventory_levels SET sellable = sellable + ?, reserved = reserved + ?,"
        " quarantine = quarantine + ?, rejected = rejected + ?"
        " WHERE warehouse_id = ? AND gtin = ?",
        [
            (d["sellable"], d["reserved"], d["quarantine"], d["rejected"], *key)
            for key, d in sorted(levels.items())
        ],
    )
