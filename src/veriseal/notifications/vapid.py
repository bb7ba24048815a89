"""The installation's VAPID key (RFC 8292): the P-256 key pair push services know us by.

A browser subscribes with our public key as ``applicationServerKey``; the push service
then accepts messages for that subscription only with a JWT signed by the matching
private key. So the key must survive restarts: it is DERIVED from the keyring's secret
(``keyring.derive("webpush-vapid")``), never stored. Whoever holds the passphrase or key
file gets the same key on any machine; a new keyring secret gives a new key, and every
existing subscription then fails (the push services answer 401/403) until each browser
subscribes again.

The header (RFC 8292 section 3)::

    Authorization: vapid t=<JWT ES256 {aud: endpoint origin, exp, sub}>, k=<public key>

``exp`` is at most 24 hours ahead (the RFC's limit); we sign for 12.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from veriseal.notifications.push_input import b64url_encode

#: The keyring label the key is derived under. Changing it changes the key (see above).
LABEL = "webpush-vapid"
#: How long a signed header is valid (RFC 8292: at most 24 hours).
LIFETIME = dt.timedelta(hours=12)
#: The order of P-256's base point: a private scalar lies in 1..N-1.
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class Deriver(Protocol):
    """What derives installation secrets (:class:`veriseal.catalog.keys.Keyring`)."""

    def derive(self, label: str) -> bytes: ...


def origin(endpoint: str) -> str:
    """``https://fcm.googleapis.com`` of ``https://fcm.googleapis.com/fcm/send/...``: the
    JWT's audience (scheme, host and any explicit port)."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class VapidKey:
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def from_secret(cls, secret: bytes) -> VapidKey:
        """The key whose scalar is ``secret`` (32 bytes or more) reduced into 1..N-1."""
        if len(secret) < 32:
            raise ValueError("a VAPID key needs a 32-byte secret")
        scalar = int.from_bytes(secret[:32], "big") % (_N - 1) + 1
        return cls(ec.derive_private_key(scalar, ec.SECP256R1()))

    @classmethod
    def derive(cls, keyring: Deriver) -> VapidKey:
        return cls.from_secret(keyring.derive(LABEL))

    @property
    def public_raw(self) -> bytes:
        """The public key as an uncompressed point (65 bytes)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    @property
    def application_server_key(self) -> str:
        """The public key as browsers take it: unpadded base64url of the point."""
        return b64url_encode(self.public_raw)

    def authorization(self, endpoint: str, subject: str, now: dt.datetime) -> str:
        """The ``Authorization`` header for a message to ``endpoint``."""
        claims = {
            "aud": origin(endpoint),
            "exp": int((now + LIFETIME).timestamp()),
            "sub": subject,
        }
        signed = Vapid02(private_key=self.private_key).sign(claims)
        return str(signed["Authorization"])
