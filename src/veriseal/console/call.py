"""One console request as a view handler sees it (:class:`ConsoleCall`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiDictProxy, MultiMapping

from veriseal.accounts.models import Principal
from veriseal.console import session
from veriseal.engine import Engine
from veriseal.errors import InvalidInput, VerisealError
from veriseal.i18n import EN, ZH
from veriseal.server.negotiation import language

if TYPE_CHECKING:
    from veriseal.extend.context import PluginContext

DEFAULT_TZ = "Asia/Shanghai"
#: role names in both languages
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "platform_admin": ("Platform admin", "平台管理员"),
    "brand_admin": ("Brand admin", "品牌管理员"),
    "factory_operator": ("Factory operator", "产线操作员"),
    "distributor": ("Distributor", "经销商"),
    "retailer": ("Retailer", "零售商"),
    "inspector": ("Inspector", "稽查员"),
    "consumer": ("Consumer", "消费者"),
}
FLASH = "vs_flash"


@dataclass
class ConsoleCall:
    """The request, the engine, who is signed in (None only in public views), the
    reader's language and time zone, and this session's CSRF token."""

    request: web.Request
    engine: Engine
    principal: Principal | None
    lang: str
    tz: zoneinfo.ZoneInfo
    csrf: str
    cookies: session.CookiePolicy
    token: str | None = None  # the session token, when signed in
    flash: tuple[str, str] | None = None  # (en, zh) left by the previous redirect
    _form: MultiDictProxy[Any] | None = field(default=None, repr=False)

    def t(self, en: str, zh: str) -> str:
        """The text in the reader's language."""
        return zh if self.lang == ZH else en

    def role_name(self, role: object) -> str:
        """A role's name in the reader's language (the role's own value if unknown)."""
        return self.t(*ROLE_NAMES.get(str(role), (str(role), str(role))))

    @property
    def query(self) -> MultiMapping[str]:
        return self.request.query

    @property
    def match(self) -> dict[str, str]:
        return dict(self.request.match_info)

    def int_param(self, name: str) -> int:
        """A path placeholder as an int (``invalid_input`` otherwise)."""
        value = whole_number(self.request.match_info.get(name, ""), name)
        if value is None:
            raise InvalidInput(f"{name} must be a positive whole number")
        return value

    def query_int(self, name: str) -> int | None:
        """A whole number from the query string (``?org=12``), None when absent or empty;
        ``invalid_input`` for anything else."""
        return whole_number(self.query.get(name, ""), name)

    async def form(self) -> MultiDictProxy[Any]:
        """The posted form (files as ``FileField``), read once."""
        if self._form is None:
            self._form = await self.request.post()
        return self._form

    async def json(self) -> dict[str, Any]:
        """The body as a JSON object (the console's own scripts post JSON with the
        ``X-CSRF-Token`` header); ``invalid_input`` for anything else."""
        try:
            body = json.loads(await self.request.read())
        except (ValueError, UnicodeDecodeError):
            raise InvalidInput("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        return body

    def plugin(self, name: str) -> PluginContext:
        """The context of plugin ``name`` (its views' database, config and services)."""
        return self.engine.plugins.context(name)

    async def brand_slug(self) -> str | None:
        """The brand a platform admin names: ``?brand=``, else a POSTed ``brand`` field
        (staff of a brand act for their own: :meth:`PluginContext.brand_for`)."""
        slug = self.query.get("brand") or None
        if slug is None and self.request.method == "POST":
            value = (await self.form()).get("brand")
            slug = value if isinstance(value, str) and value else None
        return slug

    def refused(self, exc: VerisealError) -> str:
        """A refusal as the reader sees it: its message and its stable code."""
        return f"{self.t('Refused', '未能完成')}: {exc.message} [{exc.code}]"

    @staticmethod
    def text(form: Any, name: str, limit: int) -> str:
        """A posted (or queried) text field, stripped; ``invalid_input`` when longer than
        ``limit`` characters or holding a NUL (which no database stores)."""
        value = form.get(name, "")
        found = value if isinstance(value, str) else ""
        if len(found) > limit or "\x00" in found:
            raise InvalidInput(f"{name}: at most {limit} characters, no NUL")
        return found.strip()

    def redirect(self, to: str, flash_en: str = "", flash_zh: str = "") -> web.Response:
        """A 303 to ``to`` (a local path only), with a one-time message for the next page."""
        response = web.Response(status=303, headers={"Location": local_path(to)})
        if flash_en or flash_zh:
            self.cookies.set(
                response, FLASH, sign_flash(self._flash_key(), flash_en, flash_zh or flash_en), 60
            )
        return response

    def start_session(self, token: str, to: str) -> web.Response:
        """After a successful sign-in: the new session cookie (the only way one is
        made: fixation-proof), the anonymous id dropped, then a 303 to ``to``."""
        response = web.Response(status=303, headers={"Location": local_path(to)})
        self.set_session(response, token)
        return response

    def set_session(self, response: web.StreamResponse, token: str) -> None:
        """Put a new session's token in ``response``'s cookie and drop the anonymous id
        (for a sign-in answered otherwise than by a redirect: the passkey's JSON)."""
        self.cookies.set(response, session.SESSION, token, session.SESSION_MAX_AGE)
        self.cookies.clear(response, session.ANON)

    def end_session(self, to: str = "/console/signin") -> web.Response:
        response = web.Response(status=303, headers={"Location": local_path(to)})
        self.cookies.clear(response, session.SESSION)
        return response

    def _flash_key(self) -> bytes:
        return self.engine.keyring.derive("console-flash")


def whole_number(value: object, name: str) -> int | None:
    """A form or query value as a non-negative int (at most 18 ASCII digits, so it
    fits a 64-bit id), None when empty; ``invalid_input`` naming ``name`` otherwise."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise InvalidInput(f"{name} must be a positive whole number")
    return int(text)


def local_path(to: str) -> str:
    """``to`` if it is a path on this site (``/console/...``), else the console's home:
    a ``next=`` parameter must never send a signed-in user to another site."""
    if to.startswith("/") and not to.startswith("//") and "\\" not in to and "\n" not in to:
        return to
    return "/console/"


def sign_flash(key: bytes, en: str, zh: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps([en[:300], zh[:300]]).encode()).decode()
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{body}.{mac}"


def read_flash(key: bytes, value: str | None) -> tuple[str, str] | None:
    """The message of a flash cookie this server signed; None for anything else."""
    if not value or "." not in value:
        return None
    body, mac = value.rsplit(".", 1)
    want = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(want, mac):
        return None
    try:
        en, zh = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, TypeError):
        return None
    return (str(en), str(zh))


def pick_language(request: web.Request, principal: Principal | None, cookie: str | None) -> str:
    """``?lang=`` wins, then the language cookie, then the user's profile, then the
    browser's Accept-Language (Chinese when it names neither)."""
    asked = request.query.get("lang", "")
    if asked in (EN, ZH):
        return asked
    if cookie in (EN, ZH):
        return cookie
    if principal is not None and principal.user is not None:
        own = principal.user.profile.get("lang", "")
        if own in (EN, ZH):
            return own
    return language(request)


def pick_zone(principal: Principal | None, cookie: str | None) -> zoneinfo.ZoneInfo:
    """The user's profile time zone, else the browser's (cookie set by console.js),
    else China Standard Time."""
    for name in (
        principal.user.profile.get("tz", "") if principal and principal.user else "",
        cookie or "",
    ):
        if name and len(name) < 64:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo(DEFAULT_TZ)
