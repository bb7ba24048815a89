"""The event stream's storage: appended events, consumer cursors, parked events.

Contract (migration ``0011_event_stream``):

- :func:`append` writes stream rows inside the caller's transaction, so an event
  commits together with the fact it announces, or not at all. Append LAST in a
  transaction: on PostgreSQL the first stream row takes a transaction-scoped lock held
  until the commit (that is what makes positions commit-ordered, see the migration).
- Positions grow in commit order on both backends, so every position at or below the
  head a reader sees is final: a reader that moved past it never misses a later commit.
- A cursor is read with :func:`lock_cursor` inside the consumer's write transaction and
  moved with :func:`set_cursor` in the same one, together with the consumer's effects.

Portable SQL throughout; the one difference (the cursor's row lock) comes from the
transaction's dialect (:mod:`veriseal.ledger.dialects`), and the commit order of
positions on PostgreSQL from the migration's trigger.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from veriseal.ledger import rows
from veriseal.ledger.base import Row, Tx

#: Largest JSON payload (characters) an event may carry: the stream announces facts,
#: it does not copy them; a consumer reads what else it needs from the fact's own row.
MAX_PAYLOAD = 4000

_APPEND = "INSERT INTO stream_events (kind, brand_id, ref, payload, at) VALUES (?, ?, ?, ?, ?)"
_COLS = "position, kind, brand_id, ref, payload, at"


@dataclass(frozen=True, slots=True)
class NewStreamEvent:
    """An event to append: its ``kind`` (core: ``scan``, ``alert``, ``lifecycle``;
    plugins: ``<plugin>.<event>``), the brand it concerns (None: none), ``ref`` the id
    of the row it announces and a small JSON-ready ``payload``."""

    kind: str
    brand_id: int | None
    ref: int
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """An appended event, at its ``position`` in the stream."""

    position: int
    kind: str
    brand_id: int | None
    ref: int
    payload: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Parked:
    """An event a consumer gave up on after ``tries`` failures, with the last error."""

    consumer: str
    position: int
    kind: str
    error: str
    tries: int
    parked_at: dt.datetime
    resolved_at: dt.datetime | None


def encode_payload(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


async def append(tx: Tx, events: Sequence[NewStreamEvent], at: dt.datetime | None = None) -> None:
    """Append ``events`` in ``tx``, in order, with ONE executemany."""
    if not events:
        return
    when = at or dt.datetime.now(dt.UTC)
    await tx.executemany(
        _APPEND,
        [(e.kind, e.brand_id, e.ref, encode_payload(e.payload), when) for e in events],
    )


#: every consumer decodes every event it reads: msgspec takes 0.14 us for a scan's
#: payload where json.loads takes 1.2 (the payloads are json.dumps' own output)
_PAYLOAD = msgspec.json.Decoder()


def _event(row: Row) -> StreamEvent:
    return StreamEvent(
        int(row["position"]),
        str(row["kind"]),
        None if row["brand_id"] is None else int(row["brand_id"]),
        int(row["ref"]),
        _PAYLOAD.decode(row["payload"]),
        rows.ts(row["at"]),
    )


async def head(tx: Tx, after: int = 0) -> int:
    """The newest position (0: the stream is empty), or ``after`` when none is newer.
    A consumer passes its cursor: on PostgreSQL the bound leaves the months it has read
    out of the query's plan (stream_events is partitioned by position)."""
    row = await tx.fetchrow(
        "SELECT COALESCE(MAX(position), 0) AS head FROM stream_events WHERE position > ?", after
    )
    return after if row is None or not row["head"] else int(row["head"])


async def read_after(
    tx: Tx, after: int, upto: int, kinds: Collection[str] | None, limit: int
) -> list[StreamEvent]:
    """At most ``limit`` events with ``after < position <= upto`` of the given ``kinds``
    (None: every kind), in position order."""
    sql = f"SELECT {_COLS} FROM stream_events WHERE position > ? AND position <= ?"
    args: list[Any] = [after, upto]
    if kinds is not None:
        wanted = sorted(kinds)
        sql += f" AND kind IN ({', '.join('?' * len(wanted))})"
        args += wanted
    found = await tx.fetch(sql + " ORDER BY position LIMIT ?", *args, limit)
    return [_event(r) for r in found]


async def read_at(tx: Tx, position: int) -> StreamEvent | None:
    row = await tx.fetchrow(f"SELECT {_COLS} FROM stream_events WHERE position = ?", position)
    return None if row is None else _event(row)


