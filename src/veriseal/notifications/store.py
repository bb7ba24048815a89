"""SQL of messages and outbox rows, shared by the service, the inbox and the worker.

Functions take an open :class:`Tx` so callers choose the transaction: accepting a
message writes the message, its search tokens and its outbox rows in ONE transaction.
"""

from __future__ import annotations

import datetime as dt
import json
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
