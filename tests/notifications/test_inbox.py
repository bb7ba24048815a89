"""Message history: full-text search (Chinese included), filters, read state. Both
backends: SQLite FTS5 and PostgreSQL tsvector must answer the same."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.notifications.conftest import Clock, add_user
from veriseal.ledger import Ledger
from veriseal.notifications import (
    Channel,
    HistoryFilter,
    LedgerContactBook,
    MessageNotFound,
    MessageType,
    Notifier,
    SearchQueryInvalid,
)

T = MessageType


async def seed(notifier: Notifier, book: LedgerContactBook, clock: Clock) -> dict[str, int]:
    await add_user(book, 1, email="a@example.com")
    ids = {}
    for name, mtype, title, body in (
        ("diversion", T("diversion_alert"), "窜货预警", "经销商 A 的货在杭州被扫描，发现窜货行为"),
        ("apart", T.SYSTEM_NOTICE, "系统通知", "窜改密码后请重新登录货架"),
        ("lowstock", T("low_stock"), "Low stock", "Green tea: 3 cartons left at Hangzhou DC"),
        ("order", T("order_status"), "Order 42 shipped", "订单 42 已发货"),
        ("promo", T("promotion"), "Double 11 sale", "双十一促销：绿茶八折"),
    ):
        ids[name] = (await notifier.notify(1, mtype, title, body)).message_id
        clock.advance(3600)
    # another user's message never shows up in user 1's history
    await notifier.notify(2, T("diversion_alert"), "窜货预警", "发现窜货行为")
    return ids


async def found(notifier: Notifier, **kw: object) -> list[int]:
    return [m.id for m in await notifier.inbox.history(1, HistoryFilter(**kw))]  # type: ignore[arg-type]


async def test_search(notifier: Notifier, book: LedgerContactBook, clock: Clock) -> None:
    ids = await seed(notifier, book, clock)
    assert await found(notifier, query="窜货") == [ids["diversion"]]  # not 窜改 ... 货架
    assert await found(notifier, query="窜") == [ids["apart"], ids["diversion"]]
    assert await found(notifier, query="发现窜货行为") == [ids["diversion"]]
    assert await found(notifier, query="杭州") == [ids["diversion"]]
    assert await found(notifier, query="hangzhou") == [ids["lowstock"]]
    assert await found(notifier, query="GREEN Tea") == [ids["lowstock"]]
    assert await found(notifier, query="绿茶") == [ids["promo"]]
    assert await found(notifier, query="订单 42") == [ids["order"]]
    assert await found(notifier, query="tea 窜货") == []
    assert await found(notifier, query='o\'brien "x" OR NEAR') == []  # operators are words
    with pytest.raises(SearchQueryInvalid):
        await found(notifier, query="！？")


async def test_filters(notifier: Notifier, book: LedgerContactBook, clock: Clock) -> None:
    ids = await seed(notifier, book, clock)
    every = await found(notifier)
    assert every == sorted(ids.values(), reverse=True)
    assert await found(notifier, type=T("low_stock")) == [ids["lowstock"]]
    # e-mail: the defaults send alerts, low stock and order status by e-mail, not promotions
    emailed = await found(notifier, channel=Channel.EMAIL)
    assert set(emailed) == {ids["diversion"], ids["apart"], ids["lowstock"], ids["order"]}
    assert await found(notifier, channel=Channel.SMS) == []  # user 1 has no phone
    assert await found(notifier, channel=Channel.INBOX) == every
    start = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    assert await found(
        notifier, since=start + dt.timedelta(hours=1), until=start + dt.timedelta(hours=3)
    ) == [ids["lowstock"], ids["apart"]]
    assert await found(notifier, limit=2) == every[:2]
    assert await found(notifier, limit=2, before_id=every[1]) == every[2:4]
    [m] = await notifier.inbox.history(1, HistoryFilter(type=T("diversion_alert")))
    assert m.channels == (Channel.INBOX, Channel.EMAIL)  # no phone or webhook for user 1


async def test_read_state(
    notifier: Notifier, book: LedgerContactBook, clock: Clock, ledger: Ledger
) -> None:
    ids = await seed(notifier, book, clock)
    assert await notifier.inbox.unread_count(1) == 5
    assert await notifier.inbox.mark(1, [ids["order"], ids["promo"]]) == 2
    assert await notifier.inbox.mark(1, [ids["order"]]) == 0  # already read
    assert set(await found(notifier, read=True)) == {ids["order"], ids["promo"]}
    assert await notifier.inbox.unread_count(1) == 3
    assert await found(notifier, read=False, query="窜货") == [ids["diversion"]]
    assert await notifier.inbox.mark(1, [ids["order"]], read=False) == 1
    assert await notifier.inbox.unread_count(1) == 4
    # another user's message id: refused, and nothing of the batch is marked
    async with ledger.read() as tx:
        row = await tx.fetchrow("SELECT id FROM notify_messages WHERE user_id = 2")
    assert row is not None
    with pytest.raises(MessageNotFound):
        await notifier.inbox.mark(1, [ids["lowstock"], int(row["id"])])
    assert await notifier.inbox.unread_count(1) == 4
    assert await notifier.inbox.mark_all_read(1) == 4
    assert await notifier.inbox.unread_count(1) == 0
    # every change is an appended fact
    async with ledger.read() as tx:
        facts = await tx.fetch("SELECT is_read FROM notify_reads ORDER BY id")
    assert [bool(r["is_read"]) for r in facts] == [True, True, False, True, True, True, True]
