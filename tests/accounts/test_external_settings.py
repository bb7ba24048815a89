"""``[auth.providers.<name>]`` config tables: every kind read, every mistake named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.accounts.standins import new_rsa_key
from veriseal.accounts.external.alipay import AlipayProvider
from veriseal.accounts.external.oidc import OidcProvider
from veriseal.accounts.external.settings import configured_providers
from veriseal.accounts.external.wechat import WeChatProvider
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, load
from veriseal.engine import Engine
from veriseal.errors import ConfigError


def _config(tmp_path: Path, providers: dict[str, Any]) -> Config:
    return Config(tmp_path / "veriseal.toml", "sqlite:///x", KeySource(passphrase="p"),
                  tables={"auth": {"providers": providers}})  # fmt: skip


def _keys(tmp_path: Path) -> tuple[str, str]:
    app, alipay = new_rsa_key(), new_rsa_key()
    (tmp_path / "app.pem").write_bytes(app.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))  # fmt: skip
    # Alipay's console hands its public key out as bare base64
    pem = alipay.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bare = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    (tmp_path / "alipay.txt").write_bytes(bare)
    return "app.pem", "alipay.txt"


def test_every_kind_from_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, alipay = _keys(tmp_path)
    monkeypatch.setenv("WX_SECRET", "from-the-environment")
    (tmp_path / "veriseal.toml").write_text(f"""
[ledger]
url = "sqlite:///{tmp_path / 'l.sqlite3'}"

[auth.providers.corp]
kind = "oidc"
issuer = "https://sso.acme.example/realms/staff"
client_id = "veriseal"
client_secret = "s"
title_zh = "Acme 员工账号"

[auth.providers.wechat]
kind = "wechat"
appid = "wx0123456789abcdef"
secret_env = "WX_SECRET"
mode = "mp"

[auth.providers.alipay]
kind = "alipay"
app_id = "2021000000000000"
private_key_file = "{app}"
alipay_public_key_file = "{alipay}"
""", encoding="utf-8")  # fmt: skip
    found = configured_providers(load(str(tmp_path / "veriseal.toml")))
    assert [(c.info.name, c.info.kind) for c in found] == [
        ("corp", "oidc"), ("wechat", "wechat"), ("alipay", "alipay")]  # fmt: skip
    corp, wechat, alipay_ = (c.provider for c in found)
    assert isinstance(corp, OidcProvider) and corp.scopes == ("openid", "email", "profile")
    assert (found[0].info.title_en, found[0].info.title_zh) == ("single sign-on", "Acme 员工账号")
    assert isinstance(wechat, WeChatProvider) and wechat.secret == "from-the-environment"
    assert wechat.mode == "mp" and found[1].info.title_zh == "微信"
    assert isinstance(alipay_, AlipayProvider) and alipay_.gateway.startswith("https://openapi.")


@pytest.mark.parametrize(
    ("name", "table", "says"),
    [
        ("Corp", {"kind": "oidc"}, "a provider's name"),
        ("x", {"kind": "saml"}, "kind is one of"),
        ("x", {"kind": "oidc", "client_id": "c", "client_secret": "s"}, "issuer is required"),
        ("x", {"kind": "oidc", "issuer": "sso.example", "client_id": "c", "client_secret": "s"},
         "issuer must be an http(s) URL"),
        ("x", {"kind": "oidc", "issuer": "https://i", "client_id": "c", "client_secret": "s",
               "clientid": "typo"}, "unknown keys ['clientid']"),
        ("x", {"kind": "oidc", "issuer": "https://i", "client_id": "c", "client_secret": "s",
               "scopes": "openid"}, "scopes is a list"),
        ("x", {"kind": "wechat", "appid": "a", "secret_env": "NOT_SET_ANYWHERE"},
         "NOT_SET_ANYWHERE, which is not set"),
        ("x", {"kind": "wechat", "appid": "a", "secret": "s", "secret_env": "X"},
         "not both"),
        ("x", {"kind": "wechat", "appid": "a", "secret": "s", "mode": "app"}, "mode is one of"),
        ("x", {"kind": "alipay", "app_id": "a", "private_key_file": "missing.pem",
               "alipay_public_key_file": "missing.pem"}, "cannot read private_key_file"),
    ],
)  # fmt: skip
def test_mistakes_name_the_table_and_key(
    tmp_path: Path, name: str, table: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        configured_providers(_config(tmp_path, {name: table}))
    assert f"[auth.providers.{name}]" in caught.value.message
    assert says in caught.value.message


def test_a_key_file_that_is_not_a_key(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_text("hello")
    table = {"kind": "alipay", "app_id": "a", "private_key_file": "k.pem",
             "alipay_public_key_file": "k.pem"}  # fmt: skip
    with pytest.raises(ConfigError, match="private_key_file: neither PEM"):
        configured_providers(_config(tmp_path, {"alipay": table}))


async def test_the_engine_offers_the_configured_providers(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    create_key_file(key)
    table = {"kind": "wechat", "appid": "wx1", "secret": "s", "title_en": "WeChat (shop)"}
    cfg = Config(None, f"sqlite:///{tmp_path / 'l.sqlite3'}", KeySource(key_file=key),
                 tables={"auth": {"providers": {"wechat": table}}})  # fmt: skip
    async with await Engine.open(cfg) as engine:
        [info] = engine.external.providers()
        assert (info.name, info.title_en, info.title_zh) == ("wechat", "WeChat (shop)", "微信")
    bad = Config(None, cfg.db_url, cfg.key_source,
                 tables={"auth": {"providers": {"wechat": {"kind": "wechat"}}}})  # fmt: skip
    with pytest.raises(ConfigError, match="appid is required"):
        await Engine.open(bad)
