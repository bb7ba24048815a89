"""Console pages of a dealer's orders (phone first; ``orders.place``).

- ``/console/commerce/orders/new``: pick products and quantities from the catalogue,
  a delivery region (its name shown) and address; "Preview" prices the basket with THE
  pricing engine (``pricing.quote``: unit prices, named discounts, total) and writes
  nothing; "Save draft" creates the draft and opens its page;
- ``/console/commerce/orders``: my organisation's (subtree's) orders, newest first,
  filtered by status, keyset paging (``?after=<id>``);
- ``/console/commerce/orders/{no}``: lines with their discounts, totals, the three
  status axes, the timeline, the message thread with a reply form; submit and cancel
  where the state machine allows.

Views parse, call :class:`.orders.OrderService` / :class:`.pricing.PricingService` with
the caller and render; every rule and scope check is the services'. Shared helpers
(services, messages, the order page's data) live in :mod:`.console_order_common`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_commerce.console_order_common import (
    BASE,
    context,
    message,
    order_context,
    region_name,
    text_field,
)
from veriseal_commerce.engine import Quote
from veriseal_commerce.order_states import OrderStatus
from veriseal_commerce.orders import MAX_QUANTITY, OrderQuery, OrderRequest
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

#: a page of the orders list
PAGE = 50
STATUSES = tuple(str(s) for s in OrderStatus)


# -- the new order form -------------------------------------------------------------------
async def new_order_page(call: ConsoleCall, error: str = "", status: int = 200,
                         quote: Quote | None = None) -> Page:  # fmt: skip
    """The form; ``?add=<gtin>`` (the product page's "add to order") starts with one."""
    _, brand, ctx = await context(call)
    products = await ctx.products(brand)
    values = await _values(call, [p.gtin for p in products])
    return Page(
        "veriseal_commerce/order_new.html",
        {"brand": brand, "products": products, "values": values, "quote": quote,
         "error": error, "region_label": region_name(call, values["region"]),
         "max_qty": MAX_QUANTITY},
        status,
    )  # fmt: skip


async def _values(call: ConsoleCall, gtins: list[str]) -> dict[str, str]:
    """What the form shows: the posted values, or the query's ``add``."""
    if call.request.method == "POST":
        form = await call.form()
        out = {k: str(form.get(k, ""))[:500] for k in ("region", "address")}
        out.update({f"q_{g}": str(form.get(f"q_{g}", ""))[:10] for g in gtins})
        return out
    add = call.query.get("add", "")
    return {"region": call.query.get("region", "")[:100], "address": "",
            **{f"q_{g}": "1" if g == add else "" for g in gtins}}  # fmt: skip


def _lines(form: Any, gtins: list[str]) -> list[tuple[str, int]]:
    """The products with a quantity (an empty field: not ordered)."""
    out = []
    for gtin in gtins:
        text = str(form.get(f"q_{gtin}", "")).strip()
        if not text or text == "0":
            continue
        if not text.isdigit() or not 0 < int(text) <= MAX_QUANTITY:
            raise InvalidInput(f"quantity of {gtin}: a whole number 1..{MAX_QUANTITY}")
        out.append((gtin, int(text)))
    if not out:
        raise InvalidInput("order at least one product")
    return out


async def order_create(call: ConsoleCall) -> Page | web.StreamResponse:
    """``do=preview``: the engine's quote for the basket, nothing written; otherwise the
    draft is saved and its page opened."""
    who, brand, ctx = await context(call)
    form = await call.form()
    gtins = [p.gtin for p in await ctx.products(brand)]
    try:
        lines = _lines(form, gtins)
        region = text_field(form, "region", 100)
        address = text_field(form, "address", 500)
        if form.get("do") == "preview":
            quote = await of(ctx).pricing.quote(who, brand, None, lines, region or None)
            return await new_order_page(call, quote=quote)
        order = await of(ctx).orders.create(who, brand, OrderRequest(lines, region, address))
    except VerisealError as exc:
        return await new_order_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/orders/{order.order_no}", "Draft saved: check and submit it.",
                         "草稿已保存：请核对后提交。")  # fmt: skip


# -- my orders -------------------------------------------------------------------------------
async def my_orders(call: ConsoleCall) -> Page:
    who, brand, ctx = await context(call)
    status = call.query.get("status", "")
    q = OrderQuery(status if status in STATUSES else None, after_id=call.query_int("after"),
                   limit=PAGE)  # fmt: skip
    found = await of(ctx).orders.search(who, brand, q)
    return Page(
        "veriseal_commerce/orders_list.html",
        {"brand": brand, "orders": found, "statuses": STATUSES, "status": q.status or "",
         "more": found[-1].id if len(found) == PAGE else None, "side": "dealer",
         "link": f"{BASE}/orders", "error": "", "values": {}},
    )  # fmt: skip


async def order_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx = await context(call)
    data = await order_context(call, ctx, who, call.match["no"], "dealer")
    return Page("veriseal_commerce/order.html", {**data, "brand": brand, "error": error},
                status)  # fmt: skip


async def order_submit(call: ConsoleCall) -> Page | web.StreamResponse:
    """Submit the draft: a refusal (territory, verification, stock) is shown on the page
    with its message and code, nothing changed."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        await of(ctx).orders.submit(who, no)
    except VerisealError as exc:
        return await order_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/orders/{no}", "Order submitted.", "订单已提交。")


async def order_cancel(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        reason = text_field(await call.form(), "reason", 4000)
        await of(ctx).orders.cancel(who, no, reason)
    except VerisealError as exc:
        return await order_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/orders/{no}", "Order cancelled.", "订单已取消。")


async def order_reply(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        await of(ctx).orders.post(who, no, text_field(await call.form(), "text", 4000))
    except VerisealError as exc:
        return await order_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/orders/{no}#thread", "Message sent.", "留言已发送。")
