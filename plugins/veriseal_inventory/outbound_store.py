"""SQL of outbound sheets (tables ``inventory_outbound_sheets``, ``_lines``, ``_picks``)
and the sheet records built from their rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from veriseal.extend import Tx
from veriseal_inventory.picking import Pick


@dataclass(frozen=True, slots=True)
class OutboundLine:
    line_no: int
    gtin: str
    quantity: int
    lot: str = ""
    codes: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"line_no": self.line_no, "gtin": self.gtin, "quantity": self.quantity,
                "lot": self.lot, "codes": self.codes}  # fmt: skip


@dataclass(frozen=True)
class Consignee:
    """Who receives: an organisation of the brand (``org_id``) or free text only."""

    name: str
    address: str = ""
    contact: str = ""
    org_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"org_id": self.org_id, "name": self.name, "address": self.address,
                "contact": self.contact}  # fmt: skip


@dataclass(frozen=True)
class OutboundSheet:
    id: int
    brand_id: int
    number: str
    warehouse_id: int
    consignee: Consignee
    note: str
    status: str  # picking | issued | cancelled
    created_by: str
    created_at: dt.datetime
    handler: str = ""
    issued_by: str | None = None
    issued_at: dt.datetime | None = None
    cancel_reason: str = ""
    received_by: str | None = None
    received_at: dt.datetime | None = None
    received_warehouse_id: int | None = None
    lines: list[OutboundLine] = field(default_factory=list)
    picks: list[Pick] = field(default_factory=list)  # what issuing took

    def to_dict(self) -> dict[str, Any]:
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "number": self.number, "warehouse_id": self.warehouse_id,
            "consignee": self.consignee.to_dict(), "note": self.note, "status": self.status,
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
            "handler": self.handler, "issued_by": self.issued_by,
            "issued_at": iso(self.issued_at), "cancel_reason": self.cancel_reason,
            "received_by": self.received_by, "received_at": iso(self.received_at),
            "received_warehouse_id": self.received_warehouse_id,
            "lines": [ln.to_dict() for ln in self.lines],
            "picks": [p.to_dict() for p in self.picks],
        }  # fmt: skip


_COLS = (
    "id, brand_id, number, warehouse_id, consignee_org_id, consignee_name,"
    " consignee_address, consignee_contact, note, status, created_by, created_at, handler,"
    " issued_by, issued_at, cancel_reason, received_by, received_at, received_warehouse_id"
)


def _ts(tx: Tx, value: Any) -> dt.datetime | None:
    return None if value is None else tx.dialect.timestamp(value)


def _sheet(tx: Tx, r: Any) -> OutboundSheet:
    org = r["consignee_org_id"]
    rw = r["received_warehouse_id"]
    created = tx.dialect.timestamp(r["created_at"])
    return OutboundSheet(
        int(r["id"]), int(r["brand_id"]), r["number"], int(r["warehouse_id"]),
        Consignee(r["consignee_name"], r["consignee_address"], r["consignee_contact"],
                  None if org is None else int(org)),
        r["note"], r["status"], r["created_by"], created, r["handler"], r["issued_by"],
        _ts(tx, r["issued_at"]), r["cancel_reason"], r["received_by"],
        _ts(tx, r["received_at"]), None if rw is None else int(rw),
    )  # fmt: skip


async def insert(tx: Tx, brand_id: int, prefix: str, warehouse_id: int, consignee: Consignee,
                 note: str, actor: str, now: dt.datetime) -> tuple[int, str]:  # fmt: skip
    """A new sheet numbered ``<prefix>NNNN``, the day's next number of the brand (a
    concurrent creator's number is skipped: the unique key decides); (id, number)."""
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM inventory_outbound_sheets WHERE brand_id = ?"
        " AND number LIKE ?", brand_id, prefix + "%",
    )  # fmt: skip
    seq = int(row["n"]) + 1 if row is not None else 1
    while True:
        number = f"{prefix}{seq:04d}"
        made = await tx.fetchrow(
            "INSERT INTO inventory_outbound_sheets (brand_id, number, warehouse_id,"
            " consignee_org_id, consignee_name, consignee_address, consignee_contact, note,"
            " status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'picking', ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING id",
            brand_id, number, warehouse_id, consignee.org_id, consignee.name,
            consignee.address, consignee.contact, note, actor, now,
        )  # fmt: skip
        if made is not None:
            return int(made["id"]), number
        seq += 1


