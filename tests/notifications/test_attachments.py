"""Files carried by e-mail: stored with the message, sent over a real SMTP server
(aiosmtpd on loopback), their content dropped once the e-mail is final; refused names,
types and sizes store nothing. Both backends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.notifications.conftest import Clock, SmtpBox, add_user, make_worker
from veriseal.ledger import Ledger
from veriseal.notifications import (
    Attachment,
    Channel,
    DeliveryStatus,
    LedgerContactBook,
    MessageType,
    Notifier,
    NotifyInputInvalid,
)
from veriseal.notifications.attachments import MAX_ATTACHMENT_BYTES, check
from veriseal.notifications.channels.email import SmtpSender, SmtpSettings

PDF = Attachment("销售月报-2026-11.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(range(256)) * 40)
CSV = Attachment("sales.csv", "text/csv", "\ufeff商品,销量\r\n6901234567892,12\r\n".encode())


def smtp(port: int) -> SmtpSender:
    return SmtpSender(SmtpSettings("127.0.0.1", port, timeout=5))


async def held(ledger: Ledger, message_id: int) -> list[tuple[str, int, bool]]:
    async with ledger.read() as tx:
        rows = await tx.fetch(
            "SELECT name, size, content FROM notify_attachments WHERE message_id = ? ORDER BY id",
            message_id,
        )
    return [(r["name"], int(r["size"]), r["content"] is not None) for r in rows]


async def test_files_arrive_by_email_and_are_dropped_once_sent(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    smtp_server: tuple[SmtpBox, int],
) -> None:
    box, port = smtp_server
    box.fail_data = 1  # the first attempt is refused for now: the files must survive it
    await add_user(book, 1, email="wang.fang@example.com")
    a = await notifier.notify(
        1, MessageType.SYSTEM_NOTICE, "销售月报 / Monthly sales", "见附件 / attached", None,
        [PDF, CSV],
    )  # fmt: skip
    assert await held(ledger, a.message_id) == [
        (PDF.name, len(PDF.content), True), (CSV.name, len(CSV.content), True)
    ]  # fmt: skip
    worker = make_worker(ledger, {Channel.EMAIL: smtp(port)}, clock)
    assert (await worker.run_once()).retried == 1
    assert [h[2] for h in await held(ledger, a.message_id)] == [True, True]
    clock.advance(10)
    assert (await worker.run_once()).delivered == 1
    [msg] = box.messages
    files = {
        p.get_filename(): (p.get_content_type(), p.get_payload(decode=True))
        for p in msg.iter_attachments()
    }  # byte for byte, whatever the transfer encoding
    assert files == {
        PDF.name: ("application/pdf", PDF.content),
        CSV.name: ("text/csv", CSV.content),
    }
    body = msg.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "见附件 / attached"
    # delivered: the content is gone, the history keeps names and sizes
    assert await held(ledger, a.message_id) == [
        (PDF.name, len(PDF.content), False), (CSV.name, len(CSV.content), False)
    ]  # fmt: skip
    assert (await notifier.outbox.get(a.deliveries[0].id)).status is DeliveryStatus.DELIVERED


async def test_a_message_without_email_stores_no_file(
    notifier: Notifier, book: LedgerContactBook, ledger: Ledger
) -> None:
    await add_user(book, 2, phone="+8613800138000")  # no e-mail address
    a = await notifier.notify(2, MessageType.SYSTEM_NOTICE, "Report", "b", None, [PDF])
    assert a.deliveries == () or all(d.channel is not Channel.EMAIL for d in a.deliveries)
    assert await held(ledger, a.message_id) == []


async def test_a_permanent_failure_drops_the_content_too(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    smtp_server: tuple[SmtpBox, int],
) -> None:
    _box, port = smtp_server
    await add_user(book, 3, email="nobody@example.com")  # 550 from the server
    a = await notifier.notify(3, MessageType.SYSTEM_NOTICE, "Report", "b", None, [CSV])
    worker = make_worker(ledger, {Channel.EMAIL: smtp(port)}, clock)
    assert (await worker.run_once()).failed == 1
    assert await held(ledger, a.message_id) == [(CSV.name, len(CSV.content), False)]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ([Attachment("../etc/passwd", "text/plain", b"x")], "plain file name"),
        ([Attachment("a\\b.csv", "text/csv", b"x")], "plain file name"),
        ([Attachment("a\nb.csv", "text/csv", b"x")], "plain file name"),
        ([Attachment("..", "text/csv", b"x")], "plain file name"),
        ([Attachment("r.csv", "text", b"x")], "type/subtype"),
        ([Attachment("r.csv", "text/csv\r\nBcc: x@y", b"x")], "type/subtype"),
        ([Attachment("big.bin", "application/octet-stream", b"\0" * (MAX_ATTACHMENT_BYTES + 1))],
         "MB in all"),
        ([CSV] * 6, "at most 5"),
    ],
)  # fmt: skip
async def test_refused_attachments_store_nothing(
    notifier: Notifier, book: LedgerContactBook, ledger: Ledger, bad: list[Attachment], why: str
) -> None:
    await add_user(book, 4, email="zhao@example.com")
    with pytest.raises(NotifyInputInvalid, match=why):
        await notifier.notify(4, MessageType.SYSTEM_NOTICE, "Report", "b", None, bad)
    async with ledger.read() as tx:
        for table in ("notify_messages", "notify_attachments"):
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
            assert row is not None and row["n"] == 0


@given(st.text(max_size=140))
def test_a_name_passes_only_when_it_is_a_plain_file_name(name: str) -> None:
    plain = (
        0 < len(name) <= 120
        and not any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in name)
        and name.strip(" .") != ""
    )
    try:
        check([Attachment(name, "text/plain", b"")])
    except NotifyInputInvalid:
        assert not plain
    else:
        assert plain
