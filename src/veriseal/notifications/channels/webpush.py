"""Web Push: a message to a browser through its push service (RFC 8030), the payload
encrypted for that browser alone (RFC 8291, ``aes128gcm``), signed with our VAPID key
(RFC 8292, :mod:`veriseal.notifications.vapid`).

One delivery is one subscription: its outbox address is the subscription's id, looked
up at send time (keys are never copied into the outbox). The payload, at most
:data:`MAX_PAYLOAD` bytes of JSON in the device's language::

    {"title": "...", "body": "...", "url": "/console/messages", "type": "clone_alert",
     "tag": "<idempotency key>"}

``tag`` lets the service worker replace rather than repeat a notification sent twice
(the outbox sends at least once). ``url`` is the message data's ``url`` when it is a
path on this site, else the configured default (the console's inbox).

Answers: 2xx delivered; 404/410 the subscription is gone (deleted, permanent); 429 and
5xx, refused connections and timeouts are retried with the outbox's backoff; other 4xx
are permanent (a 401/403 means the push service no longer knows our VAPID key).

pywebpush does the encryption and the POST (``WebPusher.send_async`` over our aiohttp
session: no thread, connections reused); the VAPID header is signed by py-vapid.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from pywebpush import WebPusher, WebPushException

from veriseal.notifications.errors import SendFailed
from veriseal.notifications.message_types import never_held
from veriseal.notifications.models import Delivery
from veriseal.notifications.push import PushSubscriptions
from veriseal.notifications.push_input import DEFAULT_PUSH_HOSTS, EndpointPolicy
from veriseal.notifications.push_store import PushSubscription
from veriseal.notifications.texts import in_language
from veriseal.notifications.vapid import VapidKey

#: Bytes of JSON a payload holds at most (a push service takes 4096 bytes of encrypted
#: record; this leaves room for the encryption's overhead and is what the brief allows).
MAX_PAYLOAD = 3072
MAX_URL = 512
#: A subscription's last success is written again only this long after the previous
#: one (or after failures): one ledger write per device per hour, not per message.
OK_REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class PushSettings:
    """``[notifications.push]``. ``subject`` (``mailto:`` or ``https:``) tells push
    services whom to contact about our traffic; ``ttl`` is how long a service keeps a
    message for an offline device (seconds); ``hosts`` / ``insecure_hosts`` are the
    endpoint policy (:class:`~veriseal.notifications.push_input.EndpointPolicy`)."""

    subject: str
    ttl: int = 24 * 3600
    timeout: float = 10.0
    default_url: str = "/console/messages"  # the console's inbox
    hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    insecure_hosts: tuple[str, ...] = field(default_factory=tuple)

    def policy(self) -> EndpointPolicy:
        return EndpointPolicy(tuple(self.hosts), frozenset(self.insecure_hosts))


def _url(d: Delivery, default: str) -> str:
    url = d.data.get("url")
    if not isinstance(url, str):
        return default
    # a path on this site only: the service worker opens it (no open redirect)
    on_site = url.startswith("/") and not url.startswith("//") and "\\" not in url
    return url if on_site and len(url) <= MAX_URL and url.isprintable() else default


def payload(d: Delivery, lang: str, default_url: str = "/console/messages") -> bytes:
    """The JSON a device gets for ``d``, in ``lang``, at most :data:`MAX_PAYLOAD` bytes
    (the body is shortened, with an ellipsis, when it does not fit)."""
    doc = {
        "title": in_language(d.title, lang),
        "body": in_language(d.body, lang),
        "url": _url(d, default_url),
        "type": str(d.type),
        "tag": d.idempotency_key,
    }

    def encode() -> bytes:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()

    out = encode()
    while len(out) > MAX_PAYLOAD and doc["body"]:
        # a character is at most 3 bytes of JSON here (6 for an escaped control one)
        over = len(out) - MAX_PAYLOAD
        keep = max(0, len(doc["body"].rstrip("…")) - max(1, over // 6) - 1)
        doc["body"] = doc["body"][:keep] + "…" if keep else ""
        out = encode()
    if len(out) > MAX_PAYLOAD:  # a title of 200 characters always fits; never happens
        raise SendFailed("the push payload does not fit", permanent=True)
    return out


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class WebPushSender:
    """The worker's ``Sender`` for :attr:`Channel.PUSH`."""

    def __init__(
        self,
        subscriptions: PushSubscriptions,
        key: VapidKey,
        settings: PushSettings,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.subscriptions = subscriptions
        self.key = key
        self.settings = settings
        self.clock = clock
        self._session: aiohttp.ClientSession | None = None

    async def _subscription(self, d: Delivery) -> PushSubscription:
        try:
            sub_id = int(d.address)
        except ValueError:
            raise SendFailed(f"not a push subscription id: {d.address!r}", permanent=True) from None
        sub = await self.subscriptions.get(sub_id)
        if sub is None:
            raise SendFailed("the push subscription was removed", permanent=True)
        if sub.user_id != d.user_id:
            # the device was registered by another user since: not theirs to read
            raise SendFailed("the push subscription belongs to another user now", permanent=True)
        return sub

    async def send(self, delivery: Delivery) -> None:
        sub = await self._subscription(delivery)
        body = payload(delivery, sub.lang, self.settings.default_url)
        now = self.clock()
        headers = {
            "Authorization": self.key.authorization(sub.endpoint, self.settings.subject, now),
            "Urgency": "high" if never_held(delivery.type) else "normal",
        }
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            pusher = WebPusher(info, aiohttp_session=self._session)
            resp = await pusher.send_async(
                body,
                headers,
                ttl=self.settings.ttl,
                content_encoding="aes128gcm",
                timeout=self.settings.timeout,
            )
        except WebPushException as exc:  # keys it cannot encrypt for: nothing will change
            await self.subscriptions.failed(sub.id)
            raise SendFailed(f"push: {exc}", permanent=True) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            await self.subscriptions.failed(sub.id)
            raise SendFailed(f"push service: {type(exc).__name__}: {exc}") from None
        assert isinstance(resp, aiohttp.ClientResponse)  # not the curl text
        await self._answer(sub, resp.status, (await resp.text())[:200], now)

    async def _answer(
        self, sub: PushSubscription, status: int, detail: str, now: dt.datetime
    ) -> None:
        if 200 <= status < 300:
            stale = sub.last_ok_at is None or now - sub.last_ok_at >= OK_REFRESH
            if sub.failures or stale:
                await self.subscriptions.succeeded(sub.id)
            return
        if status in (404, 410):
            await self.subscriptions.gone(sub.id)
            raise SendFailed(f"push service answered {status}: subscription gone", permanent=True)
        await self.subscriptions.failed(sub.id)
        permanent = status != 429 and status < 500
        raise SendFailed(f"push service answered {status}: {detail}", permanent=permanent)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
