"""Console pages of the goods: what I hold, my shipments in and out, and the scanner
forms that ship goods to a dealer and receive them.

The ship and receive forms are ``<form data-scanner="multi">`` with a ``codes``
textarea and a ``code`` input (a printed link, a case or pallet SSCC, a unit code):
typed or pasted by hand, or filled by the console's scanner script. Each rendering
carries a fresh ``client_id``, so a form sent twice is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from veriseal import Action, Principal, Role, VerisealError
from veriseal.extend import Column, Page, export_format, export_response, page_size
from veriseal_territories.console_common import (
    client_id,
    entries,
    labels,
    message,
    query_choice,
    reason,
    services,
    text,
)
from veriseal_territories.service import Territories
from veriseal_territories.shipment_policy import Destination
from veriseal_territories.shipments import MoveOptions

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall
    from veriseal_territories.network import Holdings, Movements

EXPORT_PAGE = 200  # rows read per query by an export


def _scope(call: ConsoleCall) -> tuple[int | None, str | None]:
    """``?org=`` (one organisation of mine) and ``?scope=mine|subtree``."""
    org = call.query_int("org")
    scope = query_choice(call, "scope", ("mine", "subtree"))
    return org, scope


# -- goods held ------------------------------------------------------------------------------
HOLDING_COLUMNS = [
    ("product", "Product", "产品"),
    ("gtin", "GTIN", "GTIN"),
    ("lot", "Lot", "批号"),
    ("holder", "Holder", "持有方"),
    ("state", "State", "状态"),
    ("units", "Units", "件数"),
    ("cases", "Cases held whole", "整箱数"),
]


async def holdings(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    org, scope = _scope(call)
    subtree = scope != "mine"
    if export_format(call) is not None:
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            page: Holdings = await t.network.holdings(
                who, brand.id, org_id=org, subtree=subtree, after_batch=after, limit=EXPORT_PAGE
            )
            for x in page.lots:
                rows.append({"product": x.product, "gtin": x.gtin, "lot": x.lot,
                             "holder": x.holder.code or x.holder.name, "units": x.units,
                             "state": _state(call, x.state), "cases": x.cases})  # fmt: skip
            if page.next_cursor is None:
                break
            after = page.next_cursor
        return await export_response(call, "holdings", _columns(HOLDING_COLUMNS), rows)
    found = await t.network.holdings(
        who, brand.id, org_id=org, subtree=subtree, after_batch=call.query_int("cursor"),
        limit=page_size(call),
    )  # fmt: skip
    tree = await t.dealers.tree(who, brand.id, limit=500)
    return Page(
        "veriseal_territories/holdings.html",
        {"brand": brand, "found": found, "org": org, "scope": scope or "subtree",
         "orgs": [(d, o, x) for d, o, x in tree if x is not None]},
    )  # fmt: skip


def _columns(spec: list[tuple[str, str, str]]) -> list[Any]:
    return [Column(k, en, zh) for k, en, zh in spec]


_STATES = {
    "received": ("received", "已收货"),
    "in_transit": ("in transit", "在途"),
    "partly_received": ("partly received", "部分收货"),
    "taken": ("taken by another dealer", "被其他经销商收走"),
    "returned": ("returned to the brand", "已退回品牌方"),
}


def _state(call: ConsoleCall, state: str) -> str:
    found = _STATES.get(state)
    return call.t(*found) if found else state


# -- movements ---------------------------------------------------------------------------------
MOVEMENT_COLUMNS = [
    ("id", "No.", "编号"),
    ("at", "Time (UTC)", "时间（UTC）"),
    ("direction", "Direction", "方向"),
    ("sender", "From", "发货方"),
    ("receiver", "To", "收货方"),
    ("items", "Units", "件数"),
    ("status", "Status", "状态"),
    ("pending", "Not received yet", "未收货"),
    ("cases", "Cases / pallets", "箱码/托盘码"),
    ("note", "Note", "备注"),
]


async def shipments(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    org, scope = _scope(call)
    direction = query_choice(call, "direction", ("in", "out"))
    subtree = scope == "subtree"
    if export_format(call) is not None:
        rows: list[dict[str, Any]] = []
        before = None
        while True:
            page: Movements = await t.network.movements(
                who, brand.id, org_id=org, subtree=subtree, direction=direction,
                before_id=before, limit=EXPORT_PAGE,
            )  # fmt: skip
            for m in page.movements:
                rows.append({
                    "id": m.id, "at": m.at, "direction": m.direction, "items": m.items,
                    "sender": _party(call, m.sender), "receiver": _party(call, m.receiver),
                    "status": _state(call, m.status), "pending": m.pending,
                    "cases": " ".join(m.cases), "note": m.note,
                })  # fmt: skip
            if page.next_cursor is None:
                break
            before = page.next_cursor
        return await export_response(call, "shipments", _columns(MOVEMENT_COLUMNS), rows)
    found = await t.network.movements(
        who, brand.id, org_id=org, subtree=subtree, direction=direction,
        before_id=call.query_int("cursor"), limit=page_size(call),
    )  # fmt: skip
    tree = await t.dealers.tree(who, brand.id, limit=500)
    return Page(
        "veriseal_territories/shipments.html",
        {"brand": brand, "found": found, "org": org, "scope": scope or "mine",
         "direction": direction or "", "states": _STATES,
         "orgs": [(d, o, x) for d, o, x in tree if x is not None]},
    )  # fmt: skip


def _party(call: ConsoleCall, p: Any) -> str:
    if p is None:
        return ""
    if p.warehouse:
        return call.t("Brand warehouse", "品牌仓库")
    return f"{p.code} {p.name}".strip()


# -- shipping ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Lists:
    """Which dealer pickers a scanner form offers its reader: the dealers it may see
    (``dealers``), every dealer of the brand for one acting for the brand (``brand``),
    or a typed dealer code for one who acts for the brand but may not list dealers
    (``typed``: a factory operator at the warehouse dock)."""

    dealers: bool
    brand: bool
    typed: bool


def _lists(t: Territories, who: Principal) -> _Lists:
    sees = t.ctx.allowed(who, Action.ORGS_VIEW)
    for_brand = who.role not in (Role.DISTRIBUTOR, Role.RETAILER)
    return _Lists(sees, sees and for_brand, for_brand and not sees)


SHIP_FIELDS = ("codes", "code", "to", "to_other", "from", "destination", "note")


async def ship_form(call: ConsoleCall, error: str = "", status: int = 200,
                    values: dict[str, str] | None = None, refusal: dict[str, Any] | None = None,
                    result: dict[str, Any] | None = None) -> Page:  # fmt: skip
    who, brand, t = await services(call)
    lists = _lists(t, who)
    counterparts = await t.network.counterparts(who, brand.id) if lists.dealers else []
    every = list((await t.dealers.all(brand.id)).values()) if lists.brand else []
    return Page(
        "veriseal_territories/ship.html",
        {
            "brand": brand,
            "counterparts": counterparts,
            "senders": every,
            "typed_sender": lists.typed,
            "values": values or {},
            "client_id": client_id(),
            "error": error,
            "refusal": refusal,
            "result": result,
            "labels": await labels(call, t, brand),
        },
        status,
    )


async def ship(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    values = {n: await text(call, n, 200_000 if n == "codes" else 500) for n in SHIP_FIELDS}
    try:
        items = await entries(call)
        to = values["to_other"] or values["to"]
        where = Destination.parse(values["destination"]) if values["destination"] else None
        options = MoveOptions(client_id=await text(call, "client_id", 100) or None,
                              note=values["note"])  # fmt: skip
        r = await t.ship(who, brand, to, items, from_ref=values["from"] or None,
                         options=options, destination=where)  # fmt: skip
    except VerisealError as exc:
        refusal = None
        if exc.code == "shipment_not_authorized":
            d = exc.details
            refusal = {"reason": reason(call, str(d.get("reason", ""))),
                       "product": d.get("product"), "dealer": d.get("dealer"),
                       "refused_by": d.get("refused_by"),
                       "places": [p for p in d.get("places", []) if p]}  # fmt: skip
        return await ship_form(call, message(call, exc), exc.http_status, values, refusal)
    receiver = await t.dealers.get(brand.id, r.to_org)
    check = r.check or {}
    result = {
        "items": r.items,
        "receiver": receiver,
        "replayed": r.replayed,
        "alerts": r.diversion_alerts,
        "flagged": bool(check.get("refused_products")),
        "refused": [reason(call, a["reason"]) for a in check.get("answers", [])
                    if not a.get("allowed")],
    }  # fmt: skip
    return await ship_form(call, result=result)


# -- receiving ---------------------------------------------------------------------------------
async def receive_form(call: ConsoleCall, error: str = "", status: int = 200,
                       values: dict[str, str] | None = None,
                       result: dict[str, Any] | None = None) -> Page:  # fmt: skip
    who, brand, t = await services(call)
    lists = _lists(t, who)
    return Page(
        "veriseal_territories/receive.html",
        {
            "brand": brand,
            "receivers": list((await t.dealers.all(brand.id)).values()) if lists.brand else [],
            "typed_receiver": lists.typed,
            "values": values or {},
            "client_id": client_id(),
            "error": error,
            "result": result,
        },
        status,
    )


async def receive(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, t = await services(call)
    values = {n: await text(call, n, 200_000 if n == "codes" else 500)
              for n in ("codes", "code", "at", "note")}  # fmt: skip
    try:
        items = await entries(call)
        options = MoveOptions(client_id=await text(call, "client_id", 100) or None,
                              note=values["note"])  # fmt: skip
        r = await t.receive(who, brand, items, at_ref=values["at"] or None, options=options)
    except VerisealError as exc:
        return await receive_form(call, message(call, exc), exc.http_status, values)
    taken = []
    for x in r.taken:
        d = await t.dealers.get(brand.id, x.from_org)
        taken.append({"dealer": d, "items": x.items})
    result = {"items": r.items, "received": r.received, "already": r.already, "taken": taken,
              "alerts": r.diversion_alerts, "replayed": r.replayed}  # fmt: skip
    return await receive_form(call, result=result)
