"""OpenID Connect sign-in (any certified provider: a company's SSO, Authing, Keycloak,
Azure AD, Google ...): authorization code flow with PKCE (S256), state and nonce.

- The provider's endpoints come from ``{issuer}/.well-known/openid-configuration``
  (OpenID Connect Discovery 1.0), cached for an hour; its ``issuer`` must equal the
  configured one exactly (Discovery section 4.3).
- The ID token (a JWS) is verified with the provider's JWKS, fetched again once when it
  names a key we do not have (key rotation), and only with asymmetric algorithms: an
  ``HS256`` token "signed" with a public key must never pass. Its claims are checked as
  OpenID Connect Core 3.1.3.7 says (authlib's ``CodeIDToken``): ``iss``, ``aud`` (and
  ``azp``), ``exp``/``iat`` with a minute of clock leeway, the ``nonce`` this request
  sent, ``at_hash`` when present.
- The UserInfo endpoint is asked too (unless ``userinfo = false``): its ``sub`` must be
  the ID token's (Core 5.3.2), and its claims fill what the ID token left out.

authlib builds the request (PKCE challenge, authorization URL) and validates the claims;
joserfc (authlib's JOSE library) verifies the signature; aiohttp does the HTTP.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from veriseal.accounts.external import http
from veriseal.accounts.external.base import ExternalIdentity
from veriseal.accounts.external.errors import ExternalAuthFailed, ExternalProviderUnavailable

log = logging.getLogger("veriseal.accounts.external")

#: Signature algorithms accepted for ID tokens: asymmetric only (see the module doc).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA")  # fmt: skip
CACHE_SECONDS = 3600
LEEWAY_SECONDS = 60
#: Claims kept with a linked identity, for display (never tokens).
KEPT_CLAIMS = ("name", "preferred_username", "nickname", "picture", "locale")


def _is_true(value: object) -> bool:
    # some providers send the JSON string "true" instead of the boolean
    return value is True or value == "true"


class OidcProvider:
    code_param = "code"

    def __init__(
        self,
        name: str,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str] = ("openid", "email", "profile"),
        userinfo: bool = True,
    ) -> None:
        self.name = name
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = tuple(scopes) if "openid" in scopes else ("openid", *scopes)
        self.use_userinfo = userinfo
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # -- discovery and keys ------------------------------------------------------------
    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour)."""
        if self._discovery and time.monotonic() - self._discovery[0] < CACHE_SECONDS:
            return self._discovery[1]
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        status, doc = await http.get_json(url)
        if status != 200:
            raise ExternalProviderUnavailable(f"{url} answered HTTP {status}")
        if doc.get("issuer") != self.issuer:
            # Discovery 4.3: a document for another issuer must not be used
            log.error("%s: discovery says issuer %r, configured %r", self.name,
                      doc.get("issuer"), self.issuer)  # fmt: skip
            raise ExternalProviderUnavailable(f"{url} is not the document of {self.issuer}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = doc.get(key)
            if not isinstance(value, str) or not self._same_security(value):
                raise ExternalProviderUnavailable(f"{url}: no usable {key}")
        self._discovery = (time.monotonic(), doc)
        return doc

    def _same_security(self, url: str) -> bool:
        """An https issuer's endpoints are https too (never downgraded to plain http)."""
        return url.startswith("https://") or not self.issuer.startswith("https://")

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if not refresh and self._keys and time.monotonic() - self._keys[0] < CACHE_SECONDS:
            return self._keys[1]
        url = str((await self.metadata())["jwks_uri"])
        status, doc = await http.get_json(url)
        try:
            if status != 200:
                raise ValueError(f"HTTP {status}")
            keys = KeySet.import_key_set(doc)  # type: ignore[arg-type]
        except (ValueError, TypeError, KeyError, JoseError) as exc:
            raise ExternalProviderUnavailable(f"{url}: no usable key set ({exc})") from None
        self._keys = (time.monotonic(), keys)
        return keys

    # -- the flow ----------------------------------------------------------------------
    async def authorize_url(
        self, state: str, nonce: str, code_challenge: str, redirect_uri: str
    ) -> str:
        endpoint = str((await self.metadata())["authorization_endpoint"])
        return str(
            prepare_grant_uri(
                endpoint,
                self.client_id,
                "code",
                redirect_uri=redirect_uri,
                scope=" ".join(self.scopes),
                state=state,
                nonce=nonce,
                code_challenge=code_challenge,
                code_challenge_method="S256",
            )
        )

    async def exchange(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> ExternalIdentity:
        meta = await self.metadata()
        tokens = await self._redeem(meta, code, redirect_uri, code_verifier)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise ExternalAuthFailed("the provider's answer has no ID token")
        claims = await self._verified_claims(id_token, nonce, access_token)
        endpoint = meta.get("userinfo_endpoint")
        if self.use_userinfo and isinstance(endpoint, str) and self._same_security(endpoint):
            claims = {**await self._userinfo(endpoint, access_token, claims["sub"]), **claims}
        return self._identity(claims)

    async def _redeem(
        self, meta: dict[str, Any], code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        headers = {"Accept": "application/json"}
        methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if "client_secret_basic" in methods:
            # RFC 6749 2.3.1: id and secret are form-encoded before they are joined
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        url = str(meta["token_endpoint"])
        status, text = await http.post_form(url, form, headers)
        answer = http.json_object(url, text)
        if status != 200 or "error" in answer:
            log.info("%s refused the code: HTTP %s %s %s", self.name, status,
                     answer.get("error"), answer.get("error_description"))  # fmt: skip
            if status >= 500:
                raise ExternalProviderUnavailable(f"{url} answered HTTP {status}")
            raise ExternalAuthFailed(f"{self.name} refused the sign-in: {answer.get('error')}")
        return answer

    async def _verified_claims(
        self, id_token: str, nonce: str, access_token: str
    ) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=ALGORITHMS)
            except InvalidKeyIdError:  # the provider rotated its keys: fetch them again
                token = jwt.decode(id_token, await self._key_set(True), algorithms=ALGORITHMS)
            claims = CodeIDToken(
                token.claims,
                token.header,
                options={
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                    "sub": {"essential": True},
                    "exp": {"essential": True},
                },
                params={"nonce": nonce, "client_id": self.client_id, "access_token": access_token},
            )
            claims.validate(now=int(time.time()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            log.info("%s: ID token refused: %r", self.name, exc)  # the library's words stay here
            raise ExternalAuthFailed(f"{self.name}'s ID token does not verify") from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise ExternalAuthFailed(f"{self.name}'s ID token names nobody")
        return dict(claims)

    async def _userinfo(self, url: str, access_token: str, subject: str) -> dict[str, Any]:
        status, info = await http.get_json(
            url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )
        if status != 200:
            log.info("%s userinfo answered HTTP %s: %s", self.name, status, info)
            return {}  # optional: the ID token's claims stand alone
        if info.get("sub") != subject:
            # Core 5.3.2: another subject's claims must not be used (a token mix-up)
            raise ExternalAuthFailed(f"{self.name}'s userinfo is about someone else")
        return info

    def _identity(self, claims: dict[str, Any]) -> ExternalIdentity:
        email = claims.get("email")
        phone = claims.get("phone_number")
        name = next(
            (str(claims[k]) for k in ("name", "nickname", "preferred_username")
             if isinstance(claims.get(k), str) and claims[k].strip()),
            "",
        )  # fmt: skip
        return ExternalIdentity(
            provider=self.name,
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) and email else None,
            email_verified=isinstance(email, str) and _is_true(claims.get("email_verified")),
            phone=phone if isinstance(phone, str) and phone else None,
            phone_verified=isinstance(phone, str) and _is_true(claims.get("phone_number_verified")),
            display_name=name.strip()[:100],
            claims={k: str(claims[k])[:300] for k in KEPT_CLAIMS if claims.get(k)},
        )
