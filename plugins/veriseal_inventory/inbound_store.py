"""SQL of inbound receipts and inspections (tables ``inventory_receipts``,
``inventory_receipt_lines``, ``inventory_inspections``,
``inventory_inspection_settings``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from veriseal.extend import Tx
from veriseal_inventory.inbound_models import (
    DecisionKind,
    Inspection,
    InspectionSetting,
    LineStatus,
    Receipt,
    ReceiptLine,
)
from veriseal_inventory.models import StockLine

_RECEIPT = ("id, brand_id, warehouse_id, receipt_no, supplier, note, status, actor,"
            " created_at, updated_at, reference, kind")  # fmt: skip
_LINE = "id, receipt_id, line_no, gtin, lot, quantity, required, status"
_INSPECTION = ("line_id, decision, aql, level, code_letter, sample_size, accept_no, reject_no,"
               " defects, outcome, accepted, rejected, reason, actor, decided_at")  # fmt: skip


def _receipt(tx: Tx, r: Any) -> Receipt:
    return Receipt(int(r["id"]), int(r["brand_id"]), int(r["warehouse_id"]), r["receipt_no"],
                   r["supplier"], r["note"], r["status"], r["actor"],
                   tx.dialect.timestamp(r["created_at"]),
                   tx.dialect.timestamp(r["updated_at"]), r["reference"],
                   r["kind"])  # fmt: skip


def _line(r: Any) -> ReceiptLine:
    return ReceiptLine(int(r["id"]), int(r["receipt_id"]), int(r["line_no"]), r["gtin"],
                       r["lot"], int(r["quantity"]), bool(r["required"]),
                       LineStatus(r["status"]))  # fmt: skip


def _opt(value: Any) -> int | None:
    return None if value is None else int(value)


def _inspection(tx: Tx, r: Any) -> Inspection:
    return Inspection(
        int(r["line_id"]), DecisionKind(r["decision"]), r["aql"], r["level"],
        r["code_letter"], _opt(r["sample_size"]), _opt(r["accept_no"]), _opt(r["reject_no"]),
        _opt(r["defects"]), r["outcome"], int(r["accepted"]), int(r["rejected"]), r["reason"],
        r["actor"], tx.dialect.timestamp(r["decided_at"]),
    )  # fmt: skip


# -- settings ------------------------------------------------------------------------
async def setting(tx: Tx, brand_id: int, gtin: str) -> InspectionSetting | None:
    r = await tx.fetchrow(
        "SELECT brand_id, gtin, required, aql, level, updated_by, updated_at"
        " FROM inventory_inspection_settings WHERE brand_id = ? AND gtin = ?",
        brand_id, gtin,
    )  # fmt: skip
    return None if r is None else _setting(tx, r)


def _setting(tx: Tx, r: Any) -> InspectionSetting:
    return InspectionSetting(int(r["brand_id"]), r["gtin"], bool(r["required"]), r["aql"],
                             r["level"], r["updated_by"],
                             tx.dialect.timestamp(r["updated_at"]))  # fmt: skip


async def settings(tx: Tx, brand_id: int) -> list[InspectionSetting]:
    rows = await tx.fetch(
        "SELECT brand_id, gtin, required, aql, level, updated_by, updated_at"
        " FROM inventory_inspection_settings WHERE brand_id = ? ORDER BY gtin",
        brand_id,
    )
    return [_setting(tx, r) for r in rows]


async def put_setting(tx: Tx, s: InspectionSetting, at: dt.datetime) -> None:
    await tx.execute(
        "INSERT INTO inventory_inspection_settings"
        " (brand_id, gtin, required, aql, level, updated_by, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (brand_id, gtin) DO UPDATE SET"
        " required = excluded.required, aql = excluded.aql, level = excluded.level,"
        " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        s.brand_id, s.gtin, 1 if s.required else 0, s.aql, s.level, s.updated_by, at,
    )  # fmt: skip


# -- receipts ------------------------------------------------------------------------
class ReceiptTexts(NamedTuple):
    """A new receipt's words: who supplied, a note, who received, the document it
    answers (a return number) and its kind (``inbound`` | ``return``)."""

    supplier: str
    note: str
    actor: str
    reference: str = ""
    kind: str = "inbound"


async def by_client_id(tx: Tx, brand_id: int, client_id: str) -> int | None:
    r = await tx.fetchrow(
        "SELECT id FROM inventory_receipts WHERE brand_id = ? AND client_id = ?",
        brand_id, client_id,
    )  # fmt: skip
    return None if r is None else int(r["id"])


async def insert_receipt(tx: Tx, brand_id: int, warehouse_id: int, prefix: str,
                         texts: ReceiptTexts, client_id: str | None,
                         now: dt.datetime) -> tuple[int, str] | None:  # fmt: skip
    """A new open receipt numbered ``<prefix>-NNNN`` (the next free number of the day
    in the brand): its id and number; None when ``client_id`` was used already."""
    supplier, note, actor, reference, kind = texts
    r = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM inventory_receipts WHERE brand_id = ? AND receipt_no LIKE ?",
        brand_id, prefix + "-%",
    )  # fmt: skip
    n = int(r["n"]) if r else 0
    for _ in range(50):  # a concurrent receipt may take the number: try the next
        n += 1
        number = f"{prefix}-{n:04d}"
        if await tx.fetchrow("SELECT id FROM inventory_receipts WHERE brand_id = ?"
                             " AND receipt_no = ?", brand_id, number):  # fmt: skip
            continue
        row = await tx.fetchrow(
            "INSERT INTO inventory_receipts (brand_id, warehouse_id, receipt_no, supplier,"
            " note, status, actor, client_id, created_at, updated_at, reference, kind)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            " RETURNING id",
            brand_id, warehouse_id, number, supplier, note, actor, client_id, now, now,
            reference, kind,
        )  # fmt: skip
        if row is not None:
            return int(row["id"]), number
        if client_id is not None and await by_client_id(tx, brand_id, client_id):
            return None
    raise RuntimeError("no free receipt number")  # pragma: no cover


async def insert_lines(tx: Tx, receipt_id: int, lines: Sequence[StockLine],
                       required: Sequence[bool]) -> None:  # fmt: skip
    await tx.executemany(
        "INSERT INTO inventory_receipt_lines (receipt_id, line_no, gtin, lot, quantity,"
        " required, status) VALUES (?, ?, ?, ?, ?, ?, 'awaiting')",
        [(receipt_id, n, x.gtin, x.lot, x.quantity, 1 if req else 0)
         for n, (x, req) in enumerate(zip(lines, required, strict=True), 1)],
    )  # fmt: skip


async def receipt_id(tx: Tx, brand_id: int, receipt_no: str) -> int | None:
    r = await tx.fetchrow(
        "SELECT id FROM inventory_receipts WHERE brand_id = ? AND receipt_no = ?",
        brand_id, receipt_no,
    )  # fmt: skip
    return None if r is None else int(r["id"])


async def receipt(tx: Tx, rid: int) -> Receipt | None:
    r = await tx.fetchrow(f"SELECT {_RECEIPT} FROM inventory_receipts WHERE id = ?", rid)
    return None if r is None else _receipt(tx, r)


async def lines(tx: Tx, rid: int) -> list[ReceiptLine]:
    rows = await tx.fetch(
        f"SELECT {_LINE} FROM inventory_receipt_lines WHERE receipt_id = ? ORDER BY line_no",
        rid,
    )
    return [_line(r) for r in rows]


async def inspections(tx: Tx, rid: int) -> dict[int, Inspection]:
    rows = await tx.fetch(
        f"SELECT {_INSPECTION} FROM inventory_inspections WHERE receipt_id = ? ORDER BY id", rid
    )
    return {int(r["line_id"]): _inspection(tx, r) for r in rows}


async def receipts(tx: Tx, brand_id: int, warehouse_ids: list[int], status: str | None,
                   before_id: int | None, limit: int) -> list[Receipt]:  # fmt: skip
    """Newest first, within ``warehouse_ids``."""
    if not warehouse_ids:
        return []
    sql = (f"SELECT {_RECEIPT} FROM inventory_receipts WHERE brand_id = ? AND warehouse_id"
           f" IN ({', '.join('?' * len(warehouse_ids))})")  # fmt: skip
    args: list[Any] = [brand_id, *warehouse_ids]
    if status is not None:
        sql += " AND status = ?"
        args.append(status)
    if before_id is not None:
        sql += " AND id < ?"
        args.append(before_id)
    rows = await tx.fetch(sql + " ORDER BY id DESC LIMIT ?", *args, limit)
    return [_receipt(tx, r) for r in rows]


async def insert_inspection(tx: Tx, receipt_id: int, x: Inspection) -> bool:
    """Record a line's decision; False when the line was decided already (a concurrent
    inspector won: the unique ``line_id``)."""
    row = await tx.fetchrow(
        f"INSERT INTO inventory_inspections (receipt_id, {_INSPECTION}) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        receipt_id, x.line_id, str(x.decision), x.aql, x.level, x.code_letter, x.sample_size,
        x.accept_no, x.reject_no, x.defects, x.outcome, x.accepted, x.rejected, x.reason,
        x.actor, x.decided_at,
    )  # fmt: skip
    return row is not None


async def set_line_status(tx: Tx, line_id: int, status: LineStatus) -> None:
    await tx.execute("UPDATE inventory_receipt_lines SET status = ? WHERE id = ?",
                     str(status), line_id)  # fmt: skip


async def close_if_done(tx: Tx, rid: int, now: dt.datetime) -> None:
    """The receipt is ``done`` once no line awaits a decision."""
    await tx.execute(
        "UPDATE inventory_receipts SET updated_at = ?, status = CASE WHEN EXISTS (SELECT 1"
        " FROM inventory_receipt_lines WHERE receipt_id = ? AND status = 'awaiting')"
        " THEN 'open' ELSE 'done' END WHERE id = ?",
        now, rid, rid,
    )  # fmt: skip
