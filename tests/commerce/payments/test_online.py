"""Online payments through the sandbox over real HTTP, on both backends: every
notification case (duplicates, racing the payer's return, a different amount, an
unknown order, a bad signature), the poller, and the retry schedules."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from urllib.parse import urlencode

import pytest

from tests.commerce.payments.conftest import TOTAL, PayWorld
from veriseal_commerce.payable import PaymentStatus
from veriseal_commerce.sandbox.keys import new_key, sign
from veriseal_commerce.sandbox.server import ALIPAY_RETRIES, WECHAT_RETRIES, Trade

PROVIDERS = ("wechatpay", "alipay")


def _captured(events: list) -> list:  # type: ignore[type-arg]
    return [e for e in events if e.kind == "captured"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_paid_exactly_once_despite_duplicates_and_the_return_page(
    pay: PayWorld, provider: str
) -> None:
    svc = pay.shop.c.payments
    payable = await pay.payable()
    started = await svc.start(pay.shop.people["gd"], payable, provider)
    assert started.code_url and len(started.payment.out_trade_no) <= 32
    await pay.buyer_pays(provider, started.payment.out_trade_no, duplicates=4)
    # the payer comes back to the page while the notifications arrive: both paths
    # ask at once and must converge on one capture
    outcomes = await asyncio.gather(
        *(svc.check(started.payment.id, pay.shop.people["gd"]) for _ in range(3))
    )
    assert set(outcomes) <= {"captured", "duplicate"}

    async def answered() -> bool:
        return any(d["ok"] for d in pay.box.deliveries)

    await pay.until(answered)
    await asyncio.sleep(0.2)  # let every racing copy finish
    events = await pay.events(payable.order_id)
    assert len(_captured(events)) == 1
    assert _captured(events)[0].amount == TOTAL
    mine = [s for o, s in pay.heard if o == payable.order_id]
    assert [s.status for s in mine] == [PaymentStatus.PAID]
    assert (mine[0].paid, mine[0].outstanding) == (TOTAL, 0)
    summary = await svc.summary(payable.order_id, TOTAL, "CNY")
    assert summary.status is PaymentStatus.PAID
    # a duplicate a second later is acknowledged, and changes nothing
    before = await pay.all_events()
    await pay.buyer_pays(provider, started.payment.out_trade_no)
    await pay.until(answered)
    await asyncio.sleep(0.1)
    assert await pay.all_events() == before


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_different_amount_is_a_failure_never_paid(pay: PayWorld, provider: str) -> None:
    svc = pay.shop.c.payments
    payable = await pay.payable()
    started = await svc.start(pay.shop.people["gd"], payable, provider)
    await pay.buyer_pays(provider, started.payment.out_trade_no, amount=100, duplicates=2)

    async def failed() -> bool:
        return any(e.kind == "capture_failed" for e in await pay.events(payable.order_id))

    await pay.until(failed)
    await asyncio.sleep(0.1)
    events = await pay.events(payable.order_id)
    assert _captured(events) == []
    fails = [e for e in events if e.kind == "capture_failed"]
    assert len(fails) == 1 and fails[0].amount == 100 and fails[0].details["expected"] == TOTAL
    assert (await svc.summary(payable.order_id, TOTAL, "CNY")).status is PaymentStatus.UNPAID
    assert not [s for o, s in pay.heard if o == payable.order_id]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_poller_finds_a_payment_whose_notification_never_came(
    pay: PayWorld, provider: str
) -> None:
    svc = pay.shop.c.payments
    payable = await pay.payable()
    started = await svc.start(pay.shop.people["gd"], payable, provider)
    assert (await svc.poll()).get("pending", 0) >= 1  # not paid yet: nothing recorded
    assert _captured(await pay.events(payable.order_id)) == []
    await pay.buyer_pays(provider, started.payment.out_trade_no, notify=False)
    assert (await svc.poll()).get("captured") == 1
    assert len(_captured(await pay.events(payable.order_id))) == 1
    assert (await svc.poll()).get("captured") is None  # a captured payment is not polled
    assert pay.box.deliveries == []


async def _forged_wechat(pay: PayWorld, out_trade_no: str) -> tuple[dict[str, str], bytes]:
    """A notification built and signed by the sandbox, then re-signed with a key that is
    not the platform's."""
    trade = Trade("wechatpay", out_trade_no, 12345, "", paid=12345, transaction_id="42x")
    headers, body = pay.box.wechat_notification(trade)
    ts, nonce = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
    headers["Wechatpay-Signature"] = sign(new_key(), f"{ts}\n{nonce}\n{body.decode()}\n")
    return headers, body