async def insert_lines(tx: Tx, sheet_id: int, lines: list[OutboundLine]) -> None:
    await tx.executemany(
        "INSERT INTO inventory_outbound_lines (sheet_id, line_no, gtin, lot, quantity, codes)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(sheet_id, ln.line_no, ln.gtin, ln.lot, ln.quantity, ln.codes) for ln in lines],
    )


async def insert_picks(tx: Tx, sheet_id: int, picks: list[Pick]) -> None:
    await tx.executemany(
        "INSERT INTO inventory_outbound_picks (sheet_id, line_no, location_id, gtin, lot,"
        " quantity) VALUES (?, ?, ?, ?, ?, ?)",
        [(sheet_id, p.line_no, p.location_id, p.gtin, p.lot, p.quantity) for p in picks],
    )


async def get(tx: Tx, brand_id: int, number: str, *, lock: bool = False
              ) -> OutboundSheet | None:  # fmt: skip
    """The sheet with its lines and picks (``lock``: its row locked for an update)."""
    suffix = tx.dialect.for_update if lock else ""
    r = await tx.fetchrow(
        f"SELECT {_COLS} FROM inventory_outbound_sheets WHERE brand_id = ? AND number = ?"
        f"{suffix}", brand_id, number,
    )  # fmt: skip
    if r is None:
        return None
    sheet = _sheet(tx, r)
    lines = await tx.fetch(
        "SELECT line_no, gtin, lot, quantity, codes FROM inventory_outbound_lines"
        " WHERE sheet_id = ? ORDER BY line_no", sheet.id,
    )  # fmt: skip
    picks = await tx.fetch(
        "SELECT p.line_no, p.location_id, l.code, p.gtin, p.lot, p.quantity"
        " FROM inventory_outbound_picks p JOIN inventory_locations l ON l.id = p.location_id"
        " WHERE p.sheet_id = ? ORDER BY p.line_no, p.lot, l.code, p.location_id", sheet.id,
    )  # fmt: skip
    sheet.lines.extend(OutboundLine(int(x["line_no"]), x["gtin"], int(x["quantity"]), x["lot"],
                                    x["codes"]) for x in lines)  # fmt: skip
    sheet.picks.extend(Pick(int(x["line_no"]), int(x["location_id"]), x["code"], x["gtin"],
                            x["lot"], int(x["quantity"])) for x in picks)  # fmt: skip
    return sheet


async def issued(tx: Tx, sheet_id: int, handler: str, actor: str, now: dt.datetime) -> None:
    await tx.execute(
        "UPDATE inventory_outbound_sheets SET status = 'issued', handler = ?, issued_by = ?,"
        " issued_at = ? WHERE id = ? AND status = 'picking'", handler, actor, now, sheet_id,
    )  # fmt: skip


async def cancelled(tx: Tx, sheet_id: int, reason: str) -> None:
    await tx.execute(
        "UPDATE inventory_outbound_sheets SET status = 'cancelled', cancel_reason = ?"
        " WHERE id = ? AND status = 'picking'", reason, sheet_id,
    )  # fmt: skip


async def received(tx: Tx, sheet_id: int, actor: str, warehouse_id: int,
                   now: dt.datetime) -> None:  # fmt: skip
    """Record the first check-in only (a repeated one changes nothing)."""
    await tx.execute(
        "UPDATE inventory_outbound_sheets SET received_by = ?, received_at = ?,"
        " received_warehouse_id = ? WHERE id = ? AND received_at IS NULL",
        actor, now, warehouse_id, sheet_id,
    )  # fmt: skip


async def listing(tx: Tx, brand_id: int, warehouse_ids: list[int] | None,
                  org_ids: list[int] | None, status: str | None,
                  limit: int) -> list[OutboundSheet]:  # fmt: skip
    """Sheets of the brand, newest first, from ``warehouse_ids`` or addressed to
    ``org_ids`` (None: no restriction); without lines."""
    sql = f"SELECT {_COLS} FROM inventory_outbound_sheets WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if warehouse_ids is not None or org_ids is not None:
        ors = []
        for column, ids in (("warehouse_id", warehouse_ids), ("consignee_org_id", org_ids)):
            if ids:
                ors.append(f"{column} IN ({', '.join('?' * len(ids))})")
                args += ids
        if not ors:
            return []
        sql += f" AND ({' OR '.join(ors)})"
    if status is not None:
        sql += " AND status = ?"
        args.append(status)
    sql += " ORDER BY id DESC LIMIT ?"
    args.append(limit)
    return [_sheet(tx, r) for r in await tx.fetch(sql, *args)]
