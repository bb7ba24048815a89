"""Console sessions: which cookie holds what, and the CSRF token bound to it.

A signed-in browser holds one cookie, the session token (``vst_<id>_<secret>``, a row
of ``api_tokens`` of kind ``session`` made by the same sign-in path as the JSON API's,
so lockout, new-sign-in notices and "log out everywhere" apply unchanged). The cookie is
``HttpOnly`` (no script reads it), ``Secure`` (``__Host-`` prefix: no subdomain can
plant one) and ``SameSite=Lax`` (not sent on cross-site POSTs). It is created only by a
successful sign-in, never taken from the request: a session id planted before sign-in
(session fixation) is never promoted.

Before sign-in a browser holds a random anonymous id, to which the sign-in forms'
CSRF token is bound. The CSRF token is an HMAC of the session (or anonymous id) under
an installation secret derived from the keyring: nothing to store, and it changes with
every new session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from aiohttp import web

from veriseal.server.session_principal import SESSION_COOKIE

SESSION = SESSION_COOKIE  # read by the resolver too (server.session_principal)
ANON = "vs_anon"
LANG = "vs_lang"
TZ = "vs_tz"
SESSION_MAX_AGE = 14 * 24 * 3600  # the token's own expiry decides; the cookie follows


@dataclass(frozen=True)
class CookiePolicy:
    """How cookies are set: ``secure`` adds the ``Secure`` flag and the ``__Host-``
    prefix (``[console] secure_cookies``, default true; browsers treat
    http://127.0.0.1 and http://localhost as secure, a LAN address over http is not)."""

    secure: bool = True

    def name(self, base: str) -> str:
        return f"__Host-{base}" if self.secure else base

    def set(
        self, response: web.StreamResponse, base: str, value: str, max_age: int | None,
        http_only: bool = True,
    ) -> None:  # fmt: skip
        response.set_cookie(
            self.name(base),
            value,
            max_age=max_age,
            path="/",
            secure=self.secure,
            httponly=http_only,
            samesite="Lax",
        )

    def clear(self, response: web.StreamResponse, base: str) -> None:
        response.del_cookie(self.name(base), path="/", secure=self.secure, samesite="Lax")

    def read(self, request: web.Request, base: str) -> str | None:
        value = request.cookies.get(self.name(base))
        return value if value else None


def new_anonymous_id() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(key: bytes, binding: str) -> str:
    """The CSRF token for a session token or an anonymous id (``binding``)."""
    mac = hmac.new(key, b"veriseal-console-csrf\0" + binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def csrf_ok(key: bytes, binding: str, presented: str | None) -> bool:
    """Constant-time comparison of a presented token with the expected one."""
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(key, binding).encode(), presented.encode())