async def test_bad_signatures_are_refused_in_each_providers_format(pay: PayWorld) -> None:
    svc = pay.shop.c.payments
    payable = await pay.payable()
    started = await svc.start(pay.shop.people["gd"], payable, "wechatpay")
    before = await pay.all_events()
    url = f"{pay.app_url}/api/v1/commerce/payments/notify/"
    headers, body = await _forged_wechat(pay, started.payment.out_trade_no)
    async with pay.http.post(url + "wechatpay", data=body, headers=headers) as r:
        assert r.status == 401
        assert (await r.json())["code"] == "FAIL"
    # a body changed after signing
    trade = Trade("wechatpay", started.payment.out_trade_no, 1, "", paid=1, transaction_id="4")
    headers, body = pay.box.wechat_notification(trade)
    async with pay.http.post(url + "wechatpay", data=body + b" ", headers=headers) as r:
        assert r.status == 401
    # an old timestamp (a replay)
    old = str(int(time.time()) - 3600)
    headers["Wechatpay-Timestamp"] = old
    headers["Wechatpay-Signature"] = sign(
        pay.box.keys.platform, f"{old}\n{headers['Wechatpay-Nonce']}\n{body.decode()}\n"
    )
    async with pay.http.post(url + "wechatpay", data=body, headers=headers) as r:
        assert r.status == 401
    # Alipay: parameters signed by someone else, and garbage
    form = {"app_id": "2021000000000001", "out_trade_no": started.payment.out_trade_no,
            "trade_status": "TRADE_SUCCESS", "total_amount": "123.45", "trade_no": "1"}  # fmt: skip
    content = "&".join(f"{k}={form[k]}" for k in sorted(form))
    form["sign"], form["sign_type"] = sign(new_key(), content), "RSA2"
    for raw in (urlencode(form).encode(), b"\xff\xfe", b"a=1&&&b", b""):
        async with pay.http.post(url + "alipay", data=raw) as r:
            assert (r.status, await r.text()) == (200, "fail")
    for raw in (b"{", b"\x00" * 10, json.dumps({"resource": 1}).encode()):
        async with pay.http.post(url + "wechatpay", data=raw) as r:
            assert r.status == 401
    async with pay.http.post(url + "paypal", data=b"x") as r:
        assert r.status == 400
    assert await pay.all_events() == before


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unknown_order_is_refused_and_retried_on_the_providers_schedule(
    pay: PayWorld, provider: str
) -> None:
    pay.box.time_scale = 0.00002  # 25 hours in about 2 seconds
    before = await pay.all_events()
    notify = f"{pay.app_url}/api/v1/commerce/payments/notify/{provider}"
    no = secrets.token_hex(16)
    pay.box.trades[(provider, no)] = Trade(provider, no, 500, notify)
    await pay.buyer_pays(provider, no)
    expected = 1 + len(WECHAT_RETRIES if provider == "wechatpay" else ALIPAY_RETRIES)

    async def gave_up() -> bool:
        return len(pay.box.deliveries) >= expected and not pay.box.tasks

    await pay.until(gave_up, seconds=30)
    assert len(pay.box.deliveries) == expected == (16 if provider == "wechatpay" else 8)
    assert not any(d["ok"] for d in pay.box.deliveries)
    if provider == "wechatpay":
        assert {d["status"] for d in pay.box.deliveries} == {400}
    else:
        assert {d["answer"] for d in pay.box.deliveries} == {"fail"}
    assert await pay.all_events() == before


async def test_notifications_stop_once_answered(pay: PayWorld) -> None:
    started = await pay.shop.c.payments.start(pay.shop.people["gd"], await pay.payable(), "alipay")
    await pay.buyer_pays("alipay", started.payment.out_trade_no)

    async def answered() -> bool:
        return any(d["ok"] for d in pay.box.deliveries) and not pay.box.tasks

    await pay.until(answered)
    assert [d["answer"] for d in pay.box.deliveries] == ["success"]
