"""Offline transfers, refunds and who may see what, on both backends (refunds of
online payments go through the sandbox over HTTP)."""

from __future__ import annotations

import asyncio

import pytest

from tests.commerce.payments.conftest import TOTAL, PayWorld
from veriseal import Conflict, Forbidden, VerisealError
from veriseal_commerce.payable import PaymentStatus
from veriseal_commerce.payments import Receipt, RefundAsk

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RECEIPT = Receipt("image/png", "回单.png", PNG)


async def _code(coro: object) -> str:
    try:
        await coro  # type: ignore[misc]
    except VerisealError as e:
        return e.code
    return "ok"


async def test_transfer_confirmed_once_even_when_finance_clicks_twice_at_once(
    pay: PayWorld,
) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    started = await svc.start_transfer(people["gd"], payable, RECEIPT)
    assert [p.id for p in await svc.transfers(people["admin"], pay.shop.brand.id)] == [
        started.payment.id
    ]
    codes = await asyncio.gather(
        *(_code(svc.confirm_transfer(people["admin"], started.payment.id, f"BANK{i}"))
          for i in range(4))
    )  # fmt: skip
    assert sorted(codes) == ["ok", "payment_closed", "payment_closed", "payment_closed"]
    captured = [e for e in await pay.events(payable.order_id) if e.kind == "captured"]
    assert len(captured) == 1 and captured[0].reference.startswith("BANK")
    assert [s.status for o, s in pay.heard if o == payable.order_id] == [PaymentStatus.PAID]
    assert await svc.transfers(people["admin"], pay.shop.brand.id) == []
    assert await _code(svc.reject_transfer(people["admin"], started.payment.id, "no")) == (
        "payment_closed"
    )
    # nothing more is due: a second payment of the same order is refused
    assert await _code(svc.start_transfer(people["gd"], payable, RECEIPT)) == "payment_not_due"


async def test_rejected_transfer_cannot_be_confirmed(pay: PayWorld) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    started = await svc.start_transfer(people["gd"], payable, RECEIPT)
    assert await _code(svc.reject_transfer(people["admin"], started.payment.id, " ")) == (
        "refund_invalid"
    )
    await svc.reject_transfer(people["admin"], started.payment.id, "not on the statement")
    assert await _code(svc.confirm_transfer(people["admin"], started.payment.id, "B1")) == (
        "payment_closed"
    )
    kinds = [e.kind for e in await pay.events(payable.order_id)]
    assert kinds == ["started", "receipt", "rejected"]
    assert (await svc.summary(payable.order_id, TOTAL, "CNY")).status is PaymentStatus.UNPAID


async def test_offline_refund_is_a_credit_note_bounded_by_what_was_paid(pay: PayWorld) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    started = await svc.start_transfer(people["gd"], payable, RECEIPT)
    await svc.confirm_transfer(people["admin"], started.payment.id, "BANK-1")
    first = await svc.refund(people["admin"], payable.order_id, RefundAsk("R1", 3000, "damaged"))
    assert (first.kind, first.amount, first.details) == ("refunded", 3000, {"credit_note": True})
    again = await svc.refund(people["admin"], payable.order_id, RefundAsk("R1", 3000))
    assert again.id == first.id
    assert await _code(
        svc.refund(people["admin"], payable.order_id, RefundAsk("R2", TOTAL - 3000 + 1))
    ) == ("refund_too_large")
    await svc.refund(people["admin"], payable.order_id, RefundAsk("R3", TOTAL - 3000))
    summary = await svc.summary(payable.order_id, TOTAL, "CNY")
    assert (summary.paid, summary.refunded, summary.status) == (
        TOTAL, TOTAL, PaymentStatus.REFUNDED,
    )  # fmt: skip
    statuses = [s.status for o, s in pay.heard if o == payable.order_id]
    assert statuses == [PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED,
                        PaymentStatus.REFUNDED]  # fmt: skip