# -- cursors ---------------------------------------------------------------------------
async def lock_cursor(tx: Tx, consumer: str) -> int:
    """The consumer's committed position (0 for a new consumer), locked until ``tx``
    ends, so two workers never deliver the same batch to one consumer at once (a row
    lock on PostgreSQL; SQLite's write transaction already excludes every other)."""
    await tx.execute(
        "INSERT INTO stream_cursors (consumer, position, updated_at) VALUES (?, 0, ?)"
        " ON CONFLICT (consumer) DO NOTHING",
        consumer,
        dt.datetime.now(dt.UTC),
    )
    row = await tx.fetchrow(
        "SELECT position FROM stream_cursors WHERE consumer = ?" + tx.dialect.for_update, consumer
    )
    assert row is not None
    return int(row["position"])


async def set_cursor(tx: Tx, consumer: str, position: int) -> None:
    await tx.execute(
        "UPDATE stream_cursors SET position = ?, updated_at = ? WHERE consumer = ?",
        position,
        dt.datetime.now(dt.UTC),
        consumer,
    )


async def cursors(tx: Tx) -> dict[str, int]:
    """Every known consumer's committed position."""
    found = await tx.fetch("SELECT consumer, position FROM stream_cursors ORDER BY consumer")
    return {str(r["consumer"]): int(r["position"]) for r in found}


async def cursor(tx: Tx, consumer: str) -> int:
    """The consumer's committed position without locking it (0: none yet)."""
    row = await tx.fetchrow("SELECT position FROM stream_cursors WHERE consumer = ?", consumer)
    return 0 if row is None else int(row["position"])


async def cursor_and_head(tx: Tx, consumer: str) -> tuple[int, int]:
    """``(cursor(tx, consumer), head(tx, that cursor))`` in one statement: a consumer's
    every poll asks both, and a round trip each was 2.8% of the verify server's loop on
    PostgreSQL (issue 20). The head's bound is the cursor read in the same statement,
    which PostgreSQL prunes the partitions by at run time, as it does a parameter."""
    row = await tx.fetchrow(
        "SELECT c.position AS cursor, (SELECT MAX(position) FROM stream_events"
        " WHERE position > c.position) AS head FROM (SELECT COALESCE((SELECT position"
        " FROM stream_cursors WHERE consumer = ?), 0) AS position) AS c",
        consumer,
    )
    assert row is not None  # one row, whatever the tables hold
    after = int(row["cursor"])
    return after, after if row["head"] is None else int(row["head"])


# -- parked events ---------------------------------------------------------------------
async def park(tx: Tx, consumer: str, event: StreamEvent, error: str, tries: int) -> None:
    """Record that ``consumer`` gave up on ``event`` (again, after a failed retry)."""
    await tx.execute(
        "INSERT INTO stream_parked (consumer, position, kind, error, tries, parked_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (consumer, position) DO UPDATE SET"
        " error = excluded.error, tries = stream_parked.tries + excluded.tries,"
        " parked_at = excluded.parked_at, resolved_at = NULL",
        consumer,
        event.position,
        event.kind,
        error[:2000],
        tries,
        dt.datetime.now(dt.UTC),
    )


async def resolve(tx: Tx, consumer: str, position: int) -> None:
    """Mark a parked event as handled (a retry succeeded)."""
    await tx.execute(
        "UPDATE stream_parked SET resolved_at = ? WHERE consumer = ? AND position = ?",
        dt.datetime.now(dt.UTC),
        consumer,
        position,
    )


async def parked(tx: Tx, consumer: str | None = None, resolved: bool = False) -> list[Parked]:
    """Parked events (of one consumer), oldest position first; ``resolved`` includes
    those a retry has since handled."""
    sql = "SELECT * FROM stream_parked WHERE 1 = 1"
    args: list[Any] = []
    if consumer is not None:
        sql += " AND consumer = ?"
        args.append(consumer)
    if not resolved:
        sql += " AND resolved_at IS NULL"
    found = await tx.fetch(sql + " ORDER BY position, consumer", *args)
    return [
        Parked(
            str(r["consumer"]),
            int(r["position"]),
            str(r["kind"]),
            str(r["error"]),
            int(r["tries"]),
            rows.ts(r["parked_at"]),
            None if r["resolved_at"] is None else rows.ts(r["resolved_at"]),
        )
        for r in found
    ]
