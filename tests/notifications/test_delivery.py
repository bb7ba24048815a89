"""The delivery worker against real servers on loopback: SMTP (aiosmtpd), webhooks and
an SMS gateway (aiohttp). Retries, backoff, permanent failures, leases, do-not-disturb
release, attempts history. Both backends."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from tests.notifications.conftest import (
    Clock,
    HttpBox,
    SmtpBox,
    add_user,
    body_json,
    make_worker,
    signed_ok,
)
from veriseal.ledger import Ledger
from veriseal.notifications import (
    Channel,
    DeliveryStatus,
    DeliveryWorker,
    DndWindow,
    LedgerContactBook,
    MessageType,
    Notifier,
)
from veriseal.notifications.channels.email import SmtpSender, SmtpSettings
from veriseal.notifications.channels.sms import (
    ConsoleSmsProvider,
    HttpSmsProvider,
    HttpSmsSettings,
    SmsSender,
)
from veriseal.notifications.channels.webhook import WebhookSender
from veriseal.notifications.worker import REDACTED


def smtp(port: int) -> SmtpSender:
    return SmtpSender(
        SmtpSettings("127.0.0.1", port, sender="Acme <noreply@acme.example>", timeout=5)
    )


async def test_email_over_real_smtp(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    smtp_server: tuple[SmtpBox, int],
) -> None:
    box, port = smtp_server
    await add_user(book, 1, email="li.lei@example.com")
    a = await notifier.notify(
        1, MessageType("order_status"), "订单 42 已发货 / Order 42 shipped", "运单号 SF123"
    )
    [d] = a.deliveries
    worker = make_worker(ledger, {Channel.EMAIL: smtp(port)}, clock)
    report = await worker.run_once()
    assert (report.claimed, report.delivered) == (1, 1)
    [msg] = box.messages
    assert msg["Subject"] == "订单 42 已发货 / Order 42 shipped"
    assert msg["To"] == "li.lei@example.com"
    assert msg["Message-ID"] == f"<{d.idempotency_key}@veriseal.invalid>"
    assert msg["X-Veriseal-Delivery"] == d.idempotency_key
    assert msg.get_content().strip() == "运单号 SF123"
    done = await notifier.outbox.get(d.id)
    assert done.status is DeliveryStatus.DELIVERED and done.attempts == 1
    [attempt] = await notifier.outbox.attempts(d.id)
    assert attempt.outcome == "delivered" and attempt.worker == worker.worker_id
    assert (await worker.run_once()).claimed == 0  # nothing is sent twice


async def test_smtp_temporary_and_permanent_failures(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    smtp_server: tuple[SmtpBox, int],
) -> None:
    box, port = smtp_server
    box.fail_data = 1  # 451 to the first message
    await add_user(book, 1, email="ok@example.com")
    await add_user(book, 2, email="nobody@example.com")  # 550 from the server
    ok = (await notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi", "b")).deliveries[0]
    bad = (await notifier.notify(2, MessageType.SYSTEM_NOTICE, "Hi", "b")).deliveries[0]
    worker = make_worker(ledger, {Channel.EMAIL: smtp(port)}, clock, concurrency=1)
    first = await worker.run_once()
    assert (first.claimed, first.delivered, first.retried, first.failed) == (2, 0, 1, 1)
    failed = await notifier.outbox.get(bad.id)
    assert failed.status is DeliveryStatus.FAILED and "550" in (failed.last_error or "")
    retry = await notifier.outbox.get(ok.id)
    assert retry.status is DeliveryStatus.PENDING and "451" in (retry.last_error or "")
    assert (retry.not_before - clock.now).total_seconds() == 10.0  # backoff_base
    assert (await worker.run_once()).claimed == 0  # not due yet
    clock.advance(10)
    assert (await worker.run_once()).delivered == 1
    assert [m["To"] for m in box.messages] == ["ok@example.com"]
    assert [a.outcome for a in await notifier.outbox.attempts(ok.id)] == ["retry", "delivered"]


async def test_signed_webhook_retries_with_backoff(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    http_receiver: HttpBox,
) -> None:
    http_receiver.fail_first = 2
    await add_user(book, 7, webhook=f"{http_receiver.url}/hooks/veriseal")
    a = await notifier.notify(
        7, MessageType("low_stock"), "库存不足", "绿茶仅剩 3 箱", {"gtin": "09506000134352"}
    )
    [d] = a.deliveries
    sender = WebhookSender(book, timeout=5)
    worker = make_worker(ledger, {Channel.WEBHOOK: sender}, clock)
    waits = []
    for _ in range(3):
        report = await worker.run_once()
        assert report.claimed == 1
        row = await notifier.outbox.get(d.id)
        waits.append((row.not_before - clock.now).total_seconds())
        clock.now = max(clock.now, row.not_before)
    await sender.close()
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 3
    assert waits[:2] == [10.0, 20.0]  # exponential: base, then twice the base
    assert len(http_receiver.requests) == 3
    for req in http_receiver.requests:
        assert req["path"] == "/hooks/veriseal"
        assert signed_ok(req)
        assert not signed_ok(req, b"another secret")
        assert req["headers"]["Veriseal-Delivery"] == d.idempotency_key
    payload = body_json(http_receiver.requests[-1])
    assert payload["id"] == d.idempotency_key
    assert payload["title"] == "库存不足" and payload["data"] == {"gtin": "09506000134352"}
    outcomes = [a.outcome for a in await notifier.outbox.attempts(d.id)]
    assert outcomes == ["retry", "retry", "delivered"]


async def test_webhook_gives_up_after_max_attempts_or_a_4xx(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    http_receiver: HttpBox,
) -> None:
    http_receiver.fail_first = 100
    await add_user(book, 7, webhook=f"{http_receiver.url}/h")
    [d] = (await notifier.notify(7, MessageType("low_stock"), "t", "b")).deliveries
    sender = WebhookSender(book, timeout=5)
    worker = make_worker(ledger, {Channel.WEBHOOK: sender}, clock, max_attempts=3)
    for _ in range(5):
        await worker.run_once()
        clock.advance(3600)
    row = await notifier.outbox.get(d.id)
    assert row.status is DeliveryStatus.FAILED and row.attempts == 3
    assert "gave up after 3 attempts" in (row.last_error or "")
    assert len(http_receiver.requests) == 3
    http_receiver.fail_with = 404
    [d2] = (await notifier.notify(7, MessageType("low_stock"), "t", "b")).deliveries
    await worker.run_once()
    await sender.close()
    row2 = await notifier.outbox.get(d2.id)
    assert row2.status is DeliveryStatus.FAILED and row2.attempts == 1


async def test_sms_through_the_http_gateway(
    notifier: Notifier, ledger: Ledger, clock: Clock, http_receiver: HttpBox
) -> None:
    provider = HttpSmsProvider(
        HttpSmsSettings(
            url=f"{http_receiver.url}/sms/send",
            body={"phone": "{to}", "content": "{text}", "meta": {"request_id": "{key}"}},
            headers={"Authorization": "Bearer dev-token"},
        )
    )
    a = await notifier.send_to_address("sms", "+86 138 0013 8000", "验证码", "您的验证码为 123456")
    [d] = a.deliveries
    worker = make_worker(ledger, {Channel.SMS: SmsSender(provider)}, clock)
    assert (await worker.run_once()).delivered == 1
    await provider.close()
    [req] = http_receiver.requests
    assert req["headers"]["Authorization"] == "Bearer dev-token"
    assert req["headers"]["Idempotency-Key"] == d.idempotency_key
    assert body_json(req) == {
        "phone": "+8613800138000",
        "content": "验证码\n您的验证码为 123456",
        "meta": {"request_id": d.idempotency_key},
    }
    # the one-time code does not outlive its delivery
    async with ledger.read() as tx:
        row = await tx.fetchrow("SELECT body FROM notify_messages WHERE id = ?", a.message_id)
    assert row is not None and row["body"] == REDACTED


async def test_sms_gateway_rejection_is_permanent(
    notifier: Notifier, ledger: Ledger, clock: Clock, http_receiver: HttpBox
) -> None:
    http_receiver.fail_first, http_receiver.fail_with = 1, 400
    provider = HttpSmsProvider(HttpSmsSettings(url=f"{http_receiver.url}/sms"))
    [d] = (await notifier.send_to_address("sms", "+8613800138000", "t", "b")).deliveries
    report = await make_worker(ledger, {Channel.SMS: SmsSender(provider)}, clock).run_once()
    await provider.close()
    assert report.failed == 1
    assert (await notifier.outbox.get(d.id)).status is DeliveryStatus.FAILED


async def test_console_sms_and_dnd_release(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    tmp_path: Path,
) -> None:
    await add_user(book, 1, phone="+8613800138000")
    await notifier.preferences.set(
        1, MessageType("diversion_alert"), dnd=DndWindow.parse("22:00", "08:00", "Asia/Shanghai")
    )
    clock.now = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai
    held = (await notifier.notify(1, MessageType("diversion_alert"), "窜货", "杭州")).deliveries
    sec = (await notifier.notify(1, MessageType.SECURITY_NOTICE, "新登录", "上海")).deliveries
    log = tmp_path / "sms.log"
    worker = make_worker(ledger, {Channel.SMS: SmsSender(ConsoleSmsProvider(log))}, clock)
    assert (await worker.run_once()).delivered == 1  # only the security notice
    summary = await notifier.outbox.summary()
    assert (summary.pending, summary.delivered) == (1, 1)
    clock.now = dt.datetime(2026, 11, 25, 23, 59, tzinfo=dt.UTC)  # 07:59
    assert (await worker.run_once()).claimed == 0
    clock.now = dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC)  # 08:00: the window ends
    assert (await worker.run_once()).delivered == 1
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert [x["key"] for x in lines] == [sec[0].idempotency_key, held[0].idempotency_key]
    assert lines[1]["text"] == "窜货\n杭州" and lines[1]["to"] == "+8613800138000"


async def test_a_crashed_workers_rows_are_retried_after_its_lease(
    notifier: Notifier,
    book: LedgerContactBook,
    ledger: Ledger,
    clock: Clock,
    http_receiver: HttpBox,
) -> None:
    """Worker A sends, then dies before recording: its lease keeps others off the row
    until it expires; then worker B sends it again with the SAME key (the receiver
    dedupes) and records it. A's late record cannot undo B's success."""
    await add_user(book, 7, webhook=f"{http_receiver.url}/h")
    [d] = (await notifier.notify(7, MessageType.CLONE_ALERT, "t", "b")).deliveries
    sender = WebhookSender(book, timeout=5)
    a = make_worker(ledger, {Channel.WEBHOOK: sender}, clock, lease_seconds=60)
    b = make_worker(ledger, {Channel.WEBHOOK: sender}, clock, lease_seconds=60)
    [claimed] = await a._claim()  # A claims ...
    await sender.send(claimed)  # ... the receiver gets it ... and A "dies" here
    assert (await b.run_once()).claimed == 0  # A's lease still holds
    clock.advance(61)
    assert (await b.run_once()).delivered == 1
    await sender.close()
    assert [r["headers"]["Veriseal-Delivery"] for r in http_receiver.requests] == [
        d.idempotency_key
    ] * 2
    assert http_receiver.seen_keys == {d.idempotency_key}  # one message after dedup
    row = await notifier.outbox.get(d.id)
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 2
    # A's record arrives late (say it was only slow): appended, state unchanged
    async with ledger.write() as tx:
        await a._record(tx, d.id, 1, clock.now, "retry", "late", clock.now)
    assert (await notifier.outbox.get(d.id)).status is DeliveryStatus.DELIVERED
    assert [x.outcome for x in await notifier.outbox.attempts(d.id)] == ["delivered", "retry"]


async def test_a_row_that_always_kills_its_worker_runs_out_of_attempts(
    notifier: Notifier, book: LedgerContactBook, ledger: Ledger, clock: Clock
) -> None:
    await add_user(book, 7, webhook="http://127.0.0.1:9/never")
    [d] = (await notifier.notify(7, MessageType.CLONE_ALERT, "t", "b")).deliveries
    w = make_worker(ledger, {Channel.WEBHOOK: WebhookSender(book)}, clock, max_attempts=2)
    for _ in range(2):
        assert len(await w._claim()) == 1  # claimed, then the worker "dies"
        clock.advance(61)
    assert await w._claim() == []
    row = await notifier.outbox.get(d.id)
    assert row.status is DeliveryStatus.FAILED
    assert "stopped before recording" in (row.last_error or "")


async def test_two_workers_share_the_outbox_without_sending_twice(
    notifier: Notifier, book: LedgerContactBook, ledger: Ledger, http_receiver: HttpBox
) -> None:
    """Without crashes nothing is sent twice, however many workers run at once (on
    PostgreSQL they claim with SKIP LOCKED; SQLite serialises the claims)."""
    await add_user(book, 7, webhook=f"{http_receiver.url}/h")
    keys = set()
    for i in range(60):
        a = await notifier.notify(7, MessageType("low_stock"), f"t{i}", "b")
        keys.add(a.deliveries[0].idempotency_key)
    sender = WebhookSender(book, timeout=5)
    workers = [
        make_worker(ledger, {Channel.WEBHOOK: sender}, Clock(notifier.clock()), batch_size=7)
        for _ in range(3)
    ]

    async def drain(w: DeliveryWorker) -> int:
        n = 0
        while (r := await w.run_once()).claimed:
            n += r.delivered
        return n

    counts = await asyncio.gather(*(drain(w) for w in workers))
    await sender.close()
    assert sum(counts) == 60
    sent = [r["headers"]["Veriseal-Delivery"] for r in http_receiver.requests]
    assert sorted(sent) == sorted(keys)  # each exactly once
    assert (await notifier.outbox.summary()).delivered == 60
