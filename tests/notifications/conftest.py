"""Real servers on loopback for the channels: SMTP (aiosmtpd), webhook and SMS gateway
(aiohttp), plus a notifier over the real ledger on each backend."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from veriseal.ledger import Ledger
from veriseal.notifications import (
    Contacts,
    DeliveryWorker,
    LedgerContactBook,
    Notifier,
    WorkerOptions,
)
from veriseal.notifications.channels.webhook import verify_signature
from veriseal.notifications.message_types import MessageTypeSpec, register_message_type
from veriseal.notifications.models import Channel, MessageType
from veriseal_commerce.permissions import MESSAGE_TYPES as COMMERCE_TYPES

WEBHOOK_SECRET = b"s3cret-webhook-key"


#: Message types the notification system is exercised with: those of plugins-to-come,
#: registered as those plugins will, and the bundled plugins' own exactly as they
#: register them (``diversion_alert``, ``order_status``), so loading them too is no
#: conflict.
PROMOTION = MessageType("promotion")
LOW_STOCK = MessageType("low_stock")
DIVERSION_ALERT = MessageType("diversion_alert")
_I, _E, _S, _W = Channel.INBOX, Channel.EMAIL, Channel.SMS, Channel.WEBHOOK
for _spec in (
    MessageTypeSpec(PROMOTION, "Promotion", "促销", (_I,), broadcast=True),
    *COMMERCE_TYPES,
    MessageTypeSpec(LOW_STOCK, "Low stock", "库存不足", (_I, _E, _W)),
    MessageTypeSpec(DIVERSION_ALERT, "Diversion alert", "窜货预警", (_I, _E, _S, _W)),
):
    register_message_type(_spec)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    """A settable "now" for the notifier and the worker (windows, backoff, leases)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


# -- SMTP ---------------------------------------------------------------------------------
@dataclass
class SmtpBox:
    """What the real SMTP server received; ``fail_data`` answers 451 to that many
    DATA commands first; recipients starting with ``nobody@`` get 550."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    fail_data: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler:
    def __init__(self, box: SmtpBox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.box.lock:
            if self.box.fail_data > 0:
                self.box.fail_data -= 1
                return "451 4.3.0 try again later"
            raw = envelope.original_content or envelope.content
            assert isinstance(raw, bytes)
            msg = message_from_bytes(raw, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            self.box.messages.append(msg)
            self.box.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpBox, int]]:
    box = SmtpBox()
    port = free_port()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


# -- HTTP receivers (webhook and SMS gateway) ---------------------------------------------
@dataclass
class HttpBox:
    """Requests a loopback HTTP receiver got. It answers ``fail_with`` to the first
    ``fail_first`` requests, then 200; ``seen_keys`` is what a deduplicating receiver
    keeps."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_first: int = 0
    fail_with: int = 503
    seen_keys: set[str] = field(default_factory=set)
    url: str = ""


@pytest.fixture
async def http_receiver() -> AsyncIterator[HttpBox]:
    box = HttpBox()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        box.requests.append({"body": body, "headers": headers, "path": request.path})
        if len(box.requests) <= box.fail_first:
            return web.Response(status=box.fail_with, text="not now")
        key = headers.get("Veriseal-Delivery") or headers.get("Idempotency-Key") or ""
        box.seen_keys.add(key)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    box.url = f"http://127.0.0.1:{port}"
    try:
        yield box
    finally:
        await runner.cleanup()


def signed_ok(req: dict[str, Any], secret: bytes = WEBHOOK_SECRET) -> bool:
    return verify_signature(secret, req["headers"]["Veriseal-Signature"], req["body"])


def body_json(req: dict[str, Any]) -> Any:
    return json.loads(req["body"])


# -- the service ----------------------------------------------------------------------------
@pytest.fixture
def clock() -> Clock:
    # 10:00 in Shanghai: outside the usual night windows
    return Clock(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
def book(ledger: Ledger) -> LedgerContactBook:
    return LedgerContactBook(ledger)


@pytest.fixture
def notifier(ledger: Ledger, book: LedgerContactBook, clock: Clock) -> Notifier:
    return Notifier(ledger, book, clock=clock)


FAST = WorkerOptions(
    max_attempts=4,
    backoff_base=10.0,
    jitter=0.0,
    lease_seconds=60.0,
    send_timeout=5.0,
)


def make_worker(
    ledger: Ledger, senders: dict[Any, Any], clock: Clock, **opts: Any
) -> DeliveryWorker:
    return DeliveryWorker(ledger, senders, replace(FAST, **opts), clock=clock)


async def add_user(
    book: LedgerContactBook,
    user_id: int,
    *,
    email: str | None = None,
    phone: str | None = None,
    webhook: str | None = None,
) -> None:
    await book.set(user_id, Contacts(email, phone, webhook, WEBHOOK_SECRET if webhook else None))
