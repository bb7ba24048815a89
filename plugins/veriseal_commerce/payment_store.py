"""All SQL of payments: attempts (``commerce_payments``), the append-only event ledger
(``commerce_payment_events``) and transfer receipts (``commerce_payment_receipts``).

Nothing here updates or deletes a row. Callers hold the order's advisory lock
(:func:`lock_order`) around read-check-append sequences, so two writers never both see
"not yet recorded"; the ``dedupe`` column's UNIQUE constraint is the last guard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal.extend import Tx

P = "commerce_payments"
E = "commerce_payment_events"
R = "commerce_payment_receipts"


@dataclass(frozen=True)
class Payment:
    id: int
    brand_id: int
    org_id: int
    order_id: int
    order_no: str
    provider: str
    out_trade_no: str
    amount: int
    currency: str
    expires_at: dt.datetime
    created_at: dt.datetime
    actor: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "order_id": self.order_id, "order_no": self.order_no,
            "provider": self.provider, "out_trade_no": self.out_trade_no,
            "amount": self.amount, "currency": self.currency,
            "expires_at": self.expires_at.isoformat(), "created_at": self.created_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True)
class Event:
    """One payment state change. Kinds: ``started``, ``code_issued``, ``receipt``,
    ``captured``, ``capture_failed``, ``rejected``, ``refund_requested``, ``refunded``,
    ``refund_failed``."""

    id: int
    payment_id: int
    order_id: int
    brand_id: int
    kind: str
    amount: int
    currency: str
    reference: str
    dedupe: str
    details: dict[str, Any]
    actor: str
    at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "payment_id": self.payment_id, "order_id": self.order_id,
            "kind": self.kind, "amount": self.amount, "currency": self.currency,
            "reference": self.reference, "details": self.details, "actor": self.actor,
            "at": self.at.isoformat(),
        }  # fmt: skip


async def lock_order(tx: Tx, order_id: int) -> None:
    """Serialise every payment write of one order (both backends)."""
    await tx.advisory_lock(f"commerce:payments:{order_id}")


def _payment(tx: Tx, r: Any) -> Payment:
    ts = tx.dialect.timestamp
    return Payment(
        int(r["id"]), int(r["brand_id"]), int(r["org_id"]), int(r["order_id"]),
        r["order_no"], r["provider"], r["out_trade_no"], int(r["amount"]), r["currency"],
        ts(r["expires_at"]), ts(r["created_at"]), r["actor"],
    )  # fmt: skip


def _event(tx: Tx, r: Any) -> Event:
    return Event(
        int(r["id"]), int(r["payment_id"]), int(r["order_id"]), int(r["brand_id"]),
        r["kind"], int(r["amount"]), r["currency"], r["reference"], r["dedupe"],
        tx.dialect.decode_json(r["details"]), r["actor"], tx.dialect.timestamp(r["at"]),
    )  # fmt: skip


async def insert_payment(tx: Tx, values: dict[str, Any]) -> Payment:
    pid = await tx.insert_returning_id(P, values)
    found = await payment(tx, pid)
    assert found is not None
    return found


async def payment(tx: Tx, payment_id: int) -> Payment | None:
    r = await tx.fetchrow(f"SELECT * FROM {P} WHERE id = ?", payment_id)
    return None if r is None else _payment(tx, r)


async def payment_by_trade_no(tx: Tx, out_trade_no: str) -> Payment | None:
    r = await tx.fetchrow(f"SELECT * FROM {P} WHERE out_trade_no = ?", out_trade_no)
    return None if r is None else _payment(tx, r)


async def payments_of_order(tx: Tx, order_id: int) -> list[Payment]:
    rows = await tx.fetch(f"SELECT * FROM {P} WHERE order_id = ? ORDER BY id", order_id)
    return [_payment(tx, r) for r in rows]


async def list_payments(
    tx: Tx, brand_id: int, org_ids: list[int] | None, after: int | None, limit: int
) -> list[Payment]:
    """A brand's payments by id, descending, optionally only of ``org_ids``."""
    sql, args = f"SELECT * FROM {P} WHERE brand_id = ?", [brand_id]
    if after is not None:
        sql, args = sql + " AND id < ?", [*args, after]
    if org_ids is not None:
        if not org_ids:
            return []
        sql += f" AND org_id IN ({','.join('?' * len(org_ids))})"
        args.extend(org_ids)
    rows = await tx.fetch(sql + " ORDER BY id DESC LIMIT ?", *args, limit)
    return [_payment(tx, r) for r in rows]


async def open_online(tx: Tx, now: dt.datetime, limit: int) -> list[Payment]:
    """Online payments not expired with no ``captured`` event: what the poller asks about."""
    rows = await tx.fetch(
        f"SELECT * FROM {P} p WHERE p.provider <> 'offline' AND p.expires_at > ?"
        f" AND NOT EXISTS (SELECT 1 FROM {E} e WHERE e.payment_id = p.id"
        " AND e.kind = 'captured') ORDER BY p.id LIMIT ?",
        now, limit,
    )  # fmt: skip
    return [_payment(tx, r) for r in rows]


async def by_dedupe(tx: Tx, dedupe: str) -> Event | None:
    r = await tx.fetchrow(f"SELECT * FROM {E} WHERE dedupe = ?", dedupe)
    return None if r is None else _event(tx, r)


async def append(tx: Tx, p: Payment, kind: str, amount: int, reference: str, dedupe: str,
                 details: dict[str, Any], actor: str) -> Event:  # fmt: skip
    """Append an event (the caller checked ``dedupe`` under the order's lock)."""
    eid = await tx.insert_returning_id(E, {
        "payment_id": p.id, "order_id": p.order_id, "brand_id": p.brand_id, "kind": kind,
        "amount": amount, "currency": p.currency, "reference": reference, "dedupe": dedupe,
        "details": tx.dialect.encode_json(details), "actor": actor,
        "at": dt.datetime.now(dt.UTC),
    })  # fmt: skip
    r = await tx.fetchrow(f"SELECT * FROM {E} WHERE id = ?", eid)
    return _event(tx, r)


async def events_of_order(tx: Tx, order_id: int) -> list[Event]:
    rows = await tx.fetch(f"SELECT * FROM {E} WHERE order_id = ? ORDER BY id", order_id)
    return [_event(tx, r) for r in rows]


async def events_of_payment(tx: Tx, payment_id: int) -> list[Event]:
    rows = await tx.fetch(f"SELECT * FROM {E} WHERE payment_id = ? ORDER BY id", payment_id)
    return [_event(tx, r) for r in rows]


async def add_receipt(tx: Tx, p: Payment, content_type: str, filename: str, data: bytes) -> int:
    return await tx.insert_returning_id(R, {
        "payment_id": p.id, "org_id": p.org_id, "content_type": content_type,
        "filename": filename, "data": data, "created_at": dt.datetime.now(dt.UTC),
    })  # fmt: skip


async def receipt(tx: Tx, receipt_id: int) -> tuple[int, str, str, bytes] | None:
    """(payment id, content type, filename, bytes) of a receipt."""
    r = await tx.fetchrow(
        f"SELECT payment_id, content_type, filename, data FROM {R} WHERE id = ?", receipt_id
    )
    if r is None:
        return None
    return int(r["payment_id"]), r["content_type"], r["filename"], bytes(r["data"])
