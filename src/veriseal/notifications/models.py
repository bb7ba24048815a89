"""Records of the notifications module: message types, channels, contacts, messages,
deliveries and attempts. Plain frozen dataclasses; no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class MessageType(StrEnum):
    ORDER_STATUS = "order_status"
    PROMOTION = "promotion"
    SYSTEM_NOTICE = "system_notice"
    LOW_STOCK = "low_stock"
    DIVERSION_ALERT = "diversion_alert"
    CLONE_ALERT = "clone_alert"
    SECURITY_NOTICE = "security_notice"


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


#: Channels that go through the outbox (the inbox is written when a message is accepted).
OUTBOX_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WEBHOOK)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Contacts:
    """Where a user can be reached; ``None`` where they cannot (that channel is skipped)."""

    email: str | None = None
    phone: str | None = None  # E.164
    webhook_url: str | None = None
    webhook_secret: bytes | None = None

    def address(self, channel: Channel) -> str | None:
        if channel is Channel.EMAIL:
            return self.email
        if channel is Channel.SMS:
            return self.phone
        if channel is Channel.WEBHOOK:
            return self.webhook_url if self.webhook_secret else None
        return None


class ContactBook(Protocol):
    """Looks up a user's contacts. The accounts module implements it over ``users``;
    :class:`veriseal.notifications.contacts.LedgerContactBook` is a small in-ledger one.
    An unknown user MUST give empty ``Contacts()``, not an error: the inbox still works."""

    async def contacts(self, user_id: int) -> Contacts: ...


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


@dataclass(frozen=True)
class Attempt:
    id: int
    outbox_id: int
    attempt_no: int
    worker: str
    started_at: dt.datetime
    at: dt.datetime
    outcome: str  # delivered | retry | failed
    error: str
