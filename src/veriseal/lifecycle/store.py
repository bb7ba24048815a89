"""SQL of the lifecycle's derived tables: activation rules, state ranges, SSCC
allocations and what is packed in what (``packed_ranges`` / ``packed_units``).

No rules live here: :mod:`~veriseal.lifecycle.activation`,
:mod:`~veriseal.lifecycle.aggregation` and :mod:`~veriseal.lifecycle.logistic_units`
decide, and call these functions inside the transaction they opened, so a check and
the write it allows commit together. The events themselves are appended by
:class:`~veriseal.lifecycle.events.EventStore`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from veriseal.lifecycle.events import BatchRange, UnitState
from veriseal.lifecycle.index_ranges import IndexRange

if TYPE_CHECKING:
    # annotations only: importing the ledger interface loads its database layer,
    # which the offline ``veriseal verify`` does without (issue 20)
    from veriseal.ledger.base import Tx

#: Ids per ``IN (...)`` list: under SQLite's bound-parameter limit.
_IN_CHUNK = 500


def _marks(n: int) -> str:
    return ", ".join("?" * n)


# -- activation --------------------------------------------------------------------------
async def activation_required(
    tx: Tx, brand_id: int, batch_id: int, batch_created_at: dt.datetime
) -> bool:
    """The batch's newest own rule; else the brand-wide rule newest at the batch's
    creation; else False (see :mod:`~veriseal.lifecycle.activation`)."""
    rule = await tx.fetchrow(
        "SELECT required FROM activation_rules WHERE brand_id = ? AND batch_id = ?"
        " ORDER BY id DESC LIMIT 1",
        brand_id,
        batch_id,
    )
    if rule is None:
        rule = await tx.fetchrow(
            "SELECT required FROM activation_rules WHERE brand_id = ? AND batch_id IS NULL"
            " AND set_at <= ? ORDER BY id DESC LIMIT 1",
            brand_id,
            batch_created_at,
        )
    return bool(rule["required"]) if rule else False


async def append_activation_rule(
    tx: Tx, brand_id: int, batch_id: int | None, required: bool, at: dt.datetime
) -> None:
    """Append a rule for one batch, or (``batch_id`` None) for the brand's new batches."""
    await tx.execute(
        "INSERT INTO activation_rules (brand_id, batch_id, required, set_at) VALUES (?, ?, ?, ?)",
        brand_id,
        batch_id,
        required,
        at,
    )


async def state_ranges(tx: Tx, batch_id: int) -> list[tuple[IndexRange, UnitState]]:
    """The batch's state-changing event ranges, in the order they were recorded."""
    found = await tx.fetch(
        "SELECT first_index, last_index, state FROM event_ranges"
        " WHERE batch_id = ? AND state IS NOT NULL ORDER BY id",
        batch_id,
    )
    return [
        (IndexRange(int(r["first_index"]), int(r["last_index"])), UnitState(r["state"]))
        for r in found
    ]


# -- SSCC allocations --------------------------------------------------------------------
async def next_sscc_serial(tx: Tx, extension: int, company_prefix: str) -> int:
    """The first serial reference after every allocation under (extension, prefix)."""
    row = await tx.fetchrow(
        "SELECT MAX(first_serial + quantity) AS next FROM sscc_allocations"
        " WHERE extension = ? AND company_prefix = ?",
        extension,
        company_prefix,
    )
    return 0 if row is None or row["next"] is None else int(row["next"])


async def append_sscc_allocation(
    tx: Tx,
    brand_id: int,
    extension: int,
    company_prefix: str,
    serials: range,
    at: dt.datetime,
) -> None:
    """Record that ``serials`` (consecutive) under (extension, prefix) are taken."""
    await tx.execute(
        "INSERT INTO sscc_allocations (brand_id, extension, company_prefix,"
        " first_serial, quantity, at) VALUES (?, ?, ?, ?, ?, ?)",
        brand_id,
        extension,
        company_prefix,
        serials.start,
        len(serials),
        at,
    )


