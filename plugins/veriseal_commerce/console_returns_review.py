"""Console pages of returns and exchanges, the brand's side (phone first).

- ``/console/commerce/return-review`` (``orders.review``): the brand's requests filtered
  by status, newest first;
- ``/console/commerce/return-review/{no}``: the request with the buttons the state
  machine allows now (:func:`.returns_states.allowed_actions`): approve every unit or
  only the ticked ones, reject with a reason, ask the dealer a question, post on the
  thread; then the warehouse steps: receive (scan the units in, into a warehouse's
  quarantine), inspect (accept or reject each received unit, with a reason), scrap or
  send back rejected units; then refund, exchange (a replacement order) or settle;
- ``/console/commerce/return-alerts`` (``orders.review``): returns refused for a
  suspicious unit (a fake code, a unit shipped elsewhere, one returned before), with
  the evidence kept;
- ``/console/commerce/return-stats`` (``orders.review``): return rates by product and
  dealer, units by reason and month over a period, as tables and charts
  (``static/charts.js`` drawing ``<script type="application/json">`` data blocks).

Each POST names its permission as the service checks it: receive, inspect and send
back ``orders.fulfil``; the review, scrap and the resolution ``orders.review`` (a
refund also ``payments.confirm``, checked by payments). A refusal is shown on the
request's page with its message and stable code; the service wrote nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_commerce.console_order_common import context, message, text_field
from veriseal_commerce.console_returns import (
    PAGE,
    REVIEW,
    client_id,
    codes_of,
    list_page,
    names_of,
    request_context,
)
from veriseal_commerce.returns_states import UnitStatus
from veriseal_commerce.returns_stats import stats
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

#: the statistics' default period: the last year of orders
DEFAULT_DAYS = 365


async def queue(call: ConsoleCall) -> Page:
    return await list_page(call, "brand")


async def review_page(call: ConsoleCall, error: str = "", status: int = 200,
                      values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx = await context(call)
    data = await request_context(ctx, who, brand, call.match["no"], "brand")
    r = data["r"]
    restocked = sum(r.count(UnitStatus.RESTOCKED).values())
    return Page(
        "veriseal_commerce/returns_request.html",
        {**data, "brand": brand, "error": error, "values": values or {},
         "restocked": restocked,
         # a refused receive keeps its id: sent again, it finishes that same intake
         "client_id": (values or {}).get("client_id") or client_id()},
        status,
    )  # fmt: skip


async def review_act(call: ConsoleCall) -> Page | web.StreamResponse:
    """``action``: ``approve_all``, ``approve`` (the ticked ``unit`` codes only),
    ``reject`` (a reason required), ``ask`` (a question: info requested) or ``post``
    (a message, the status unchanged)."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    returns = of(ctx).returns
    try:
        form = await call.form()
        action, text = text_field(form, "action", 20), text_field(form, "text", 1000)
        if action == "approve_all":
            await returns.approve(who, no, None, text)
        elif action == "approve":
            picked = [str(c) for c in form.getall("unit", [])]
            await returns.approve(who, no, picked, text)
        elif action == "reject":
            await returns.reject(who, no, text)
        elif action == "ask":
            await returns.ask(who, no, text)
        elif action == "post":
            await returns.post(who, no, text)
        else:
            raise InvalidInput("action: approve_all, approve, reject, ask or post")
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{REVIEW}/{no}", "Done.", "已完成。")


async def receive(call: ConsoleCall) -> Page | web.StreamResponse:
    """The scanned units come back into the warehouse's quarantine (``client_id``: a
    resent form receives once)."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    form = await call.form()
    values = {k: str(form.get(k, ""))[:20000] for k in ("codes", "code", "warehouse")}
    values["client_id"] = str(form.get("client_id", ""))[:64]
    try:
        await of(ctx).return_goods.receive(
            who, no, codes_of(form), warehouse=text_field(form, "warehouse", 40) or None,
            client_id=text_field(form, "client_id", 64) or None,
        )  # fmt: skip
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status, values)
    return call.redirect(f"{REVIEW}/{no}#goods", "Received into quarantine.", "已收货入待检区。")


def _decisions(form: Any) -> tuple[list[str], list[str]]:
    """The inspection form: one radio group per received unit (``d<n>``), its value
    ``accept|<code>`` or ``reject|<code>`` (a group left alone: not decided now)."""
    accepted, rejected = [], []
    for key in form:
        if not (key.startswith("d") and key[1:].isdigit()):
            continue
        verdict, _, code = str(form.get(key, "")).partition("|")
        if verdict == "accept" and code:
            accepted.append(code)
        elif verdict == "reject" and code:
            rejected.append(code)
    return accepted, rejected


async def inspect(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        form = await call.form()
        accepted, rejected = _decisions(form)
        reason = text_field(form, "reason", 1000)
        if rejected and not reason:
            raise InvalidInput("reason: say why units are rejected / 请填写不合格原因")
        await of(ctx).return_goods.inspect(
            who, no, accepted=accepted, rejected=rejected, reason=reason,
            client_id=text_field(form, "client_id", 56) or None,
        )  # fmt: skip
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{REVIEW}/{no}#goods", "Inspection recorded.", "质检结果已记录。")


async def scrap(call: ConsoleCall) -> Page | web.StreamResponse:
    """Rejected units destroyed: their codes decommissioned and out of stock."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        form = await call.form()
        await of(ctx).return_goods.scrap(
            who, no, [str(c) for c in form.getall("unit", [])],
            reason=text_field(form, "reason", 500),
            client_id=text_field(form, "client_id", 56) or None,
        )  # fmt: skip
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{REVIEW}/{no}#goods", "Scrapped.", "已报废。")


