"""Sign-in with WeChat (微信): the open platform's website QR login, or the official
account's in-WeChat web authorization; the same code exchange for both.

- ``mode = "qr"`` (a website on a computer): the browser goes to
  ``{open}/connect/qrconnect?appid=..&redirect_uri=..&response_type=code&scope=snsapi_login&state=..#wechat_redirect``
  and the person scans the QR code with WeChat.
- ``mode = "mp"`` (a page opened inside WeChat, official account):
  ``{open}/connect/oauth2/authorize?...&scope=snsapi_userinfo...#wechat_redirect``.

Then ``GET {api}/sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code``
-> ``{access_token, expires_in, refresh_token, openid, scope, unionid}`` and
``GET {api}/sns/userinfo?access_token&openid`` -> nickname, avatar, unionid. WeChat
reports errors as ``{"errcode": n, "errmsg": ".."}`` with HTTP 200 (and JSON as
text/plain). The subject is the unionid when the app is bound to an open-platform
account (one id across the company's apps), else the openid (one app's id).

No PKCE and no nonce in this protocol: the state (letters and digits, at most 128
bytes, as WeChat requires) alone binds the callback to its request.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from veriseal.accounts.external import http
from veriseal.accounts.external.base import ExternalIdentity
from veriseal.accounts.external.errors import ExternalAuthFailed

log = logging.getLogger("veriseal.accounts.external")

OPEN = "https://open.weixin.qq.com"
API = "https://api.weixin.qq.com"
#: mode -> (authorization path, scope)
MODES = {
    "qr": ("/connect/qrconnect", "snsapi_login"),
    "mp": ("/connect/oauth2/authorize", "snsapi_userinfo"),
}


class WeChatProvider:
    code_param = "code"

    def __init__(
        self,
        name: str,
        *,
        appid: str,
        secret: str,
        mode: str = "qr",
        api_base: str = API,
        open_base: str = OPEN,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"WeChat mode is one of {sorted(MODES)}, not {mode!r}")
        self.name = name
        self.appid = appid
        self.secret = secret
        self.mode = mode
        self.api_base = api_base.rstrip("/")
        self.open_base = open_base.rstrip("/")

    async def authorize_url(
        self, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        path, scope = MODES[self.mode]
        # WeChat reads the parameters in this order and wants the fragment
        query = urlencode(
            {
                "appid": self.appid,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": scope,
                "state": state,
            }
        )
        return f"{self.open_base}{path}?{query}#wechat_redirect"

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = self.api_base + path
        status, answer = await http.get_json(url, params)
        if status != 200 or answer.get("errcode"):
            log.info("%s %s refused: HTTP %s %s %s", self.name, path, status,
                     answer.get("errcode"), answer.get("errmsg"))  # fmt: skip
            raise ExternalAuthFailed(f"wechat refused the sign-in: {answer.get('errcode')}")
        return answer

    async def exchange(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ExternalIdentity:
        token = await self._get(
            "/sns/oauth2/access_token",
            {
                "appid": self.appid,
                "secret": self.secret,
                "code": code,
                "grant_type": "authorization_code",
            },
        )
        openid, access_token = token.get("openid"), token.get("access_token")
        if not isinstance(openid, str) or not openid or not isinstance(access_token, str):
            raise ExternalAuthFailed("wechat's token answer names nobody")
        info = await self._get(
            "/sns/userinfo", {"access_token": access_token, "openid": openid, "lang": "zh_CN"}
        )
        if info.get("openid") not in (None, openid):
            raise ExternalAuthFailed("wechat's userinfo is about someone else")
        unionid = token.get("unionid") or info.get("unionid")
        claims = {
            k: str(v)[:300]
            for k, v in {
                "openid": openid,
                "unionid": unionid,
                "nickname": info.get("nickname"),
                "headimgurl": info.get("headimgurl"),
            }.items()
            if v
        }
        return ExternalIdentity(
            provider=self.name,
            subject=str(unionid or openid),
            display_name=str(info.get("nickname") or "").strip()[:100],
            claims=claims,
        )
