"""A user's message history: list with filters and full-text search, mark read/unread.

Read state is appended to ``notify_reads`` and mirrored in ``notify_messages.is_read``
in the same transaction (the mirror makes "unread only" an indexed filter).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from veriseal.ledger.base import Ledger
from veriseal.notifications import search, store
from veriseal.notifications.errors import MessageNotFound, NotifyInputInvalid
from veriseal.notifications.models import Channel, Message, MessageType

MAX_LIMIT = 500


@dataclass(frozen=True)
class HistoryFilter:
    """Every given field must match. ``query`` is full-text (see :mod:`.search`);
    ``channel`` is a channel the message went (or goes) to, ``inbox`` included;
    ``since`` is inclusive, ``until`` exclusive; ``before_id`` pages backwards."""

    query: str | None = None
    type: MessageType | None = None
    channel: Channel | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    read: bool | None = None
    before_id: int | None = None
    limit: int = 50


class Inbox:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def history(self, user_id: int, f: HistoryFilter | None = None) -> list[Message]:
        """The user's messages matching ``f``, newest first."""
        f = f or HistoryFilter()
        if not 1 <= f.limit <= MAX_LIMIT:
            raise NotifyInputInvalid(f"limit must be 1 to {MAX_LIMIT}")
        clauses, args = self._where(user_id, f)
        if f.before_id is not None:
            clauses.append("m.id < ?")
            args.append(f.before_id)
        async with self._ledger.read() as tx:
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

    def _where(self, user_id: int, f: HistoryFilter) -> tuple[list[str], list[object]]:
        """SQL conditions (on ``notify_messages m``) for ``f``'s filters, paging aside."""
        clauses = ["m.user_id = ?"]
        args: list[object] = [user_id]
        if f.query is not None:
            match, match_args = self._ledger.dialect.search_match(
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

    async def unread_count(self, user_id: int, f: HistoryFilter | None = None) -> int:
        """How many of the user's inbox messages are unread; with ``f``, only those that
        match its filters (search, type, channel, period), so the count printed under a
        filtered list counts what that list can show. ``f.read``, ``before_id`` and
        ``limit`` do not apply."""
        clauses, args = self._where(user_id, replace(f or HistoryFilter(), read=False))
        clauses.append("m.in_inbox = ?")
        args.append(True)
        async with self._ledger.read() as tx:
            row = await tx.fetchrow(
                f"SELECT COUNT(*) AS n FROM notify_messages m WHERE {' AND '.join(clauses)}",
                *args,
            )
        return int(row["n"]) if row else 0

    async def mark(self, user_id: int, message_ids: Sequence[int], read: bool = True) -> int:
        """Mark the user's messages read (or unread); return how many changed state.

        ``MessageNotFound`` if any id is not one of the user's messages: then nothing
        changes (one transaction)."""
        ids = sorted(set(message_ids))
        if not ids:
            return 0
        async with self._ledger.write() as tx:
            found = await tx.fetch(
                "SELECT id, is_read FROM notify_messages"
                f" WHERE user_id = ? AND id IN ({store.placeholders(len(ids))})",
                user_id,
                *ids,
            )
            missing = set(ids) - {int(r["id"]) for r in found}
            if missing:
                raise MessageNotFound(f"user {user_id} has no message {sorted(missing)}")
            changing = [int(r["id"]) for r in found if bool(r["is_read"]) != read]
            now = dt.datetime.now(dt.UTC)
            if changing:
                await tx.executemany(
                    "INSERT INTO notify_reads (message_id, is_read, at) VALUES (?, ?, ?)",
                    [(i, read, now) for i in changing],
                )
                await tx.execute(
                    "UPDATE notify_messages SET is_read = ?"
                    f" WHERE id IN ({store.placeholders(len(changing))})",
                    read,
                    *changing,
                )
        return len(changing)

    async def mark_all_read(self, user_id: int) -> int:
        async with self._ledger.read() as tx:
            found = await tx.fetch(
                "SELECT id FROM notify_messages WHERE user_id = ? AND is_read = ?", user_id, False
            )
        return await self.mark(user_id, [int(r["id"]) for r in found], True)
