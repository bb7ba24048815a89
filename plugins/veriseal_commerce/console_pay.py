"""The dealer's pay page of an order (``orders.place``, the order's own organisation):
pay online (a QR of the provider's ``code_url``, drawn by segno and served as SVG from
this site, so the page needs no inline data), tell Veriseal "I have paid" (it asks the
provider at once), or upload a bank transfer's receipt for finance; the order's
payment ledger below."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import segno
from aiohttp import web
from aiohttp.web_request import FileField

from veriseal import VerisealError
from veriseal.extend import Page
from veriseal_commerce.console_payments import KINDS, form_message
from veriseal_commerce.payment_errors import ReceiptInvalid
from veriseal_commerce.payment_store import Event
from veriseal_commerce.payments import MAX_RECEIPT, Receipt
from veriseal_commerce.service import Commerce, of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "commerce"
BASE = "/console/commerce/orders"
ONLINE = ("wechatpay", "alipay")


def _commerce(call: ConsoleCall) -> Commerce:
    return of(call.plugin(PLUGIN))


def _open_code(events: list[Event]) -> tuple[int, str] | None:
    """(payment id, code_url) of the newest online payment not captured yet."""
    captured = {e.payment_id for e in events if e.kind in ("captured", "capture_failed")}
    for e in reversed(events):
        if e.kind == "code_issued" and e.payment_id not in captured:
            return e.payment_id, str(e.details.get("code_url", ""))
    return None


async def pay_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, c = call.principal, _commerce(call)
    assert who is not None
    no = call.match["no"]
    order = await c.orders.load(who, no)
    events = await c.payments.history(who, order.id)
    summary = await c.payments.summary(order.id, order.total, order.currency)
    rows: list[dict[str, Any]] = [
        {"at": e.at, "kind": call.t(*KINDS.get(e.kind, (e.kind, e.kind))), "amount": e.amount,
         "currency": e.currency} for e in events
    ]  # fmt: skip
    usable = [name for name in ONLINE if name in c.payments.providers]
    return Page("veriseal_commerce/pay.html",
                {"order": order, "summary": summary, "rows": rows, "open": _open_code(events),
                 "providers": usable, "error": error, "max_mb": MAX_RECEIPT // 2**20},
                status)  # fmt: skip


async def _field(call: ConsoleCall, name: str) -> str:
    value = (await call.form()).get(name)
    return value.strip()[:40] if isinstance(value, str) else ""


async def pay_online(call: ConsoleCall) -> Page | web.StreamResponse:
    who, c, no = call.principal, _commerce(call), call.match["no"]
    assert who is not None
    try:
        payable = await c.orders.payable(who, no)
        await c.payments.start(who, payable, await _field(call, "provider"))
    except VerisealError as exc:
        return await pay_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/{no}/pay", "Scan the code to pay.", "请扫码付款。")


async def pay_transfer(call: ConsoleCall) -> Page | web.StreamResponse:
    who, c, no = call.principal, _commerce(call), call.match["no"]
    assert who is not None
    try:
        item = (await call.form()).get("receipt")
        if not isinstance(item, FileField):
            raise ReceiptInvalid("choose the transfer's receipt")
        data = item.file.read(MAX_RECEIPT + 1)
        receipt = Receipt(item.content_type, item.filename or "receipt", data)
        payable = await c.orders.payable(who, no)
        await c.payments.start_transfer(who, payable, receipt)
    except VerisealError as exc:
        return await pay_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/{no}/pay", "Receipt sent: finance will confirm it.",
                         "凭证已提交，等待财务确认。")  # fmt: skip


async def pay_check(call: ConsoleCall) -> Page | web.StreamResponse:
    """ "I have paid": ask the provider now instead of waiting for its notification."""
    who, c, no = call.principal, _commerce(call), call.match["no"]
    assert who is not None
    order = await c.orders.load(who, no)
    found = _open_code(await c.payments.history(who, order.id))
    if found is not None:
        try:
            await c.payments.check(found[0], who)
        except VerisealError as exc:
            return await pay_page(call, form_message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/{no}/pay", "Payment status updated.", "已刷新付款状态。")


async def pay_qr(call: ConsoleCall) -> web.StreamResponse:
    who, c = call.principal, _commerce(call)
    assert who is not None
    order = await c.orders.load(who, call.match["no"])
    found = _open_code(await c.payments.history(who, order.id))
    if found is None:
        raise web.HTTPNotFound()
    out = io.BytesIO()
    segno.make_qr(found[1], error="m").save(out, kind="svg", scale=6, border=4)
    return web.Response(body=out.getvalue(), content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})  # fmt: skip
