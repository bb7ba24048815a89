"""Errors of the notifications module (stable codes) and their bilingual titles.

::

    NotifyInputInvalid   (400) "notify_input_invalid": a bad type, channel, title or window
    AddressInvalid       (400) "address_invalid": an e-mail, phone or URL that is malformed
    SearchQueryInvalid   (400) "search_query_invalid": a search with no searchable word
    MessageNotFound      (404) "message_not_found": no such message for this user
    OutboxNotFound       (404) "outbox_not_found": no such delivery
    PushSubscriptionInvalid (400) "push_subscription_invalid": a malformed browser subscription
    PushSubscriptionNotFound (404) "push_subscription_not_found": none of this user's

Delivery failures are not errors raised to callers: a channel reports them to the
worker as :class:`SendFailed` (permanent or not), and the worker records them.
"""

from __future__ import annotations

from veriseal.errors import InvalidInput, NotFound
from veriseal.i18n import register


class NotifyInputInvalid(InvalidInput):
    code = "notify_input_invalid"


class AddressInvalid(InvalidInput):
    code = "address_invalid"


class SearchQueryInvalid(InvalidInput):
    code = "search_query_invalid"


class MessageNotFound(NotFound):
    code = "message_not_found"


class OutboxNotFound(NotFound):
    code = "outbox_not_found"


class PushSubscriptionInvalid(InvalidInput):
    code = "push_subscription_invalid"


class PushSubscriptionNotFound(NotFound):
    code = "push_subscription_not_found"


class SendFailed(Exception):
    """A channel could not deliver. ``permanent``: retrying cannot help (a rejected
    address, a 4xx answer); otherwise the worker retries with backoff."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


register(
    {
        "error.notify_input_invalid": ("Invalid notification input", "通知参数无效"),
        "error.address_invalid": ("Invalid address", "地址无效"),
        "error.search_query_invalid": ("Invalid search", "搜索内容无效"),
        "error.message_not_found": ("Message not found", "未找到消息"),
        "error.outbox_not_found": ("Delivery not found", "未找到投递记录"),
        "error.push_subscription_invalid": ("Invalid push subscription", "推送订阅无效"),
        "error.push_subscription_not_found": ("Push subscription not found", "未找到推送订阅"),
    }
)
