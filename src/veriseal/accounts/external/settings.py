"""The ``[auth.providers.<name>]`` tables of the config file -> configured providers.

::

    [auth.providers.corp]            # OpenID Connect (Keycloak, Authing, Azure AD ...)
    kind = "oidc"
    issuer = "https://sso.acme.example/realms/staff"
    client_id = "veriseal"
    client_secret_env = "CORP_SSO_SECRET"   # or client_secret = "..."
    scopes = ["openid", "email", "profile"] # the default
    userinfo = true                         # also ask the UserInfo endpoint (default)
    title_en = "Acme staff sign-in"
    title_zh = "Acme 员工登录"

    [auth.providers.wechat]
    kind = "wechat"
    appid = "wx0123456789abcdef"
    secret_env = "WECHAT_SECRET"            # or secret = "..."
    mode = "qr"                             # website QR login; "mp": inside WeChat

    [auth.providers.alipay]
    kind = "alipay"
    app_id = "2021000000000000"
    private_key_file = "keys/alipay_app_private.pem"     # PEM or bare base64 (PKCS #8/#1)
    alipay_public_key_file = "keys/alipay_public.pem"   # Alipay's key, from its console

The table's name is the provider's name: the URL segment of its sign-in
(``/console/signin/ext/<name>``) and the login method recorded for it. A secret may
come from the environment (``<key>_env`` names the variable) so the file need not hold
it. Relative key files are relative to the config file's folder. The WeChat and Alipay
endpoints can be pointed elsewhere (``api_base``, ``open_base``; ``gateway``,
``authorize_endpoint``) for a sandbox. Any mistake is a ``ConfigError`` naming the table
and the key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veriseal.accounts.external import alipay, wechat
from veriseal.accounts.external.alipay import AlipayProvider
from veriseal.accounts.external.alipay_sign import load_private_key, load_public_key
from veriseal.accounts.external.base import PROVIDER_NAME, ExternalProvider
from veriseal.accounts.external.oidc import OidcProvider
from veriseal.accounts.external.wechat import WeChatProvider
from veriseal.config import Config
from veriseal.errors import ConfigError

#: kind -> default titles (English, Chinese)
TITLES = {
    "oidc": ("single sign-on", "企业账号"),
    "wechat": ("WeChat", "微信"),
    "alipay": ("Alipay", "支付宝"),
}
_COMMON = {"kind", "title_en", "title_zh"}


@dataclass(frozen=True)
class ProviderInfo:
    """What the sign-in page shows of a provider."""

    name: str
    kind: str
    title_en: str
    title_zh: str


@dataclass(frozen=True)
class Configured:
    info: ProviderInfo
    provider: ExternalProvider


class _Table:
    """One provider's table, read with errors that name it."""

    def __init__(self, name: str, data: dict[str, Any], allowed: set[str], base: Path) -> None:
        self.where = f"[auth.providers.{name}]"
        self.data = data
        self.base = base
        unknown = sorted(set(data) - allowed - _COMMON)
        if unknown:
            raise ConfigError(
                f"{self.where}: unknown keys {unknown}; a {data['kind']} provider takes"
                f" {sorted(allowed | _COMMON)}"
            )

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.where}: {key} is required (a non-empty string)")
        return value.strip()

    def secret(self, key: str) -> str:
        """``key``, or the environment variable ``<key>_env`` names."""
        env = self.data.get(f"{key}_env")
        if env is not None:
            if key in self.data:
                raise ConfigError(f"{self.where}: give {key} or {key}_env, not both")
            value = os.environ.get(str(env), "")
            if not value:
                raise ConfigError(f"{self.where}: {key}_env names {env}, which is not set")
            return value
        return self.text(key)

    def url(self, key: str, default: str | None = None) -> str:
        value = self.text(key, default)
        if not value.startswith(("https://", "http://")):
            raise ConfigError(f"{self.where}: {key} must be an http(s) URL, not {value!r}")
        return value

    def choice(self, key: str, default: str, choices: set[str]) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise ConfigError(f"{self.where}: {key} is one of {sorted(choices)}, not {value!r}")
        return value

    def key_file(self, key: str) -> str:
        path = Path(self.text(key)).expanduser()
        path = path if path.is_absolute() else self.base / path
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{self.where}: cannot read {key} {path}: {exc}") from None


