"""Records of the notifications module: message types, channels, contacts, messages,
deliveries and attempts. Plain frozen dataclasses; no I/O."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol


class MessageType(str):
    """The type of a message (``system_notice``): what a user sets channels and quiet
    hours for. An open set: the core's own types are the class attributes below, and a
    plugin adds its own (``diversion_alert``, ``order_status``) through the
    ``register_message_types`` hook (:mod:`veriseal.notifications.message_types`, with
    their zh/en names and default channels). ``MessageType(name)`` only checks the form
    of the name, so every type stored in a row reads back, registered or not."""

    __slots__ = ()

    def __new__(cls, name: str) -> MessageType:
        if not _TYPE_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a message type name (lower-case, a-z0-9_)")
        return super().__new__(cls, name)

    def __repr__(self) -> str:
        return f"MessageType({str(self)!r})"

    def __str__(self) -> str:
        return str.__str__(self)

    @property
    def value(self) -> str:
        """The stored name (as an enum member's ``value``)."""
        return str(self)

    SYSTEM_NOTICE: ClassVar[MessageType]
    CLONE_ALERT: ClassVar[MessageType]
    SECURITY_NOTICE: ClassVar[MessageType]


_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")
MessageType.SYSTEM_NOTICE = MessageType("system_notice")
MessageType.CLONE_ALERT = MessageType("clone_alert")
MessageType.SECURITY_NOTICE = MessageType("security_notice")


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    PUSH = "push"  # Web Push to each browser the user subscribed (channels/webpush.py)
    WECHAT = "wechat"  # WeChat mini-program subscribe messages (channels/wechat.py)


#: Channels that go through the outbox (the inbox is written when a message is accepted).
OUTBOX_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WEBHOOK, Channel.PUSH, Channel.WECHAT)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    """How one send attempt ended."""

    DELIVERED = "delivered"  # the provider accepted it: never sent again
    RETRY = "retry"  # a transient failure: sent again after a backoff
    FAILED = "failed"  # permanent, or out of attempts: the delivery failed


@dataclass(frozen=True)
class Contacts:
    """Where a user can be reached; ``None`` where they cannot (that channel is skipped).
    Push has no address here: a user's push addresses are their browsers' subscriptions
    (:mod:`veriseal.notifications.push`), one delivery each."""

    email: str | None = None
    phone: str | None = None  # E.164
    webhook_url: str | None = None
    webhook_secret: bytes | None = None
    wechat_openid: str | None = None  # the user's openid in the configured mini-program

    def address(self, channel: Channel) -> str | None:
        if channel is Channel.EMAIL:
            return self.email
        if channel is Channel.SMS:
            return self.phone
        if channel is Channel.WEBHOOK:
            return self.webhook_url if self.webhook_secret else None
        if channel is Channel.WECHAT:
            return self.wechat_openid
        return None


class ContactBook(Protocol):
    """Looks up a user's contacts. The accounts module implements it over ``users``;
    :class:`veriseal.notifications.contacts.LedgerContactBook` is a small in-ledger one.
    An unknown user MUST give empty ``Contacts()``, not an error: the inbox still works."""

    async def contacts(self, user_id: int) -> Contacts: ...


class WechatRecipients(Protocol):
    """Finds a user's openid in the configured WeChat mini-program (what a subscribe
    message is addressed to), or None. The accounts module implements it; a contact
    book that knows WeChat users fills :attr:`Contacts.wechat_openid` from it."""

    async def openid(self, user_id: int) -> str | None: ...


@dataclass(frozen=True)
class Message:
    """A message in a user's history (or, with ``user_id`` None, one sent to an address)."""

    id: int
    user_id: int | None
    type: MessageType
    title: str
    body: str
    data: dict[str, Any]
    in_inbox: bool
    read: bool
    created_at: dt.datetime
    channels: tuple[Channel, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The message as JSON, the one shape the API and the CLI share."""
        return {
            "id": self.id,
            "type": str(self.type),
            "title": self.title,
            "body": self.body,
            "data": self.data,
            "read": self.read,
            "created_at": self.created_at.isoformat(),
            "channels": [str(c) for c in self.channels],
        }


@dataclass(frozen=True)
class Attachment:
    """A file a message carries by e-mail (other channels carry the message without
    it). Made by the server only (a scheduled report); checked by
    :func:`veriseal.notifications.attachments.check`."""

    name: str  # a file name, no folders
    media_type: str  # "type/subtype"
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class PlannedDelivery:
    channel: Channel
    address: str
    not_before: dt.datetime
    held_by_dnd: bool


@dataclass(frozen=True)
class Accepted:
    """What :meth:`Notifier.notify` stored: the message and its outbox rows."""

    message_id: int
    in_inbox: bool
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class Delivery:
    """One outbox row: a message to send over one channel to one address."""

    id: int
    message_id: int
    user_id: int | None
    type: MessageType
    channel: Channel
    address: str
    idempotency_key: str
    status: DeliveryStatus
    attempts: int
    not_before: dt.datetime
    held_by_dnd: bool
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    created_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    #: loaded by the worker just before an e-mail is sent (never held in a claim batch)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Attempt:
    id: int
    outbox_id: int
    attempt_no: int
    worker: str
    started_at: dt.datetime
    at: dt.datetime
    outcome: AttemptOutcome
    error: str

    def __post_init__(self) -> None:
        # a row read back gives the stored text: the enum it stands for, whoever built it
        object.__setattr__(self, "outcome", AttemptOutcome(self.outcome))


@dataclass(frozen=True)
class HistoryFilter:
    """A filter of a user's message history: every given field must match. ``query``
    is full-text (see :mod:`veriseal.notifications.search`); ``channel`` is a channel
    the message went (or goes) to, ``inbox`` included; ``since`` is inclusive,
    ``until`` exclusive; ``before_id`` pages backwards."""

    query: str | None = None
    type: MessageType | None = None
    channel: Channel | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    read: bool | None = None
    before_id: int | None = None
    limit: int = 50