async def send_back(call: ConsoleCall) -> Page | web.StreamResponse:
    """Rejected units shipped back to the dealer."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        form = await call.form()
        await of(ctx).return_goods.send_back(
            who, no, [str(c) for c in form.getall("unit", [])],
            note=text_field(form, "reason", 1000),
            client_id=text_field(form, "client_id", 56) or None,
        )  # fmt: skip
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{REVIEW}/{no}#goods", "Sent back to the dealer.", "已退回经销商。")


async def resolve(call: ConsoleCall) -> Page | web.StreamResponse:
    """``action``: ``refund`` (the restocked units' value), ``exchange`` (a replacement
    order of the restocked units) or ``settle`` (nothing passed inspection; a note)."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    resolution = of(ctx).resolution
    try:
        form = await call.form()
        action, note = text_field(form, "action", 20), text_field(form, "note", 200)
        if action == "refund":
            await resolution.refund(who, no, note)
        elif action == "exchange":
            await resolution.exchange(who, no)
        elif action == "settle":
            await resolution.settle(who, no, note)
        else:
            raise InvalidInput("action: refund, exchange or settle")
    except VerisealError as exc:
        return await review_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{REVIEW}/{no}", "Done.", "已完成。")


# -- alerts and statistics ---------------------------------------------------------------------
async def alerts_page(call: ConsoleCall) -> Page:
    who, brand, ctx = await context(call)
    found = await of(ctx).returns.alerts(who, brand, PAGE)
    return Page(
        "veriseal_commerce/returns_alerts.html",
        {"brand": brand, "alerts": found,
         "dealers": await names_of(ctx, {a.org_id for a in found})},
    )  # fmt: skip


def _day(call: ConsoleCall, name: str, default: dt.date) -> tuple[str, dt.datetime]:
    """A ``<input type=date>`` value (``default`` when empty) and the start of that day
    in the reader's time zone."""
    value = call.query.get(name, "")[:10]
    try:
        day = dt.date.fromisoformat(value) if value else default
    except ValueError:
        raise InvalidInput(f"{name}: a date (YYYY-MM-DD)") from None
    return day.isoformat(), dt.datetime.combine(day, dt.time(), call.tz)


async def stats_page(call: ConsoleCall) -> Page:
    """Rates over orders created from ``since`` to ``until`` (both days included)."""
    who, brand, ctx = await context(call)
    today = dt.datetime.now(call.tz).date()
    error, found, values = "", None, {"since": "", "until": ""}
    try:
        values["since"], since = _day(call, "since", today - dt.timedelta(days=DEFAULT_DAYS))
        values["until"], until = _day(call, "until", today)
        found = await stats(ctx, who, brand, since, until + dt.timedelta(days=1))
    except VerisealError as exc:
        error = message(call, exc)
    products = {p.gtin: p.name for p in await ctx.products(brand)}
    settings = await of(ctx).returns.settings(who, brand)
    reasons = {r.code: call.t(r.en, r.zh) for r in settings.reasons}
    ids = {int(r.key) for r in found.by_dealer if r.key.isdigit()} if found else set()
    dealers = {str(k): v for k, v in (await names_of(ctx, ids)).items()}
    charts = {}
    if found:
        charts = {
            "month": {"title": call.t("Units returned per month", "每月退货件数"),
                      "x": list(found.by_month),
                      "series": [{"name": call.t("Units", "件数"),
                                  "data": list(found.by_month.values())}]},
            "product": {"title": call.t("Return rate by product (%)", "各商品退货率（%）"),
                        "x": [products.get(r.key, r.key) for r in found.by_product],
                        "series": [{"name": call.t("Return rate %", "退货率 %"),
                                    "data": [round(100 * (r.rate or 0.0), 2)
                                             for r in found.by_product]}]},
        }  # fmt: skip
    return Page(
        "veriseal_commerce/returns_stats.html",
        {"brand": brand, "s": found, "values": values, "error": error, "charts": charts,
         "products": products, "reasons": reasons, "dealers": dealers},
        400 if error else 200,
    )  # fmt: skip
