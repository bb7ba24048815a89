"""SQL of code-tracked stock (tables ``inventory_units``, ``inventory_code_alerts``,
``inventory_unit_requests``).

Rows of ``inventory_units`` of one batch are disjoint (one place per unit). Writers hold
the batch's advisory lock (:func:`lock_batches`, taken in batch order, before the stock
ledger's row locks) from reading the rows to rewriting them, so two receipts of the same
unit never both find it free: on PostgreSQL they queue, on SQLite the one writer does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from veriseal import IndexRange
from veriseal.extend import Tx
from veriseal_inventory import unit_ranges as ur


class Place(NamedTuple):
    """Where units are held, and what they are (each batch has one product and lot)."""

    warehouse_id: int
    location_id: int
    gtin: str
    lot: str


@dataclass(frozen=True, slots=True)
class Held:
    """A stock row: a range of one batch at one place."""

    batch_id: int
    span: IndexRange
    place: Place


@dataclass(frozen=True, slots=True)
class CodeAlert:
    id: int
    brand_id: int
    kind: str  # duplicate_code | untracked_outbound
    batch_id: int
    span: IndexRange
    warehouse_id: int | None  # where it was scanned (in or out)
    held_warehouse_id: int | None  # duplicate_code: where the unit is in stock
    document: str
    evidence: dict[str, Any]
    at: dt.datetime
    status: str  # open | closed

    @property
    def units(self) -> str:
        """The compact text of its units (``"12:5-9"``)."""
        return ur.to_text({self.batch_id: [self.span]})

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "batch_id": self.batch_id,
            "first": self.span.first, "last": self.span.last, "units": self.units,
            "count": self.span.count, "warehouse_id": self.warehouse_id,
            "held_warehouse_id": self.held_warehouse_id, "document": self.document,
            "evidence": self.evidence, "at": self.at.isoformat(), "status": self.status,
        }  # fmt: skip


async def lock_batches(tx: Tx, batch_ids: Iterable[int]) -> None:
    """Hold each batch's lock until the transaction ends, in batch order (no deadlock
    between two writers naming the same batches)."""
    for batch_id in sorted(set(batch_ids)):
        await tx.advisory_lock(f"inventory:units:{batch_id}")


_COLS = "batch_id, first_index, last_index, warehouse_id, location_id, gtin, lot"


def _held(r: Any) -> Held:
    place = Place(int(r["warehouse_id"]), int(r["location_id"]), r["gtin"], r["lot"])
    return Held(int(r["batch_id"]), IndexRange(int(r["first_index"]), int(r["last_index"])), place)


async def rows_near(tx: Tx, brand_id: int, batch_id: int, spans: Sequence[IndexRange]
                    ) -> list[Held]:  # fmt: skip
    """The batch's rows that overlap or touch ``spans`` (normalised), ordered: what a
    rewrite of those spans replaces (touching rows, to merge with them)."""
    found: dict[int, Held] = {}
    for span in ur.normalise({batch_id: spans}).get(batch_id, []):
        lo, hi = max(span.first - 1, 0), span.last + 1
        rows = await tx.fetch(
            f"SELECT {_COLS} FROM inventory_units WHERE brand_id = ? AND batch_id = ?"
            " AND first_index >= ? AND first_index <= ? ORDER BY first_index",
            brand_id, batch_id, lo, hi,
        )  # fmt: skip
        before = await tx.fetchrow(
            f"SELECT {_COLS} FROM inventory_units WHERE brand_id = ? AND batch_id = ?"
            " AND first_index < ? ORDER BY first_index DESC LIMIT 1",
            brand_id, batch_id, lo,
        )  # fmt: skip
        if before is not None and int(before["last_index"]) >= lo:
            rows = [before, *rows]
        for r in rows:
            found[int(r["first_index"])] = _held(r)
    return [found[k] for k in sorted(found)]


async def held(tx: Tx, brand_id: int, units: ur.Units) -> list[Held]:
    """The parts of ``units`` in stock anywhere, each with its place (clipped to
    ``units``), in batch and index order."""
    out: list[Held] = []
    for batch_id, spans in ur.normalise(units).items():
        for row in await rows_near(tx, brand_id, batch_id, spans):
            for piece in ur.intersect({batch_id: [row.span]}, {batch_id: spans}).get(batch_id, []):
                out.append(Held(batch_id, piece, row.place))
    return out


async def rewrite(tx: Tx, brand_id: int, batch_id: int, old: Sequence[Held],
                  spans: Sequence[IndexRange], place: Place | None) -> None:  # fmt: skip
    """Replace the rows ``old`` (from :func:`rows_near` over ``spans``) by the batch's
    stock after ``spans`` are put at ``place`` (None: out of stock)."""
    new = ur.assign([(h.span, h.place) for h in old], spans, place)
    await tx.executemany(
        "DELETE FROM inventory_units WHERE brand_id = ? AND batch_id = ? AND first_index = ?",
        [(brand_id, batch_id, h.span.first) for h in old],
    )
    await tx.executemany(
        "INSERT INTO inventory_units (brand_id, batch_id, first_index, last_index, gtin, lot,"
        " warehouse_id, location_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(brand_id, batch_id, r.first, r.last, p.gtin, p.lot, p.warehouse_id, p.location_id)
         for r, p in new],
    )  # fmt: skip


async def of_warehouse(tx: Tx, warehouse_id: int, limit: int = 1000) -> list[Held]:
    """A warehouse's stock rows, by batch and index."""
    rows = await tx.fetch(
        f"SELECT {_COLS} FROM inventory_units WHERE warehouse_id = ?"
        " ORDER BY batch_id, first_index LIMIT ?",
        warehouse_id, limit,
    )  # fmt: skip
    return [_held(r) for r in rows]


