"""WeChat mini-program subscribe messages (订阅消息), a channel of its own.

Why a channel and not a push provider: the address is a user's openid in one
mini-program, not a browser subscription; every message type needs its own template
(with its own fields) and the user's consent to that template inside the mini-program,
so a user turns it on per message type in their preferences, separately from
browser push.

The protocol (the WeChat server API, ``api_base`` default ``https://api.weixin.qq.com``)::

    GET  {api_base}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..
         -> {"access_token": "...", "expires_in": 7200} | {"errcode": .., "errmsg": ..}
    POST {api_base}/cgi-bin/message/subscribe/send?access_token=..
         {"touser": openid, "template_id": .., "page": .., "data": {key: {"value": ..}},
          "miniprogram_state": "formal", "lang": "zh_CN"}
         -> {"errcode": 0, "errmsg": "ok"}

The access token is cached until ``expires_in`` minus a margin, shared by concurrent
sends (one fetch at a time). errcode 0 is delivered; 40001/42001/40014 (token invalid
or expired: another process may have fetched a new one) refresh the token and try ONCE
more; 43101 (the user refused, or used up their consent for the template) and the
other request errors are permanent for that message; -1 (system busy) and the rate
limits 45009/45011 are retried with the outbox's backoff, as are HTTP failures. WeChat
takes no idempotency key: a copy resent after a worker crash reaches the user twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from veriseal.notifications.errors import SendFailed
from veriseal.notifications.message_types import spec
from veriseal.notifications.models import Delivery
from veriseal.notifications.texts import in_language

TOKEN_INVALID = frozenset({40001, 40014, 42001})
REFUSED = 43101
TRANSIENT = frozenset({-1, 45009, 45011})
#: Fields a template gets when the settings name none for its type.
DEFAULT_FIELDS: Mapping[str, str] = {"thing1": "title", "thing2": "body", "time3": "time"}
#: Characters WeChat takes in a field of each kind (its key without the digits).
FIELD_LIMITS: Mapping[str, int] = {
    "thing": 20,
    "phrase": 5,
    "name": 10,
    "character_string": 32,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "amount": 32,
    "car_number": 8,
    "phone_number": 17,
}
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WechatSettings:
    """``[notifications.wechat]``. ``templates``: message type -> template id (a type
    without one cannot go to WeChat); ``fields``: message type -> {template key: source}
    where a source is ``title``, ``body``, ``time`` (when the message was accepted, China
    time), ``type`` (the type's Chinese name) or ``data.<key>`` (the message's data);
    ``page``: the mini-program page a tap opens (``{message_id}`` is filled in)."""

    appid: str
    secret: str
    api_base: str = "https://api.weixin.qq.com"
    templates: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    page: str = ""
    state: str = "formal"  # miniprogram_state: developer, trial or formal
    timeout: float = 10.0
    token_margin: float = 300.0  # seconds before expires_in that a token is renewed


def _limit(key: str, value: str) -> str:
    kind = key.rstrip("0123456789")
    limit = FIELD_LIMITS.get(kind)
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def _source(d: Delivery, source: str) -> str:
    if source == "title":
        return in_language(d.title, "zh")
    if source == "body":
        return in_language(d.body, "zh") or in_language(d.title, "zh")
    if source == "time":
        at = d.created_at or dt.datetime.now(dt.UTC)
        return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if source == "type":
        found = spec(d.type)
        return found.name_zh if found else str(d.type)
    if source.startswith("data."):
        return str(d.data.get(source[5:], ""))
    raise SendFailed(f"unknown WeChat field source {source!r}", permanent=True)


def template_data(d: Delivery, fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The ``data`` of a subscribe message for ``d``: each template key's value, in
    Chinese, cut to what WeChat accepts for the key's kind."""
    return {key: {"value": _limit(key, _source(d, src))} for key, src in fields.items()}


class WechatSender:
    """The worker's ``Sender`` for :attr:`Channel.WECHAT`."""

    def __init__(
        self, settings: WechatSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._token_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout)
            )
        return self._session

    async def _get_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._http().request(method, url, **kwargs) as resp:
                if resp.status != 200:
                    detail = (await resp.text())[:200]
                    raise SendFailed(f"WeChat answered HTTP {resp.status}: {detail}")
                found = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise SendFailed(f"WeChat: {type(exc).__name__}: {exc}") from None
        if not isinstance(found, dict):
            raise SendFailed("WeChat answered something that is not a JSON object")
        return found

    async def access_token(self) -> str:
        """A valid access token: the cached one, else a new one (one fetch at a time)."""
        async with self._token_lock:
            if self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
            s = self.settings
            found = await self._get_json(
                "GET",
                f"{s.api_base}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": s.appid, "secret": s.secret},
            )
            token, expires = found.get("access_token"), found.get("expires_in")
            if not isinstance(token, str) or not token or not isinstance(expires, int):
                code, msg = found.get("errcode"), found.get("errmsg", "")
                raise SendFailed(f"WeChat gave no access token: errcode {code} {msg}")
            self._token = (token, self.clock() + max(0.0, expires - s.token_margin))
            return token

    def _forget(self, token: str) -> None:
        # only the token that failed: a concurrent send may have renewed it already
        if self._token is not None and self._token[0] == token:
            self._token = None

    async def _post(self, token: str, body: dict[str, Any]) -> tuple[int, str]:
        found = await self._get_json(
            "POST",
            f"{self.settings.api_base}/cgi-bin/message/subscribe/send",
            params={"access_token": token},
            json=body,
        )
        code = found.get("errcode", 0)
        return (code if isinstance(code, int) else -1), str(found.get("errmsg", ""))

    def message(self, d: Delivery) -> dict[str, Any]:
        s = self.settings
        template = s.templates.get(str(d.type))
        if not template:
            raise SendFailed(f"no WeChat template for {d.type} messages", permanent=True)
        body: dict[str, Any] = {
            "touser": d.address,
            "template_id": template,
            "data": template_data(d, s.fields.get(str(d.type), DEFAULT_FIELDS)),
            "miniprogram_state": s.state,
            "lang": "zh_CN",
        }
        if s.page:
            body["page"] = s.page.replace("{message_id}", str(d.message_id))
        return body

    async def send(self, delivery: Delivery) -> None:
        body = self.message(delivery)
        token = await self.access_token()
        code, msg = await self._post(token, body)
        if code in TOKEN_INVALID:
            self._forget(token)
            code, msg = await self._post(await self.access_token(), body)
        if code == 0:
            return
        if code == REFUSED:
            raise SendFailed(
                f"WeChat 43101: the user refused or has no subscription left ({msg})",
                permanent=True,
            )
        transient = code in TRANSIENT or code in TOKEN_INVALID
        raise SendFailed(f"WeChat errcode {code}: {msg}", permanent=not transient)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
