"""SQL of ``push_subscriptions``: browsers' Web Push subscriptions.

No rules live here: :mod:`veriseal.notifications.push` checks the input, decides who
may change which row and when a row is dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx

_COLS = "id, user_id, endpoint, p256dh, auth, user_agent, lang, created_at, last_ok_at, failures"


@dataclass(frozen=True)
class PushSubscription:
    """One stored subscription. ``p256dh`` and ``auth`` are unpadded base64url;
    ``lang`` ("zh"/"en") is the language its notifications are written in."""

    id: int
    user_id: int
    endpoint: str
    p256dh: str
    auth: str
    user_agent: str
    lang: str
    created_at: dt.datetime
    last_ok_at: dt.datetime | None
    failures: int

    def to_dict(self) -> dict[str, object]:
        """The subscription as the API shows it to its owner: the endpoint's host only
        (the full URL is a capability of the browser's push channel) and no keys."""
        host = self.endpoint.split("://", 1)[-1].split("/", 1)[0]
        return {
            "id": self.id,
            "service": host,
            "user_agent": self.user_agent,
            "lang": self.lang,
            "created_at": self.created_at.isoformat(),
            "last_ok_at": None if self.last_ok_at is None else self.last_ok_at.isoformat(),
            "failures": self.failures,
        }


def _row(r: Row) -> PushSubscription:
    return PushSubscription(
        id=int(r["id"]),
        user_id=int(r["user_id"]),
        endpoint=r["endpoint"],
        p256dh=r["p256dh"],
        auth=r["auth"],
        user_agent=r["user_agent"],
        lang=r["lang"],
        created_at=rows.ts(r["created_at"]),
        last_ok_at=None if r["last_ok_at"] is None else rows.ts(r["last_ok_at"]),
        failures=int(r["failures"]),
    )


@dataclass(frozen=True)
class NewSubscription:
    user_id: int
    endpoint: str
    p256dh: str
    auth: str
    user_agent: str
    lang: str
    at: dt.datetime


async def by_endpoint(tx: Tx, endpoint: str) -> PushSubscription | None:
    row = await tx.fetchrow(f"SELECT {_COLS} FROM push_subscriptions WHERE endpoint = ?", endpoint)
    return None if row is None else _row(row)


async def insert(tx: Tx, new: NewSubscription) -> int:
    return await tx.insert_returning_id(
        "push_subscriptions",
        {
            "user_id": new.user_id,
            "endpoint": new.endpoint,
            "p256dh": new.p256dh,
            "auth": new.auth,
            "user_agent": new.user_agent,
            "lang": new.lang,
            "created_at": new.at,
            "failures": 0,
        },
    )


async def refresh(tx: Tx, sub_id: int, new: NewSubscription) -> None:
    """The same browser registered its subscription again: new keys, a clean slate."""
    await tx.execute(
        "UPDATE push_subscriptions SET p256dh = ?, auth = ?, user_agent = ?, lang = ?,"
        " failures = 0 WHERE id = ?",
        new.p256dh,
        new.auth,
        new.user_agent,
        new.lang,
        sub_id,
    )


async def get(tx: Tx, sub_id: int) -> PushSubscription | None:
    row = await tx.fetchrow(f"SELECT {_COLS} FROM push_subscriptions WHERE id = ?", sub_id)
    return None if row is None else _row(row)


async def of_user(tx: Tx, user_id: int) -> list[PushSubscription]:
    """The user's subscriptions, oldest first."""
    found = await tx.fetch(
        f"SELECT {_COLS} FROM push_subscriptions WHERE user_id = ? ORDER BY id", user_id
    )
    return [_row(r) for r in found]


async def ids_of_user(tx: Tx, user_id: int) -> list[int]:
    found = await tx.fetch(
        "SELECT id FROM push_subscriptions WHERE user_id = ? ORDER BY id", user_id
    )
    return [int(r["id"]) for r in found]


async def delete(tx: Tx, sub_id: int, user_id: int | None = None) -> bool:
    """Delete subscription ``sub_id`` (only if it is ``user_id``'s, when given);
    whether a row went."""
    if user_id is None:
        found = await tx.fetch("DELETE FROM push_subscriptions WHERE id = ? RETURNING id", sub_id)
    else:
        found = await tx.fetch(
            "DELETE FROM push_subscriptions WHERE id = ? AND user_id = ? RETURNING id",
            sub_id,
            user_id,
        )
    return bool(found)


async def delete_endpoint(tx: Tx, endpoint: str, user_id: int) -> bool:
    """Delete ``user_id``'s subscription at ``endpoint``; whether a row went."""
    found = await tx.fetch(
        "DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ? RETURNING id",
        endpoint,
        user_id,
    )
    return bool(found)


async def succeeded(tx: Tx, sub_id: int, at: dt.datetime) -> None:
    await tx.execute(
        "UPDATE push_subscriptions SET last_ok_at = ?, failures = 0 WHERE id = ?", at, sub_id
    )


async def failed(tx: Tx, sub_id: int) -> None:
    await tx.execute("UPDATE push_subscriptions SET failures = failures + 1 WHERE id = ?", sub_id)
