"""SQL of the delivery worker: finding and claiming due outbox rows under a lease,
appending attempts and moving each row to its next state.

No rules live here: :mod:`veriseal.notifications.worker` decides what is due, how long
a lease lasts, which outcome an attempt has and when to retry, and holds the
transactions (one to claim a batch, one to record it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from veriseal.ledger.base import Tx
from veriseal.notifications import store
from veriseal.notifications.models import AttemptOutcome, Delivery, DeliveryStatus

#: Longest error text kept with an attempt or a delivery.
ERROR_MAX = 2000


def _due(channels: Sequence[str]) -> str:
    """Rows pending, due at the first ``?`` and not leased at the second, of one of
    ``channels`` (bound after those two)."""
    return (
        "status = 'pending' AND not_before <= ? AND (lease_until IS NULL"
        f" OR lease_until < ?) AND channel IN ({store.placeholders(len(channels))})"
    )


async def any_due(tx: Tx, now: dt.datetime, channels: Sequence[str]) -> bool:
    """Whether a delivery of ``channels`` is due and free at ``now`` (attempts aside)."""
    row = await tx.fetchrow(
        f"SELECT 1 AS due FROM notify_outbox WHERE {_due(channels)} LIMIT 1",
        now,
        now,
        *channels,
    )
    return row is not None


@dataclass(frozen=True)
class Claim:
    """What a worker claims: up to ``batch_size`` due rows of ``channels`` with fewer
    than ``max_attempts`` attempts, leased to ``worker`` until ``lease_until``."""

    worker: str
    channels: Sequence[str]
    now: dt.datetime
    lease_until: dt.datetime
    max_attempts: int
    batch_size: int


async def claim(tx: Tx, c: Claim) -> list[Delivery]:
    """Lease the due rows of ``c`` (earliest due first) to ``c.worker``, counting one
    more attempt each; returns them. Rows another transaction holds are skipped, not
    waited for (``tx`` must be a write transaction)."""
    ids = await tx.fetch(
        "UPDATE notify_outbox SET lease_owner = ?, lease_until = ?,"
        " attempts = attempts + 1"
        f" WHERE id IN (SELECT id FROM notify_outbox WHERE {_due(c.channels)} AND attempts < ?"
        f"  ORDER BY not_before, id LIMIT ?{tx.dialect.skip_locked})"
        " RETURNING id",
        c.worker,
        c.lease_until,
        c.now,
        c.now,
        *c.channels,
        c.max_attempts,
        c.batch_size,
    )
    return await store.deliveries_by_id(tx, [int(r["id"]) for r in ids])


@dataclass(frozen=True)
class Stale:
    """A pending row out of attempts whose lease has run out."""

    outbox_id: int
    attempts: int
    lease_owner: str | None


async def exhausted(
    tx: Tx, now: dt.datetime, channels: Sequence[str], max_attempts: int
) -> list[Stale]:
    """Pending rows of ``channels`` with ``max_attempts`` or more attempts whose lease
    ended before ``now``: their last worker stopped before recording the attempt."""
    found = await tx.fetch(
        "SELECT id, attempts, lease_owner FROM notify_outbox WHERE status = 'pending'"
        f" AND channel IN ({store.placeholders(len(channels))}) AND attempts >= ?"
        " AND lease_until < ?",
        *channels,
        max_attempts,
        now,
    )
    return [Stale(int(r["id"]), int(r["attempts"]), r["lease_owner"]) for r in found]


@dataclass(frozen=True)
class NewAttempt:
    outbox_id: int
    attempt_no: int
    worker: str
    started_at: dt.datetime
    at: dt.datetime
    outcome: AttemptOutcome
    error: str


async def append_attempt(tx: Tx, a: NewAttempt) -> None:
    await tx.execute(
        "INSERT INTO notify_attempts (outbox_id, attempt_no, worker, started_at, at,"
        " outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
        a.outbox_id,
        a.attempt_no,
        a.worker,
        a.started_at,
        a.at,
        str(a.outcome),
        a.error[:ERROR_MAX],
    )


async def finish(
    tx: Tx, outbox_id: int, status: DeliveryStatus, error: str | None, at: dt.datetime
) -> None:
    """A still pending row becomes ``status`` (delivered or failed) at ``at``, its lease
    released, whoever holds it."""
    await tx.execute(
        "UPDATE notify_outbox SET status = ?, lease_owner = NULL, lease_until = NULL,"
        " last_error = ?, finished_at = ? WHERE id = ? AND status = 'pending'",
        str(status),
        None if error is None else error[:ERROR_MAX],
        at,
        outbox_id,
    )


async def reschedule(
    tx: Tx, outbox_id: int, lease_owner: str, not_before: dt.datetime | None, error: str
) -> None:
    """A pending row leased to ``lease_owner`` is due again at ``not_before``, no longer
    held by quiet hours, its lease released; a row leased to another is left alone."""
    await tx.execute(
        "UPDATE notify_outbox SET not_before = ?, held_by_dnd = ?, lease_owner = NULL,"
        " lease_until = NULL, last_error = ? WHERE id = ? AND status = 'pending'"
        " AND lease_owner = ?",
        not_before,
        False,
        error[:ERROR_MAX],
        outbox_id,
        lease_owner,
    )


async def redact_raw_message(tx: Tx, outbox_id: int, text: str) -> None:
    """Replace the body of the raw-address message (no user) of delivery ``outbox_id``
    by ``text`` once none of its deliveries is pending; a user's message is kept."""
    await tx.execute(
        "UPDATE notify_messages SET body = ? WHERE user_id IS NULL AND id ="
        " (SELECT message_id FROM notify_outbox WHERE id = ?) AND NOT EXISTS"
        " (SELECT 1 FROM notify_outbox p WHERE p.message_id = notify_messages.id"
        "  AND p.status = 'pending')",
        text,
        outbox_id,
    )
