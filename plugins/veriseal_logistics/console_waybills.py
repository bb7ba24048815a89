"""Console pages of waybills (phone first):

- ``/console/logistics``: the brand's waybills in the reader's scope (a dealer: those
  shipped from or to its subtree; the service decides), newest first: status, carrier,
  tracking number, reference, ETA and open alerts; filtered by status, by "has open
  alerts" and by reference; paged by cursor; the same rows as CSV or Excel
  (``?export=csv|xlsx``);
- ``/console/logistics/new``: register a waybill (carrier, tracking number, origin,
  destination, the places it goes via, promised date, reference, and the receiving
  organisation, picked from the caller's subtree), for ``logistics.manage``. A refusal (a place
  not known, a bad tracking number, the number already registered with other details)
  is shown with its message and stable code, the form keeps what was typed, and
  nothing is stored.

Views parse, call the services with the caller and render; every rule and scope check
is the services'."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from veriseal import Brand, Forbidden, InvalidInput, Org, Principal, VerisealError
from veriseal.extend import (
    Column,
    Page,
    PluginContext,
    export_format,
    export_response,
    page_size,
)
from veriseal_logistics.console_common import (
    BASE,
    context,
    field,
    labels,
    message,
    open_alerts,
)
from veriseal_logistics.console_format import eta_text, kind_label, status_label
from veriseal_logistics.models import Alert, Waybill
from veriseal_logistics.permissions import LOGISTICS_MANAGE
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_logistics/"
EXPORT_PAGE = 500  # the service's largest page
ALERTED = {"open": True, "none": False}  # ?alert= -> the listing's ``alerted``
_COLUMNS = [
    ("id", "No.", "编号"),
    ("status", "Status", "状态"),
    ("carrier", "Carrier", "承运商"),
    ("tracking_no", "Tracking no.", "运单号"),
    ("reference", "Reference", "关联单号"),
    ("origin", "From", "发货地"),
    ("destination", "To", "收货地"),
    ("eta", "Expected", "预计送达"),
    ("promised", "Promised by (UTC)", "承诺送达（UTC）"),
    ("last_event", "Last event (UTC)", "最新动态（UTC）"),
    ("alerts", "Open alerts", "未处理预警"),
]


def _filters(call: ConsoleCall) -> tuple[Status | None, bool | None, str]:
    """``status``, ``alert`` (open / none) and ``reference`` from the query
    (``invalid_input`` for a value outside the lists)."""
    raw = call.query.get("status", "")
    if raw and raw not in {s.value for s in Status}:
        raise InvalidInput("status: one of the waybill statuses")
    alert = call.query.get("alert", "")
    if alert and alert not in ALERTED:
        raise InvalidInput("alert: open or none")
    return (Status(raw) if raw else None), ALERTED.get(alert), field(call.query, "reference", 64)


def _row(call: ConsoleCall, w: Waybill, alerts: list[Alert], today: dt.date) -> dict[str, Any]:
    return {
        "id": w.id, "status": status_label(w.status, call.lang), "status_code": w.status.value,
        "carrier": w.carrier, "tracking_no": w.tracking_no, "reference": w.reference,
        "origin": w.origin.name, "destination": w.destination.name,
        "eta": "" if w.eta is None or w.status == Status.DELIVERED
        else eta_text(w.eta, call.tz, call.lang, today),
        "promised": w.promised_at, "last_event": w.last_event_at, "delivered": w.delivered_at,
        "alerts": ", ".join(kind_label(a.kind, call.lang) for a in alerts),
        "alert_count": len(alerts),
    }  # fmt: skip


async def list_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """The waybills of the module docstring."""
    who, brand, ctx, lg = await context(call)
    status, alerted, reference = _filters(call)
    query: dict[str, Any] = {"status": status, "alerted": alerted, "reference": reference or None}
    today = dt.datetime.now(call.tz).date()
    if export_format(call) is not None:
        every: list[Waybill] = []
        while True:
            page = await lg.waybills.listing(who, brand, **query, limit=EXPORT_PAGE,
                                             after=every[-1].id if every else None)  # fmt: skip
            every += page
            if len(page) < EXPORT_PAGE:
                break
        by_waybill = await open_alerts(lg, who, brand, every)
        rows = [_row(call, w, by_waybill.get(w.id, []), today) for w in every]
        columns = [Column(k, en, zh) for k, en, zh in _COLUMNS]
        return await export_response(call, "waybills", columns, rows)
    limit = page_size(call)
    found = await lg.waybills.listing(who, brand, **query, limit=limit,
                                      after=call.query_int("cursor"))  # fmt: skip
    by_waybill = await open_alerts(lg, who, brand, found)
    return Page(_T + "waybills.html", {
        "brand": brand, "rows": [_row(call, w, by_waybill.get(w.id, []), today) for w in found],
        "next_cursor": found[-1].id if len(found) == limit else None,
        "status": status.value if status else "", "alert": call.query.get("alert", ""),
        "reference": reference, "can_manage": ctx.allowed(who, LOGISTICS_MANAGE), **labels(),
    })  # fmt: skip


_FIELDS = {"carrier": 40, "tracking_no": 40, "origin": 100, "destination": 100,
           "via": 1000, "promised": 10, "reference": 64, "to_org": 19}  # fmt: skip
MAX_VIA = 10  # waypoints, as the service allows
_VIA_SPLIT = re.compile(r"[,，、;；\n]+")


async def receivers(ctx: PluginContext, who: Principal, brand: Brand) -> list[Org]:
    """The organisations the caller may name as the receiver: those of its subtree
    (brand staff: the brand's whole tree), without the brand's own root; none for a
    role that may not list organisations."""
    root = who.org.id if who.org is not None else (await ctx.brand_org(brand)).id
    try:
        found = await ctx.org_tree(who, root)
    except Forbidden:
        return []
    return [o for o in found if o.parent_id is not None]


def waypoints(text: str) -> tuple[str, ...]:
    """The "via" field: places separated by commas (also ，、;), at most
    :data:`MAX_VIA`."""
    places = tuple(p.strip() for p in _VIA_SPLIT.split(text) if p.strip())
    if len(places) > MAX_VIA:
        raise InvalidInput(f"via: at most {MAX_VIA} places / 途经地最多 {MAX_VIA} 个")
    return places


async def new_page(call: ConsoleCall, error: str = "", status: int = 200,
                   values: dict[str, str] | None = None) -> Page:  # fmt: skip
    """The form (``values``: what was typed, shown again after a refusal)."""
    who, brand, ctx, _ = await context(call)
    return Page(_T + "waybill_new.html", {
        "brand": brand, "error": error, "values": values or {},
        "receivers": await receivers(ctx, who, brand), "max_via": MAX_VIA,
    }, status)  # fmt: skip


def _date(text: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (the date input's value), or None for nothing."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 and text.isascii() else None
    except ValueError:
        return None


async def create(call: ConsoleCall) -> Page | web.StreamResponse:
    """Register the waybill and open its page; a refusal renders the form again with
    its status (4xx), message and code."""
    who, brand, _, lg = await context(call)
    form = await call.form()
    values = {k: str(form.get(k, ""))[:limit] for k, limit in _FIELDS.items()}
    try:
        got = {k: field(form, k, limit) for k, limit in _FIELDS.items()}
        promised = _date(got["promised"])
        if got["promised"] and promised is None:
            raise InvalidInput("promised: a date as YYYY-MM-DD / 承诺日期格式为 YYYY-MM-DD")
        to_org = got["to_org"]
        if to_org and not (to_org.isascii() and to_org.isdigit()):
            raise InvalidInput("to_org: an organisation's number / 收货单位无效")
        new = NewWaybill(carrier=got["carrier"], tracking_no=got["tracking_no"],
                         origin=got["origin"], destination=got["destination"] or None,
                         promised=promised, reference=got["reference"],
                         to_org=int(to_org) if to_org else None,
                         waypoints=waypoints(got["via"]))  # fmt: skip
        w = await lg.waybills.create(who, brand, new)
    except VerisealError as exc:
        return await new_page(call, message(call, exc), exc.http_status, values)
    return call.redirect(f"{BASE}/waybills/{w.id}", f"Waybill {w.tracking_no} registered.",
                         f"运单 {w.tracking_no} 已登记。")  # fmt: skip
