"""Accepting messages: channels from preferences, skipped channels, do-not-disturb,
security notices, raw addresses, and bad input that changes nothing. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.notifications.conftest import Clock, add_user
from veriseal.ledger import Ledger
from veriseal.notifications import (
    AddressInvalid,
    Channel,
    DndWindow,
    HistoryFilter,
    LedgerContactBook,
    MessageType,
    Notifier,
    NotifyInputInvalid,
)
from veriseal.notifications.message_types import parse_type
from veriseal.notifications.preferences import parse_channels
from veriseal.notifications.texts import compose


async def count(ledger: Ledger, table: str) -> int:
    async with ledger.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_defaults_and_missing_addresses(notifier: Notifier, book: LedgerContactBook) -> None:
    await add_user(book, 1, email="a@example.com", phone="13800138000")
    a = await notifier.notify(1, MessageType.CLONE_ALERT, "Clone", "code C1 copied")
    # clone alerts default to inbox, e-mail, SMS and webhook; user 1 has no webhook
    assert a.in_inbox
    assert {(d.channel, d.address) for d in a.deliveries} == {
        (Channel.EMAIL, "a@example.com"),
        (Channel.SMS, "+8613800138000"),
    }
    promo = await notifier.notify(1, MessageType("promotion"), "Sale", "20% off")
    assert promo.in_inbox and promo.deliveries == ()  # promotions stay in the inbox
    unknown = await notifier.notify(99, MessageType.SYSTEM_NOTICE, "Hi", "no contacts at all")
    assert unknown.in_inbox and unknown.deliveries == ()


async def test_a_type_nobody_registers_still_reads_back(
    notifier: Notifier, book: LedgerContactBook
) -> None:
    """A message stored while a plugin was enabled (its type registered) reads back after
    the plugin is gone; new messages of such a type go to the inbox only, and nobody can
    choose channels for it."""
    await add_user(book, 1, email="a@example.com", phone="13800138000")
    retired = MessageType("orders_of_a_removed_plugin")
    sent = await notifier.notify(1, retired, "Order 42 shipped", "订单 42 已发货")
    assert sent.in_inbox and sent.deliveries == ()
    [m] = await notifier.inbox.history(1, HistoryFilter(type=retired))
    assert m.type == "orders_of_a_removed_plugin" and isinstance(m.type, MessageType)
    with pytest.raises(NotifyInputInvalid):
        parse_type("orders_of_a_removed_plugin")
    with pytest.raises(ValueError):
        MessageType("Not A Name")


async def test_preferences_choose_channels(notifier: Notifier, book: LedgerContactBook) -> None:
    await add_user(book, 1, email="a@example.com", webhook="http://127.0.0.1:9/hook")
    await notifier.preferences.set(1, MessageType("promotion"), channels=(Channel.EMAIL,))
    a = await notifier.notify(1, MessageType("promotion"), "Sale", "20% off")
    assert not a.in_inbox
    assert [d.channel for d in a.deliveries] == [Channel.EMAIL]
    # a security notice reaches the inbox even when the user chose only e-mail
    await notifier.preferences.set(1, MessageType.SECURITY_NOTICE, channels=(Channel.EMAIL,))
    s = await notifier.notify(1, MessageType.SECURITY_NOTICE, "New login", "from Shanghai")
    assert s.in_inbox and [d.channel for d in s.deliveries] == [Channel.EMAIL]
    prefs = {p.type: p for p in await notifier.preferences.all(1)}
    assert prefs[MessageType("promotion")].channels == (Channel.EMAIL,)
    assert prefs[MessageType("order_status")].is_default


async def test_dnd_holds_but_never_security(
    notifier: Notifier, book: LedgerContactBook, clock: Clock
) -> None:
    await add_user(book, 1, email="a@example.com", phone="+8613800138000")
    night = DndWindow.parse("22:00", "08:00", "Asia/Shanghai")
    await notifier.preferences.set(1, MessageType.CLONE_ALERT, dnd=night)
    clock.now = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    held = await notifier.notify(1, MessageType.CLONE_ALERT, "Clone", "at night")
    morning = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
    assert held.deliveries and all(
        d.held_by_dnd and d.not_before == morning for d in held.deliveries
    )
    # the inbox entry is there at once
    assert [m.id for m in await notifier.inbox.history(1)] == [held.message_id]
    # security notices: a window cannot even be set, and none applies
    with pytest.raises(NotifyInputInvalid):
        await notifier.preferences.set(1, MessageType.SECURITY_NOTICE, dnd=night)
    sec = await notifier.notify(1, MessageType.SECURITY_NOTICE, "Locked", "too many tries")
    assert sec.deliveries and not any(d.held_by_dnd for d in sec.deliveries)
    assert all(d.not_before == clock.now for d in sec.deliveries)
    # outside the window nothing is held
    clock.now = dt.datetime(2026, 11, 26, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
    day = await notifier.notify(1, MessageType.CLONE_ALERT, "Clone", "by day")
    assert not any(d.held_by_dnd for d in day.deliveries)
    await notifier.preferences.set(1, MessageType.CLONE_ALERT, clear_dnd=True)
    assert (await notifier.preferences.get(1, MessageType.CLONE_ALERT)).dnd is None


async def test_raw_address(notifier: Notifier, ledger: Ledger) -> None:
    a = await notifier.send_to_address("sms", "138 0013 8000", "Code", "Your code is 123456")
    assert [(d.channel, d.address) for d in a.deliveries] == [(Channel.SMS, "+8613800138000")]
    assert not a.in_inbox
    e = await notifier.send_to_address(Channel.EMAIL, "New@Example.COM", "Code", "654321")
    assert e.deliveries[0].address == "New@example.com"
    before = await count(ledger, "notify_messages")
    for channel, address in (("sms", "12"), ("email", "no-at-sign"), ("email", "a@b.c\nBcc: x")):
        with pytest.raises(AddressInvalid):
            await notifier.send_to_address(channel, address, "Code", "1")
    with pytest.raises(NotifyInputInvalid):
        await notifier.send_to_address("webhook", "http://x.example/", "Code", "1")
    with pytest.raises(NotifyInputInvalid):
        await notifier.send_to_address("inbox", "a@example.com", "Code", "1")
    assert await count(ledger, "notify_messages") == before


async def test_bad_input_changes_nothing(notifier: Notifier, ledger: Ledger) -> None:
    for title, body, data in (
        ("", "b", None),
        ("t" * 201, "b", None),
        ("t", "b" * 20_001, None),
        ("t", "b", {"x": object()}),
    ):
        with pytest.raises(NotifyInputInvalid):
            await notifier.notify(1, MessageType.SYSTEM_NOTICE, title, body, data)
    with pytest.raises(NotifyInputInvalid, match="unknown message type"):
        parse_type("spam")
    with pytest.raises(NotifyInputInvalid, match="unknown channel"):
        parse_channels(["inbox,fax"])
    assert await count(ledger, "notify_messages") == 0
    assert await count(ledger, "notify_outbox") == 0


async def test_notify_many_is_one_transaction(
    notifier: Notifier, book: LedgerContactBook, ledger: Ledger
) -> None:
    await add_user(book, 1, email="a@example.com")
    await add_user(book, 2, email="b@example.com")
    accepted = await notifier.notify_many([1, 2, 1], MessageType.SYSTEM_NOTICE, "Up", "Maintenance")
    assert len(accepted) == 2
    assert await count(ledger, "notify_outbox") == 2
    for user in (1, 2):
        assert (
            len(await notifier.inbox.history(user, HistoryFilter(type=MessageType.SYSTEM_NOTICE)))
            == 1
        )


async def test_bilingual_system_text(notifier: Notifier) -> None:
    a = await notifier.notify_text(
        3, MessageType.SECURITY_NOTICE, "account_locked", until="2026-11-25 12:00"
    )
    [m] = await notifier.inbox.history(3)
    assert m.id == a.message_id
    assert m.title == "Account locked / 账号已锁定"
    assert "locked until 2026-11-25 12:00" in m.body and "锁定至 2026-11-25 12:00" in m.body


@pytest.mark.parametrize(
    "key",
    [
        "otp",
        "new_login",
        "account_locked",
        "clone_alert",
    ],
)
def test_every_system_text_has_both_languages(key: str) -> None:
    values = dict(code="C1", minutes=5, where="W", device="D", at="A", until="U", reason="R",
                  product="P", region="RG", dealer="DL", quantity="Q", place="PL", order="O",
                  status="S")  # fmt: skip
    title, body = compose(key, **values)
    en, zh = body.split("\n\n")
    assert " / " in title and any("\u4e00" <= c <= "\u9fff" for c in title)
    assert en.isascii() and any("\u4e00" <= c <= "\u9fff" for c in zh)
    assert "{" not in title + body  # every placeholder filled
