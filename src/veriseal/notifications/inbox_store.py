"""SQL of a user's message history: filtered reads, counts and read state.

No rules live here: :mod:`veriseal.notifications.inbox` checks the limits and the
ownership of the messages it marks. Read state is appended to ``notify_reads`` and
mirrored in ``notify_messages.is_read`` by :func:`set_read` (the mirror makes "unread
only" an indexed filter).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from veriseal.ledger.base import Tx
from veriseal.notifications import search, store
from veriseal.notifications.models import Channel, HistoryFilter, Message


def _where(tx: Tx, user_id: int, f: HistoryFilter) -> tuple[list[str], list[object]]:
    """SQL conditions (on ``notify_messages m``) for ``f``'s filters, paging aside."""
    clauses = ["m.user_id = ?"]
    args: list[object] = [user_id]
    if f.query is not None:
        match, match_args = tx.dialect.search_match(
            "notify_messages", "m", search.query_groups(f.query)
        )
        clauses.append(match)
        args.extend(match_args)
    if f.type is not None:
        clauses.append("m.mtype = ?")
        args.append(str(f.type))
    if f.channel is Channel.INBOX:
        clauses.append("m.in_inbox = ?")
        args.append(True)
    elif f.channel is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM notify_outbox o WHERE o.message_id = m.id AND o.channel = ?)"
        )
        args.append(str(f.channel))
    if f.since is not None:
        clauses.append("m.created_at >= ?")
        args.append(f.since)
    if f.until is not None:
        clauses.append("m.created_at < ?")
        args.append(f.until)
    if f.read is not None:
        clauses.append("m.is_read = ?")
        args.append(f.read)
    return clauses, args


async def history(tx: Tx, user_id: int, f: HistoryFilter) -> list[Message]:
    """The user's messages matching ``f`` (``before_id`` and ``limit`` included), newest
    first, each with the channels it went (or goes) to, the inbox first."""
    clauses, args = _where(tx, user_id, f)
    if f.before_id is not None:
        clauses.append("m.id < ?")
        args.append(f.before_id)
    found = await tx.fetch(
        "SELECT m.id, m.user_id, m.mtype, m.title, m.body, m.data, m.in_inbox,"
        " m.is_read, m.created_at FROM notify_messages m"
        f" WHERE {' AND '.join(clauses)} ORDER BY m.id DESC LIMIT ?",
        *args,
        f.limit,
    )
    channels: dict[int, list[Channel]] = defaultdict(list)
    if found:
        ids = [int(r["id"]) for r in found]
        for r in await tx.fetch(
            "SELECT message_id, channel FROM notify_outbox"
            f" WHERE message_id IN ({store.placeholders(len(ids))}) ORDER BY id",
            *ids,
        ):
            channels[int(r["message_id"])].append(Channel(r["channel"]))
    out = []
    for r in found:
        chans = ([Channel.INBOX] if r["in_inbox"] else []) + channels[int(r["id"])]
        out.append(store.message(r, tuple(chans)))
    return out


async def count_in_inbox(tx: Tx, user_id: int, f: HistoryFilter) -> int:
    """How many of the user's inbox messages match ``f`` (``before_id`` and ``limit``
    do not apply)."""
    clauses, args = _where(tx, user_id, f)
    clauses.append("m.in_inbox = ?")
    args.append(True)
    row = await tx.fetchrow(
        f"SELECT COUNT(*) AS n FROM notify_messages m WHERE {' AND '.join(clauses)}", *args
    )
    return int(row["n"]) if row else 0


async def read_states(tx: Tx, user_id: int, message_ids: Sequence[int]) -> dict[int, bool]:
    """Whether each of ``message_ids`` that is one of the user's messages is read."""
    found = await tx.fetch(
        "SELECT id, is_read FROM notify_messages"
        f" WHERE user_id = ? AND id IN ({store.placeholders(len(message_ids))})",
        user_id,
        *message_ids,
    )
    return {int(r["id"]): bool(r["is_read"]) for r in found}


async def unread_ids(tx: Tx, user_id: int) -> list[int]:
    found = await tx.fetch(
        "SELECT id FROM notify_messages WHERE user_id = ? AND is_read = ?", user_id, False
    )
    return [int(r["id"]) for r in found]


async def set_read(tx: Tx, message_ids: Sequence[int], read: bool, at: dt.datetime) -> None:
    """Append the new read state of ``message_ids`` (non-empty) and mirror it."""
    await tx.executemany(
        "INSERT INTO notify_reads (message_id, is_read, at) VALUES (?, ?, ?)",
        [(i, read, at) for i in message_ids],
    )
    await tx.execute(
        "UPDATE notify_messages SET is_read = ?"
        f" WHERE id IN ({store.placeholders(len(message_ids))})",
        read,
        *message_ids,
    )
