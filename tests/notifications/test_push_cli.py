"""``veriseal notify deliver`` with Web Push and WeChat configured, and the settings of
both channels (``[notifications.push]``, ``[notifications.wechat]``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.notifications.push_service import push_service_thread
from veriseal.catalog.keys import Keyring, KeySource, create_key_file
from veriseal.errors import ConfigError
from veriseal.ledger import open_ledger
from veriseal.notifications import Channel, LedgerContactBook, NotifySettings, PushSubscriptions
from veriseal.notifications.vapid import VapidKey

Run = Callable[..., str]
PUSH = '[notifications.push]\nsubject = "mailto:ops@acme.example"\n'


async def _subscribe(url: str, endpoint: str, p256dh: str, auth: str) -> None:
    ledger = await open_ledger(url)
    try:
        await ledger.migrate()
        policy = NotifySettings(push={"insecure_hosts": ["127.0.0.1"]}).push_policy()
        await PushSubscriptions(ledger, policy).add(1, endpoint, p256dh, auth)
    finally:
        await ledger.close()


def test_deliver_sends_web_push_with_the_keyrings_vapid_key(
    run: Run, ledger_url: str, tmp_path: Path
) -> None:
    create_key_file(tmp_path / "k.key")
    (tmp_path / "veriseal.toml").write_text(
        f'[ledger]\nurl = "{ledger_url}"\n\n[keys]\nkey_file = "k.key"\n\n'
        + PUSH + 'insecure_hosts = ["127.0.0.1"]\nttl = 600\n',
        encoding="utf-8",
    )  # fmt: skip
    key = VapidKey.derive(Keyring(KeySource(key_file=tmp_path / "k.key")))
    with push_service_thread() as service:
        browser = service.subscribe(key.application_server_key)
        j = browser.to_json()
        asyncio.run(_subscribe(ledger_url, j["endpoint"], j["keys"]["p256dh"], j["keys"]["auth"]))
        out = run("notify", "send", "--type", "system_notice", "--user", "1",
                  "--title", "Order shipped / 订单已发货")  # fmt: skip
        assert "1 deliveries queued" in out  # user 1 has no e-mail: push only
        assert "1 delivered" in run("notify", "deliver")
        assert [p["title"] for p in service.plaintexts(browser)] == ["订单已发货"]
        assert service.received[0].headers["TTL"] == "600"
    status = json.loads(run("notify", "outbox", "--json"))
    assert status["summary"]["delivered"] == 1


def test_push_without_the_keyring_secret_is_refused(
    run: Run, ledger_url: str, tmp_path: Path
) -> None:
    (tmp_path / "veriseal.toml").write_text(
        f'[ledger]\nurl = "{ledger_url}"\n\n' + PUSH, encoding="utf-8"
    )
    out = run("notify", "deliver", code=5)
    assert "[keyring_locked]" in out


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('[notifications.push]\nsubject = "ops@acme.example"\n', "subject must be"),
        ('[notifications.push]\nsubject = "mailto:a@b.c"\nurgency = 1\n', "unknown"),
        ('[notifications.push]\nsubject = "mailto:a@b.c"\nhosts = "x"\n', "list of host"),
        ('[notifications.wechat]\nappid = "wx1"\n', "needs an appid and a secret"),
        ('[notifications.wechat]\nappid = "wx1"\nsecret = "s"\ntemplates = 3\n', "a table"),
        ('[notifications.wechat]\nappid = "wx1"\nsecret = "s"\ntoken = "t"\n', "unknown"),
    ],
)
def test_bad_channel_settings_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, section: str, message: str
) -> None:
    monkeypatch.delenv("VERISEAL_WECHAT_SECRET", raising=False)
    path = tmp_path / "veriseal.toml"
    path.write_text(section, encoding="utf-8")
    settings = NotifySettings.load(path)
    ring = Keyring(KeySource(passphrase="x"))
    with pytest.raises(ConfigError, match=message):
        settings.senders(LedgerContactBook(None), push=None, keyring=ring)  # type: ignore[arg-type]


async def test_settings_make_both_senders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERISEAL_WECHAT_SECRET", "from-the-environment")
    path = tmp_path / "veriseal.toml"
    path.write_text(
        PUSH + 'hosts = ["push.example.cn"]\n\n[notifications.wechat]\nappid = "wx1"\n'
        'api_base = "https://api.weixin.qq.com/"\ntemplates = { clone_alert = "T1" }\n',
        encoding="utf-8",
    )
    settings = NotifySettings.load(path)
    assert settings.push_policy().hosts == ("push.example.cn",)
    wechat = settings.wechat_settings()
    assert (wechat.secret, wechat.api_base) == ("from-the-environment", "https://api.weixin.qq.com")
    ring = Keyring(KeySource(passphrase="x"))
    senders = settings.senders(
        LedgerContactBook(None),  # type: ignore[arg-type]
        push=PushSubscriptions(None),  # type: ignore[arg-type]
        keyring=ring,
    )
    assert {Channel.PUSH, Channel.WECHAT} <= set(senders)
    for sender in senders.values():
        await sender.close()
