"""The signed-in user behind a request, if any, from the console's session cookie.

The resolver and ``/api/v1/verify`` serve everybody: a scan never needs a sign-in. But a
browser that holds a console session (the cookie the console sets at sign-in, holding
a session token ``vst_...``) scans as that user, so the scan can name the user
(``scans.user_id``) and show up in the user's own list of verifications.

The cookie is a hint, never a requirement: a missing, malformed, unknown, expired or
revoked token, a disabled user, or an API token planted in the cookie (only sign-in
sessions count, as in the console) gives ``None``, silently. Nothing here can fail a
scan, and the verdict never depends on it.

Cookie names follow the console (``veriseal.console.session.CookiePolicy``, a layer
above this one, hence spelled again here): ``__Host-vs_session`` when cookies are
secure (the default), plain ``vs_session`` only when ``[console] secure_cookies =
false`` (a LAN trial over http). A plain-named cookie is never read on
a secure installation: any subdomain could plant one (the ``__Host-`` prefix forbids that).
"""

from __future__ import annotations

from aiohttp import web

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, allowed
from veriseal.engine import Engine
from veriseal.errors import VerisealError
from veriseal.server.auth import client

SESSION_COOKIE = "vs_session"
SECURE_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
_MAX_TOKEN = 200  # far longer than any vst_<id>_<secret>


def secure_cookies(engine: Engine) -> bool:
    """``[console] secure_cookies`` (default true), read as the console reads it."""
    return engine.config.section("console").get("secure_cookies", True) is not False


def session_token(request: web.Request, secure: bool) -> str | None:
    """The session token the request's console cookie holds, or None."""
    value = request.cookies.get(SECURE_SESSION_COOKIE if secure else SESSION_COOKIE, "")
    if not value.startswith("vst_") or len(value) > _MAX_TOKEN or not value.isascii():
        return None
    return value


async def session_principal(
    request: web.Request, engine: Engine, secure: bool
) -> tuple[Principal, str] | None:
    """The signed-in user of the request's console session and the session token, or
    None (see the module docstring: never raises for anything a client can send). The
    console and the resolver both read the cookie through this."""
    token = session_token(request, secure)
    if token is None:
        return None
    try:
        who = await engine.accounts.authenticate(token, client(request))
    except VerisealError:  # unknown, revoked, expired, disabled, unstorable text, ...
        return None
    return (who, token) if who.scopes is None and who.user is not None else None


async def optional_principal(request: web.Request, engine: Engine) -> Principal | None:
    """The user the request's console session stands for when that user may keep
    their own scans, or None."""
    found = await session_principal(request, engine, secure_cookies(engine))
    if found is None:
        return None
    return found[0] if allowed(found[0], Action.SCANS_OWN) else None


async def scanning_user(request: web.Request, engine: Engine) -> int | None:
    """The id of the signed-in user a scan made by this request names, or None."""
    who = await optional_principal(request, engine)
    return None if who is None else who.user_id
