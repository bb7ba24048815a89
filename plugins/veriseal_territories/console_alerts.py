"""Console pages of diversion alerts and the shipment policy.

- ``/console/territories/diversion``: the brand's alerts with their full evidence, for
  readers holding ``alerts.read`` (brand admins, inspectors;
  :class:`.diversion.AlertWorkflow`); those holding ``territory.grant`` move them on
  (investigate, confirm with a penalty and optionally suspending or revoking the
  dealer's grants, dismiss);
- ``/console/territories/alerts``: a dealer's own, the alerts concerning its subtree,
  redacted and read-only (:class:`.network.NetworkView`); a reader who holds
  ``alerts.read`` too is sent on to the brand's pages.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from veriseal import Action, InvalidInput, VerisealError
from veriseal.extend import Column, Page, export_format, export_response, page_size
from veriseal_territories.console_common import (
    labels,
    message,
    query_choice,
    services,
    text,
)
from veriseal_territories.diversion import STATES, TRANSITIONS, DiversionAlert
from veriseal_territories.network import DealerAlert
from veriseal_territories.permissions import TERRITORY_GRANT
from veriseal_territories.shipment_policy import CHECKS

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

LEVELS = ("suspected", "strong")
EXPORT_PAGE = 1000
MAX_PENALTY = Decimal(10**12)
ALERT_COLUMNS = [
    ("id", "No.", "编号"),
    ("at", "Raised (UTC)", "产生时间（UTC）"),
    ("state", "State", "状态"),
    ("level", "Level", "级别"),
    ("source", "Source", "来源"),
    ("dealer", "Dealer", "经销商"),
    ("items", "Units", "件数"),
    ("place", "Seen in", "出现地区"),
]


def _brand_row(a: DiversionAlert, place: str) -> dict[str, Any]:
    holder = a.evidence.get("holder", {})
    dealer = f"{holder.get('code', '')} {holder.get('name', '')}".strip()
    return {"id": a.id, "at": a.at, "state": a.state, "level": a.level, "source": a.source,
            "dealer": dealer, "items": a.items, "place": place}  # fmt: skip


def _dealer_row(a: DealerAlert, place: str) -> dict[str, Any]:
    return {"id": a.id, "at": a.at, "state": a.state, "level": a.level, "source": a.source,
            "dealer": f"{a.dealer.code} {a.dealer.name}".strip(), "items": a.items,
            "place": place, "penalties": a.penalties}  # fmt: skip


BRAND_BASE = "/console/territories/diversion"
DEALER_BASE = "/console/territories/alerts"


def _filters(call: ConsoleCall, work_queue: bool) -> tuple[str | None, str | None]:
    """``state`` and ``level`` from the query. The brand's work queue opens on what is
    open; ``state=`` (empty) shows every state."""
    state = query_choice(call, "state", STATES) if "state" in call.query else None
    if work_queue and "state" not in call.query:
        state = "open"
    return state, query_choice(call, "level", LEVELS)


async def alerts_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """A dealer's alerts: those concerning its subtree, redacted, read-only. A reader
    who may read the brand's alerts is sent to the brand's list."""
    who, brand, t = await services(call)
    if t.ctx.allowed(who, Action.ALERTS_READ):
        return call.redirect(BRAND_BASE + _query(call))
    names = await labels(call, t, brand)
    state, level = _filters(call, work_queue=False)
    mine = await t.network.alerts(who, brand.id, org_id=call.query_int("org"), state=state,
                                  level=level, before_id=call.query_int("cursor"),
                                  limit=page_size(call))  # fmt: skip
    rows = [_dealer_row(a, names.region(_seen_place(a))) for a in mine.alerts]
    return _list_page(brand, rows, mine.next_cursor, False, state, level, "")


async def diversion_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """The brand's alerts with their evidence (``alerts.read``): a work queue, oldest
    first, filtered by state, level and dealer; CSV / Excel export."""
    who, brand, t = await services(call)
    names = await labels(call, t, brand)
    state, level = _filters(call, work_queue=True)
    dealer = call.query.get("dealer", "")[:60]
    org = (await t.dealers.find(brand.id, dealer)).org_id if dealer else call.query_int("org")
    filters: dict[str, Any] = {"state": state, "level": level, "org_id": org}
    if export_format(call) is not None:
        every: list[DiversionAlert] = []
        while True:
            page = await t.alerts.list(who, brand.id, **filters, limit=EXPORT_PAGE,
                                       after_id=every[-1].id if every else None)  # fmt: skip
            every += page
            if len(page) < EXPORT_PAGE:
                break
        rows = [_brand_row(a, names.region(_where(a.evidence))) for a in every]
        return await export_response(call, "diversion-alerts", _columns(), rows)
    limit = page_size(call)
    found = await t.alerts.list(who, brand.id, **filters, limit=limit,
                                after_id=call.query_int("cursor"))  # fmt: skip
    rows = [_brand_row(a, names.region(_where(a.evidence))) for a in found]
    next_cursor = found[-1].id if len(found) == limit else None
    return _list_page(brand, rows, next_cursor, True, state, level, dealer)


def _list_page(
    brand: Any,
    rows: list[dict[str, Any]],
    next_cursor: int | None,
    brand_view: bool,
    state: str | None,
    level: str | None,
    dealer: str,
) -> Page:
    return Page(
        "veriseal_territories/alerts.html",
        {"brand": brand, "rows": rows, "next_cursor": next_cursor, "brand_view": brand_view,
         "base": BRAND_BASE if brand_view else DEALER_BASE, "state": state or "",
         "level": level or "", "dealer": dealer, "states": STATES, "levels": LEVELS},
    )  # fmt: skip


def _query(call: ConsoleCall) -> str:
    qs = call.request.query_string
    return f"?{qs}" if qs else ""


def _columns() -> list[Any]:
    return [Column(k, en, zh) for k, en, zh in ALERT_COLUMNS]


def _where(evidence: dict[str, Any]) -> str | None:
    seen = evidence.get("seen", {})
    if not isinstance(seen, dict):
        return None
    homes = seen.get("home_regions") or [None]
    found = seen.get("province") or homes[0]
    return str(found) if found else None


def _seen_place(a: DealerAlert) -> str | None:
    for s in reversed(a.seen):
        if s.province or s.regions:
            return s.province or s.regions[0]
    return None


async def alert_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """One alert concerning the dealer, redacted and read-only (a reader who may read
    the brand's alerts is sent to the brand's page of it)."""
    who, brand, t = await services(call)
    alert_id = call.int_param("id")
    if t.ctx.allowed(who, Action.ALERTS_READ):
        return call.redirect(f"{BRAND_BASE}/{alert_id}")
    mine = await t.network.alert(who, brand.id, alert_id)
    return Page("veriseal_territories/alert_dealer.html",
                {"brand": brand, "a": mine, "labels": await labels(call, t, brand)})  # fmt: skip


async def diversion_alert(call: ConsoleCall, error: str = "", status: int = 200,
                          values: dict[str, str] | None = None) -> Page:  # fmt: skip
    """One of the brand's alerts with its evidence and, for ``territory.grant``, the
    workflow's forms."""
    who, brand, t = await services(call)
    alert_id = call.int_param("id")
    a = await t.alerts.get(who, brand.id, alert_id)
    decide = t.ctx.allowed(who, TERRITORY_GRANT)
    return Page(
        "veriseal_territories/alert.html",
        {"brand": brand, "a": a, "ev": a.evidence, "labels": await labels(call, t, brand),
         "decide": decide, "next": sorted(TRANSITIONS[a.state]) if decide else [],
         "error": error, "values": values or {}},
        status,
    )  # fmt: skip


