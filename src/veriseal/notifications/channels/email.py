"""E-mail over SMTP (the standard library's ``smtplib``, run in a thread).

Each delivery is one message whose ``Message-ID`` is ``<idempotency-key@domain>`` (also
in ``X-Veriseal-Delivery``): a resent copy after a crash has the same Message-ID, which
mail stores and clients use to drop duplicates.

SMTP replies map to the worker's outcomes: 5xx (rejected recipient, sender or data) is
permanent; 4xx, refused or lost connections and timeouts are retried.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from veriseal.notifications.errors import SendFailed
from veriseal.notifications.models import Delivery


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "Veriseal <noreply@localhost>"
    username: str | None = None
    password: str | None = None
    starttls: bool = False  # upgrade a plain connection (port 587)
    tls: bool = False  # TLS from the first byte (port 465)
    timeout: float = 20.0
    message_id_domain: str = "veriseal.invalid"


def build_message(settings: SmtpSettings, d: Delivery) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = d.address
    msg["Subject"] = d.title
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = f"<{d.idempotency_key}@{settings.message_id_domain}>"
    msg["X-Veriseal-Delivery"] = d.idempotency_key
    msg["X-Veriseal-Type"] = str(d.type)
    msg.set_content(d.body or d.title)
    for a in d.attachments:  # checked when accepted: plain names, type/subtype
        maintype, _, subtype = a.media_type.partition("/")
        msg.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.name)
    return msg


def _classify(exc: Exception) -> SendFailed:
    code: int | None = None
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _m in exc.recipients.values()]
        code = min(codes) if codes else None
    elif isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
    permanent = code is not None and 500 <= code < 600
    return SendFailed(f"SMTP: {type(exc).__name__}: {exc}", permanent=permanent)


class SmtpSender:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def _send_blocking(self, msg: EmailMessage) -> None:
        s = self.settings
        ctx = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with smtp:
            if s.starttls:
                smtp.starttls(context=ctx)
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(msg)

    async def send(self, delivery: Delivery) -> None:
        msg = build_message(self.settings, delivery)
        try:
            await asyncio.to_thread(self._send_blocking, msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc) from None

    async def close(self) -> None:
        return None
