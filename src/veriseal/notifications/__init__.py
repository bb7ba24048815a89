"""Notifications: in-app inbox, e-mail, SMS, signed webhooks, Web Push and WeChat
subscribe messages through a durable outbox.

The API the rest of the system calls::

    notifier = Notifier(ledger, contact_book)
    await notifier.notify(user_id, MessageType.SYSTEM_NOTICE, title, body, data={...})
    await notifier.notify_text(user_id, MessageType.SECURITY_NOTICE, "new_login", where=..., ...)
    await notifier.send_to_address(Channel.SMS, "+8613800138000", title, body)
    await notifier.inbox.history(user_id, HistoryFilter(query="窜货", read=False))
    await notifier.inbox.mark(user_id, [message_id], read=True)
    await notifier.preferences.set(user_id, MessageType.SYSTEM_NOTICE, channels=(...), dnd=...)
    await notifier.push.add(user_id, endpoint, p256dh, auth)   # a browser's PushSubscription

    senders = settings.senders(contact_book, push=notifier.push, keyring=keyring)
    worker = DeliveryWorker(ledger, senders, settings.worker_options())
    await worker.run_once()      # or: await worker.run(stop_event)

See docs/notifications.md for the delivery guarantee.
"""

from veriseal.notifications.contacts import LedgerContactBook
from veriseal.notifications.dnd import DndWindow
from veriseal.notifications.errors import (
    AddressInvalid,
    MessageNotFound,
    NotifyInputInvalid,
    OutboxNotFound,
    PushSubscriptionInvalid,
    PushSubscriptionNotFound,
    SearchQueryInvalid,
    SendFailed,
)
from veriseal.notifications.inbox import HistoryFilter, Inbox
from veriseal.notifications.message_types import MessageTypeSpec, register_message_type
from veriseal.notifications.models import (
    Accepted,
    Attachment,
    Attempt,
    AttemptOutcome,
    Channel,
    ContactBook,
    Contacts,
    Delivery,
    DeliveryStatus,
    Message,
    MessageType,
    WechatRecipients,
)
from veriseal.notifications.preferences import Preference
from veriseal.notifications.push import PushSubscriptions
from veriseal.notifications.push_input import EndpointPolicy
from veriseal.notifications.push_store import PushSubscription
from veriseal.notifications.service import Notifier
from veriseal.notifications.settings import NotifySettings
from veriseal.notifications.worker import DeliveryWorker, Report, Sender, WorkerOptions

__all__ = [
    "Accepted",
    "AddressInvalid",
    "Attachment",
    "Attempt",
    "AttemptOutcome",
    "Channel",
    "ContactBook",
    "Contacts",
    "Delivery",
    "DeliveryStatus",
    "DeliveryWorker",
    "DndWindow",
    "EndpointPolicy",
    "HistoryFilter",
    "Inbox",
    "LedgerContactBook",
    "Message",
    "MessageNotFound",
    "MessageType",
    "MessageTypeSpec",
    "Notifier",
    "NotifyInputInvalid",
    "NotifySettings",
    "OutboxNotFound",
    "Preference",
    "PushSubscription",
    "PushSubscriptionInvalid",
    "PushSubscriptionNotFound",
    "PushSubscriptions",
    "Report",
    "SearchQueryInvalid",
    "SendFailed",
    "Sender",
    "WechatRecipients",
    "WorkerOptions",
    "register_message_type",
]
