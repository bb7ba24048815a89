"""The payments API over real loopback HTTP with API tokens, on both backends: finance
confirms, rejects and refunds; the payer checks back; bad input of any shape is a coded
4xx that stores nothing; receipts are served no-store to the right people only."""

from __future__ import annotations

from typing import Any

from tests.commerce.payments.conftest import TOTAL, PayWorld
from tests.commerce.payments.test_ledger import RECEIPT

BASE = "/api/v1/commerce/payments"


async def _token(pay: PayWorld, who: str, scopes: list[str] | None = None) -> dict[str, str]:
    principal = pay.shop.people[who]
    text, _ = await pay.shop.engine.accounts.create_token(principal, "t", scopes or ["*"])
    return {"Authorization": f"Bearer {text}"}


async def _call(pay: PayWorld, method: str, path: str, headers: dict[str, str],
                **kw: Any) -> tuple[int, Any]:  # fmt: skip
    async with pay.http.request(method, pay.app_url + path, headers=headers, **kw) as r:
        kind = r.headers.get("Content-Type", "")
        return r.status, (await r.json()) if "json" in kind else await r.read()


async def test_finance_and_payer_over_http(pay: PayWorld) -> None:
    svc = pay.shop.c.payments
    admin, gd, zj = [await _token(pay, w) for w in ("admin", "gd", "zj")]
    payable = await pay.payable()
    t = await svc.start_transfer(pay.shop.people["gd"], payable, RECEIPT)
    pid = t.payment.id
    status, body = await _call(pay, "GET", f"{BASE}/transfers", admin)
    assert status == 200 and [p["id"] for p in body["transfers"]] == [pid]
    assert (await _call(pay, "GET", f"{BASE}/transfers", gd))[0] == 403
    before = await pay.all_events()
    for bad in ({}, {"bank_reference": ""}, {"bank_reference": 5}, {"bank_reference": "x" * 101},
                {"bank_reference": "a\x00"}, {"bank_reference": "B", "extra": 1}, []):  # fmt: skip
        status, body = await _call(pay, "POST", f"{BASE}/{pid}/confirm", admin, json=bad)
        assert status == 400 and body["error"]["code"] == "invalid_input", bad
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/confirm", admin, data=b"{")
    assert status == 400
    for path in (f"{BASE}/0/confirm", f"{BASE}/abc/confirm", f"{BASE}/-1/confirm"):
        assert (await _call(pay, "POST", path, admin, json={"bank_reference": "B"}))[0] in (
            400, 404)  # fmt: skip
    assert (
        await _call(pay, "POST", f"{BASE}/999999/confirm", admin, json={"bank_reference": "B"})
    )[1]["error"]["code"] == "payment_not_found"
    assert (await _call(pay, "POST", f"{BASE}/{pid}/confirm", gd,
                        json={"bank_reference": "B"}))[0] == 403  # fmt: skip
    assert await pay.all_events() == before
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/confirm", admin,
                               json={"bank_reference": "ICBC-0001"})  # fmt: skip
    assert status == 200 and body["summary"]["status"] == "paid"
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/confirm", admin,
                               json={"bank_reference": "ICBC-0001"})  # fmt: skip
    assert status == 409 and body["error"]["code"] == "payment_closed"
    for bad in ({"out_refund_no": "R1", "amount": 0}, {"out_refund_no": "R 1", "amount": 1},
                {"out_refund_no": "R1", "amount": "1"}, {"out_refund_no": "R1", "amount": 1.5},
                {"amount": 1}, {"out_refund_no": "R1", "amount": 10**14}):  # fmt: skip
        status, body = await _call(pay, "POST", f"{BASE}/{pid}/refunds", admin, json=bad)
        assert status == 400, bad
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/refunds", admin,
                               json={"out_refund_no": "R1", "amount": TOTAL + 1})  # fmt: skip
    assert status == 409 and body["error"]["code"] == "refund_too_large"
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/refunds", admin,
                               json={"out_refund_no": "R1", "amount": 5000})  # fmt: skip
    assert status == 200 and body["kind"] == "refunded" and body["amount"] == 5000
    status, body = await _call(pay, "GET", f"{BASE}/{pid}", admin)
    kinds = [e["kind"] for e in body["events"]]
    assert kinds == ["started", "receipt", "captured", "refund_requested", "refunded"]
    status, body = await _call(pay, "GET", BASE, admin)
    assert status == 200 and pid in [p["id"] for p in body["payments"]]
    # a dealer's token for the payer's own checks: a transfer has nothing to ask
    status, body = await _call(pay, "POST", f"{BASE}/{pid}/check", gd)
    assert status == 400 and body["error"]["code"] == "payment_not_transfer"
    assert (await _call(pay, "POST", f"{BASE}/{pid}/check", zj))[0] == 403


async def test_receipts_no_store_to_the_payer_and_finance_only(pay: PayWorld) -> None:
    svc = pay.shop.c.payments
    admin, gd, zj = [await _token(pay, w) for w in ("admin", "gd", "zj")]
    payable = await pay.payable()
    await svc.start_transfer(pay.shop.people["gd"], payable, RECEIPT)
    rid = next(e for e in await pay.events(payable.order_id) if e.kind == "receipt").reference
    for path, headers in ((f"{BASE}/receipts/{rid}", admin), (f"{BASE}/mine/receipts/{rid}", gd)):
        async with pay.http.get(pay.app_url + path, headers=headers) as r:
            assert r.status == 200 and await r.read() == RECEIPT.data
            assert r.headers["Cache-Control"] == "no-store"
            assert r.headers["Content-Type"].startswith("image/png")
    assert (await _call(pay, "GET", f"{BASE}/mine/receipts/{rid}", zj))[0] == 403
    assert (await _call(pay, "GET", f"{BASE}/receipts/{rid}", gd))[0] == 403
    scoped = await _token(pay, "admin", ["orders.review"])
    assert (await _call(pay, "GET", f"{BASE}/receipts/{rid}", scoped))[0] == 403
    assert (await _call(pay, "GET", f"{BASE}/receipts/{rid}", {}))[0] == 401