async def transition(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    alert_id = call.int_param("id")
    names = ("to", "note", "penalty_amount", "penalty_currency", "penalty_reason", "action")
    values = {n: await text(call, n, 1000) for n in names}
    try:
        penalty = _penalty(values)
        action = values["action"] or None
        await t.alerts.transition(who, brand.id, alert_id, values["to"], values["note"],
                                  penalty, action)  # fmt: skip
    except VerisealError as exc:
        return await diversion_alert(call, message(call, exc), exc.http_status, values)
    en, zh = _DONE.get(values["to"], (values["to"], values["to"]))
    return call.redirect(f"{BRAND_BASE}/{alert_id}",
                         f"Alert {alert_id} {en}.", f"预警 {alert_id} {zh}。")  # fmt: skip


_DONE = {
    "investigating": ("under investigation", "调查中"),
    "confirmed": ("confirmed", "已确认"),
    "dismissed": ("dismissed", "已排除"),
}


def _penalty(values: dict[str, str]) -> dict[str, Any] | None:
    """The penalty fields: none without an amount; else a non-negative amount (a whole
    number stays one), a 3-letter currency (default CNY) and the reason."""
    raw = values["penalty_amount"].replace(",", "").strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"penalty amount {raw[:30]!r} is not a number") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_PENALTY:
        raise InvalidInput("penalty amount: a number from 0 to 10^12")
    number: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
    assert math.isfinite(number)
    return {"amount": number, "currency": values["penalty_currency"] or "CNY",
            "reason": values["penalty_reason"]}  # fmt: skip


# -- the shipment policy -----------------------------------------------------------------------
async def policy_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, t = await services(call)
    t.ctx.require(who, TERRITORY_GRANT, brand_id=brand.id)
    return Page(
        "veriseal_territories/policy.html",
        {"brand": brand, "policy": await t.checks.policy(brand.id),
         "history": list(reversed(await t.checks.history(brand.id))), "choices": CHECKS,
         "error": error},
        status,
    )  # fmt: skip


async def policy_set(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    check, warehouse = await text(call, "check", 20), await text(call, "warehouse_check", 20)
    try:
        await t.checks.set_policy(who, brand.id, check or None, warehouse or None)
    except VerisealError as exc:
        return await policy_page(call, message(call, exc), exc.http_status)
    return call.redirect("/console/territories/policy", "Policy saved.", "策略已保存。")
