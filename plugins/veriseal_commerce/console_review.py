"""Console pages of the brand's order review (phone first).

- ``/console/commerce/review`` (``orders.review``): the brand's orders filtered by
  status, dealer (code or org id) and creation period, keyset paging;
- ``/console/commerce/review/{no}``: the order with approve, reject (a reason is
  required), a question on its thread, and the timeline;
- ``/console/commerce/review/{no}/fulfil`` (``orders.fulfil``): ship an approved order
  by scanning item, case or pallet codes (``static/scan.js`` adds the camera; typing
  always works); what is shipped and left per product; coded refusals shown;
- ``/console/commerce/order-stats`` (``orders.review``): count, units and amount by
  status, product, dealer, region, day and month, a table per grouping.

Views parse, call the services with the caller and render; the rules are theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from veriseal import Brand, InvalidInput, Principal, VerisealError
from veriseal.extend import Page, PluginContext
from veriseal_commerce.console_order_common import (
    BASE,
    context,
    message,
    order_context,
    text_field,
)
from veriseal_commerce.fulfilment import MAX_ENTRIES
from veriseal_commerce.order_stats import GROUPS, StatsQuery, order_stats
from veriseal_commerce.orders import OrderQuery
from veriseal_commerce.orders_store import Order
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

PAGE = 50
STATUSES = ("draft", "submitted", "awaiting_review", "approved", "partially_fulfilled",
            "fulfilled", "closed", "rejected", "cancelled", "expired")  # fmt: skip


def _day(call: ConsoleCall, name: str, *, end: bool = False) -> dt.datetime | None:
    """A ``<input type=date>`` value as the start of that day in the reader's time zone
    (``end``: the next day's start, so the period includes that day)."""
    value = call.query.get(name, "")
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"{name}: a date (YYYY-MM-DD)") from None
    return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), call.tz)


async def _dealer(ctx: PluginContext, who: Principal, brand: Brand, text: str) -> int | None:
    if not text:
        return None
    return await of(ctx).pricing.dealer_org(who, brand, text[:64])


# -- the list ---------------------------------------------------------------------------------
async def review_list(call: ConsoleCall) -> Page:
    who, brand, ctx = await context(call)
    values = {k: call.query.get(k, "")[:64] for k in ("status", "dealer", "since", "until")}
    error, more = "", None
    found: list[Order] = []
    try:
        q = OrderQuery(values["status"] if values["status"] in STATUSES else None,
                       await _dealer(ctx, who, brand, values["dealer"]), _day(call, "since"),
                       _day(call, "until", end=True), call.query_int("after"), PAGE)  # fmt: skip
        found = await of(ctx).orders.search(who, brand, q)
        more = found[-1].id if len(found) == PAGE else None
    except VerisealError as exc:
        error = message(call, exc)
    return Page(
        "veriseal_commerce/orders_list.html",
        {"brand": brand, "orders": found, "statuses": STATUSES, "status": values["status"],
         "values": values, "more": more, "side": "brand", "link": f"{BASE}/review",
         "error": error},
        400 if error else 200,
    )  # fmt: skip


# -- one order --------------------------------------------------------------------------------
async def review_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx = await context(call)
    data = await order_context(call, ctx, who, call.match["no"], "brand")
    return Page("veriseal_commerce/order.html", {**data, "brand": brand, "error": error},
                status)  # fmt: skip


async def review_act(call: ConsoleCall) -> Page | web.StreamResponse:
    """``action``: approve (an optional note), reject (a reason required) or ask (a
    question on the thread)."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    orders = of(ctx).orders
    try:
        form = await call.form()
        action, text = text_field(form, "action", 20), text_field(form, "text", 4000)
        if action == "approve":
            await orders.approve(who, no, text)
        elif action == "reject":
            await orders.reject(who, no, text)
        elif action == "ask":
            await orders.post(who, no, text)
        else:
            raise InvalidInput("action: approve, reject or ask")
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/review/{no}", "Done.", "已完成。")


# -- fulfil by scanning -----------------------------------------------------------------------
async def fulfil_page(call: ConsoleCall, error: str = "", status: int = 200,
                      values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx = await context(call)
    data = await order_context(call, ctx, who, call.match["no"], "brand")
    return Page(
        "veriseal_commerce/order_fulfil.html",
        {**data, "brand": brand, "error": error, "values": values or {},
         "client_id": _client_id(call)},
        status,
    )  # fmt: skip


def _client_id(call: ConsoleCall) -> str:
    """A fresh id for the form, so a resent form ships once (the territories' replay)."""
    import secrets  # noqa: PLC0415

    return f"console-{call.match.get('no', '')}-{secrets.token_hex(8)}"


def _codes(form: Any) -> list[str]:
    text = text_field(form, "codes", 200 * MAX_ENTRIES)
    codes = [c.strip() for c in text.splitlines() if c.strip()]
    one = text_field(form, "code", 200)
    return codes + ([one] if one else [])


async def fulfil_post(call: ConsoleCall) -> Page | web.StreamResponse:
    """Ship the scanned codes; a refusal (wrong product, too many, not held) is shown
    with its code and nothing is shipped."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    form = await call.form()
    values = {k: str(form.get(k, ""))[:20000] for k in ("codes", "code")}
    try:
        client_id = text_field(form, "client_id", 100) or None
        await of(ctx).fulfilment.ship(who, no, _codes(form), client_id)
    except VerisealError as exc:
        return await fulfil_page(call, message(call, exc), exc.http_status, values)
    return call.redirect(f"{BASE}/review/{no}/fulfil", "Shipped.", "已发货。")


# -- statistics -------------------------------------------------------------------------------
async def stats_page(call: ConsoleCall) -> Page:
    who, brand, ctx = await context(call)
    values = {k: call.query.get(k, "")[:10] for k in ("since", "until")}
    tables: dict[str, list[Any]] = {}
    error = ""
    try:
        since, until = _day(call, "since"), _day(call, "until", end=True)
        for by in GROUPS:
            tables[by] = await order_stats(ctx, who, StatsQuery(brand.id, by, since, until))
    except VerisealError as exc:
        error = message(call, exc)
    top = {by: max((r.amount for r in rows), default=0) for by, rows in tables.items()}
    return Page(
        "veriseal_commerce/order_stats.html",
        {"brand": brand, "tables": tables, "top": top, "values": values, "error": error},
        400 if error else 200,
    )  # fmt: skip
