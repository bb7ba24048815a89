"""The :class:`Notifier`: the one entry point the rest of the system calls.

Accepting a message is ONE ledger transaction: the message (history / inbox row, search
tokens) and one outbox row per external channel are written together, so a message is
either fully accepted or not at all, and the delivery worker
(:mod:`veriseal.notifications.worker`) finds every accepted delivery even after a crash.
Nothing is sent from here: sending is the worker's job.

Which channels a message goes to: the user's preference for its type (else the
defaults), minus channels the user has no address for. Push has one address per
browser the user subscribed (:class:`~veriseal.notifications.push.PushSubscriptions`):
one delivery each, so one device's failure does not resend to the others. A
do-not-disturb window holds every outbox delivery (e-mail, SMS, webhook, push, WeChat)
until the window ends; the inbox entry is stored at once (reading the inbox is the
user's own action, nothing rings). Security notices are never held and always reach
the inbox.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.ledger.base import Ledger, Tx
from veriseal.notifications import attachment_store, store
from veriseal.notifications import attachments as attached
from veriseal.notifications.addresses import normalise_email, normalise_phone
from veriseal.notifications.errors import NotifyInputInvalid
from veriseal.notifications.inbox import Inbox
from veriseal.notifications.models import (
    OUTBOX_CHANNELS,
    Accepted,
    Attachment,
    Channel,
    ContactBook,
    Contacts,
    Delivery,
    DeliveryStatus,
    MessageType,
    PlannedDelivery,
)
from veriseal.notifications.outbox import Outbox
from veriseal.notifications.preferences import PreferenceStore, effective
from veriseal.notifications.push import PushSubscriptions
from veriseal.notifications.texts import compose

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_DATA = 16_000  # bytes of JSON


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_idempotency_key() -> str:
    """A per-delivery key the receiver sees (Message-ID, webhook and SMS headers)."""
    return "vs_" + secrets.token_hex(16)


@dataclass(frozen=True)
class Plan:
    """A message ready to be stored: validated content and its planned deliveries."""

    user_id: int | None
    type: MessageType
    title: str
    body: str
    data: dict[str, Any]
    in_inbox: bool
    deliveries: tuple[PlannedDelivery, ...]
    #: stored only when a delivery is an e-mail (see :mod:`.attachments`)
    attachments: tuple[Attachment, ...] = ()


def _check_content(title: str, body: str, data: dict[str, Any] | None) -> dict[str, Any]:
    if not title.strip() or len(title) > MAX_TITLE:
        raise NotifyInputInvalid(f"a title needs 1 to {MAX_TITLE} characters")
    if len(body) > MAX_BODY:
        raise NotifyInputInvalid(f"a body has at most {MAX_BODY} characters")
    data = dict(data or {})
    try:
        encoded = json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise NotifyInputInvalid(f"data must be JSON: {exc}") from None
    if len(encoded) > MAX_DATA:
        raise NotifyInputInvalid(f"data has at most {MAX_DATA} bytes of JSON")
    return data


class Notifier:
    """Accepts messages for users or raw addresses; holds their preferences and inbox.

    ``clock`` returns the aware "now" (tests pass a fixed one to exercise windows);
    ``push`` holds the users' browser subscriptions (default: over ``ledger``, with the
    default endpoint policy).
    """

    def __init__(
        self,
        ledger: Ledger,
        contacts: ContactBook,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        push: PushSubscriptions | None = None,
    ) -> None:
        self.ledger = ledger
        self.contacts = contacts
        self.clock = clock
        self.preferences = PreferenceStore(ledger)
        self.inbox = Inbox(ledger)
        self.outbox = Outbox(ledger)
        self.push = push or PushSubscriptions(ledger)

    # -- planning (reads only) -----------------------------------------------------------
    async def plan(
        self,
        user_id: int,
        mtype: MessageType,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Plan:
        """Validate a message for ``user_id`` and decide its channels and due times
        (``attachments`` go by e-mail only; see :mod:`.attachments`)."""
        clean = _check_content(title, body, data)
        files = attached.check(attachments)
        pref = effective(await self.preferences.get(user_id, mtype))
        contacts = await self.contacts.contacts(user_id)
        now = self.clock()
        release = pref.dnd.release(now) if pref.dnd else None
        planned = []
        for channel in pref.channels:
            if channel not in OUTBOX_CHANNELS:
                continue
            # no address for a channel: the other channels still go
            for address in await self._addresses(user_id, channel, contacts):
                planned.append(
                    PlannedDelivery(channel, address, release or now, release is not None)
                )
        return Plan(
            user_id, mtype, title, body, clean, Channel.INBOX in pref.channels, tuple(planned),
            files,
        )  # fmt: skip

    async def _addresses(
        self, user_id: int, channel: Channel, contacts: Contacts
    ) -> tuple[str, ...]:
        if channel is Channel.PUSH:
            return await self.push.addresses(user_id)
        address = contacts.address(channel)
        return () if address is None else (address,)

    # -- storing (inside the caller's transaction) ----------------------------------------
    async def store(self, tx: Tx, plan: Plan) -> Accepted:
        """Write a planned message inside ``tx``: a module may accept a notification in
        the same transaction as the change it reports (a true transactional outbox)."""
        now = self.clock()
        message_id = await store.insert_message(
            tx,
            user_id=plan.user_id,
            mtype=plan.type,
            title=plan.title,
            body=plan.body,
            data=plan.data,
            in_inbox=plan.in_inbox,
            now=now,
        )
        if plan.attachments and any(p.channel is Channel.EMAIL for p in plan.deliveries):
            await attachment_store.insert(tx, message_id, plan.attachments)
        out = []
        for p in plan.deliveries:
            key = new_idempotency_key()
            oid = await store.insert_delivery(tx, message_id, p, key, now)
            out.append(
                Delivery(
                    oid,
                    message_id,
                    plan.user_id,
                    plan.type,
                    p.channel,
                    p.address,
                    key,
                    DeliveryStatus.PENDING,
                    0,
                    p.not_before,
                    p.held_by_dnd,
                    plan.title,
                    plan.body,
                    plan.data,
                    created_at=now,
                )
            )
        return Accepted(message_id, plan.in_inbox, tuple(out))

    # -- the calls the rest of the system makes -----------------------------------------
    async def notify(
        self,
        user_id: int,
        mtype: MessageType,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Accepted:
        """Accept a message for a user: durable when this returns (delivery follows)."""
        plan = await self.plan(user_id, mtype, title, body, data, attachments)
        async with self.ledger.write() as tx:
            return await self.store(tx, plan)

    async def notify_many(
        self,
        user_ids: Sequence[int],
        mtype: MessageType,
        title: str,
        body: str,
        data: dict[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> list[Accepted]:
        """The same message to several users, all accepted in one transaction or none."""
        plans = [
            await self.plan(u, mtype, title, body, data, attachments)
            for u in dict.fromkeys(user_ids)
        ]
        async with self.ledger.write() as tx:
            return [await self.store(tx, p) for p in plans]

    async def notify_text(
        self,
        user_id: int,
        mtype: MessageType,
        text_key: str,
        data: dict[str, Any] | None = None,
        **values: object,
    ) -> Accepted:
        """A system-written message in both languages (see :mod:`.texts`)."""
        title, body = compose(text_key, **values)
        return await self.notify(user_id, mtype, title, body, data)

    async def send_to_address(
        self,
        channel: Channel | str,
        address: str,
        title: str,
        body: str,
        *,
        mtype: MessageType = MessageType.SECURITY_NOTICE,
    ) -> Accepted:
        """Send to an e-mail address or phone number that belongs to no user yet (a
        registration code). Never held, in nobody's history; once delivered or failed
        for good its text is erased from the ledger (it may hold a one-time code).
        ``AddressInvalid`` / ``NotifyInputInvalid`` change nothing."""
        try:
            ch = Channel(channel)
        except ValueError:
            raise NotifyInputInvalid(f"unknown channel {channel!r}") from None
        if ch is Channel.EMAIL:
            address = normalise_email(address)
        elif ch is Channel.SMS:
            address = normalise_phone(address)
        else:
            raise NotifyInputInvalid("a raw address is an e-mail address or a phone number")
        clean = _check_content(title, body, None)
        now = self.clock()
        plan = Plan(
            None, mtype, title, body, clean, False, (PlannedDelivery(ch, address, now, False),)
        )
        async with self.ledger.write() as tx:
            return await self.store(tx, plan)