# -- requests applied once ----------------------------------------------------------------
async def applied(tx: Tx, brand_id: int, key: str) -> list[int] | None:
    """The movement ids of the request ``key`` applied before, or None."""
    row = await tx.fetchrow(
        "SELECT movement_ids FROM inventory_unit_requests WHERE brand_id = ? AND request_key = ?",
        brand_id, key,
    )  # fmt: skip
    return None if row is None else [int(i) for i in json.loads(row["movement_ids"])]


async def remember(tx: Tx, brand_id: int, key: str, movement_ids: Sequence[int]) -> None:
    await tx.execute(
        "INSERT INTO inventory_unit_requests (brand_id, request_key, movement_ids, at)"
        " VALUES (?, ?, ?, ?)",
        brand_id, key, json.dumps(list(movement_ids)), dt.datetime.now(dt.UTC),
    )  # fmt: skip


# -- code alerts ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewAlert:
    kind: str
    batch_id: int
    span: IndexRange
    warehouse_id: int | None
    held_warehouse_id: int | None
    document: str
    evidence: dict[str, Any]


async def add_alert(tx: Tx, brand_id: int, alert: NewAlert) -> int | None:
    """Record the alert; None when the same one (kind, units, warehouses, document) is
    open already (a handheld retrying a refused upload raises it once)."""
    same = await tx.fetchrow(
        "SELECT id FROM inventory_code_alerts WHERE brand_id = ? AND status = 'open'"
        " AND kind = ? AND batch_id = ? AND first_index = ? AND last_index = ?"
        " AND COALESCE(warehouse_id, 0) = ? AND COALESCE(held_warehouse_id, 0) = ?"
        " AND document = ?",
        brand_id, alert.kind, alert.batch_id, alert.span.first, alert.span.last,
        alert.warehouse_id or 0, alert.held_warehouse_id or 0, alert.document,
    )  # fmt: skip
    if same is not None:
        return None
    return await tx.insert_returning_id(
        "inventory_code_alerts",
        {
            "brand_id": brand_id, "kind": alert.kind, "batch_id": alert.batch_id,
            "first_index": alert.span.first, "last_index": alert.span.last,
            "warehouse_id": alert.warehouse_id, "held_warehouse_id": alert.held_warehouse_id,
            "document": alert.document, "evidence": json.dumps(alert.evidence, sort_keys=True),
            "at": dt.datetime.now(dt.UTC), "status": "open",
        },
    )  # fmt: skip


def _alert(tx: Tx, r: Any) -> CodeAlert:
    return CodeAlert(
        int(r["id"]), int(r["brand_id"]), r["kind"], int(r["batch_id"]),
        IndexRange(int(r["first_index"]), int(r["last_index"])),
        None if r["warehouse_id"] is None else int(r["warehouse_id"]),
        None if r["held_warehouse_id"] is None else int(r["held_warehouse_id"]),
        r["document"], json.loads(r["evidence"]), tx.dialect.timestamp(r["at"]), r["status"],
    )  # fmt: skip


_ALERT_COLS = (
    "id, brand_id, kind, batch_id, first_index, last_index, warehouse_id,"
    " held_warehouse_id, document, evidence, at, status"
)


@dataclass(frozen=True)
class AlertQuery:
    warehouse_ids: Sequence[int] | None = None  # None: every warehouse of the brand
    status: str | None = None
    kind: str | None = None
    before_id: int | None = None
    limit: int = 100


async def alerts(tx: Tx, brand_id: int, q: AlertQuery) -> list[CodeAlert]:
    """Newest first; with ``warehouse_ids``, those naming one of them (scanned or held)."""
    sql = f"SELECT {_ALERT_COLS} FROM inventory_code_alerts WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if q.warehouse_ids is not None:
        ids = list(q.warehouse_ids) or [0]
        marks = ", ".join("?" * len(ids))
        sql += f" AND (warehouse_id IN ({marks}) OR held_warehouse_id IN ({marks}))"
        args += [*ids, *ids]
    for column, value in (("status", q.status), ("kind", q.kind)):
        if value is not None:
            sql += f" AND {column} = ?"
            args.append(value)
    if q.before_id is not None:
        sql += " AND id < ?"
        args.append(q.before_id)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(q.limit)
    return [_alert(tx, r) for r in await tx.fetch(sql, *args)]


async def alert(tx: Tx, brand_id: int, alert_id: int) -> CodeAlert | None:
    r = await tx.fetchrow(
        f"SELECT {_ALERT_COLS} FROM inventory_code_alerts WHERE brand_id = ? AND id = ?",
        brand_id, alert_id,
    )  # fmt: skip
    return None if r is None else _alert(tx, r)


async def close_alert(tx: Tx, alert_id: int, evidence: dict[str, Any]) -> None:
    await tx.execute(
        "UPDATE inventory_code_alerts SET status = 'closed', evidence = ? WHERE id = ?",
        json.dumps(evidence, sort_keys=True), alert_id,
    )  # fmt: skip
