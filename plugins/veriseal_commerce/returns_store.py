"""SQL of returns and exchanges (tables ``commerce_return*``): rows in, records out.
Callers hold the request's row lock (:func:`get` with ``lock=True``) for changes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veriseal.extend import Tx
from veriseal_commerce.orders_store import OrderEvent, OrderMessage
from veriseal_commerce.returns_errors import ReturnNotFound
from veriseal_commerce.returns_policy import Reason, ReturnSettings
from veriseal_commerce.returns_states import UnitStatus


@dataclass(frozen=True)
class ReturnLine:
    line_no: int
    gtin: str
    name: str
    quantity: int  # asked
    approved: int | None  # None until reviewed
    opened: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "gtin": self.gtin,
            "name": self.name,
            "quantity": self.quantity,
            "approved": self.approved,
            "opened": self.opened,
        }


@dataclass(frozen=True)
class ReturnUnit:
    batch_id: int
    index: int
    gtin: str
    code: str
    status: UnitStatus
    receipt_no: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "gtin": self.gtin,
            "status": str(self.status),
            "receipt_no": self.receipt_no,
        }


@dataclass(frozen=True)
class ReturnRequest:
    id: int
    brand_id: int
    org_id: int
    order_id: int
    order_no: str
    return_no: str
    kind: str  # return | exchange
    status: str
    reason: str
    detail: str
    refunded: int
    replacement_no: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: tuple[ReturnLine, ...] = field(default=())
    units: tuple[ReturnUnit, ...] = field(default=())

    def count(self, *statuses: UnitStatus) -> dict[str, int]:
        """Units per GTIN in any of ``statuses``."""
        out: dict[str, int] = {}
        for u in self.units:
            if u.status in statuses:
                out[u.gtin] = out.get(u.gtin, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "return_no": self.return_no,
            "order_no": self.order_no,
            "kind": self.kind,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail,
            "org_id": self.org_id,
            "refunded": self.refunded,
            "replacement_no": self.replacement_no,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "lines": [x.to_dict() for x in self.lines],
            "units": [u.to_dict() for u in self.units],
        }


#: A request's timeline and thread have the shape of an order's (one type each, so the
#: console and the API render both alike).
ReturnEvent = OrderEvent
ReturnMessage = OrderMessage


@dataclass(frozen=True)
class ReturnAlert:
    id: int
    brand_id: int
    org_id: int
    order_id: int
    kind: str  # fake_code | not_on_order | already_returned
    code: str
    evidence: dict[str, Any]
    actor: str
    at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "code": self.code,
            "org_id": self.org_id,
            "order_id": self.order_id,
            "evidence": self.evidence,
            "actor": self.actor,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class Intake:
    """One receive call (see ``commerce_return_receipts``)."""

    id: int
    return_id: int
    client_id: str
    units: dict[int, list[tuple[int, int]]]
    codes: list[str]
    warehouse: str | None
    status: str
    receipt_no: str | None
    actor: str


def _ts(tx: Tx, value: Any) -> dt.datetime:
    return tx.dialect.timestamp(value)


# -- settings ---------------------------------------------------------------------------
async def settings(tx: Tx, brand_id: int) -> ReturnSettings:
    row = await tx.fetchrow("SELECT * FROM commerce_return_settings WHERE brand_id = ?", brand_id)
    if row is None:
        return ReturnSettings(brand_id)
    reasons = tuple(
        Reason(str(r["code"]), str(r["en"]), str(r["zh"]))
        for r in tx.dialect.decode_json(row["reasons"])
    )
    return ReturnSettings(
        brand_id,
        int(row["window_days"]),
        frozenset(tx.dialect.decode_json(row["no_return"])),
        frozenset(tx.dialect.decode_json(row["sealed_only"])),
        reasons,
        str(row["updated_by"]),
        _ts(tx, row["updated_at"]),
    )


async def save_settings(tx: Tx, s: ReturnSettings) -> None:
    enc = tx.dialect.encode_json
    await tx.upsert(
        "commerce_return_settings",
        {
            "brand_id": s.brand_id,
            "window_days": s.window_days,
            "no_return": enc(sorted(s.no_return)),
            "sealed_only": enc(sorted(s.sealed_only)),
            "reasons": enc([r.to_dict() for r in s.reasons]),
            "updated_by": s.updated_by,
            "updated_at": s.updated_at,
        },
        ["brand_id"],
    )


# -- requests ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NewReturn:
    brand_id: int
    org_id: int
    order_id: int
    return_no: str
    kind: str
    reason: str
    detail: str
    created_by: str
    client_id: str | None
    at: dt.datetime


async def insert(tx: Tx, new: NewReturn) -> int | None:
    """The new request's id; None when ``client_id`` was used by the same actor before
    (the caller answers with that request)."""
    if new.client_id is not None and await by_client_id(tx, new) is not None:
        return None
    return await tx.insert_returning_id(
        "commerce_returns",
        {
            "brand_id": new.brand_id,
            "org_id": new.org_id,
            "order_id": new.order_id,
            "return_no": new.return_no,
            "kind": new.kind,
            "status": "requested",
            "reason": new.reason,
            "detail": new.detail,
            "created_by": new.created_by,
            "client_id": new.client_id,
            "created_at": new.at,
            "updated_at": new.at,
        },
    )


async def by_client_id(tx: Tx, new: NewReturn) -> int | None:
    row = await tx.fetchrow(
        "SELECT id FROM commerce_returns WHERE brand_id = ? AND created_by = ? AND client_id = ?",
        new.brand_id,
        new.created_by,
        new.client_id,
    )
    return None if row is None else int(row["id"])


async def insert_lines(tx: Tx, return_id: int, lines: Sequence[ReturnLine]) -> None:
    await tx.executemany(
        "INSERT INTO commerce_return_lines (return_id, line_no, gtin, name, quantity, opened)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(return_id, x.line_no, x.gtin, x.name, x.quantity, x.opened) for x in lines],
    )


async def claim_units(tx: Tx, return_id: int, order_id: int, units: Sequence[ReturnUnit]) -> None:
    """Insert the request's units (the caller checked :func:`holders` under the order's
    lock; the UNIQUE key refuses a unit twice per order regardless)."""
    await tx.executemany(
        "INSERT INTO commerce_return_units (return_id, order_id, batch_id, idx, gtin, code,"
        " status) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(return_id, order_id, u.batch_id, u.index, u.gtin, u.code, str(u.status)) for u in units],
    )


async def holders(tx: Tx, order_id: int) -> dict[tuple[int, int], tuple[str, str]]:
    """(batch id, index) -> (return number, unit status) of every unit of the order held
    by a request (an order's units in requests are bounded by the order: one query)."""
    rows = await tx.fetch(
        "SELECT u.batch_id, u.idx, r.return_no, u.status FROM commerce_return_units u"
        " JOIN commerce_returns r ON r.id = u.return_id WHERE u.order_id = ?",
        order_id,
    )
    return {(int(r["batch_id"]), int(r["idx"])): (str(r["return_no"]), str(r["status"]))
            for r in rows}  # fmt: skip


async def id_of(tx: Tx, return_no: str) -> int:
    row = await tx.fetchrow("SELECT id FROM commerce_returns WHERE return_no = ?", return_no)
    if row is None:
        raise ReturnNotFound(
            f"no return request {return_no[:40]!r} / 退换货申请不存在", return_no=return_no[:40]
        )
    return int(row["id"])


async def get(tx: Tx, return_id: int, *, lock: bool = False) -> ReturnRequest:
    """The request with its lines and units; ``lock``: hold its row until ``tx`` ends."""
    if lock:
        await tx.advisory_lock(f"commerce:return:{return_id}")
    row = await tx.fetchrow(
        "SELECT r.*, o.order_no FROM commerce_returns r"
        " JOIN commerce_orders o ON o.id = r.order_id WHERE r.id = ?",
        return_id,
    )
    if row is None:
        raise ReturnNotFound(f"no return request {return_id}")
    lines = tuple(
        ReturnLine(
            int(x["line_no"]),
            x["gtin"],
            x["name"],
            int(x["quantity"]),
            None if x["approved"] is None else int(x["approved"]),
            bool(x["opened"]),
        )
        for x in await tx.fetch(
            "SELECT * FROM commerce_return_lines WHERE return_id = ? ORDER BY line_no", return_id
        )
    )
    units = tuple(
        ReturnUnit(
            int(u["batch_id"]),
            int(u["idx"]),
            u["gtin"],
            u["code"],
            UnitStatus(u["status"]),
            u["receipt_no"],
        )
        for u in await tx.fetch(
            "SELECT * FROM commerce_return_units WHERE return_id = ? ORDER BY gtin, batch_id, idx",
            return_id,
        )
    )
    return ReturnRequest(
        int(row["id"]),
        int(row["brand_id"]),
        int(row["org_id"]),
        int(row["order_id"]),
        row["order_no"],
        row["return_no"],
        row["kind"],
        row["status"],
        row["reason"],
        row["detail"],
        int(row["refunded"]),
        row["replacement_no"],
        row["created_by"],
        _ts(tx, row["created_at"]),
        _ts(tx, row["updated_at"]),
        lines,
        units,
    )


async def set_status(tx: Tx, return_id: int, status: str, at: dt.datetime, **extra: Any) -> None:
    """The request's status (and ``refunded`` / ``replacement_no`` when given)."""
    cols = {"status": status, "updated_at": at, **extra}
    assign = ", ".join(f"{k} = ?" for k in cols)
    await tx.execute(
        f"UPDATE commerce_returns SET {assign} WHERE id = ?", *cols.values(), return_id
    )


async def set_approved(tx: Tx, return_id: int, approved: dict[int, int]) -> None:
    await tx.executemany(
        "UPDATE commerce_return_lines SET approved = ? WHERE return_id = ? AND line_no = ?",
        [(n, return_id, line_no) for line_no, n in sorted(approved.items())],
    )


async def set_units(
    tx: Tx,
    return_id: int,
    units: Sequence[tuple[int, int]],
    status: UnitStatus,
    receipt_no: str | None = None,
) -> None:
    """Give ``units`` (batch id, index) of the request ``status`` (and the receipt)."""
    if receipt_no is None:
        await tx.executemany(
            "UPDATE commerce_return_units SET status = ?"
            " WHERE return_id = ? AND batch_id = ? AND idx = ?",
            [(str(status), return_id, b, i) for b, i in units],
        )
        return
    await tx.executemany(
        "UPDATE commerce_return_units SET status = ?, receipt_no = ?"
        " WHERE return_id = ? AND batch_id = ? AND idx = ?",
        [(str(status), receipt_no, return_id, b, i) for b, i in units],
    )


async def drop_units(tx: Tx, return_id: int, units: Sequence[tuple[int, int]]) -> None:
    """Give declined or withdrawn units back: they may be asked again."""
    await tx.executemany(
        "DELETE FROM commerce_return_units WHERE return_id = ? AND batch_id = ? AND idx = ?",
        [(return_id, b, i) for b, i in units],
    )


async def returned_of_order(tx: Tx, order_id: int) -> dict[str, int]:
    """Units per GTIN of the order held by live requests (asked and not declined)."""
    rows = await tx.fetch(
        "SELECT gtin, COUNT(*) AS n FROM commerce_return_units WHERE order_id = ? GROUP BY gtin",
        order_id,
    )
    return {str(r["gtin"]): int(r["n"]) for r in rows}


async def restocked_of_order(tx: Tx, order_id: int, but: int) -> dict[str, int]:
    """Units per GTIN of the order's other requests (not ``but``) that were valued
    already (restocked), for the refund split."""
    rows = await tx.fetch(
        "SELECT u.gtin, COUNT(*) AS n FROM commerce_return_units u"
        " JOIN commerce_returns r ON r.id = u.return_id"
        " WHERE r.order_id = ? AND r.id <> ? AND r.status = 'completed'"
        " AND u.status IN ('restocked') GROUP BY u.gtin",
        order_id,
        but,
    )
    return {str(r["gtin"]): int(r["n"]) for r in rows}


async def events(tx: Tx, return_id: int) -> list[ReturnEvent]:
    rows = await tx.fetch(
        "SELECT * FROM commerce_return_events WHERE return_id = ? ORDER BY seq", return_id
    )
    return [
        ReturnEvent(
            int(r["seq"]),
            r["action"],
            r["from_status"],
            r["to_status"],
            r["actor"],
            r["note"],
            dict(tx.dialect.decode_json(r["data"])),
            _ts(tx, r["at"]),
        )
        for r in rows
    ]


async def append_event(tx: Tx, return_id: int, e: ReturnEvent) -> None:
    row = await tx.fetchrow(
        "SELECT COALESCE(MAX(seq), 0) AS n FROM commerce_return_events WHERE return_id = ?",
        return_id,
    )
    seq = int(row["n"]) + 1 if row is not None else 1
    await tx.insert_returning_id(
        "commerce_return_events",
        {
            "return_id": return_id,
            "seq": seq,
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "note": e.note,
            "data": tx.dialect.encode_json(e.data),
            "at": e.at,
        },
    )


async def messages(tx: Tx, return_id: int) -> list[ReturnMessage]:
    rows = await tx.fetch(
        "SELECT * FROM commerce_return_messages WHERE return_id = ? ORDER BY id", return_id
    )
    return [ReturnMessage(r["side"], r["author"], r["body"], _ts(tx, r["at"])) for r in rows]


async def add_message(tx: Tx, return_id: int, m: ReturnMessage) -> None:
    await tx.insert_returning_id(
        "commerce_return_messages",
        {
            "return_id": return_id,
            "side": m.side,
            "author": m.author,
            "body": m.body,
            "at": m.at,
        },
    )


async def add_photo(
    tx: Tx, return_id: int, content_type: str, filename: str, data: bytes, at: dt.datetime
) -> int:
    return await tx.insert_returning_id(
        "commerce_return_photos",
        {
            "return_id": return_id,
            "content_type": content_type,
            "filename": filename,
            "data": data,
            "created_at": at,
        },
    )


async def photos(tx: Tx, return_id: int) -> list[tuple[int, str, str]]:
    """(id, content type, filename) of the request's photos."""
    rows = await tx.fetch(
        "SELECT id, content_type, filename FROM commerce_return_photos WHERE return_id = ?"
        " ORDER BY id",
        return_id,
    )
    return [(int(r["id"]), r["content_type"], r["filename"]) for r in rows]


async def photo(tx: Tx, photo_id: int) -> tuple[int, str, str, bytes] | None:
    """(return id, content type, filename, bytes) of a photo."""
    row = await tx.fetchrow("SELECT * FROM commerce_return_photos WHERE id = ?", photo_id)
    if row is None:
        return None
    return int(row["return_id"]), row["content_type"], row["filename"], bytes(row["data"])


async def list_returns(
    tx: Tx, brand_id: int, org_ids: Sequence[int] | None, status: str | None, limit: int
) -> list[int]:
    """Ids of the brand's requests, newest first (``org_ids``: only theirs)."""
    sql = "SELECT id FROM commerce_returns WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if status:
        sql += " AND status = ?"
        args.append(status)
    if org_ids is not None:
        if not org_ids:
            return []
        sql += f" AND org_id IN ({', '.join('?' for _ in org_ids)})"
        args += list(org_ids)
    sql += " ORDER BY id DESC LIMIT ?"
    return [int(r["id"]) for r in await tx.fetch(sql, *args, limit)]


# -- intakes (the brand receiving units back) -------------------------------------------
def _intake(tx: Tx, r: Any) -> Intake:
    raw = dict(tx.dialect.decode_json(r["units"]))
    units = {int(b): [(int(f), int(last)) for f, last in spans] for b, spans in raw.items()}
    return Intake(
        int(r["id"]),
        int(r["return_id"]),
        r["client_id"],
        units,
        list(tx.dialect.decode_json(r["codes"])),
        r["warehouse"],
        r["status"],
        r["receipt_no"],
        r["actor"],
    )


async def intake(tx: Tx, return_id: int, client_id: str) -> Intake | None:
    row = await tx.fetchrow(
        "SELECT * FROM commerce_return_receipts WHERE return_id = ? AND client_id = ?",
        return_id,
        client_id,
    )
    return None if row is None else _intake(tx, row)


async def add_intake(
    tx: Tx,
    return_id: int,
    client_id: str,
    units: dict[int, list[tuple[int, int]]],
    codes: list[str],
    warehouse: str | None,
    actor: str,
    at: dt.datetime,
) -> Intake:
    enc = tx.dialect.encode_json
    new_id = await tx.insert_returning_id(
        "commerce_return_receipts",
        {
            "return_id": return_id,
            "client_id": client_id,
            "units": enc({str(b): [list(s) for s in spans] for b, spans in units.items()}),
            "codes": enc(codes),
            "warehouse": warehouse,
            "status": "pending",
            "actor": actor,
            "created_at": at,
        },
    )
    return Intake(new_id, return_id, client_id, units, codes, warehouse, "pending", None, actor)


async def finish_intake(tx: Tx, intake_id: int, receipt_no: str) -> None:
    await tx.execute(
        "UPDATE commerce_return_receipts SET status = 'done', receipt_no = ? WHERE id = ?",
        receipt_no,
        intake_id,
    )


async def pending_intakes(tx: Tx, before: dt.datetime, limit: int = 100) -> list[Intake]:
    rows = await tx.fetch(
        "SELECT * FROM commerce_return_receipts WHERE status = 'pending' AND created_at < ?"
        " ORDER BY id LIMIT ?",
        before,
        limit,
    )
    return [_intake(tx, r) for r in rows]


async def pending_units(tx: Tx, return_id: int) -> set[tuple[int, int]]:
    """Units of the request's intakes still pending (being received right now)."""
    out: set[tuple[int, int]] = set()
    rows = await tx.fetch(
        "SELECT * FROM commerce_return_receipts WHERE return_id = ? AND status = 'pending'",
        return_id,
    )
    for r in rows:
        for b, spans in _intake(tx, r).units.items():
            out.update((b, i) for f, last in spans for i in range(f, last + 1))
    return out


# -- alerts -----------------------------------------------------------------------------
async def add_alert(tx: Tx, a: ReturnAlert) -> int:
    return await tx.insert_returning_id(
        "commerce_return_alerts",
        {
            "brand_id": a.brand_id,
            "org_id": a.org_id,
            "order_id": a.order_id,
            "kind": a.kind,
            "code": a.code,
            "evidence": json.dumps(a.evidence, ensure_ascii=False, sort_keys=True),
            "actor": a.actor,
            "at": a.at,
        },
    )


async def alerts(
    tx: Tx, brand_id: int, org_ids: Sequence[int] | None = None, limit: int = 100
) -> list[ReturnAlert]:
    sql = "SELECT * FROM commerce_return_alerts WHERE brand_id = ?"
    args: list[Any] = [brand_id]
    if org_ids is not None:
        if not org_ids:
            return []
        sql += f" AND org_id IN ({', '.join('?' for _ in org_ids)})"
        args += list(org_ids)
    rows = await tx.fetch(sql + " ORDER BY id DESC LIMIT ?", *args, limit)
    return [
        ReturnAlert(
            int(r["id"]),
            int(r["brand_id"]),
            int(r["org_id"]),
            int(r["order_id"]),
            r["kind"],
            r["code"],
            dict(json.loads(r["evidence"])),
            r["actor"],
            _ts(tx, r["at"]),
        )
        for r in rows
    ]


# -- what the order delivered -----------------------------------------------------------
async def order_fulfilments(tx: Tx, order_id: int) -> list[tuple[int, str, Any]]:
    """(territories movement id, status, delivered_at) of the order's shipments."""
    rows = await tx.fetch(
        "SELECT movement_id, status, delivered_at FROM commerce_fulfilments WHERE order_id = ?"
        " ORDER BY id",
        order_id,
    )
    return [
        (
            int(r["movement_id"]),
            r["status"],
            None if r["delivered_at"] is None else _ts(tx, r["delivered_at"]),
        )
        for r in rows
    ]
