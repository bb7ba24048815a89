"""SQL of messages and outbox rows, shared by the service, the inbox and the worker,
and the outbox's read side.

Functions take an open :class:`Tx` so callers choose the transaction: accepting a
message writes the message, its search tokens and its outbox rows in ONE transaction.
The inbox's queries are in :mod:`.inbox_store`, the worker's in :mod:`.delivery_store`,
per-user settings in :mod:`.preferences_store`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx
from veriseal.notifications.models import (
    Attempt,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    MessageType,
    PlannedDelivery,
)

DELIVERY_COLS = (
    "o.id, o.message_id, o.channel, o.address, o.idempotency_key, o.status, o.attempts,"
    " o.not_before, o.held_by_dnd, o.last_error, o.created_at, o.finished_at,"
    " m.user_id, m.mtype, m.title, m.body, m.data"
)


async def insert_message(
    tx: Tx,
    *,
    user_id: int | None,
    mtype: MessageType,
    title: str,
    body: str,
    data: dict[str, Any],
    in_inbox: bool,
    now: dt.datetime,
) -> int:
    """Store a message; a user's message is also indexed for search (a message sent to a
    raw address has no history, so nothing of it is indexed)."""
    return await tx.insert_returning_id(
        "notify_messages",
        {
            "user_id": user_id,
            "mtype": str(mtype),
            "title": title,
            "body": body,
            "data": json.dumps(data),
            "in_inbox": in_inbox,
            "is_read": False,
            "created_at": now,
        },
        search=f"{title}\n{body}" if user_id is not None else "",
    )


async def insert_delivery(
    tx: Tx, message_id: int, planned: PlannedDelivery, key: str, now: dt.datetime
) -> int:
    row = await tx.fetchrow(
        "INSERT INTO notify_outbox (message_id, channel, address, idempotency_key, status,"
        " attempts, not_before, held_by_dnd, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)"
        " RETURNING id",
        message_id,
        str(planned.channel),
        planned.address,
        key,
        str(DeliveryStatus.PENDING),
        planned.not_before,
        planned.held_by_dnd,
        now,
    )
    assert row is not None
    return int(row["id"])


def delivery(row: Row) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        message_id=int(row["message_id"]),
        user_id=row["user_id"],
        type=MessageType(row["mtype"]),
        channel=Channel(row["channel"]),
        address=row["address"],
        idempotency_key=row["idempotency_key"],
        status=DeliveryStatus(row["status"]),
        attempts=int(row["attempts"]),
        not_before=rows.ts(row["not_before"]),
        held_by_dnd=bool(row["held_by_dnd"]),
        title=row["title"],
        body=row["body"],
        data=json.loads(row["data"]),
        last_error=row["last_error"],
        created_at=rows.ts(row["created_at"]),
        finished_at=rows.ts(row["finished_at"]) if row["finished_at"] is not None else None,
    )


def message(row: Row, channels: tuple[Channel, ...] = ()) -> Message:
    return Message(
        id=int(row["id"]),
        user_id=row["user_id"],
        type=MessageType(row["mtype"]),
        title=row["title"],
        body=row["body"],
        data=json.loads(row["data"]),
        in_inbox=bool(row["in_inbox"]),
        read=bool(row["is_read"]),
        created_at=rows.ts(row["created_at"]),
        channels=channels,
    )


def attempt(row: Row) -> Attempt:
    return Attempt(
        id=int(row["id"]),
        outbox_id=int(row["outbox_id"]),
        attempt_no=int(row["attempt_no"]),
        worker=row["worker"],
        started_at=rows.ts(row["started_at"]),
        at=rows.ts(row["at"]),
        outcome=row["outcome"],
        error=row["error"],
    )


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


# -- the outbox's read side, for operators -----------------------------------------------
async def status_counts(tx: Tx) -> dict[str, int]:
    """How many deliveries are in each status (statuses with none are absent)."""
    found = await tx.fetch("SELECT status, COUNT(*) AS n FROM notify_outbox GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in found}


async def held_count(tx: Tx, now: dt.datetime) -> int:
    """Pending deliveries waiting for a do-not-disturb window that ends after ``now``."""
    row = await tx.fetchrow(
        "SELECT COUNT(*) AS n FROM notify_outbox WHERE status = 'pending'"
        " AND held_by_dnd = ? AND not_before > ?",
        True,
        now,
    )
    return int(row["n"]) if row else 0


async def deliveries(
    tx: Tx, status: DeliveryStatus | None, message_id: int | None, limit: int
) -> list[Delivery]:
    """Deliveries with the given status and message (None: any), newest first."""
    clauses: list[str] = ["1 = 1"]
    args: list[object] = []
    if status is not None:
        clauses.append("o.status = ?")
        args.append(str(status))
    if message_id is not None:
        clauses.append("o.message_id = ?")
        args.append(message_id)
    found = await tx.fetch(
        f"SELECT {DELIVERY_COLS} FROM notify_outbox o"
        " JOIN notify_messages m ON m.id = o.message_id"
        f" WHERE {' AND '.join(clauses)} ORDER BY o.id DESC LIMIT ?",
        *args,
        limit,
    )
    return [delivery(r) for r in found]


async def deliveries_by_id(tx: Tx, outbox_ids: Sequence[int]) -> list[Delivery]:
    """The deliveries ``outbox_ids`` (those that exist), by due time, then id."""
    if not outbox_ids:
        return []
    found = await tx.fetch(
        f"SELECT {DELIVERY_COLS} FROM notify_outbox o"
        " JOIN notify_messages m ON m.id = o.message_id"
        f" WHERE o.id IN ({placeholders(len(outbox_ids))}) ORDER BY o.not_before, o.id",
        *outbox_ids,
    )
    return [delivery(r) for r in found]


async def attempts(tx: Tx, outbox_id: int) -> list[Attempt]:
    """The attempts of one delivery, in order."""
    found = await tx.fetch(
        "SELECT * FROM notify_attempts WHERE outbox_id = ? ORDER BY id", outbox_id
    )
    return [attempt(r) for r in found]
