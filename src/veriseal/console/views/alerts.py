"""``/console/alerts``: the brand's core alerts (clone, travel, regions, local copies,
stolen rolls; the platform's invalid-code floods for the platform admin), newest first,
filtered by kind and state; ``/console/alerts/{id}``: one alert's figures, evidence
scans and timeline, with the workflow's next steps as forms for those who hold
``alerts.manage`` (a note is required to confirm or dismiss)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from veriseal.accounts.models import Role
from veriseal.accounts.permissions import Action, allowed
from veriseal.brandops.alerts import NOTE_REQUIRED, STATES, AlertCase
from veriseal.console.call import ConsoleCall
from veriseal.console.listing import page_cursor, page_size
from veriseal.console.views.brandpick import brand_params, link, pick_brand, reader
from veriseal.console.views.scans import row as scan_row
from veriseal.errors import InvalidInput, VerisealError
from veriseal.extend.console import ConsolePage, ConsoleView, Page
from veriseal.models import AlertKind

KINDS = {
    "clone_count": ("Verified too often", "验证次数过多"),
    "impossible_travel": ("Impossible travel", "异地瞬移"),
    "clone_regions": ("Seen in too many provinces", "跨省份过多"),
    "invalid_flood": ("Flood of invalid codes", "大量无效码"),
    "local_copies": ("Too many devices", "设备过多"),
    "unactivated_scan": ("Unactivated labels scanned", "未激活标签被扫"),
}
STATE_NAMES = {
    "open": ("Open", "待处理"),
    "investigating": ("Investigating", "调查中"),
    "confirmed": ("Confirmed", "已确认"),
    "dismissed": ("Dismissed", "已驳回"),
}
STATE_TONES = {"open": "bad", "investigating": "warn", "confirmed": "bad", "dismissed": "ok"}
#: The button of each step.
STEPS = {
    "investigating": ("Investigate", "开始调查"),
    "confirmed": ("Confirm", "确认属实"),
    "dismissed": ("Dismiss", "驳回"),
}


def _names(call: ConsoleCall) -> dict[str, Any]:
    return {
        "kind_name": lambda k: call.t(*KINDS.get(str(k), (str(k), str(k)))),
        "state_name": lambda s: call.t(*STATE_NAMES.get(s, (s, s))),
        "state_tone": lambda s: STATE_TONES.get(s, "warn"),
    }


async def alerts(call: ConsoleCall) -> Page:
    desk, who = call.engine.ops.alerts, reader(call)
    platform = call.query.get("platform") == "1" and who.role is Role.PLATFORM_ADMIN
    brand = None
    if not platform:
        extra = [
            (
                "/console/alerts?platform=1",
                call.t("Alerts of no brand (invalid-code floods)", "无品牌预警（大量无效码）"),
            )
        ]
        picked = await pick_brand(call, desk.brand, extra)
        if isinstance(picked, Page):
            return picked
        brand = picked
    kind_text, state = call.query.get("kind") or None, call.query.get("state") or None
    if kind_text is not None and kind_text not in set(AlertKind):
        raise InvalidInput(f"kind {kind_text!r}: one of {', '.join(AlertKind)}")
    limit = page_size(call)
    found = await desk.page(
        who, brand, kind=None if kind_text is None else AlertKind(kind_text), state=state,
        beyond=page_cursor(call), limit=limit,
    )  # fmt: skip
    params = {"platform": "1"} if platform else brand_params(call, brand) if brand else {}
    return Page("alerts.html", {
        "brand": brand,
        "alerts": found,
        "next_cursor": found[-1].alert.id if len(found) == limit else None,
        "q": {"kind": kind_text or "", "state": state or ""},
        "kinds": [(k.value, call.t(*KINDS.get(k.value, (k.value, k.value)))) for k in AlertKind],
        "states": [(s, call.t(*STATE_NAMES[s])) for s in STATES],
        "params": params,
        "detail": lambda alert_id: link(f"/console/alerts/{alert_id}", params),
        **_names(call),
    })  # fmt: skip


async def alert_page(call: ConsoleCall, error: str = "", typed: str = "", status: int = 200,
                     case: AlertCase | None = None) -> Page:  # fmt: skip
    who = reader(call)
    case = case or await call.engine.ops.alerts.get(who, call.int_param("id"))
    may_move = allowed(who, Action.ALERTS_MANAGE)
    if who.brand_id is not None:
        back = "/console/alerts"
    elif case.brand is None:
        back = "/console/alerts?platform=1"
    else:
        back = link("/console/alerts", {"brand": case.brand.slug})
    return Page("alert.html", {
        "case": case,
        "a": case.row.alert.alert,
        "details": case.details,
        "evidence": [scan_row(call, s) for s in case.evidence],
        "evidence_total": len(case.row.alert.alert.evidence),
        "steps": [(s, call.t(*STEPS[s]), s in NOTE_REQUIRED)
                  for s in case.next_states] if may_move else [],
        "error": error,
        "typed": typed,
        "back": back,
        **_names(call),
    }, status)  # fmt: skip


async def transition(call: ConsoleCall) -> Page | web.StreamResponse:
    form = await call.form()
    to, note = str(form.get("to", "")), str(form.get("note", ""))[:2000]
    alert_id = call.int_param("id")
    try:
        case = await call.engine.ops.alerts.transition(reader(call), alert_id, to, note)
    except VerisealError as exc:
        if exc.http_status in (403, 404):
            raise
        return await alert_page(call, exc.message, note, exc.http_status)
    name = STATE_NAMES.get(case.state, (case.state, case.state))
    return call.redirect(f"/console/alerts/{alert_id}", f"Alert {alert_id}: {name[0]}.",
                         f"预警 {alert_id}：{name[1]}。")  # fmt: skip


A = Action
VIEWS = [
    ConsoleView("GET", "/console/alerts", alerts, A.ALERTS_READ),
    ConsoleView("GET", r"/console/alerts/{id:\d+}", alert_page, A.ALERTS_READ),
    ConsoleView("POST", r"/console/alerts/{id:\d+}/transition", transition, A.ALERTS_MANAGE),
]
PAGES = [ConsolePage("/console/alerts", "Scan alerts", "扫码预警", A.ALERTS_READ, "alerts", 10)]