@pytest.mark.parametrize("provider", ["wechatpay", "alipay"])
async def test_concurrent_duplicate_refunds_never_exceed_paid(pay: PayWorld, provider: str) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    started = await svc.start(people["gd"], payable, provider)
    await pay.buyer_pays(provider, started.payment.out_trade_no, notify=False)
    assert await svc.check(started.payment.id) == "captured"
    part = TOTAL * 2 // 5  # two fit, a third does not
    asks = [RefundAsk("SAME", part)] * 5 + [RefundAsk(f"R{i}", part) for i in range(5)]
    codes = await asyncio.gather(*(_code(svc.refund(people["admin"], payable.order_id, a))
                                   for a in asks))  # fmt: skip
    assert set(codes) <= {"ok", "refund_too_large"}
    events = await pay.events(payable.order_id)
    refunded = [e for e in events if e.kind == "refunded"]
    total = sum(e.amount for e in refunded)
    assert total <= TOTAL and len(refunded) == 2 and total == 2 * part
    assert len({e.reference for e in refunded}) == len(refunded)
    trade = pay.box.trades[(provider, started.payment.out_trade_no)]
    assert sum(trade.refunds.values()) == total  # the provider agrees, once per number


async def test_dealers_see_only_their_subtree_and_cannot_act_as_finance(pay: PayWorld) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    gd_payable = await pay.payable("gd")
    shop_payable = await pay.payable("shop")
    with pytest.raises(Forbidden):
        await svc.start_transfer(people["zj"], gd_payable, RECEIPT)
    with pytest.raises(Forbidden):
        await svc.start(people["admin"], gd_payable, "wechatpay")  # brand staff do not pay
    gd = await svc.start_transfer(people["gd"], gd_payable, RECEIPT)
    retail = await svc.start_transfer(people["shop"], shop_payable, RECEIPT)
    brand = pay.shop.brand.id
    mine = {p.id for p in await svc.payments(people["gd"], brand)}
    assert mine == {gd.payment.id, retail.payment.id}  # GZ-R1 is under GD01
    assert {p.id for p in await svc.payments(people["shop"], brand)} == {retail.payment.id}
    assert await svc.payments(people["zj"], brand) == []
    for who, pid in (("zj", gd.payment.id), ("shop", gd.payment.id)):
        with pytest.raises(Forbidden):
            await svc.get(people[who], pid)
        with pytest.raises(Forbidden):
            await svc.history(people[who], gd_payable.order_id)
    for action in (
        svc.confirm_transfer(people["gd"], gd.payment.id, "B"),
        svc.reject_transfer(people["gd"], gd.payment.id, "x"),
        svc.transfers(people["gd"], brand),
        svc.refund(people["gd"], gd_payable.order_id, RefundAsk("R1", 1)),
    ):
        assert await _code(action) == "forbidden"
    assert len(await pay.events(gd_payable.order_id)) == 2  # started, receipt: nothing else


async def test_receipts_are_checked_and_private(pay: PayWorld) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    before = await pay.all_events()
    for bad in (Receipt("text/html", "x.html", b"<script>"), Receipt("image/png", "x", b""),
                Receipt("image/png", "big", b"x" * (5 * 1024 * 1024 + 1))):  # fmt: skip
        assert await _code(svc.start_transfer(people["gd"], payable, bad)) == "receipt_invalid"
    assert await pay.all_events() == before
    started = await svc.start_transfer(people["gd"], payable, RECEIPT)
    rid = int(next(e for e in await pay.events(payable.order_id) if e.kind == "receipt").reference)
    assert (await svc.receipt(people["gd"], rid)).data == PNG
    assert (await svc.receipt(people["admin"], rid)).data == PNG
    for who in ("zj", "shop", "operator"):
        with pytest.raises(Forbidden):
            await svc.receipt(people[who], rid)
    del started


async def test_unknown_provider_and_bad_refunds_change_nothing(pay: PayWorld) -> None:
    svc, people = pay.shop.c.payments, pay.shop.people
    payable = await pay.payable()
    assert await _code(svc.start(people["gd"], payable, "paypal")) == "payment_provider_unknown"
    started = await svc.start_transfer(people["gd"], payable, RECEIPT)
    await svc.confirm_transfer(people["admin"], started.payment.id, "B")
    before = await pay.all_events()
    for ask in (RefundAsk("", 1), RefundAsk("R 1", 1), RefundAsk("R1", 0), RefundAsk("R1", -5),
                RefundAsk("x" * 65, 1), RefundAsk("退款", 1)):  # fmt: skip
        assert await _code(svc.refund(people["admin"], payable.order_id, ask)) == "refund_invalid"
    assert await _code(svc.refund(people["admin"], 999999, RefundAsk("R1", 1))) == (
        "payment_not_found"
    )
    assert await pay.all_events() == before
    with pytest.raises(Conflict):
        await svc.refund(people["admin"], payable.order_id, RefundAsk("R9", TOTAL + 1))
