"""A user's message history: list with filters and full-text search, mark read/unread.

Read state is appended to ``notify_reads`` and mirrored in ``notify_messages.is_read``
in the same transaction (the mirror makes "unread only" an indexed filter); the SQL is
in :mod:`veriseal.notifications.inbox_store`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from veriseal.ledger.base import Ledger
from veriseal.notifications import inbox_store
from veriseal.notifications.errors import MessageNotFound, NotifyInputInvalid
from veriseal.notifications.models import HistoryFilter, Message

# HistoryFilter is a record of models; named here too for the callers of the inbox.
__all__ = ["MAX_LIMIT", "HistoryFilter", "Inbox"]

MAX_LIMIT = 500


class Inbox:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    async def history(self, user_id: int, f: HistoryFilter | None = None) -> list[Message]:
        """The user's messages matching ``f``, newest first."""
        f = f or HistoryFilter()
        if not 1 <= f.limit <= MAX_LIMIT:
            raise NotifyInputInvalid(f"limit must be 1 to {MAX_LIMIT}")
        async with self._ledger.read() as tx:
            return await inbox_store.history(tx, user_id, f)

    async def unread_count(self, user_id: int, f: HistoryFilter | None = None) -> int:
        """How many of the user's inbox messages are unread; with ``f``, only those that
        match its filters (search, type, channel, period), so the count printed under a
        filtered list counts what that list can show. ``f.read``, ``before_id`` and
        ``limit`` do not apply."""
        unread = replace(f or HistoryFilter(), read=False)
        async with self._ledger.read() as tx:
            return await inbox_store.count_in_inbox(tx, user_id, unread)

    async def mark(self, user_id: int, message_ids: Sequence[int], read: bool = True) -> int:
        """Mark the user's messages read (or unread); return how many changed state.

        ``MessageNotFound`` if any id is not one of the user's messages: then nothing
        changes (one transaction)."""
        ids = sorted(set(message_ids))
        if not ids:
            return 0
        async with self._ledger.write() as tx:
            states = await inbox_store.read_states(tx, user_id, ids)
            missing = set(ids) - set(states)
            if missing:
                raise MessageNotFound(f"user {user_id} has no message {sorted(missing)}")
            changing = [i for i, is_read in states.items() if is_read != read]
            if changing:
                await inbox_store.set_read(tx, changing, read, dt.datetime.now(dt.UTC))
        return len(changing)

    async def mark_all_read(self, user_id: int) -> int:
        async with self._ledger.read() as tx:
            ids = await inbox_store.unread_ids(tx, user_id)
        return await self.mark(user_id, ids, True)
