"""Web Push through the outbox worker to a push service stand-in on loopback that checks
the VAPID signature and DECRYPTS every payload with the browser's keys
(tests/notifications/push_service.py). Both backends."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from py_vapid.jwt import sign as sign_jwt

from tests.notifications.conftest import Clock, free_port, make_worker
from tests.notifications.push_service import (
    Browser,
    PushService,
    VapidRefused,
    b64d,
    b64e,
    check_vapid,
    push_service,
)
from veriseal.ledger import Ledger
from veriseal.notifications import (
    Channel,
    DeliveryStatus,
    DndWindow,
    EndpointPolicy,
    LedgerContactBook,
    MessageType,
    Notifier,
    PushSubscriptions,
)
from veriseal.notifications.channels.webpush import MAX_PAYLOAD, PushSettings, WebPushSender
from veriseal.notifications.vapid import VapidKey

SUBJECT = "mailto:ops@veriseal.example"
#: The stand-in listens on plain http on loopback: allowed for these tests only.
LOOPBACK = EndpointPolicy(insecure_hosts=frozenset({"127.0.0.1"}))
KEY = VapidKey.from_secret(os.urandom(32))


@pytest.fixture
async def service() -> AsyncIterator[PushService]:
    async with push_service() as s:
        yield s


@pytest.fixture
def subs(ledger: Ledger, clock: Clock) -> PushSubscriptions:
    return PushSubscriptions(ledger, LOOPBACK, clock=clock)


@pytest.fixture
def push_notifier(
    ledger: Ledger, book: LedgerContactBook, clock: Clock, subs: PushSubscriptions
) -> Notifier:
    return Notifier(ledger, book, clock=clock, push=subs)


SenderFactory = Callable[..., WebPushSender]


@pytest.fixture
async def sender() -> AsyncIterator[SenderFactory]:
    """``sender(subs, key=KEY)``: a Web Push sender, closed after the test. It signs
    with real time: the stand-in checks ``exp`` against its own clock."""
    made: list[WebPushSender] = []

    def make(subs: PushSubscriptions, key: VapidKey = KEY) -> WebPushSender:
        made.append(WebPushSender(subs, key, PushSettings(subject=SUBJECT, timeout=5)))
        return made[-1]

    yield make
    for s in made:
        await s.close()


async def subscribe(
    subs: PushSubscriptions, service: PushService, user_id: int, lang: str = "zh"
) -> tuple[Browser, int]:
    browser = service.subscribe(KEY.application_server_key)
    j = browser.to_json()
    keys = j["keys"]
    row = await subs.add(
        user_id, j["endpoint"], keys["p256dh"], keys["auth"], user_agent="Test/1", lang=lang
    )
    return browser, row.id


async def test_push_delivered_end_to_end_in_each_device_language(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    sender: SenderFactory,
) -> None:
    zh, zh_id = await subscribe(subs, service, 1, "zh")
    en, _ = await subscribe(subs, service, 1, "en")
    accepted = await push_notifier.notify(
        1,
        MessageType.SYSTEM_NOTICE,
        "Order shipped / 订单已发货",
        "Parcel SF123 is on its way\n\n包裹 SF123 已发出",
        {"url": "/console/messages"},
    )
    assert [d.channel for d in accepted.deliveries] == [Channel.PUSH, Channel.PUSH]
    report = await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()
    assert (report.claimed, report.delivered) == (2, 2), report.errors
    keys = {d.address: d.idempotency_key for d in accepted.deliveries}
    assert service.plaintexts(zh) == [
        {
            "title": "订单已发货",
            "body": "包裹 SF123 已发出",
            "url": "/console/messages",
            "type": "system_notice",
            "tag": keys[str(zh_id)],
        }
    ]
    [english] = service.plaintexts(en)
    assert (english["title"], english["body"]) == ("Order shipped", "Parcel SF123 is on its way")
    first = service.received[0]
    assert first.headers["TTL"] == "86400" and first.headers["Urgency"] == "normal"
    assert first.claims["sub"] == SUBJECT and first.claims["aud"] == service.base
    stored = await subs.get(zh_id)
    assert stored is not None and stored.last_ok_at == clock.now and stored.failures == 0


async def test_the_stand_in_refuses_a_bad_signature(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    sender: SenderFactory,
) -> None:
    """The stand-in's checks work: a tampered JWT is refused (so the passing tests'
    signatures were really verified), and so is a key the browser did not subscribe
    with. Neither is retried (4xx) and nothing is decrypted for the browser."""

    class Tampered(VapidKey):
        def authorization(self, endpoint: str, subject: str, now: dt.datetime) -> str:
            header = super().authorization(endpoint, subject, now)
            head, _, rest = header.partition("t=")
            token, _, k = rest.partition(",")
            body, _, sig = token.rpartition(".")
            raw = bytearray(b64d(sig))
            raw[5] ^= 0x01
            return f"{head}t={body}.{b64e(bytes(raw))},{k}"

    browser, _ = await subscribe(subs, service, 1)
    await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi", "")
    tampered = Tampered(KEY.private_key)
    report = await make_worker(ledger, {Channel.PUSH: sender(subs, tampered)}, clock).run_once()
    assert (report.failed, report.retried) == (1, 0)
    assert service.refused[-1][1:] == (401, "bad signature")
    assert "401" in report.errors[0]

    other = VapidKey.from_secret(os.urandom(32))  # a valid signature by the wrong key
    await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi again", "")
    report = await make_worker(ledger, {Channel.PUSH: sender(subs, other)}, clock).run_once()
    assert report.failed == 1
    assert service.refused[-1][1:] == (403, "k is not the key the subscription was made with")
    assert service.plaintexts(browser) == []
    # the same messages signed right do arrive: the refusals were the signatures' fault
    await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Third", "")
    assert (await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()).delivered
    assert [p["title"] for p in service.plaintexts(browser)] == ["Third"]


async def test_a_gone_subscription_is_removed(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    sender: SenderFactory,
) -> None:
    browser, sub_id = await subscribe(subs, service, 1)
    kept, kept_id = await subscribe(subs, service, 1)
    service.answer[browser.endpoint.rsplit("/", 1)[1]] = 410
    accepted = await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi", "")
    report = await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()
    assert (report.delivered, report.failed, report.retried) == (1, 1, 0)
    gone = next(d for d in accepted.deliveries if d.address == str(sub_id))
    failed = await push_notifier.outbox.get(gone.id)
    assert failed.status is DeliveryStatus.FAILED and "410" in (failed.last_error or "")
    assert await subs.get(sub_id) is None
    assert [s.id for s in await subs.of_user(1)] == [kept_id]
    again = await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi", "")
    assert [d.address for d in again.deliveries] == [str(kept_id)]  # no delivery to it
    assert len(service.plaintexts(kept)) == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_throttled_and_server_errors_retry_with_the_outbox_backoff(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    status: int,
    sender: SenderFactory,
) -> None:
    browser, sub_id = await subscribe(subs, service, 1)
    token = browser.endpoint.rsplit("/", 1)[1]
    service.answer[token] = status
    [d] = (await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "Hi", "")).deliveries
    worker = make_worker(ledger, {Channel.PUSH: sender(subs)}, clock)
    assert (await worker.run_once()).retried == 1
    pending = await push_notifier.outbox.get(d.id)
    assert pending.status is DeliveryStatus.PENDING
    assert (pending.not_before - clock.now).total_seconds() == 10.0  # FAST.backoff_base
    row = await subs.get(sub_id)
    assert row is not None and row.failures == 1  # kept: only 404/410 remove it
    del service.answer[token]
    clock.advance(10)
    assert (await worker.run_once()).delivered == 1
    row = await subs.get(sub_id)
    assert row is not None and row.failures == 0
    assert [p["title"] for p in service.plaintexts(browser)] == ["Hi"]


async def test_preferences_and_quiet_hours_apply_to_push(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    sender: SenderFactory,
) -> None:
    browser, _ = await subscribe(subs, service, 1)
    mtype = MessageType.SYSTEM_NOTICE
    await push_notifier.preferences.set(1, mtype, channels=(Channel.INBOX,))
    assert (await push_notifier.notify(1, mtype, "Inbox only", "")).deliveries == ()
    # 10:00 in Shanghai: a 09:00-11:00 window holds push until 11:00
    window = DndWindow.parse("09:00", "11:00", "Asia/Shanghai")
    await push_notifier.preferences.set(
        1, mtype, channels=(Channel.INBOX, Channel.PUSH), dnd=window
    )
    [held] = (await push_notifier.notify(1, mtype, "Later", "")).deliveries
    assert held.held_by_dnd and held.not_before == dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    # security notices are never held
    [now] = (await push_notifier.notify(1, MessageType.SECURITY_NOTICE, "Sign-in", "")).deliveries
    assert now.channel is Channel.PUSH and not now.held_by_dnd
    worker = make_worker(ledger, {Channel.PUSH: sender(subs)}, clock)
    assert (await worker.run_once()).delivered == 1
    assert [p["title"] for p in service.plaintexts(browser)] == ["Sign-in"]
    assert service.received[-1].headers["Urgency"] == "high"
    clock.advance(3600)
    assert (await worker.run_once()).delivered == 1
    assert [p["title"] for p in service.plaintexts(browser)] == ["Sign-in", "Later"]


async def test_a_long_message_is_cut_to_fit_and_still_decrypts(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    sender: SenderFactory,
) -> None:
    await subscribe(subs, service, 1)
    body = "窜货预警：" * 4000  # 20000 characters, 60 KB of UTF-8
    data = {"url": "//evil.example/"}
    await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "长消息", body, data)
    assert (await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()).delivered
    [got] = service.received
    assert len(got.plaintext) <= MAX_PAYLOAD
    doc = json.loads(got.plaintext)
    assert doc["body"].endswith("…") and body.startswith(doc["body"][:-1])
    assert doc["url"] == "/console/messages"  # not a path on this site: the inbox


async def test_one_endpoint_belongs_to_the_last_user_who_registered_it(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    service: PushService,
    book: LedgerContactBook,
    sender: SenderFactory,
) -> None:
    browser, first_id = await subscribe(subs, service, 1)
    j = browser.to_json()
    again = await subs.add(1, j["endpoint"], j["keys"]["p256dh"], j["keys"]["auth"])
    assert again.id == first_id  # the same user again: the same row
    [pending] = (await push_notifier.notify(1, MessageType.SYSTEM_NOTICE, "For 1", "")).deliveries
    moved = await subs.add(2, j["endpoint"], j["keys"]["p256dh"], j["keys"]["auth"])
    assert moved.id != first_id and await subs.of_user(1) == []
    report = await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()
    assert report.failed == 1 and service.received == []  # user 1's message never shows
    assert "removed" in ((await push_notifier.outbox.get(pending.id)).last_error or "")


async def test_the_vapid_key_is_derived_and_stable() -> None:
    class Ring:
        def derive(self, label: str) -> bytes:
            return label.encode().ljust(32, b"\x07")

    a, b = VapidKey.derive(Ring()), VapidKey.derive(Ring())
    assert a.application_server_key == b.application_server_key
    assert len(b64d(a.application_server_key)) == 65


async def test_an_unreachable_push_service_is_retried(
    push_notifier: Notifier,
    subs: PushSubscriptions,
    ledger: Ledger,
    clock: Clock,
    sender: SenderFactory,
) -> None:
    nowhere = Browser(f"http://127.0.0.1:{free_port()}/push/x", KEY.application_server_key)
    j = nowhere.to_json()
    await subs.add(3, j["endpoint"], j["keys"]["p256dh"], j["keys"]["auth"])
    [d] = (await push_notifier.notify(3, MessageType.SYSTEM_NOTICE, "Hi", "")).deliveries
    report = await make_worker(ledger, {Channel.PUSH: sender(subs)}, clock).run_once()
    assert report.retried == 1 and "push service" in report.errors[0]
    assert (await push_notifier.outbox.get(d.id)).status is DeliveryStatus.PENDING


async def test_posts_carry_the_rfc_headers(service: PushService) -> None:
    """The stand-in refuses a POST without TTL or with another content encoding."""
    browser = service.subscribe(KEY.application_server_key)
    header = KEY.authorization(browser.endpoint, SUBJECT, dt.datetime.now(dt.UTC))
    async with aiohttp.ClientSession() as http:
        async with http.post(browser.endpoint, data=b"x", headers={"Authorization": header}) as r:
            assert r.status == 400 and await r.text() == "no TTL header"
        headers = {"Authorization": header, "TTL": "60", "Content-Encoding": "aesgcm"}
        async with http.post(browser.endpoint, data=b"x", headers=headers) as r:
            assert r.status == 400
        headers["Content-Encoding"] = "aes128gcm"
        async with http.post(browser.endpoint, data=os.urandom(200), headers=headers) as r:
            assert r.status == 400 and "cannot decrypt" in await r.text()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"aud": "http://127.0.0.1:1"}, "aud"),
        ({"exp": -60}, "exp"),
        ({"exp": 25 * 3600}, "exp"),
        ({"sub": "ops@veriseal.example"}, "sub"),
        ({"sub": "http://veriseal.example"}, "sub"),
    ],
)
def test_the_stand_in_checks_each_claim(change: dict[str, object], reason: str | None) -> None:
    """Each claim check of the stand-in refuses what RFC 8292 forbids (and only that)."""
    now = 1_800_000_000
    claims: dict[str, object] = {"aud": "http://127.0.0.1:8", "exp": now + 3600, "sub": SUBJECT}
    claims.update(change)
    if "exp" in change:
        claims["exp"] = now + int(change["exp"])  # type: ignore[call-overload]
    k = KEY.application_server_key
    header = f"vapid t={sign_jwt(claims, KEY.private_key)}, k={k}"
    if reason is None:
        assert check_vapid(header, "http://127.0.0.1:8", k, now)["sub"] == SUBJECT
        return
    with pytest.raises(VapidRefused) as refused:
        check_vapid(header, "http://127.0.0.1:8", k, now)
    assert refused.value.status == 401 and refused.value.reason.startswith(reason)
