"""The accounts module's side of the notification system.

- :class:`AccountContactBook`: where a user is reached. Contacts set explicitly for
  notifications (``notify contacts set``, webhooks) win; otherwise the account's own
  e-mail address and phone number are used. The WeChat openid comes from a
  :class:`~veriseal.notifications.models.WechatRecipients`; by default
  :class:`ProfileWechatRecipients`, the profile field ``wechat_openid`` (an interim
  home: the openid belongs with the user's external WeChat identity, which a later
  ``external_identities`` table holds; pass a recipients object reading that instead).
- :class:`OutboxAccountNotifier`: one-time codes and security notices go through the
  durable outbox (retried until delivered; security notices are never held by
  do-not-disturb). Texts are bilingual: the reader's language is not known yet.
"""

from __future__ import annotations

from veriseal.accounts.errors import UserNotFound
from veriseal.accounts.models import User
from veriseal.accounts.store import AccountStore
from veriseal.i18n import bilingual, register
from veriseal.notifications import LedgerContactBook, Notifier
from veriseal.notifications.models import Channel, Contacts, MessageType, WechatRecipients

register({"account.security_title": ("Security notice", "账号安全提醒")})


#: The profile field the interim WeChat recipients read (set by the mini-program's
#: sign-in or an admin; not a field users edit themselves: see PROFILE_FIELDS).
OPENID_FIELD = "wechat_openid"


def profile_openid(user: User) -> str | None:
    return user.profile.get(OPENID_FIELD) or None


class ProfileWechatRecipients:
    """:class:`WechatRecipients` over the users' profile field ``wechat_openid``."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store

    async def openid(self, user_id: int) -> str | None:
        try:
            return profile_openid(await self.store.get_user(user_id))
        except UserNotFound:
            return None


class AccountContactBook:
    def __init__(
        self,
        store: AccountStore,
        explicit: LedgerContactBook,
        wechat: WechatRecipients | None = None,
    ) -> None:
        self.store = store
        self.explicit = explicit
        self.wechat = wechat  # None: the profile field, read from the user loaded anyway

    async def contacts(self, user_id: int) -> Contacts:
        chosen = await self.explicit.contacts(user_id)
        try:
            user = await self.store.get_user(user_id)
        except UserNotFound:
            return chosen
        openid = profile_openid(user) if self.wechat is None else await self.wechat.openid(user_id)
        return Contacts(
            chosen.email or user.email,
            chosen.phone or user.phone,
            chosen.webhook_url,
            chosen.webhook_secret,
            openid,
        )


class OutboxAccountNotifier:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def send_code(self, destination: str, purpose: str, code: str, minutes: int) -> None:
        channel = Channel.EMAIL if "@" in destination else Channel.SMS
        await self.notifier.send_to_address(
            channel,
            destination,
            bilingual("account.code_title"),
            bilingual("account.code", code=code, minutes=minutes),
        )

    async def security_notice(self, user: User, key: str, **values: object) -> None:
        await self.notifier.notify(
            user.id,
            MessageType.SECURITY_NOTICE,
            bilingual("account.security_title"),
            bilingual(key, **values),
        )
