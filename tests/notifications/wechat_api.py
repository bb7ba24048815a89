"""A stand-in for the WeChat server API's two calls a subscribe message needs, on loopback.

Speaks the protocol exactly as WeChat documents it::

    GET  /cgi-bin/token?grant_type=client_credential&appid=..&secret=..
         -> {"access_token": "...", "expires_in": 7200}
         |  {"errcode": 40013, "errmsg": "invalid appid"} (40125 invalid appsecret,
            40002 invalid grant_type)
    POST /cgi-bin/message/subscribe/send?access_token=..
         {"touser", "template_id", "page"?, "data": {key: {"value": str}},
          "miniprogram_state"?, "lang"?}
         -> {"errcode": 0, "errmsg": "ok"}
         |  40001 invalid credential (a token it never issued), 42001 access_token
            expired, 40003 invalid openid, 40037 invalid template_id, 47003 argument
            invalid (data not as the template wants), 43101 user refuse to accept the msg

Every answer is HTTP 200 with JSON, as WeChat's are. Users ``subscribe(openid,
template)`` once per message, as a tap on "allow" in the mini-program gives one quota;
a send without quota is 43101. ``expire(token)`` makes a token answer 42001 from then on
(WeChat expires a token early when another fetch replaces it); ``busy`` answers -1 that
many times.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.notifications.conftest import free_port

APPID = "wx0123456789abcdef"
SECRET = "0123456789abcdef0123456789abcdef"


@dataclass
class WechatApi:
    base: str = ""
    #: template id -> the keys its data must have (as configured in the WeChat console)
    templates: dict[str, set[str]] = field(default_factory=dict)
    openids: set[str] = field(default_factory=set)
    quota: dict[tuple[str, str], int] = field(default_factory=dict)  # (openid, template)
    tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    token_fetches: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # errcode of every send, in order
    busy: int = 0
    expires_in: int = 7200

    def subscribe(self, openid: str, template: str, times: int = 1) -> None:
        self.openids.add(openid)
        self.quota[openid, template] = self.quota.get((openid, template), 0) + times

    def expire(self, token: str) -> None:
        self.tokens[token] = False

    async def token(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if q.get("appid") != APPID:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != SECRET:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.token_fetches += 1
        token = secrets.token_urlsafe(32)
        self.tokens[token] = True
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    def _check(self, token: str, body: Any) -> tuple[int, str]:
        valid = self.tokens.get(token)
        if valid is None:
            return 40001, "invalid credential, access_token is invalid or not latest"
        if not valid:
            return 42001, "access_token expired"
        if self.busy:
            self.busy -= 1
            return -1, "system error"
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return 47001, "data format error"
        openid, template = body.get("touser"), body.get("template_id")
        if openid not in self.openids:
            return 40003, "invalid openid"
        if template not in self.templates:
            return 40037, "invalid template_id"
        data = body["data"]
        if set(data) != self.templates[template] or not all(
            isinstance(v, dict) and set(v) == {"value"} and isinstance(v["value"], str)
            for v in data.values()
        ):
            return 47003, "argument invalid! data.thing1.value invalid"
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return 47003, "argument invalid! miniprogram_state"
        if self.quota.get((openid, template), 0) < 1:
            return 43101, "user refuse to accept the msg"
        self.quota[openid, template] -= 1
        return 0, "ok"

    async def send(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        code, msg = self._check(request.query.get("access_token", ""), body)
        self.answers.append(code)
        if code == 0:
            self.sent.append(body)
        return web.json_response({"errcode": code, "errmsg": msg})


@asynccontextmanager
async def wechat_api() -> AsyncIterator[WechatApi]:
    api = WechatApi()
    app = web.Application()
    app.router.add_get("/cgi-bin/token", api.token)
    app.router.add_post("/cgi-bin/message/subscribe/send", api.send)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api.base = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()
