"""Console pages of stocktakes (phone first):

- ``/console/inventory/stocktakes``: the counts I may see, and a form to open one;
- ``/console/inventory/stocktakes/{id}``: the count page: quantities by line, the scan
  widget (camera with scan.js, else typed or pasted codes), and the proposal;
- ``/console/inventory/stocktakes/{id}/report``: the variance report (each difference
  with its value) with approve / reject for a second person.

A blind count's pages leave out every expected quantity for counters (the service
decides: :attr:`StocktakeView.expected_visible`). Views parse, call the service with the
caller and render; every rule and scope check is the service's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_inventory.console_common import BASE, context, field, message, product_names
from veriseal_inventory.count_states import CountAction, CountStatus
from veriseal_inventory.permissions import STOCK_APPROVE
from veriseal_inventory.stocktake_models import CountLine, CountMode

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
_S = f"{BASE}/stocktakes"


async def list_page(call: ConsoleCall, error: str = "") -> Page:
    who, brand, ctx, inv = await context(call)
    raw = field(call.query, "status", 16)
    status = CountStatus(raw) if raw in {s.value for s in CountStatus} else None
    warehouses = await inv.warehouses.in_scope(who, brand)
    found = await inv.counts.listed(who, brand, status=status)
    return Page(_T + "stocktakes.html", {
        "brand": brand, "stocktakes": found, "warehouses": {w.id: w for w in warehouses},
        "status": status or "", "statuses": list(CountStatus), "error": error,
        "products": await ctx.products(brand),
    }, 409 if error else 200)  # fmt: skip


async def open_count(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    try:
        w = await inv.warehouses.find(brand, field(form, "warehouse", 32))
        mode = field(form, "mode", 16) or "system"
        if mode not in ("system", "physical"):
            raise InvalidInput("choose system or physical")
        location = field(form, "location", 32)
        gtin = field(form, "product", 14)
        st = await inv.counts.open(who, w, mode=CountMode(mode), blind=bool(form.get("blind")),
                                   locations=[location] if location else None,
                                   gtins=[gtin] if gtin else None)  # fmt: skip
    except VerisealError as exc:
        return await list_page(call, message(call, exc))
    return call.redirect(f"{_S}/{st.id}", f"Stocktake {st.number} opened",
                         f"盘点单 {st.number} 已开始")  # fmt: skip


async def count_page(call: ConsoleCall, error: str = "", result: Any = None,
                     values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx, inv = await context(call)
    view = await inv.counts.show(who, brand, call.int_param("id"))
    return Page(_T + "stocktake.html", {
        "brand": brand, "view": view, "st": view.stocktake, "lines": view.lines(),
        "names": await product_names(ctx, brand), "error": error, "result": result,
        "values": values or {}, "products": await ctx.products(brand),
        "warehouse": await inv.warehouses.get(view.stocktake.warehouse_id),
        "can_approve": ctx.allowed(who, STOCK_APPROVE),
    }, 409 if error else 200)  # fmt: skip


def _lines(form: Any) -> list[CountLine]:
    gtins, qtys, lots = form.getall("gtin", []), form.getall("qty", []), form.getall("lot", [])
    locations = form.getall("location", [])
    out = []
    for i, gtin in enumerate(gtins[:100]):
        qty = str(qtys[i]).strip() if i < len(qtys) else ""
        if not qty:
            continue  # a line left blank is not counted (0 is a count)
        if not qty.isdigit() or len(qty) > 10:
            raise InvalidInput(f"line {i + 1}: a quantity is a whole number")
        lot = str(lots[i]).strip()[:40] if i < len(lots) else ""
        loc = str(locations[i]).strip()[:32] if i < len(locations) else ""
        out.append(CountLine(str(gtin).strip()[:14], int(qty), lot, loc or None))
    return out


async def count(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    sid = call.int_param("id")
    try:
        await inv.counts.count(who, brand, sid, _lines(form))
    except VerisealError as exc:
        return await count_page(call, message(call, exc))
    return call.redirect(f"{_S}/{sid}", "Counts recorded", "盘点数量已记录")


async def scan(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values: dict[str, str] = {}
    try:
        values = {"codes": field(form, "codes", 400_000), "code": field(form, "code", 300),
                  "location": field(form, "location", 32)}  # fmt: skip
        texts = [t for t in [*values["codes"].splitlines(), values["code"]] if t.strip()]
        if not texts:
            raise InvalidInput("scan or type at least one code")
        got = await inv.counts.count_codes(who, brand, call.int_param("id"), texts,
                                           values["location"] or None)  # fmt: skip
    except VerisealError as exc:
        return await count_page(call, message(call, exc), values=values)
    return await count_page(call, result={"added": got.added, "repeated": got.repeated})


async def submit(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    sid = call.int_param("id")
    try:
        costs = {}
        for gtin, fen in zip(form.getall("cost_gtin", []), form.getall("cost_fen", []),
                             strict=False):  # fmt: skip
            text = str(fen).strip()
            if text:
                if not text.isdigit() or len(text) > 11:
                    raise InvalidInput("a unit cost is a whole number of fen")
                costs[str(gtin)[:14]] = int(text)
        await inv.counts.submit(who, brand, sid, field(form, "reason", 500), costs)
    except VerisealError as exc:
        return await count_page(call, message(call, exc))
    return call.redirect(f"{_S}/{sid}/report", "Sent for approval", "已提交审核")


async def end(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    sid = call.int_param("id")
    try:
        action = field(form, "action", 16)
        if action not in ("cancel", "close"):
            raise InvalidInput("cancel or close")
        await inv.counts.end(who, brand, sid, CountAction(action))
    except VerisealError as exc:
        return await count_page(call, message(call, exc))
    return call.redirect(_S, "Stocktake ended", "盘点已结束")


async def report_page(call: ConsoleCall, error: str = "") -> Page:
    who, brand, ctx, inv = await context(call)
    view = await inv.counts.show(who, brand, call.int_param("id"))
    return Page(_T + "stocktake_report.html", {
        "brand": brand, "view": view, "st": view.stocktake, "report": view.report,
        "names": await product_names(ctx, brand), "error": error,
        "warehouse": await inv.warehouses.get(view.stocktake.warehouse_id),
        "can_approve": ctx.allowed(who, STOCK_APPROVE),
    }, 409 if error else 200)  # fmt: skip


async def decide(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    sid = call.int_param("id")
    try:
        verdict = field(form, "decision", 16)
        note = field(form, "note", 500)
        if verdict == "approve":
            await inv.counts.approve(who, brand, sid, note)
        elif verdict == "reject":
            await inv.counts.reject(who, brand, sid, note)
        else:
            raise InvalidInput("approve or reject")
    except VerisealError as exc:
        return await report_page(call, message(call, exc))
    return call.redirect(f"{_S}/{sid}/report", "Decision recorded", "审核结果已记录")
