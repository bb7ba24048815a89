"""Console pages of the dealer network: the organisation tree (with adding, adopting
and suspending dealers for those who manage it) and the territories (with granting,
suspending, revoking and reinstating for brand admins).

A dealer sees its own subtree, a brand admin the whole brand: the services decide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from veriseal import Action, InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_territories.console_common import (
    form_values,
    labels,
    local_day,
    message,
    services,
    text,
)
from veriseal_territories.dealers import STATUSES
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.permissions import TERRITORY_GRANT

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

ORG_PAGE = 100
DEALER_FIELDS = ("code", "name", "kind", "parent", "contact", "phone", "regions")
GRANT_FIELDS = ("dealer", "product", "region", "valid_from", "valid_until", "note")


# -- the organisation tree -------------------------------------------------------------
async def org_page(call: ConsoleCall, error: str = "", status: int = 200,
                   values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, t = await services(call)
    after = call.query_int("cursor")
    rows = await t.dealers.tree(who, brand.id, after_org=after, limit=ORG_PAGE)
    nodes = [{"depth": d, "org": o, "dealer": x} for d, o, x in rows]
    ctx = t.ctx
    return Page(
        "veriseal_territories/org.html",
        {
            "brand": brand,
            "nodes": nodes,
            "next_cursor": rows[-1][1].id if len(rows) == ORG_PAGE else None,
            "manage": ctx.allowed(who, Action.ORGS_MANAGE),
            "statuses": STATUSES,
            "parents": [n["dealer"] for n in nodes if n["dealer"] is not None],
            "labels": await labels(call, t, brand),
            "error": error,
            "values": values or {},
        },
        status,
    )


async def org_add(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    form = await call.form()
    fields = {n: await text(call, n, 200) for n in DEALER_FIELDS}
    try:
        d = await t.dealers.add(who, brand.id, fields)
    except VerisealError as exc:
        return await org_page(call, message(call, exc), exc.http_status,
                              form_values(form, DEALER_FIELDS))  # fmt: skip
    return call.redirect("/console/territories/org", f"Dealer {d.code} added.",
                         f"已添加经销商 {d.code}。")  # fmt: skip


async def org_adopt(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    org_raw = await text(call, "org", 20)
    fields = {n: await text(call, n, 200) for n in ("code", "name", "contact", "phone",
                                                      "regions")}  # fmt: skip
    try:
        if not org_raw.isdigit():
            raise InvalidInput("org: an organisation id")
        d = await t.dealers.adopt(who, brand.id, int(org_raw), fields)
    except VerisealError as exc:
        return await org_page(call, message(call, exc), exc.http_status)
    return call.redirect("/console/territories/org", f"{d.name} is dealer {d.code} now.",
                         f"{d.name} 已登记为经销商 {d.code}。")  # fmt: skip


async def org_status(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    code, status = await text(call, "dealer", 60), await text(call, "status", 20)
    try:
        d = await t.dealers.set_status(who, brand.id, code, status)
    except VerisealError as exc:
        return await org_page(call, message(call, exc), exc.http_status)
    return call.redirect("/console/territories/org", f"Dealer {d.code}: {d.status}.",
                         f"经销商 {d.code}：{_STATUS_ZH.get(d.status, d.status)}。")  # fmt: skip


_DONE = {"revoke": ("revoked", "已撤销"), "suspend": ("suspended", "已暂停"),
         "reinstate": ("reinstated", "已恢复")}  # fmt: skip
_STATUS_ZH = {"active": "正常", "suspended": "暂停", "terminated": "终止"}


# -- territories ---------------------------------------------------------------------------
async def grants_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, t = await services(call)
    org = call.query_int("org")
    every = call.query.get("all") == "1"
    found = await t.network.territories(who, brand.id, org_id=org, include_inactive=every)
    return Page(
        "veriseal_territories/grants.html",
        {
            "brand": brand,
            "territories": found,
            "all": every,
            "org": org,
            "manage": t.ctx.allowed(who, TERRITORY_GRANT),
            "labels": await labels(call, t, brand),
            "error": error,
        },
        status,
    )


async def grant_change(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    grant_id = call.int_param("id")
    action, note = await text(call, "action", 20), await text(call, "note")
    try:
        if action not in _DONE:
            raise InvalidInput("action: suspend, revoke or reinstate")
        await t.grants.change(who, brand.id, grant_id, action, note)
    except VerisealError as exc:
        return await grants_page(call, message(call, exc), exc.http_status)
    done = _DONE[action]
    return call.redirect("/console/territories/grants", f"Authorization {grant_id} {done[0]}.",
                         f"授权 {grant_id} {done[1]}。")  # fmt: skip


async def grant_form(call: ConsoleCall, error: str = "", status: int = 200,
                     values: dict[str, str] | None = None) -> Page:  # fmt: skip
    """The grant form with its region picker: ``q`` searches regions by code (ISO
    3166, GB/T 2260) or name, each match links back with ``region`` filled in."""
    who, brand, t = await services(call)
    shown = dict(values or {})
    for name in GRANT_FIELDS:
        if name not in shown:
            shown[name] = call.query.get(name, "")[:200]
    q = call.query.get("q", "")[:100]
    picked = None
    if shown["region"]:
        try:
            picked = default_hierarchy().get(shown["region"])
        except VerisealError:
            picked = None
    rows = await t.dealers.tree(who, brand.id)
    products = await t.ctx.products(brand)
    return Page(
        "veriseal_territories/grant_new.html",
        {
            "brand": brand,
            "dealers": [x for _, _, x in rows if x is not None],
            "products": products,
            "categories": sorted({p.category_path for p in products if p.category_path}),
            "q": q,
            "matches": default_hierarchy().search(q, 30) if q.strip() else [],
            "picked": picked,
            "values": shown,
            "labels": await labels(call, t, brand),
            "error": error,
        },
        status,
    )


async def grant_add(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    form = await call.form()
    values = form_values(form, GRANT_FIELDS)
    try:
        fields = {n: await text(call, n) for n in GRANT_FIELDS}
        g = await t.grants.grant(
            who, brand.id, fields["dealer"], fields["product"] or "*", fields["region"],
            local_day(call, fields["valid_from"]), local_day(call, fields["valid_until"], end=True),
            fields["note"],
        )  # fmt: skip
    except VerisealError as exc:
        return await grant_form(call, message(call, exc), exc.http_status, values)
    return call.redirect("/console/territories/grants", f"Authorization {g.id} granted.",
                         f"已授权（编号 {g.id}）。")  # fmt: skip
