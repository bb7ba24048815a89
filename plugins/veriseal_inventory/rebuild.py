"""Rebuild the caches from the movements, or only report where they differ.

Balances are ``SUM(quantity)`` and ``SUM(reserved)`` of the movements per (warehouse,
location, product, lot); levels are the balances summed per (warehouse, product) by
location kind. ``veriseal stock rebuild --check`` lists every difference and changes
nothing; without ``--check`` the differing rows are repaired (:func:`rebuild`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veriseal.extend import PluginContext, Tx
from veriseal_inventory.ledger_store import LEVEL_COLUMN, lock_levels

_FROM_MOVEMENTS = (
    "SELECT warehouse_id, location_id, gtin, lot, MAX(brand_id) AS brand_id,"
    " SUM(quantity) AS on_hand, SUM(reserved) AS reserved FROM inventory_movements"
    " GROUP BY warehouse_id, location_id, gtin, lot"
)
_LEVELS_FROM_BALANCES = (
    "SELECT b.warehouse_id, b.gtin, MAX(b.brand_id) AS brand_id,"
    " SUM(CASE WHEN l.kind = 'stock' THEN b.on_hand ELSE 0 END) AS sellable,"
    " SUM(b.reserved) AS reserved,"
    " SUM(CASE WHEN l.kind = 'quarantine' THEN b.on_hand ELSE 0 END) AS quarantine,"
    " SUM(CASE WHEN l.kind = 'rejected' THEN b.on_hand ELSE 0 END) AS rejected"
    " FROM ({src}) b JOIN inventory_locations l ON l.id = b.location_id"
    " GROUP BY b.warehouse_id, b.gtin"
)


_LEVEL_COLS = ("sellable", "reserved", "quarantine", "rejected")


@dataclass(frozen=True)
class Difference:
    """One cached row that does not match the movements: ``table`` (balances |
    levels), its key, the cached and the true values (None: the row is missing)."""

    table: str
    key: tuple[Any, ...]
    cached: dict[str, int] | None
    truth: dict[str, int] | None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "key": list(self.key), "cached": self.cached,
                "truth": self.truth}  # fmt: skip


def _nonzero(values: dict[str, int]) -> bool:
    return any(values.values())


def _compare(table: str, cached: dict[tuple[Any, ...], dict[str, int]],
             truth: dict[tuple[Any, ...], dict[str, int]]) -> list[Difference]:  # fmt: skip
    out = []
    for key in sorted(set(cached) | set(truth)):  # one table's keys: same-typed tuples
        c, t = cached.get(key), truth.get(key)
        if c == t:
            continue
        if c is not None and t is None and not _nonzero(c):
            continue  # an all-zero cached row is as good as no row
        if t is not None and c is None and not _nonzero(t):
            continue
        out.append(Difference(table, key, c, t))
    return out


async def _read(tx: Tx) -> list[Difference]:
    balances = await tx.fetch(_FROM_MOVEMENTS)  # the movements, aggregated once
    cached_b = {
        (int(r["warehouse_id"]), int(r["location_id"]), r["gtin"], r["lot"]):
            {"on_hand": int(r["on_hand"]), "reserved": int(r["reserved"])}
        for r in await tx.fetch("SELECT * FROM inventory_balances")
    }  # fmt: skip
    true_b = {
        (int(r["warehouse_id"]), int(r["location_id"]), r["gtin"], r["lot"]):
            {"on_hand": int(r["on_hand"]), "reserved": int(r["reserved"])}
        for r in balances
    }  # fmt: skip
    cached_l = {(int(r["warehouse_id"]), r["gtin"]): {c: int(r[c]) for c in _LEVEL_COLS}
                for r in await tx.fetch("SELECT * FROM inventory_levels")}  # fmt: skip
    return (_compare("balances", cached_b, true_b)
            + _compare("levels", cached_l, await _levels_of(tx, true_b)))  # fmt: skip


async def _levels_of(tx: Tx, balances: dict[Any, dict[str, int]]
                     ) -> dict[tuple[Any, ...], dict[str, int]]:  # fmt: skip
    """Levels summed from balances by their locations' kinds (as the ledger does)."""
    kinds = {int(r["id"]): r["kind"] for r in await tx.fetch(
        "SELECT id, kind FROM inventory_locations")}  # fmt: skip
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for (warehouse_id, location_id, gtin, _), b in balances.items():
        level = out.setdefault((warehouse_id, gtin), dict.fromkeys(_LEVEL_COLS, 0))
        level[LEVEL_COLUMN[kinds[location_id]]] += b["on_hand"]
        level["reserved"] += b["reserved"]
    return out


async def rebuild(ctx: PluginContext, *, check_only: bool) -> list[Difference]:
    """The differences found; unless ``check_only``, each (warehouse, product) with a
    difference is then repaired in its own transaction: its level row locked (as every
    post on it locks it first), its truth re-read from the movements under that lock,
    and its balances and level rewritten. Posts go on meanwhile; none is lost."""
    async with ctx.db.read() as tx:
        diffs = await _read(tx)
    if check_only or not diffs:
        return diffs
    groups = sorted({(int(d.key[0]), str(d.key[2] if d.table == "balances" else d.key[1]))
                     for d in diffs})  # fmt: skip
    for warehouse_id, gtin in groups:
        async with ctx.db.write() as tx:
            await _repair(tx, warehouse_id, gtin)
    return diffs


async def _repair(tx: Tx, warehouse_id: int, gtin: str) -> None:
    brand = await tx.fetchrow("SELECT brand_id FROM inventory_warehouses WHERE id = ?",
                              warehouse_id)  # fmt: skip
    if brand is None:
        return
    await lock_levels(tx, int(brand["brand_id"]), [(warehouse_id, gtin)])
    where = " WHERE warehouse_id = ? AND gtin = ?"
    truth = await tx.fetch(_FROM_MOVEMENTS.replace(" GROUP BY", where + " GROUP BY"),
                           warehouse_id, gtin)  # fmt: skip
    await tx.execute("DELETE FROM inventory_balances" + where, warehouse_id, gtin)
    await tx.executemany(
        "INSERT INTO inventory_balances (warehouse_id, location_id, gtin, lot, brand_id,"
        " on_hand, reserved) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(r["warehouse_id"], r["location_id"], r["gtin"], r["lot"], r["brand_id"],
          int(r["on_hand"]), int(r["reserved"])) for r in truth],
    )  # fmt: skip
    level = await tx.fetchrow(
        _LEVELS_FROM_BALANCES.format(src="SELECT * FROM inventory_balances" + where),
        warehouse_id, gtin,
    )  # fmt: skip
    values = [0, 0, 0, 0] if level is None else [int(level[c]) for c in _LEVEL_COLS]
    await tx.execute(
        "UPDATE inventory_levels SET sellable = ?, reserved = ?, quarantine = ?, rejected = ?"
        + where, *values, warehouse_id, gtin,
    )  # fmt: skip
