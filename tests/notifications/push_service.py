"""A Web Push service stand-in on loopback, and browsers that subscribe to it.

:class:`Browser` does what a browser does on ``pushManager.subscribe()``: a fresh P-256
key pair and 16 random bytes of auth secret (RFC 8291 section 2), an endpoint on the
push service, and the ``applicationServerKey`` it subscribed with.

:class:`PushService` is a real aiohttp server. For each ``POST /push/<token>`` it checks,
as a push service must (RFC 8030, RFC 8292 section 4.2, RFC 8291):

- ``Authorization: vapid t=<JWT>, k=<key>``: ``k`` is an uncompressed P-256 point, the
  same key the subscription was made with (else 403); the JWT is ES256 (``alg``), its
  signature valid for ``k`` (else 401), ``aud`` is the endpoint's origin, ``exp`` in the
  future and at most 24 hours ahead, ``sub`` a ``mailto:`` or ``https:`` URL;
- a ``TTL`` header with a non-negative integer (400 otherwise);
- ``Content-Encoding: aes128gcm`` and a body it DECRYPTS with the browser's private key
  and auth secret (RFC 8188 records, RFC 8291 key derivation; 400 if it cannot).

The decryption is written out here from the RFCs, with ``cryptography``'s primitives
only: it shares no code with the sender (pywebpush / http_ece), so a mistake on either
side shows. Each delivered plaintext is kept in ``received``; each refusal's reason in
``refused``. ``answer[token] = 410`` (or 429, 500, ...) makes it answer that instead.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import queue
import secrets
import struct
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from multidict import CIMultiDict

from tests.notifications.conftest import free_port


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


@dataclass
class Browser:
    """A browser's subscription: its keys, and where the push service reaches it."""

    endpoint: str
    application_server_key: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64e(_point(self.private_key.public_key()))

    def to_json(self) -> dict[str, Any]:
        """What ``subscription.toJSON()`` gives a page."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64e(self.auth)},
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8188 ``aes128gcm`` content with RFC 8291's key derivation."""
        salt, rs, idlen = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
        sender_point = body[21 : 21 + idlen]
        if idlen != 65 or rs < 18:
            raise ValueError("the header names no P-256 sender key")
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        ecdh = self.private_key.exchange(ec.ECDH(), sender)
        ua_public = _point(self.private_key.public_key())
        prk_key = _hmac(self.auth, ecdh)
        ikm = _hmac(prk_key, b"WebPush: info\x00" + ua_public + sender_point + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
        records = body[21 + idlen :]
        out = b""
        for seq, start in enumerate(range(0, len(records), rs)):
            n = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
            plain = AESGCM(cek).decrypt(n, records[start : start + rs], None)
            unpadded = plain.rstrip(b"\x00")
            last = start + rs >= len(records)
            if not unpadded or unpadded[-1] != (2 if last else 1):
                raise ValueError("a record's padding delimiter is wrong")
            out += unpadded[:-1]
        return out


@dataclass
class Received:
    token: str
    plaintext: bytes
    headers: CIMultiDict[str]  # case-insensitive, as HTTP headers are
    claims: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.plaintext)


class VapidRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _signed_claims(header: str, expected_key: str) -> dict[str, Any]:
    """The claims of an ES256 JWT in ``header`` signed by its ``k``, which must be
    ``expected_key``."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise VapidRefused(401, f"not the vapid scheme: {scheme!r}")
    fields: dict[str, str] = {}
    for part in params.split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    token, key = fields.get("t", ""), fields.get("k", "")
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    except ValueError:
        raise VapidRefused(401, "k is not a P-256 point") from None
    if key != expected_key:
        raise VapidRefused(403, "k is not the key the subscription was made with")
    try:
        head_b64, claims_b64, sig_b64 = token.split(".")
        head, claims, sig = json.loads(b64d(head_b64)), json.loads(b64d(claims_b64)), b64d(sig_b64)
    except ValueError:
        raise VapidRefused(401, "t is not a JWT") from None
    if head.get("alg") != "ES256" or len(sig) != 64:
        raise VapidRefused(401, "the JWT is not ES256")
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise VapidRefused(401, "bad signature") from None
    return dict(claims)


def check_vapid(header: str, audience: str, expected_key: str, now: float) -> dict[str, Any]:
    """The claims of a valid RFC 8292 ``Authorization`` header; :class:`VapidRefused`."""
    claims = _signed_claims(header, expected_key)
    if claims.get("aud") != audience:
        raise VapidRefused(401, f"aud {claims.get('aud')!r} is not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or not now < exp <= now + 24 * 3600:
        raise VapidRefused(401, f"exp {exp!r} is not within the next 24 hours")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
        raise VapidRefused(401, f"sub {sub!r} is not a mailto: or https: URL")
    return claims


@dataclass
class PushService:
    base: str = ""
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # token, status, why
    answer: dict[str, int] = field(default_factory=dict)  # token -> status to answer

    def subscribe(self, application_server_key: str) -> Browser:
        """A browser subscribing with ``application_server_key`` (our VAPID key)."""
        token = secrets.token_urlsafe(24)
        browser = Browser(f"{self.base}/push/{token}", application_server_key)
        self.browsers[token] = browser
        return browser

    def plaintexts(self, browser: Browser) -> list[Any]:
        token = browser.endpoint.rsplit("/", 1)[1]
        return [r.json() for r in self.received if r.token == token]

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        browser = self.browsers.get(token)
        if browser is None:
            return self._refuse(token, 404, "no such subscription")
        try:
            claims = check_vapid(
                request.headers.get("Authorization", ""),
                self.base,
                browser.application_server_key,
                dt.datetime.now(dt.UTC).timestamp(),
            )
        except VapidRefused as exc:
            return self._refuse(token, exc.status, exc.reason)
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            return self._refuse(token, 400, "no TTL header")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._refuse(token, 400, "the content encoding is not aes128gcm")
        body = await request.read()
        try:
            plain = browser.decrypt(body)
        except (ValueError, InvalidTag, IndexError, struct.error) as exc:
            return self._refuse(token, 400, f"cannot decrypt: {exc!r}")
        if token in self.answer:  # told to fail: a real service would drop the message
            status = self.answer[token]
            return self._refuse(token, status, "told to")
        self.received.append(Received(token, plain, CIMultiDict(request.headers), claims))
        return web.Response(status=201, headers={"Location": f"{self.base}/m/{token}"})

    def _refuse(self, token: str, status: int, reason: str) -> web.Response:
        self.refused.append((token, status, reason))
        return web.Response(status=status, text=reason)


@asynccontextmanager
async def push_service() -> AsyncIterator[PushService]:
    service = PushService()
    app = web.Application()
    app.router.add_post("/push/{token}", service.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    service.base = f"http://127.0.0.1:{port}"
    try:
        yield service
    finally:
        await runner.cleanup()


@contextmanager
def push_service_thread() -> Iterator[PushService]:
    """:func:`push_service` on its own event loop in a thread, for synchronous tests
    (the CLI runs its own loop)."""
    loop = asyncio.new_event_loop()
    ready: queue.Queue[PushService | BaseException] = queue.Queue()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            async with push_service() as service:
                ready.put(service)
                await stop.wait()
        except BaseException as exc:  # handed to the waiting test
            ready.put(exc)

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    got = ready.get(timeout=30)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
