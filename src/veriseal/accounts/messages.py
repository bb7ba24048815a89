"""A user's own messages and notification settings, and broadcasts by admins, with the
permission checks the notification system itself does not make.

- Everybody reads, searches and marks their OWN history, and sets their own channel
  preferences and do-not-disturb windows (``messages.own``).
- Everybody manages the Web Push subscriptions of their OWN browsers (``messages.own``):
  register one, list theirs, remove one; another user's subscription is "not found".
- Brand and platform admins send notices (every type registered as ``broadcast``) to the users of an
  organisation subtree of their brand (``notify.broadcast``).
"""

from __future__ import annotations

from typing import Any

from veriseal.accounts.models import Principal, UserQuery, UserStatus
from veriseal.accounts.permissions import Action, require
from veriseal.accounts.store import AccountStore, Audit
from veriseal.errors import InvalidInput
from veriseal.notifications import HistoryFilter, Notifier
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.message_types import broadcastable
from veriseal.notifications.message_types import known as known_types
from veriseal.notifications.models import Channel, Message, MessageType
from veriseal.notifications.preferences import Preference
from veriseal.notifications.push_store import PushSubscription


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

    async def push_subscribe(
        self,
        principal: Principal,
        endpoint: str,
        p256dh: str,
        auth: str,
        *,
        user_agent: str = "",
        lang: str = "zh",
    ) -> PushSubscription:
        """Register this browser's push subscription for the caller (see
        :class:`~veriseal.notifications.push.PushSubscriptions` for the rules)."""
        return await self.notifier.push.add(
            self._me(principal), endpoint, p256dh, auth, user_agent=user_agent, lang=lang
        )

    async def push_subscriptions(self, principal: Principal) -> list[PushSubscription]:
        return await self.notifier.push.of_user(self._me(principal))

    async def push_unsubscribe(self, principal: Principal, sub_id: int) -> None:
        await self.notifier.push.remove(self._me(principal), sub_id)

    async def push_unsubscribe_endpoint(self, principal: Principal, endpoint: str) -> bool:
        return await self.notifier.push.remove_endpoint(self._me(principal), endpoint)

    async def audience(self, principal: Principal, org_id: int, mtype: MessageType) -> list[int]:
        """The ids of the users a broadcast of ``mtype`` to ``org_id``'s subtree would
        reach (every active user there), after the same checks as :meth:`broadcast`:
        the console previews the count before sending."""
        if not broadcastable(mtype):
            # only registered broadcast types; the others are written by the system itself
            allowed = sorted(str(t) for t in known_types() if broadcastable(t))
            raise InvalidInput(f"admins send {allowed} only")
        root = await self.store.get_org(org_id)
        require(principal, Action.NOTIFY_BROADCAST, org=root)
        found = await self.store.search_users(root, UserQuery(status=UserStatus.ACTIVE), limit=None)
        return [u.id for u in found]

    async def broadcast(
        self, principal: Principal, org_id: int, mtype: MessageType, title: str, body: str
    ) -> int:
        """Send to every active user of ``org_id``'s subtree; returns how many. The
        sending is audited (``notify.broadcast``: who, to which subtree, how many, the
        title) in the brand's log, in the transaction that accepts the messages."""
        users = await self.audience(principal, org_id, mtype)
        root = await self.store.get_org(org_id)
        plans = [await self.notifier.plan(u, mtype, title, body) for u in users]
        audit = Audit(
            principal.user_id,
            root.brand_id,
            "notify.broadcast",
            f"org:{org_id}",
            principal.client,
            {"type": str(mtype), "recipients": len(users), "title": title[:200]},
        )
        # the messages and the audit row in ONE transaction: none without the other
        async with self.store.ledger.write() as tx:
            for plan in plans:
                await self.notifier.store(tx, plan)
            await self.store.append_audit(tx, audit)
        return len(users)


def bilingual_message(title_en: str, title_zh: str, body_en: str, body_zh: str) -> tuple[str, str]:
    """One message in both languages, the way the system's own messages are written
    (:func:`veriseal.notifications.texts.compose`): title ``English / 中文``, the two
    bodies one after the other. A language left empty is left out; ``InvalidInput``
    when both titles are empty."""
    title_en, title_zh = title_en.strip(), title_zh.strip()
    body_en, body_zh = body_en.strip(), body_zh.strip()
    if not title_en and not title_zh:
        raise InvalidInput("a notice needs a title (in English, Chinese or both)")
    title = " / ".join(t for t in (title_en, title_zh) if t)
    body = "\n\n".join(b for b in (body_en, body_zh) if b)
    return title, body
