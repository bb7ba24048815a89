"""Sign-in with Alipay (支付宝): the open platform's web authorization
(``publicAppAuthorize.htm``), then two signed gateway calls.

1. The browser goes to ``{authorize}?app_id=..&scope=auth_user&redirect_uri=..&state=..``
   and comes back with ``auth_code`` (not ``code``) and the state.
2. ``alipay.system.oauth.token`` (grant_type=authorization_code, code) gives the
   ``access_token`` and the person's ``user_id`` (or ``open_id`` for apps on Alipay's
   newer id scheme).
3. ``alipay.user.info.share`` (auth_token) gives nickname and avatar (scope auth_user).

Every request is signed RSA2 with the app's private key and every answer's ``sign``
is verified with Alipay's public key before a word of it is believed
(:mod:`~veriseal.accounts.external.alipay_sign`): a mismatch refuses the sign-in. No
PKCE or nonce in this protocol: the state alone binds the callback to its request.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric import rsa

from veriseal.accounts.external import alipay_sign, http
from veriseal.accounts.external.base import ExternalIdentity
from veriseal.accounts.external.errors import ExternalAuthFailed, ExternalProviderUnavailable

log = logging.getLogger("veriseal.accounts.external")

GATEWAY = "https://openapi.alipay.com/gateway.do"
AUTHORIZE = "https://openauth.alipay.com/oauth2/publicAppAuthorize.htm"
#: Alipay's timestamps are Beijing time, which has no daylight saving.
BEIJING = dt.timezone(dt.timedelta(hours=8))
SUCCESS = "10000"


class AlipayRefused(ExternalAuthFailed):
    """Alipay answered, signed, that it will not do it (an error code): the same error
    code as any failed sign-in, told apart from a bad signature."""


class AlipayProvider:
    code_param = "auth_code"

    def __init__(
        self,
        name: str,
        *,
        app_id: str,
        private_key: rsa.RSAPrivateKey,
        alipay_public_key: rsa.RSAPublicKey,
        gateway: str = GATEWAY,
        authorize_endpoint: str = AUTHORIZE,
        scope: str = "auth_user",
    ) -> None:
        self.name = name
        self.app_id = app_id
        self.private_key = private_key
        self.alipay_public_key = alipay_public_key
        self.gateway = gateway
        self.authorize_endpoint = authorize_endpoint
        self.scope = scope

    async def authorize_url(
        self, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        query = {
            "app_id": self.app_id,
            "scope": self.scope,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{self.authorize_endpoint}?{urlencode(query)}"

    async def exchange(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ExternalIdentity:
        token = await self.call(
            "alipay.system.oauth.token", {"grant_type": "authorization_code", "code": code}
        )
        subject = str(token.get("user_id") or token.get("open_id") or "")
        access_token = token.get("access_token")
        if not subject or not isinstance(access_token, str):
            raise ExternalAuthFailed("alipay's token answer names nobody")
        info: dict[str, Any] = {}
        if self.scope == "auth_user":
            try:
                info = await self.call("alipay.user.info.share", {"auth_token": access_token})
            except AlipayRefused as exc:
                # a refusal of the profile (the app lacks the permission) leaves the
                # sign-in itself proven by the signed token answer
                log.info("%s: no profile: %s", self.name, exc)
        claims = {
            k: str(v)[:300]
            for k, v in {
                "user_id": token.get("user_id"),
                "open_id": token.get("open_id"),
                "nick_name": info.get("nick_name"),
                "avatar": info.get("avatar"),
            }.items()
            if v
        }
        return ExternalIdentity(
            provider=self.name,
            subject=subject,
            display_name=str(info.get("nick_name") or "").strip()[:100],
            claims=claims,
        )

    async def call(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """One signed gateway call; the verified response node. ``AlipayRefused`` for a
        (signed) error answer, ``ExternalAuthFailed`` for a signature that does not
        verify."""
        request = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            **params,
        }
        request["sign"] = alipay_sign.sign(request, self.private_key)
        status, body = await http.post_form(self.gateway, request)
        if status != 200:
            raise ExternalProviderUnavailable(f"alipay gateway answered HTTP {status}")
        try:
            members = alipay_sign.top_level_spans(body)
        except ValueError:
            raise ExternalProviderUnavailable("alipay gateway answered non-JSON") from None
        name = alipay_sign.node_name(method)
        found = members.get(name) or members.get("error_response")
        signature = members.get("sign", (None, ""))[0]
        if found is None or not isinstance(found[0], dict):
            raise ExternalProviderUnavailable(f"alipay gateway's answer has no {name}")
        node: dict[str, Any] = found[0]
        raw = found[1]
        if not isinstance(signature, str) or not alipay_sign.verify_text(
            raw, signature, self.alipay_public_key
        ):
            log.warning("%s: %s answer's signature does not verify", self.name, method)
            raise ExternalAuthFailed("alipay's answer signature does not verify")
        code = node.get("code")
        if name not in members or (code is not None and str(code) != SUCCESS):
            log.info("%s: %s refused: %s %s %s", self.name, method, code,
                     node.get("sub_code"), node.get("sub_msg"))  # fmt: skip
            raise AlipayRefused(f"alipay refused {method}: {node.get('sub_code') or code}")
        return node
