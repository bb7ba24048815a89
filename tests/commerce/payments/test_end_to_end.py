"""End to end over real HTTP, on both backends: a dealer's order paid through the
sandbox (the dealer asks Veriseal's API for the QR, the sandbox plays the buyer and
sends duplicate notifications while the dealer's page asks the provider too) moves to
``awaiting_review`` exactly once; a transfer through the same route waits for finance."""

from __future__ import annotations

import asyncio
import base64

import pytest

from tests.commerce.orders_world import priced, submitted
from tests.commerce.payments.conftest import TOTAL, PayWorld
from tests.commerce.payments.test_ledger import RECEIPT


async def _token(pay: PayWorld, who: str) -> dict[str, str]:
    text, _ = await pay.shop.engine.accounts.create_token(pay.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


@pytest.mark.parametrize("provider", ["wechatpay", "alipay"])
async def test_an_order_paid_through_the_sandbox_awaits_review_once(
    pay: PayWorld, provider: str
) -> None:
    await priced(pay.shop)
    order = await submitted(pay.shop)
    gd, zj = await _token(pay, "gd"), await _token(pay, "zj")
    url = f"{pay.app_url}/api/v1/commerce/orders/{order.order_no}/payments"
    async with pay.http.post(url, json={"provider": provider}, headers=zj) as r:
        assert r.status == 403  # a sibling dealer
    async with pay.http.post(url, json={"provider": "paypal"}, headers=gd) as r:
        assert r.status == 400
    async with pay.http.post(url, json={"provider": provider}, headers=gd) as r:
        assert r.status == 201, await r.text()
        started = await r.json()
    assert started["code_url"] and started["payment"]["amount"] == TOTAL
    no, pid = started["payment"]["out_trade_no"], started["payment"]["id"]
    await pay.buyer_pays(provider, no, duplicates=5)
    check = f"{pay.app_url}/api/v1/commerce/payments/{pid}/check"

    async def back_to_the_page() -> None:
        async with pay.http.post(check, headers=gd) as r:
            assert r.status == 200, await r.text()

    await asyncio.gather(*(back_to_the_page() for _ in range(3)))

    async def answered() -> bool:
        return any(d["ok"] for d in pay.box.deliveries)

    await pay.until(answered)
    await asyncio.sleep(0.2)
    view = await pay.shop.c.orders.view(pay.shop.people["gd"], order.order_no)
    assert view.order.status == "awaiting_review"
    assert (view.order.payment_status, view.order.paid) == ("paid", TOTAL)
    into_review = [e for e in view.events if e.to_status == "awaiting_review"]
    assert len(into_review) == 1 and into_review[0].actor == "payments"
    async with pay.http.get(url, headers=gd) as r:
        ledger = await r.json()
    assert [e["kind"] for e in ledger["events"]] == ["started", "code_issued", "captured"]
    assert ledger["summary"]["status"] == "paid"
    async with pay.http.get(url, headers=zj) as r:
        assert r.status == 403


async def test_a_transfer_through_the_api_waits_for_finance(pay: PayWorld) -> None:
    await priced(pay.shop)
    order = await submitted(pay.shop, "shop")
    shop = await _token(pay, "shop")
    url = f"{pay.app_url}/api/v1/commerce/orders/{order.order_no}/payments"
    before = await pay.all_events()
    for bad in ({"provider": "offline"},
                {"provider": "offline", "receipt_base64": "%%", "content_type": "image/png"},
                {"provider": "offline", "receipt_base64": "aGk=", "content_type": "text/html"},
                {"provider": "offline", "receipt_base64": "aGk=", "content_type": "image/png",
                 "filename": "../x"}):  # fmt: skip
        async with pay.http.post(url, json=bad, headers=shop) as r:
            assert r.status == 400, (bad, await r.text())
    assert await pay.all_events() == before
    body = {"provider": "offline", "content_type": "image/png", "filename": "回单.png",
            "receipt_base64": base64.b64encode(RECEIPT.data).decode()}  # fmt: skip
    async with pay.http.post(url, json=body, headers=shop) as r:
        assert r.status == 201
        pid = (await r.json())["payment"]["id"]
    waiting = await pay.shop.c.payments.transfers(pay.shop.people["admin"], pay.shop.brand.id)
    assert [p.id for p in waiting] == [pid]
    await pay.shop.c.payments.confirm_transfer(pay.shop.people["admin"], pid, "ABC-1")
    view = await pay.shop.c.orders.view(pay.shop.people["shop"], order.order_no)
    assert (view.order.status, view.order.paid) == ("awaiting_review", TOTAL)
