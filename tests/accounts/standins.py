"""Stand-ins for WeChat's and Alipay's sign-in services on loopback (aiohttp), speaking
their protocols as documented: what our providers must cope with, including their
quirks (WeChat's errors as HTTP 200 with ``errcode`` and JSON sent as text/plain;
Alipay's ``auth_code`` callback parameter, RSA2-signed requests and responses).

Each stand-in has a person "at the phone": :attr:`user` is who scans the QR code /
approves in the Alipay app when the browser opens the authorization URL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.server.live_process import free_port
from veriseal.accounts.external import alipay_sign


class _Server:
    app: web.Application
    base: str = ""

    async def __aenter__(self) -> Any:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()


def _text_json(value: dict[str, Any]) -> web.Response:
    # WeChat's API answers JSON with Content-Type text/plain
    return web.Response(text=json.dumps(value, ensure_ascii=False), content_type="text/plain")


@dataclass
class WeChatUser:
    openid: str
    nickname: str
    unionid: str | None = None


@dataclass
class WeChatStandIn(_Server):
    appid: str = "wx5e1f0c0ffee0beef"
    secret: str = "wechat-app-secret"
    user: WeChatUser | None = None
    codes: dict[str, WeChatUser] = field(default_factory=dict)
    tokens: dict[str, WeChatUser] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_get("/connect/qrconnect", self.authorize)
        self.app.router.add_get("/connect/oauth2/authorize", self.authorize)
        self.app.router.add_get("/sns/oauth2/access_token", self.access_token)
        self.app.router.add_get("/sns/userinfo", self.userinfo)

    async def authorize(self, request: web.Request) -> web.Response:
        """The QR page: the person scans it and approves; WeChat redirects back."""
        q = request.query
        expected = "snsapi_login" if request.path.endswith("qrconnect") else "snsapi_userinfo"
        if q.get("appid") != self.appid or q.get("response_type") != "code":
            return web.Response(status=400, text="参数错误")
        if q.get("scope") != expected or not re.fullmatch(r"[A-Za-z0-9]{1,128}", q["state"]):
            return web.Response(status=400, text="scope 或 state 参数错误")
        assert self.user is not None, "nobody at the phone"
        code = secrets.token_hex(16)
        self.codes[code] = self.user
        back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        raise web.HTTPFound(back)

    async def access_token(self, request: web.Request) -> web.Response:
        q = dict(request.query)
        self.requests.append((request.path, q))
        if q.get("appid") != self.appid or q.get("secret") != self.secret:
            return _text_json({"errcode": 40125, "errmsg": "invalid appsecret"})
        if q.get("grant_type") != "authorization_code":
            return _text_json({"errcode": 40002, "errmsg": "invalid grant_type"})
        person = self.codes.pop(q.get("code", ""), None)  # a code is good once
        if person is None:
            return _text_json({"errcode": 40029, "errmsg": "invalid code"})
        token = secrets.token_hex(24)
        self.tokens[token] = person
        answer = {"access_token": token, "expires_in": 7200, "refresh_token": secrets.token_hex(24),
                  "openid": person.openid, "scope": "snsapi_login"}  # fmt: skip
        if person.unionid:
            answer["unionid"] = person.unionid
        return _text_json(answer)

    async def userinfo(self, request: web.Request) -> web.Response:
        q = dict(request.query)
        self.requests.append((request.path, q))
        person = self.tokens.get(q.get("access_token", ""))
        if person is None or q.get("openid") != person.openid:
            return _text_json({"errcode": 40001, "errmsg": "invalid credential"})
        info: dict[str, Any] = {
            "openid": person.openid, "nickname": person.nickname, "sex": 0, "province": "浙江",
            "city": "杭州", "country": "中国", "headimgurl": "https://thirdwx.qlogo.cn/x/132",
            "privilege": [],
        }  # fmt: skip
        if person.unionid:
            info["unionid"] = person.unionid
        return _text_json(info)


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AlipayUser:
    user_id: str
    nick_name: str


@dataclass
class AlipayStandIn(_Server):
    """The open platform's authorization page and gateway. It verifies each request's
    RSA2 signature with the app's public key, and signs its answers with its own key."""

    app_public_key: rsa.RSAPublicKey
    app_id: str = "2021004100000001"
    key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    user: AlipayUser | None = None
    #: "ok", "bad-signature" (answers signed by another key), "no-profile" (the app lacks
    #: the permission for alipay.user.info.share)
    mode: str = "ok"
    codes: dict[str, AlipayUser] = field(default_factory=dict)
    tokens: dict[str, AlipayUser] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = web.Application()
        self.app.router.add_get("/oauth2/publicAppAuthorize.htm", self.authorize)
        self.app.router.add_post("/gateway.do", self.gateway)

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("app_id") != self.app_id or q.get("scope") not in ("auth_user", "auth_base"):
            return web.Response(status=400, text="invalid app_id or scope")
        assert self.user is not None, "nobody at the phone"
        code = secrets.token_hex(16)
        self.codes[code] = self.user
        back = {"app_id": self.app_id, "source": "alipay_wallet", "scope": q["scope"],
                "auth_code": code, "state": q["state"]}  # fmt: skip
        raise web.HTTPFound(f"{q['redirect_uri']}?{urlencode(back)}")

    def _signed(self, node_name: str, node: dict[str, Any]) -> web.Response:
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        key = new_rsa_key() if self.mode == "bad-signature" else self.key
        signature = alipay_sign.sign_text(text, key)
        body = f'{{"{node_name}":{text},"sign":"{signature}"}}'
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    async def gateway(self, request: web.Request) -> web.Response:
        params = {**request.query, **{k: str(v) for k, v in (await request.post()).items()}}
        self.requests.append(params)
        method = params.get("method", "")
        node = alipay_sign.node_name(method)
        if params.get("app_id") != self.app_id or params.get("sign_type") != "RSA2":
            return self._signed("error_response", _error("40002", "isv.invalid-app-id"))
        if not alipay_sign.verify_text(alipay_sign.sign_content(params), params.get("sign", ""),
                                       self.app_public_key):  # fmt: skip
            return self._signed("error_response", _error("40002", "isv.invalid-signature"))
        sent = dt.datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
        now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
        if abs((now - sent).total_seconds()) > 600:  # Beijing time, as Alipay checks it
            return self._signed("error_response", _error("40002", "isv.invalid-timestamp"))
        if method == "alipay.system.oauth.token":
            person = self.codes.pop(params.get("code", ""), None)
            if params.get("grant_type") != "authorization_code" or person is None:
                return self._signed("error_response", _error("40002", "isv.code-invalid"))
            token = secrets.token_hex(20)
            self.tokens[token] = person
            return self._signed(node, {"user_id": person.user_id, "access_token": token,
                                       "expires_in": 1296000, "refresh_token": "r" + token,
                                       "re_expires_in": 2592000,
                                       "auth_start": "2025-01-01 10:00:00"})  # fmt: skip
        if method == "alipay.user.info.share":
            person = self.tokens.get(params.get("auth_token", ""))
            if person is None:
                return self._signed(node, _error("20001", "aop.invalid-auth-token"))
            if self.mode == "no-profile":
                return self._signed(node, _error("40006", "isv.insufficient-isv-permissions"))
            profile = {"code": "10000", "msg": "Success", "user_id": person.user_id,
                       "nick_name": person.nick_name, "avatar": AVATAR}  # fmt: skip
            return self._signed(node, profile)
        return self._signed("error_response", _error("40004", "isv.invalid-method"))


AVATAR = "https://tfs.alipayobjects.com/images/partner/T1b.png"


def _error(code: str, sub_code: str) -> dict[str, str]:
    msg = {"40002": "Invalid Arguments", "40004": "Business Failed", "20001": "Invalid Token",
           "40006": "Insufficient Permissions"}[code]  # fmt: skip
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_code}
