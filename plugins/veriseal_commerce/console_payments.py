"""Console pages of payments for finance (``payments.confirm``): the brand's payments,
the transfers waiting for the bank statement (confirm with the bank reference, reject
with a reason), one payment's ledger with its refunds, and the transfer receipts
(served no-store, each view logged by the service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from veriseal import Brand, Principal, VerisealError
from veriseal.extend import Page, page_size
from veriseal_commerce.money import parse_amount
from veriseal_commerce.payment_errors import MESSAGES
from veriseal_commerce.payments import PaymentService, RefundAsk
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "commerce"
BASE = "/console/commerce/payments"
KINDS = {
    "started": ("Started", "发起"),
    "code_issued": ("QR code issued", "已生成二维码"),
    "receipt": ("Receipt uploaded", "已上传凭证"),
    "captured": ("Paid", "已收款"),
    "capture_failed": ("Amount mismatch", "金额不符"),
    "rejected": ("Rejected", "已驳回"),
    "refund_requested": ("Refund requested", "已申请退款"),
    "refunded": ("Refunded", "已退款"),
    "refund_failed": ("Refund failed", "退款失败"),
}


async def _services(call: ConsoleCall) -> tuple[Principal, Brand, PaymentService]:
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    if who.brand_id is not None:
        return who, await ctx.brand_by_id(who.brand_id), of(ctx).payments
    slug = call.query.get("brand") or None
    return who, await ctx.brand(slug), of(ctx).payments


def _kind(call: ConsoleCall, kind: str) -> str:
    en, zh = KINDS.get(kind, (kind, kind))
    return call.t(en, zh)


async def payments_page(call: ConsoleCall) -> Page:
    who, brand, svc = await _services(call)
    limit = page_size(call)
    rows = await svc.payments(who, brand.id, call.query_int("cursor"), limit)
    cursor = rows[-1].id if len(rows) == limit else None
    return Page("veriseal_commerce/payments.html",
                {"brand": brand, "rows": rows, "next_cursor": cursor})  # fmt: skip


async def transfers_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, svc = await _services(call)
    rows = await svc.transfers(who, brand.id)
    receipts: dict[int, str] = {}
    for p in rows:
        _, events = await svc.get(who, p.id)
        found = [e.reference for e in events if e.kind == "receipt"]
        if found:
            receipts[p.id] = found[-1]
    return Page("veriseal_commerce/transfers.html",
                {"brand": brand, "rows": rows, "receipts": receipts, "error": error},
                status)  # fmt: skip


async def payment_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, _, svc = await _services(call)
    p, _ = await svc.get(who, call.int_param("id"))
    history = await svc.history(who, p.order_id)
    summary = await svc.summary(p.order_id, p.amount, p.currency)
    rows: list[dict[str, Any]] = [
        {"at": e.at, "kind": _kind(call, e.kind), "amount": e.amount, "currency": e.currency,
         "reference": e.reference, "actor": e.actor} for e in history
    ]  # fmt: skip
    return Page("veriseal_commerce/payment.html",
                {"p": p, "rows": rows, "summary": summary, "error": error}, status)  # fmt: skip


async def _field(call: ConsoleCall, name: str, limit: int) -> str:
    value = (await call.form()).get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def confirm(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, svc = await _services(call)
    try:
        ref = await _field(call, "bank_reference", 101)
        await svc.confirm_transfer(who, call.int_param("id"), ref)
    except VerisealError as exc:
        return await transfers_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/transfers", "Transfer confirmed.", "已确认转账。")


async def reject(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, svc = await _services(call)
    try:
        await svc.reject_transfer(who, call.int_param("id"), await _field(call, "reason", 501))
    except VerisealError as exc:
        return await transfers_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/transfers", "Transfer rejected.", "已驳回转账。")


async def refund(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, svc = await _services(call)
    pid = call.int_param("id")
    try:
        p, _ = await svc.get(who, pid)
        amount = parse_amount(await _field(call, "amount", 30), p.currency)
        ask = RefundAsk(await _field(call, "out_refund_no", 65), amount,
                        await _field(call, "reason", 500))  # fmt: skip
        await svc.refund(who, p.order_id, ask)
    except VerisealError as exc:
        return await payment_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/{pid}", "Refund recorded.", "已记录退款。")


async def receipt(call: ConsoleCall) -> web.StreamResponse:
    who, _, svc = await _services(call)
    found = await svc.receipt(who, call.int_param("id"))
    return web.Response(
        body=found.data, content_type=found.content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "inline"},
    )  # fmt: skip


def form_message(call: ConsoleCall, exc: VerisealError) -> str:
    """A coded error for a form: its title in the reader's language, then the detail."""
    title = MESSAGES.get(f"error.{exc.code}")
    return f"{call.t(*title)}: {exc.message}" if title else exc.message
