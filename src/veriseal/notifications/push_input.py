"""Parsing a browser's ``PushSubscription`` (``subscription.toJSON()``) before it is stored.

What a subscription must be, whoever sends it::

    endpoint      an absolute https:// URL (http:// only for a host in the policy's
                  ``insecure_hosts``, the tests' loopback stand-in), at most 2048
                  characters, no user name or password, no fragment, on a host the
                  policy allows: the known push services by default, since the server
                  POSTs to this URL and must not be pointed at an internal address
    keys.p256dh   base64url of an uncompressed P-256 point (65 bytes, 0x04 first) that
                  lies on the curve (RFC 8291 section 3.1)
    keys.auth     base64url of the 16-byte authentication secret (RFC 8291 section 3.2)

Padding ``=`` is accepted and dropped: keys are kept as unpadded base64url. Pure
functions, no I/O; :class:`PushSubscriptionInvalid` names the first problem found.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from veriseal.notifications.errors import PushSubscriptionInvalid

MAX_ENDPOINT = 2048
P256DH_BYTES = 65
AUTH_BYTES = 16

#: The push services of the browsers in use (FCM: Chrome, Edge on Android, Opera, Samsung;
#: Mozilla autopush: Firefox; WNS: Edge on Windows; Apple: Safari and iOS home-screen web
#: apps). A host matches a suffix it equals or ends with after a dot.
DEFAULT_PUSH_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "notify.windows.com",
    "push.apple.com",
)

_B64URL = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


@dataclass(frozen=True)
class EndpointPolicy:
    """Which push endpoints may be stored. ``hosts``: allowed host suffixes (``"*"``
    allows any https host that is not an IP literal of a private, loopback or link-local
    network); ``insecure_hosts``: exact hosts allowed over plain http as well (a
    loopback stand-in in tests; never a real push service)."""

    hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    insecure_hosts: frozenset[str] = field(default_factory=frozenset)

    def allows(self, scheme: str, host: str) -> bool:
        if host in self.insecure_hosts:
            return scheme in ("http", "https")
        if scheme != "https":
            return False
        if "*" in self.hosts:
            return not _internal_ip(host)
        return any(host == s or host.endswith("." + s) for s in self.hosts)


def _internal_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return not ip.is_global


@dataclass(frozen=True)
class SubscriptionInput:
    """A checked subscription: the endpoint as given, keys as unpadded base64url."""

    endpoint: str
    p256dh: str
    auth: str


def b64url_decode(text: str, what: str) -> bytes:
    """Decode base64url with or without padding; :class:`PushSubscriptionInvalid`
    for any other alphabet or a length no base64 has."""
    if not _B64URL.fullmatch(text):
        raise PushSubscriptionInvalid(f"{what} is not base64url")
    bare = text.rstrip("=")
    if len(bare) % 4 == 1:
        raise PushSubscriptionInvalid(f"{what} is not base64url (bad length)")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        raise PushSubscriptionInvalid(f"{what} is not base64url") from None


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def check_endpoint(endpoint: str, policy: EndpointPolicy) -> str:
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise PushSubscriptionInvalid(f"the endpoint needs 1 to {MAX_ENDPOINT} characters")
    if not endpoint.isascii() or any(c.isspace() or ord(c) < 32 for c in endpoint):
        raise PushSubscriptionInvalid("the endpoint must be an ASCII URL without spaces")
    try:
        parts = urlsplit(endpoint)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        raise PushSubscriptionInvalid("the endpoint is not a URL") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        raise PushSubscriptionInvalid("the endpoint must name a host, without credentials")
    if parts.fragment or "#" in endpoint:
        raise PushSubscriptionInvalid("the endpoint must not have a fragment")
    if port == 0:
        raise PushSubscriptionInvalid("the endpoint's port must not be 0")
    if not policy.allows(parts.scheme.lower(), host):
        raise PushSubscriptionInvalid(
            f"push endpoints must be https:// URLs of a known push service, not {host!r}"
        )
    return endpoint


def check_p256dh(text: str) -> str:
    raw = b64url_decode(text, "keys.p256dh")
    if len(raw) != P256DH_BYTES or raw[0] != 0x04:
        raise PushSubscriptionInvalid("keys.p256dh must be an uncompressed P-256 point")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise PushSubscriptionInvalid("keys.p256dh is not a point on P-256") from None
    return b64url_encode(raw)


def check_auth(text: str) -> str:
    raw = b64url_decode(text, "keys.auth")
    if len(raw) != AUTH_BYTES:
        raise PushSubscriptionInvalid(f"keys.auth must be {AUTH_BYTES} bytes")
    return b64url_encode(raw)


def parse_subscription(
    endpoint: str, p256dh: str, auth: str, policy: EndpointPolicy
) -> SubscriptionInput:
    """Check one subscription (see the module docstring)."""
    return SubscriptionInput(
        check_endpoint(endpoint, policy), check_p256dh(p256dh), check_auth(auth)
    )
