"""A newcomer registers by e-mail as a user would: the code travels through the outbox
and a real SMTP server (aiosmtpd on loopback), then the account signs in; failed
sign-ins lock it and the lock notice reaches the user's inbox and mailbox."""

from __future__ import annotations

import re

from tests.notifications.conftest import SmtpBox, smtp_server  # noqa: F401 - a fixture
from tests.server.conftest import Api
from veriseal.notifications import DeliveryWorker, HistoryFilter
from veriseal.notifications.settings import NotifySettings

PW = "a long pass phrase"


def _worker(api: Api, port: int) -> DeliveryWorker:
    settings = NotifySettings(
        email={
            "host": "127.0.0.1",
            "port": port,
            "sender": "Veriseal <noreply@demo.example>",
            "starttls": False,
        }
    )
    return DeliveryWorker(api.engine.ledger, settings.senders(api.engine.notifier.contacts))


async def test_register_confirm_login_lockout(
    api: Api,
    smtp_server: tuple[SmtpBox, int],  # noqa: F811
) -> None:
    box, port = smtp_server
    worker = _worker(api, port)
    status, body = await api.call(
        "POST", "/api/v1/auth/register", json={"contact": "Mei.Lin@Example.com"}
    )
    assert (status, body) == (202, {"sent_to": "Mei.Lin@example.com"})
    report = await worker.run_once()
    assert report.delivered == 1
    mail = box.messages[-1]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    code = re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]
    assert "验证码" in text and box.envelopes[-1][1] == ["Mei.Lin@example.com"]

    status, user = await api.call(
        "POST",
        "/api/v1/auth/register/confirm",
        json={
            "contact": "mei.lin@example.com".replace("mei.lin", "Mei.Lin"),
            "code": code,
            "display_name": "林梅",
            "password": PW,
        },
    )
    assert status == 201 and user["role"] == "consumer"
    status, body = await api.call(
        "POST", "/api/v1/auth/login", json={"identifier": "Mei.Lin@example.com", "password": PW}
    )
    assert status == 200

    for _ in range(5):
        status, body = await api.call(
            "POST",
            "/api/v1/auth/login",
            json={"identifier": "Mei.Lin@example.com", "password": "not my password"},
        )
        assert status == 401
    status, body = await api.call(
        "POST", "/api/v1/auth/login", json={"identifier": "Mei.Lin@example.com", "password": PW}
    )
    assert status == 423 and body["error"]["code"] == "account_locked"
    await worker.run_once()
    assert "locked" in box.messages[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    inbox = await api.engine.notifier.inbox.history(user["id"], HistoryFilter(query="锁定"))
    assert len(inbox) == 1
