"""``/api/v1/commerce/payments/...``: the payments JSON API.

- ``POST notify/{provider}``: PUBLIC, authenticated by the provider's signature (not a
  token); answered in the provider's format (WeChat Pay: 204, or 4xx with
  ``{"code": "FAIL", ...}``; Alipay: ``success`` / ``fail``).
- finance (``payments.confirm``): list, show, transfers waiting, confirm with the bank
  reference, reject with a reason, refund (idempotent by ``out_refund_no``), receipts.
- the payer (``orders.place``, own organisation's subtree): ``check`` (the return to
  the pay page: asks the provider and records its answer) and receipts.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from aiohttp import web
from msgspec import Meta

from veriseal import Call, Endpoint, Gate, Id, Model, Note, Page, Short, page_after, page_listing
from veriseal.extend import plugin_context
from veriseal_commerce.payment_errors import ReceiptInvalid
from veriseal_commerce.payments import OFFLINE, PaymentService, Receipt, RefundAsk
from veriseal_commerce.permissions import ORDERS_PLACE, PAYMENTS_CONFIRM
from veriseal_commerce.service import of

BASE = "/api/v1/commerce/payments"
ORDERS = "/api/v1/commerce/orders"
NAME = "commerce"
Schema = dict[str, Any]
_OBJ: Schema = {"type": "object"}
MAX_NOTIFY = 64 * 1024
RefundNo = Annotated[str, Meta(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")]
Minor = Annotated[int, Meta(ge=1, le=10**13)]


class ProviderPath(Model):
    provider: Literal["wechatpay", "alipay"]


class IdPath(Model):
    id: Id


class ListQuery(Page):
    brand: Short | None = None


class ConfirmBody(Model):
    bank_reference: Annotated[str, Meta(min_length=1, max_length=100, pattern="^[^\\x00]*$")]


class RejectBody(Model):
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern="^[^\\x00]*$")]


class RefundBody(Model):
    out_refund_no: RefundNo
    amount: Minor
    reason: Note = ""


class OrderPath(Model):
    no: Short


class PayBody(Model):
    """Online (``wechatpay`` / ``alipay``: answered with the QR's ``code_url``) or an
    offline transfer with its receipt (PNG, JPEG or PDF, base64, at most 5 MB)."""

    provider: Literal["wechatpay", "alipay", "offline"]
    receipt_base64: Annotated[str, Meta(max_length=7_000_000)] = ""
    content_type: Literal["image/png", "image/jpeg", "application/pdf", ""] = ""
    filename: Annotated[str, Meta(max_length=200, pattern="^[^\\x00/\\\\]*$")] = ""


def _svc(call: Call) -> PaymentService:
    return of(plugin_context(call, NAME)).payments


async def notify(call: Call, path: ProviderPath) -> web.Response:
    body = await call.request.content.read(MAX_NOTIFY + 1)
    svc = _svc(call)
    if len(body) > MAX_NOTIFY:
        answer = svc.provider(path.provider).answer(False, "too_large", "body too large")
    else:
        answer = await svc.notify(path.provider, dict(call.request.headers), body)
    return web.Response(status=answer.status, body=answer.body, content_type=answer.content_type)


async def list_payments(call: Call, query: ListQuery) -> Schema:
    ctx = plugin_context(call, NAME)
    brand_id = call.who.brand_id or (await ctx.brand(query.brand)).id
    rows = await _svc(call).payments(call.who, brand_id, page_after(query), query.limit)
    return page_listing("payments", [p.to_dict() for p in rows], query,
                        rows[-1].id if len(rows) == query.limit else None)  # fmt: skip


async def transfers(call: Call, query: ListQuery) -> Schema:
    ctx = plugin_context(call, NAME)
    brand_id = call.who.brand_id or (await ctx.brand(query.brand)).id
    rows = await _svc(call).transfers(call.who, brand_id)
    return {"transfers": [p.to_dict() for p in rows]}


async def show(call: Call, path: IdPath) -> Schema:
    p, events = await _svc(call).get(call.who, path.id)
    return {**p.to_dict(), "events": [e.to_dict() for e in events]}


async def confirm(call: Call, path: IdPath, body: ConfirmBody) -> Schema:
    summary = await _svc(call).confirm_transfer(call.who, path.id, body.bank_reference)
    return {"summary": summary.to_dict()}


async def reject(call: Call, path: IdPath, body: RejectBody) -> Schema:
    await _svc(call).reject_transfer(call.who, path.id, body.reason)
    return {"rejected": path.id}


async def refund(call: Call, path: IdPath, body: RefundBody) -> Schema:
    svc = _svc(call)
    p, _ = await svc.get(call.who, path.id)
    ask = RefundAsk(body.out_refund_no, body.amount, body.reason)
    return (await svc.refund(call.who, p.order_id, ask)).to_dict()


async def check(call: Call, path: IdPath) -> Schema:
    return {"outcome": await _svc(call).check(path.id, call.who)}


async def finance_receipt(call: Call, path: IdPath) -> web.Response:
    plugin_context(call, NAME).require(call.who, PAYMENTS_CONFIRM)  # finance's route
    return await _receipt(call, path.id)


async def my_receipt(call: Call, path: IdPath) -> web.Response:
    plugin_context(call, NAME).require(call.who, ORDERS_PLACE)  # the payer's route
    return await _receipt(call, path.id)


async def _receipt(call: Call, receipt_id: int) -> web.Response:
    found = await _svc(call).receipt(call.who, receipt_id)
    return web.Response(
        body=found.data, content_type=found.content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "attachment"},
    )  # fmt: skip


async def pay_order(call: Call, path: OrderPath, body: PayBody) -> Schema:
    commerce = of(plugin_context(call, NAME))
    payable = await commerce.orders.payable(call.who, path.no)
    if body.provider != OFFLINE:
        return (await commerce.payments.start(call.who, payable, body.provider)).to_dict()
    try:
        data = base64.b64decode(body.receipt_base64, validate=True)
    except binascii.Error:
        raise ReceiptInvalid("the receipt is not base64") from None
    receipt = Receipt(body.content_type, body.filename or "receipt", data)
    return (await commerce.payments.start_transfer(call.who, payable, receipt)).to_dict()


async def order_payments(call: Call, path: OrderPath) -> Schema:
    commerce = of(plugin_context(call, NAME))
    order = await commerce.orders.load(call.who, path.no)
    events = await commerce.payments.history(call.who, order.id)
    summary = await commerce.payments.summary(order.id, order.total, order.currency)
    return {"order_no": order.order_no, "summary": summary.to_dict(),
            "events": [e.to_dict() for e in events]}  # fmt: skip


ROUTES = [
    Endpoint("POST", f"{ORDERS}/{{no}}/payments", pay_order, ORDERS_PLACE,
             "Pay an order: a QR code_url (WeChat Pay, Alipay) or a transfer with its receipt",
             tag="commerce", status=201),
    Endpoint("GET", f"{ORDERS}/{{no}}/payments", order_payments, ORDERS_PLACE,
             "An order's payment ledger and summary (its dealer)", tag="commerce"),
    Endpoint("POST", f"{BASE}/notify/{{provider}}", notify, Gate.PUBLIC,
             "A payment provider's notification (signed by the provider)",
             tag="commerce", raw_body="application/json"),
    Endpoint("GET", BASE, list_payments, PAYMENTS_CONFIRM,
             "The brand's payments, newest first", tag="commerce"),
    Endpoint("GET", f"{BASE}/transfers", transfers, PAYMENTS_CONFIRM,
             "Offline transfers waiting for finance", tag="commerce"),
    Endpoint("GET", f"{BASE}/{{id}}", show, PAYMENTS_CONFIRM,
             "A payment and its ledger", tag="commerce", response=_OBJ),
    Endpoint("POST", f"{BASE}/{{id}}/confirm", confirm, PAYMENTS_CONFIRM,
             "Confirm an offline transfer with the bank reference", tag="commerce"),
    Endpoint("POST", f"{BASE}/{{id}}/reject", reject, PAYMENTS_CONFIRM,
             "Reject an offline transfer with a reason", tag="commerce"),
    Endpoint("POST", f"{BASE}/{{id}}/refunds", refund, PAYMENTS_CONFIRM,
             "Refund (part of) a payment's order, idempotent by out_refund_no",
             tag="commerce"),
    Endpoint("GET", f"{BASE}/receipts/{{id}}", finance_receipt, PAYMENTS_CONFIRM,
             "A transfer receipt (finance), not cached", tag="commerce"),
    Endpoint("POST", f"{BASE}/{{id}}/check", check, ORDERS_PLACE,
             "Back from paying: ask the provider and record its answer", tag="commerce"),
    Endpoint("GET", f"{BASE}/mine/receipts/{{id}}", my_receipt, ORDERS_PLACE,
             "A transfer receipt of my organisation, not cached", tag="commerce"),
]  # fmt: skip
