"""Console pages of code-tracked stock (phone first):

- ``/console/inventory/scan``: receive or issue goods by scanning item, case and pallet
  codes with the phone's camera (the console's scan widget, ``scan.js``; typing or
  pasting works without it);
- ``/console/inventory/where``: scan one code, see which warehouse and location hold it;
- ``/console/inventory/code-alerts``: duplicate codes and untracked outbound units with
  their evidence, and closing one with what was found (``stock.manage``).

Views parse, call :class:`veriseal_inventory.units.CodeStock` with the caller and render;
every rule and scope check is the service's."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from veriseal import Brand, InvalidInput, Principal, VerisealError
from veriseal.extend import Page
from veriseal_inventory.console_common import BASE, context, field, message
from veriseal_inventory.permissions import STOCK_MANAGE
from veriseal_inventory.units import MAX_ENTRIES
from veriseal_inventory.units_store import AlertQuery

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
DIRECTIONS = ("receive", "issue")
_STATUSES = ("open", "closed")
_KINDS = ("duplicate_code", "untracked_outbound")


def entries(form: Any) -> list[str]:
    """The scanned entries of a form: the ``codes`` textarea (one per line), then the
    typed ``code``."""
    found: list[str] = []
    for name in ("codes", "code"):
        value = form.get(name, "")
        if isinstance(value, str):
            found += [line.strip() for line in value.splitlines() if line.strip()]
    if len(found) > MAX_ENTRIES or any("\x00" in e or len(e) > 2000 for e in found):
        raise InvalidInput(f"at most {MAX_ENTRIES} codes of at most 2000 characters")
    return found


async def scan_page(call: ConsoleCall, error: str = "", done: dict[str, Any] | None = None,
                    values: dict[str, str] | None = None, status: int = 200) -> Page:  # fmt: skip
    who, brand, _, inv = await context(call)
    chosen = call.query.get("direction", "receive")
    warehouses = await inv.warehouses.in_scope(who, brand)
    return Page(_T + "scan.html", {
        "brand": brand, "warehouses": warehouses,
        # no warehouse yet: the organisation's default one is made by the first receipt
        "own_default": not warehouses and _own_org(who, brand) is not None,
        "error": error, "done": done, "directions": DIRECTIONS,
        "values": values or {"direction": chosen if chosen in DIRECTIONS else "receive"},
        "client_id": "console-" + secrets.token_urlsafe(12),  # a resent form replays
    }, status)  # fmt: skip


async def scan(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values = {k: field(form, k, 64) for k in ("direction", "warehouse", "location",
                                               "document", "client_id")}  # fmt: skip
    values["codes"] = field(form, "codes", 2_000_000)
    try:
        if values["direction"] not in DIRECTIONS:
            raise InvalidInput("choose receive or issue")
        org_id = _own_org(who, brand)
        if not values["warehouse"] and org_id is not None:
            w = await inv.warehouses.of_org(brand.id, org_id)  # made on first use
        else:
            w = await inv.warehouses.find(brand, values["warehouse"])
        texts = entries(form)
        if values["direction"] == "receive":
            done = await inv.units.receive_codes(who, w, texts,
                                                 location=values["location"] or None,
                                                 document=values["document"],
                                                 client_id=values["client_id"] or None)  # fmt: skip
        else:
            done = await inv.units.issue_codes(who, w, texts, document=values["document"],
                                               client_id=values["client_id"] or None)  # fmt: skip
    except VerisealError as exc:
        held = exc.details.get("held") if exc.code == "stock_duplicate_code" else None
        text = message(call, exc) + (
            "" if not held else " — " + "; ".join(f"{k}: {v}" for k, v in held.items())
        )
        return await scan_page(call, text, values=values, status=exc.http_status)
    kept = {"direction": values["direction"], "warehouse": values["warehouse"],
            "location": values["location"]}  # fmt: skip
    return await scan_page(call, done=done.to_dict(), values=kept)


def _own_org(who: Principal, brand: Brand) -> int | None:
    """The caller's organisation when it is one of the brand's (it may hold stock)."""
    return who.org.id if who.org is not None and who.org.brand_id == brand.id else None


async def where_page(call: ConsoleCall) -> Page:
    who, brand, _, inv = await context(call)
    code = field(call.query, "code", 2000)
    found, error, status = None, "", 200
    if code:
        try:
            found = (await inv.units.where(who, brand, code)).to_dict()
        except VerisealError as exc:
            error, status = message(call, exc), exc.http_status
    return Page(_T + "where.html", {"brand": brand, "code": code, "found": found,
                                    "error": error}, status)  # fmt: skip


async def alerts_page(call: ConsoleCall, error: str = "") -> Page:
    who, brand, ctx, inv = await context(call)
    status = call.query.get("status", "open")
    kind = call.query.get("kind") or None
    if status not in (*_STATUSES, "all") or (kind is not None and kind not in _KINDS):
        raise InvalidInput("status: open, closed or all; kind: duplicate_code or"
                           " untracked_outbound")  # fmt: skip
    q = AlertQuery(None, None if status == "all" else status, kind, call.query_int("before"), 50)
    found = await inv.units.alerts(who, brand, q)
    warehouses = {w.id: w for w in await inv.warehouses.in_scope(who, brand)}
    return Page(_T + "code_alerts.html", {
        "brand": brand, "alerts": found, "warehouses": warehouses, "status": status,
        "kind": kind or "", "error": error, "can_close": ctx.allowed(who, STOCK_MANAGE),
        "more": found[-1].id if len(found) == 50 else None,
    }, 409 if error else 200)  # fmt: skip


async def close_alert(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    try:
        await inv.units.close_alert(who, brand, call.int_param("id"), field(form, "note", 500))
    except VerisealError as exc:
        return await alerts_page(call, message(call, exc))
    return call.redirect(f"{BASE}/code-alerts", "Alert closed", "已关闭")