# -- containment (what is packed in what, now) -------------------------------------------
async def packed_near(tx: Tx, batch_id: int, lo: int, hi: int) -> list[tuple[IndexRange, str]]:
    """The batch's packed ranges that may meet items ``lo..hi``, with their parents:
    those starting inside it and the one starting last before it, that one first.
    Current ranges are disjoint, so these are all that can meet it (two index scans)."""
    found = await tx.fetch(
        "SELECT first_index, last_index, parent FROM packed_ranges"
        " WHERE batch_id = ? AND first_index >= ? AND first_index <= ?",
        batch_id,
        lo,
        hi,
    )
    before = await tx.fetchrow(
        "SELECT first_index, last_index, parent FROM packed_ranges"
        " WHERE batch_id = ? AND first_index < ? ORDER BY first_index DESC LIMIT 1",
        batch_id,
        lo,
    )
    if before is not None:
        found.insert(0, before)
    return [
        (IndexRange(int(r["first_index"]), int(r["last_index"])), str(r["parent"])) for r in found
    ]


async def parent_of_item(tx: Tx, batch_id: int, index: int) -> str | None:
    """The parent holding item ``index`` of the batch now, if any."""
    row = await tx.fetchrow(
        "SELECT last_index, parent FROM packed_ranges WHERE batch_id = ?"
        " AND first_index <= ? ORDER BY first_index DESC LIMIT 1",
        batch_id,
        index,
    )
    if row is None or int(row["last_index"]) < index:
        return None
    return str(row["parent"])


async def parent_of_unit(tx: Tx, brand_id: int, sscc: str) -> str | None:
    """The parent holding the logistic unit ``sscc`` now, if any."""
    row = await tx.fetchrow(
        "SELECT parent FROM packed_units WHERE brand_id = ? AND child = ?", brand_id, sscc
    )
    return None if row is None else str(row["parent"])


async def first_packed_unit(tx: Tx, brand_id: int, units: Sequence[str]) -> tuple[str, str] | None:
    """(unit, parent) of one of ``units`` that is packed now, or None if none is."""
    for start in range(0, len(units), _IN_CHUNK):
        part = units[start : start + _IN_CHUNK]
        found = await tx.fetchrow(
            "SELECT child, parent FROM packed_units WHERE brand_id = ?"
            f" AND child IN ({_marks(len(part))})",
            brand_id,
            *part,
        )
        if found is not None:
            return str(found["child"]), str(found["parent"])
    return None


async def contents(
    tx: Tx, brand_id: int, parent: str
) -> tuple[tuple[BatchRange, ...], tuple[str, ...]]:
    """What ``parent`` holds directly: item ranges by (batch, first index), and units."""
    found = await tx.fetch(
        "SELECT batch_id, first_index, last_index FROM packed_ranges"
        " WHERE brand_id = ? AND parent = ? ORDER BY batch_id, first_index",
        brand_id,
        parent,
    )
    units = await tx.fetch(
        "SELECT child FROM packed_units WHERE brand_id = ? AND parent = ? ORDER BY child",
        brand_id,
        parent,
    )
    return (
        tuple(
            BatchRange(int(r["batch_id"]), int(r["first_index"]), int(r["last_index"]))
            for r in found
        ),
        tuple(str(r["child"]) for r in units),
    )


async def insert_packed_ranges(
    tx: Tx, brand_id: int, packed: Sequence[tuple[BatchRange, str, int]]
) -> None:
    """Record each (item range, parent, event id) as packed."""
    await tx.executemany(
        "INSERT INTO packed_ranges (brand_id, batch_id, first_index, last_index,"
        " parent, event_id) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (brand_id, r.batch_id, r.first, r.last, parent, event_id)
            for r, parent, event_id in packed
        ],
    )


async def insert_packed_units(
    tx: Tx, brand_id: int, packed: Sequence[tuple[str, str, int]]
) -> None:
    """Record each (unit, parent, event id) as packed."""
    await tx.executemany(
        "INSERT INTO packed_units (brand_id, child, parent, event_id) VALUES (?, ?, ?, ?)",
        [(brand_id, unit, parent, event_id) for unit, parent, event_id in packed],
    )


async def delete_packed_ranges(tx: Tx, brand_id: int, parent: str, batch_id: int) -> None:
    """Forget every range of ``batch_id`` that ``parent`` holds."""
    await tx.execute(
        "DELETE FROM packed_ranges WHERE brand_id = ? AND parent = ? AND batch_id = ?",
        brand_id,
        parent,
        batch_id,
    )


async def delete_packed_units(tx: Tx, brand_id: int, units: Sequence[str]) -> None:
    """Forget where ``units`` are packed."""
    await tx.executemany(
        "DELETE FROM packed_units WHERE brand_id = ? AND child = ?",
        [(brand_id, unit) for unit in units],
    )
