"""A user's own messages and notification settings, and broadcasts by admins, with the
permission checks the notification system itself does not make.

- Everybody reads, searches and marks their OWN history, and sets their own channel
  preferences and do-not-disturb windows (``messages.own``).
- Brand and platform admins send notices (every type registered as ``broadcast``) to the users of an
  organisation subtree of their brand (``notify.broadcast``).
"""

from __future__ import annotations

from typing import Any

from veriseal.accounts.models import Principal, UserStatus
from veriseal.accounts.permissions import Action, require
from veriseal.accounts.store import AccountStore
from veriseal.errors import InvalidInput
from veriseal.notifications import HistoryFilter, Notifier
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.message_types import broadcastable
from veriseal.notifications.message_types import known as known_types
from veriseal.notifications.models import Channel, Message, MessageType
from veriseal.notifications.preferences import Preference


def preference_dict(p: Preference) -> dict[str, Any]:
    return {
        "type": str(p.type),
        "channels": [str(c) for c in p.channels],
        "dnd": None
        if p.dnd is None
        else {"start": p.dnd.start.strftime("%H:%M"), "end": p.dnd.end.strftime("%H:%M"),
              "tz": p.dnd.tz},
        "default": p.is_default,
    }  # fmt: skip


class UserMessages:
    def __init__(self, notifier: Notifier, store: AccountStore) -> None:
        self.notifier = notifier
        self.store = store

    @staticmethod
    def _me(principal: Principal) -> int:
        if principal.user_id is None:
            raise InvalidInput("act as a user to read messages")
        require(principal, Action.MESSAGES_OWN, owner_id=principal.user_id)
        return principal.user_id

    async def history(self, principal: Principal, f: HistoryFilter) -> list[Message]:
        return await self.notifier.inbox.history(self._me(principal), f)

    async def unread(self, principal: Principal) -> int:
        return await self.notifier.inbox.unread_count(self._me(principal))

    async def mark(self, principal: Principal, ids: list[int], read: bool) -> int:
        return await self.notifier.inbox.mark(self._me(principal), ids, read)

    async def mark_all_read(self, principal: Principal) -> int:
        return await self.notifier.inbox.mark_all_read(self._me(principal))

    async def preferences(self, principal: Principal) -> list[Preference]:
        return await self.notifier.preferences.all(self._me(principal))

    async def set_preference(
        self,
        principal: Principal,
        mtype: MessageType,
        channels: tuple[Channel, ...] | None,
        dnd: DndWindow | None,
        clear_dnd: bool,
    ) -> Preference:
        return await self.notifier.preferences.set(
            self._me(principal), mtype, channels=channels, dnd=dnd, clear_dnd=clear_dnd
        )

    async def broadcast(
        self, principal: Principal, org_id: int, mtype: MessageType, title: str, body: str
    ) -> int:
        """Send to every active user of ``org_id``'s subtree; returns how many."""
        if not broadcastable(mtype):
            # only registered broadcast types; the others are written by the system itself
            allowed = sorted(str(t) for t in known_types() if broadcastable(t))
            raise InvalidInput(f"admins send {allowed} only")
        root = await self.store.get_org(org_id)
        require(principal, Action.NOTIFY_BROADCAST, org=root)
        orgs = await self.store.subtree(root)
        users = [u.id for u in await self.store.list_users([o.id for o in orgs])
                 if u.status is UserStatus.ACTIVE]  # fmt: skip
        if users:
            await self.notifier.notify_many(users, mtype, title, body)
        return len(users)