def _oidc(name: str, t: _Table) -> ExternalProvider:
    scopes = t.data.get("scopes", ["openid", "email", "profile"])
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        raise ConfigError(f"{t.where}: scopes is a list of scope names")
    userinfo = t.data.get("userinfo", True)
    if not isinstance(userinfo, bool):
        raise ConfigError(f"{t.where}: userinfo is true or false")
    return OidcProvider(
        name,
        issuer=t.url("issuer"),
        client_id=t.text("client_id"),
        client_secret=t.secret("client_secret"),
        scopes=scopes,
        userinfo=userinfo,
    )


def _wechat(name: str, t: _Table) -> ExternalProvider:
    return WeChatProvider(
        name,
        appid=t.text("appid"),
        secret=t.secret("secret"),
        mode=t.choice("mode", "qr", set(wechat.MODES)),
        api_base=t.url("api_base", wechat.API),
        open_base=t.url("open_base", wechat.OPEN),
    )


def _alipay(name: str, t: _Table) -> ExternalProvider:
    try:
        private_key = load_private_key(t.key_file("private_key_file"))
    except ValueError as exc:
        raise ConfigError(f"{t.where}: private_key_file: {exc}") from None
    try:
        public_key = load_public_key(t.key_file("alipay_public_key_file"))
    except ValueError as exc:
        raise ConfigError(f"{t.where}: alipay_public_key_file: {exc}") from None
    return AlipayProvider(
        name,
        app_id=t.text("app_id"),
        private_key=private_key,
        alipay_public_key=public_key,
        gateway=t.url("gateway", alipay.GATEWAY),
        authorize_endpoint=t.url("authorize_endpoint", alipay.AUTHORIZE),
        scope=t.choice("scope", "auth_user", {"auth_user", "auth_base"}),
    )


_KINDS: dict[str, tuple[set[str], Callable[[str, _Table], ExternalProvider]]] = {
    "oidc": (
        {"issuer", "client_id", "client_secret", "client_secret_env", "scopes", "userinfo"},
        _oidc,
    ),
    "wechat": ({"appid", "secret", "secret_env", "mode", "api_base", "open_base"}, _wechat),
    "alipay": (
        {"app_id", "private_key_file", "alipay_public_key_file", "gateway",
         "authorize_endpoint", "scope"},
        _alipay,
    ),
}  # fmt: skip


def configured_providers(config: Config) -> list[Configured]:
    """The providers of ``config``'s ``[auth.providers]`` tables, in file order.
    ``ConfigError`` for any mistake (reads the key files; no network)."""
    providers = config.section("auth").get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigError("[auth.providers] holds one table per provider")
    base = config.path.parent if config.path else Path.cwd()
    out = []
    for name, data in providers.items():
        where = f"[auth.providers.{name}]"
        if not PROVIDER_NAME.match(name):
            raise ConfigError(
                f"{where}: a provider's name is 1-32 lowercase letters, digits, - or _,"
                " starting with a letter"
            )
        if not isinstance(data, dict) or data.get("kind") not in _KINDS:
            raise ConfigError(f"{where}: kind is one of {sorted(_KINDS)}")
        allowed, build = _KINDS[data["kind"]]
        table = _Table(name, data, allowed, base)
        en, zh = TITLES[data["kind"]]
        info = ProviderInfo(
            name, data["kind"], table.text("title_en", en), table.text("title_zh", zh)
        )
        out.append(Configured(info, build(name, table)))
    return out
