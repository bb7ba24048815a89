"""Console pages of stock (phone first):

- ``/console/inventory/stock``: every product's level in the warehouses I may see
  (sellable, reserved, available, quarantine, rejected), filtered by warehouse/product;
- ``/console/inventory/warehouses``: the warehouses, and a form to add one
  (``stock.manage``); ``/console/inventory/warehouses/{id}``: its locations, stock per
  location and lot, and its latest movements;
- ``/console/inventory/movements``: movements newest first (who, when, why, document),
  keyset paging;
- ``/console/inventory/move``: receive, issue or transfer by quantity.

Views parse, call the services with the caller and render; every rule and scope check
is the services'."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_inventory.console_common import (
    BASE,
    context,
    field,
    form_lines,
    message,
    product_names,
)
from veriseal_inventory.permissions import STOCK_MANAGE
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
MOVES = ("receive", "issue", "transfer")


async def stock_page(call: ConsoleCall) -> Page:
    who, brand, ctx, inv = await context(call)
    gtin = field(call.query, "product", 14) or None
    ref = field(call.query, "warehouse", 32)
    warehouses = await inv.warehouses.in_scope(who, brand)
    chosen = next((w for w in warehouses if ref in (w.code, str(w.id))), None) if ref else None
    # each level with its safety stock and alert state (the alerts area's overview)
    rows = await inv.alerts.overview(who, brand, gtin=gtin, warehouse=chosen)
    return Page(_T + "stock.html", {
        "brand": brand, "levels": [r.level for r in rows],
        "states": {(r.level.warehouse_id, r.level.gtin): r for r in rows},
        "warehouses": {w.id: w for w in warehouses},
        "names": await product_names(ctx, brand), "product": gtin or "",
        "warehouse": chosen.code if chosen else "",
    })  # fmt: skip


async def warehouses_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx, inv = await context(call)
    found = await inv.warehouses.in_scope(who, brand)
    return Page(_T + "warehouses.html", {
        "brand": brand, "warehouses": found, "error": error,
        "can_manage": ctx.allowed(who, STOCK_MANAGE),
    }, status)  # fmt: skip


async def warehouse_add(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    try:
        made = await inv.warehouses.create(
            who, brand, field(form, "code", 32), field(form, "name", 200),
            address=field(form, "address", 500),
        )  # fmt: skip
    except VerisealError as exc:
        return await warehouses_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/warehouses/{made.id}", "Warehouse created", "仓库已创建")


async def warehouse_page(call: ConsoleCall) -> Page:
    who, brand, ctx, inv = await context(call)
    w = await inv.warehouses.find(brand, call.int_param("id"))
    balances = await inv.stock.balances(who, w)
    locations = {loc.id: loc for loc in await inv.warehouses.locations(w.id)}
    recent = await inv.stock.movements(who, brand, MovementQuery([w.id], limit=20))
    return Page(_T + "warehouse.html", {
        "brand": brand, "w": w, "balances": balances, "locations": locations,
        "movements": recent, "names": await product_names(ctx, brand),
    })  # fmt: skip


async def movements_page(call: ConsoleCall) -> Page:
    who, brand, ctx, inv = await context(call)
    gtin = field(call.query, "product", 14) or None
    document = field(call.query, "document", 64) or None
    ref = field(call.query, "warehouse", 32)
    warehouses = {w.id: w for w in await inv.warehouses.in_scope(who, brand)}
    ids = [i for i, w in warehouses.items() if ref in (w.code, str(i))] if ref else None
    q = MovementQuery(ids, gtin, document, call.query_int("before"), 50)
    found = await inv.stock.movements(who, brand, q)
    return Page(_T + "movements.html", {
        "brand": brand, "movements": found, "warehouses": warehouses,
        "names": await product_names(ctx, brand),
        "values": {"product": gtin or "", "document": document or "", "warehouse": ref},
        "more": found[-1].id if len(found) == 50 else None,
    })  # fmt: skip


async def move_page(call: ConsoleCall, error: str = "", done: list[int] | None = None,
                    values: dict[str, str] | None = None, status: int = 200) -> Page:  # fmt: skip
    who, brand, ctx, inv = await context(call)
    fields = dict.fromkeys(("kind", "warehouse", "to", "location", "document", "reason"), "")
    fields["kind"] = call.query.get("kind", "receive")[:16]
    fields.update(values or {})
    return Page(_T + "move.html", {
        "brand": brand, "warehouses": await inv.warehouses.in_scope(who, brand),
        "products": await ctx.products(brand), "error": error, "done": done or [],
        "values": fields, "moves": MOVES,
        "client_id": secrets.token_hex(12),  # a resubmitted form replays, not repeats
    }, status)  # fmt: skip


async def move(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values = {k: field(form, k, 64) for k in ("kind", "warehouse", "to", "document",
                                               "location", "client_id")}  # fmt: skip
    values["reason"] = field(form, "reason", 500)
    try:
        if values["kind"] not in MOVES:
            raise InvalidInput("choose receive, issue or transfer")
        w = await inv.warehouses.find(brand, values["warehouse"])
        req = MoveRequest(values["document"], values["reason"], None,
                          values["client_id"] or None, values["location"] or None)  # fmt: skip
        lines = form_lines(form)
        if values["kind"] == "receive":
            ids = await inv.stock.receive(who, w, lines, req)
        elif values["kind"] == "issue":
            ids = await inv.stock.issue(who, w, lines, req)
        else:
            target = await inv.warehouses.find(brand, values["to"])
            ids = await inv.stock.transfer(who, w, target, lines, req)
    except VerisealError as exc:
        return await move_page(call, message(call, exc), values=values, status=exc.http_status)
    return await move_page(call, done=ids, values={"kind": values["kind"],
                                                   "warehouse": values["warehouse"]})  # fmt: skip
