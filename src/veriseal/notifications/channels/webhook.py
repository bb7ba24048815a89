"""Signed webhooks: a JSON POST to the user's URL, signed with the user's secret.

Headers of every request::

    Veriseal-Delivery:  <idempotency key>      the same on every retry of one delivery
    Veriseal-Timestamp: <unix seconds>
    Veriseal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body
(:func:`verify_signature` does it), rejects stale timestamps (replays) and remembers
delivery keys it has processed (duplicates after a sender crash). 2xx is success; 408,
429 and 5xx are retried with backoff; 410 and other 4xx answers are permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import aiohttp

from veriseal.cache import LruDict
from veriseal.notifications.errors import SendFailed
from veriseal.notifications.models import ContactBook, Delivery

SIGNATURE_HEADER = "Veriseal-Signature"
DELIVERY_HEADER = "Veriseal-Delivery"
TIMESTAMP_HEADER = "Veriseal-Timestamp"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``Veriseal-Signature`` header value."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: bytes, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """True iff ``header`` signs ``body`` under ``secret`` within ``tolerance`` seconds."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))


def payload(d: Delivery) -> bytes:
    return json.dumps(
        {
            "id": d.idempotency_key,
            "message_id": d.message_id,
            "user_id": d.user_id,
            "type": str(d.type),
            "title": d.title,
            "body": d.body,
            "data": d.data,
            "created_at": d.created_at.isoformat() if d.created_at else None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class WebhookSender:
    """Looks the user's secret up at send time (it is never copied into the outbox) and
    keeps it for ``secret_ttl`` seconds, so a batch to one receiver does not query the
    contact book once per message; a rotated secret is used within that time. The
    secrets of at most ``max_users`` users are kept (least recently used forgotten)."""

    def __init__(
        self,
        contacts: ContactBook,
        *,
        timeout: float = 10.0,
        secret_ttl: float = 10.0,
        max_users: int = 10_000,
    ) -> None:
        self.contacts = contacts
        self.timeout = timeout
        self.secret_ttl = secret_ttl
        self._secrets: LruDict[int, tuple[float, bytes | None]] = LruDict(max_users)
        self._session: aiohttp.ClientSession | None = None

    async def _secret(self, user_id: int) -> bytes | None:
        now = time.monotonic()
        cached = self._secrets.get(user_id)
        if cached is not None and now - cached[0] < self.secret_ttl:
            return cached[1]
        secret = (await self.contacts.contacts(user_id)).webhook_secret
        self._secrets[user_id] = (now, secret)
        return secret

    async def send(self, delivery: Delivery) -> None:
        if delivery.user_id is None:
            raise SendFailed("a webhook needs a user (and their secret)", permanent=True)
        secret = await self._secret(delivery.user_id)
        if not secret:
            raise SendFailed("the user has no webhook secret any more", permanent=True)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        body = payload(delivery)
        now = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: delivery.idempotency_key,
            TIMESTAMP_HEADER: str(now),
            SIGNATURE_HEADER: sign(secret, now, body),
        }
        try:
            async with self._session.post(
                delivery.address, data=body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                detail = (await resp.text())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendFailed(f"webhook: {type(exc).__name__}: {exc}") from None
        if 200 <= status < 300:
            return
        permanent = status not in (408, 429) and status < 500  # 3xx: a moved URL needs fixing
        raise SendFailed(f"webhook answered {status}: {detail}", permanent=permanent)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
