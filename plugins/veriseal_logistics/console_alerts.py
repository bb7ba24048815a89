"""``/console/logistics/alerts``: logistics alerts (phone first), open ones by default:
each with its kind, its waybill (carrier, tracking number, reference, linked), the gist
of its evidence and the whole evidence, and for ``logistics.manage`` a form closing it
with a note (``POST /console/logistics/alerts/{id}/close``; a ``waybill=<id>`` field
returns to that waybill's page). Filters: status (open / closed) and kind; paged by cursor.

The service scopes the alerts (a dealer: its subtree's waybills) and decides who may
close one; a refusal (closed already, not the reader's) is shown with its code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page, page_size
from veriseal_logistics.console_common import BASE, context, field, labels, message
from veriseal_logistics.console_format import evidence_summary, kind_label
from veriseal_logistics.models import AlertKind, Waybill
from veriseal_logistics.permissions import LOGISTICS_MANAGE

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_logistics/"
STATES = ("open", "closed")
NOTE_MAX = 500


async def alerts_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx, lg = await context(call)
    state = call.query.get("status", "open") or "open"
    kind = call.query.get("kind", "")
    if state not in STATES or (kind and kind not in AlertKind.ALL):
        raise InvalidInput("status: open or closed; kind: one of the alert kinds")
    limit = page_size(call)
    found = await lg.alerts.listing(who, brand, status=state, kind=kind or None, limit=limit,
                                    after=call.query_int("cursor"))  # fmt: skip
    waybills: dict[int, Waybill] = {}
    for a in found:  # a page of alerts names a few waybills: each read once
        if a.waybill_id not in waybills:
            waybills[a.waybill_id] = await lg.waybills.get(who, a.waybill_id)
    rows: list[dict[str, Any]] = [
        {"a": a, "w": waybills[a.waybill_id], "kind": kind_label(a.kind, call.lang),
         "summary": evidence_summary(a.evidence, call.lang)}
        for a in found
    ]  # fmt: skip
    return Page(_T + "alerts.html", {
        "brand": brand, "rows": rows, "status": state, "kind": kind, "kinds_all": AlertKind.ALL,
        "next_cursor": found[-1].id if len(found) == limit else None,
        "can_close": ctx.allowed(who, LOGISTICS_MANAGE), "error": error, **labels(),
    }, status)  # fmt: skip


async def close_alert(call: ConsoleCall) -> Page | web.StreamResponse:
    """Close the alert with the posted note; back to the list (or the waybill)."""
    who, _, _, lg = await context(call)
    alert_id = call.int_param("id")
    form = await call.form()
    back = str(form.get("waybill", ""))
    try:
        note = field(form, "note", NOTE_MAX)
        await lg.alerts.close(who, alert_id, note)
    except VerisealError as exc:
        return await alerts_page(call, message(call, exc), exc.http_status)
    ok = back.isascii() and back.isdigit() and len(back) < 19
    to = f"{BASE}/waybills/{int(back)}" if ok else f"{BASE}/alerts"
    return call.redirect(to, f"Alert {alert_id} closed.", f"预警 {alert_id} 已关闭。")
