"""Console pages of outbound sheets (出库单), phone first:

- ``/console/inventory/outbound``: the sheets in scope (filter by status) and a form
  to create one (``stock.move``);
- ``/console/inventory/outbound/{no}``: the sheet, its picking list (location, lot,
  quantity; shortages marked), issue / cancel buttons and the PDF link
  (``.../{no}/pdf``, ``application/pdf``);
- ``/console/inventory/receive``: the consignee's check-in: scan the sheet's QR code
  with the phone's camera (or type the number) and the goods are booked into the
  organisation's warehouse.

Views parse, call :class:`veriseal_inventory.outbound.OutboundService` with the caller
and render; every rule and scope check is the service's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from veriseal import Forbidden, InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_inventory.console_common import BASE, context, field, message, product_names
from veriseal_inventory.outbound import NewLine
from veriseal_inventory.outbound_store import Consignee
from veriseal_inventory.permissions import STOCK_MOVE

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
STATUSES = ("picking", "issued", "cancelled")
FORM_LINES = 5
_FIELDS = ("warehouse", "org", "name", "address", "contact", "note")


def _text(call: ConsoleCall, error: VerisealError | None) -> str:
    return "" if error is None else message(call, error)


def _status(error: VerisealError | None) -> int:
    """A refusal's page carries the refusal's HTTP status (403, 404, 409, ...)."""
    return 200 if error is None else error.http_status


def _number(call: ConsoleCall) -> str:
    text = call.match.get("no", "")
    if not text or len(text) > 48:
        raise InvalidInput("no: a sheet number")
    return text


async def list_page(call: ConsoleCall, error: VerisealError | None = None,
                    values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx, inv = await context(call)
    status = field(call.query, "status", 16) or None
    if status not in (None, *STATUSES):
        raise InvalidInput("status: picking, issued or cancelled")
    sheets = await inv.outbound.sheets(who, brand, status=status, limit=100)
    can_move = ctx.allowed(who, STOCK_MOVE)
    orgs = []
    if can_move and who.org is not None:
        try:  # the organisations to ship to: those the reader may see
            orgs = await ctx.org_tree(who, who.org.id)
        except Forbidden:  # e.g. a factory operator: consignees by name only
            orgs = []
    return Page(_T + "outbound.html", {
        "brand": brand, "sheets": sheets, "status": status or "", "statuses": STATUSES,
        "warehouses": {w.id: w for w in await inv.warehouses.in_scope(who, brand)},
        "products": await ctx.products(brand) if can_move else [], "can_move": can_move,
        "orgs": [o for o in orgs if o.id != (who.org.id if who.org else None)],
        "error": _text(call, error), "values": {**dict.fromkeys(_FIELDS, ""), **(values or {})},
        "form_lines": FORM_LINES,
    }, _status(error))  # fmt: skip


def _lines(form: Any) -> list[NewLine]:
    gtins, qtys = form.getall("gtin", []), form.getall("qty", [])
    lots, codes = form.getall("lot", []), form.getall("codes", [])
    out = []
    for i, gtin in enumerate(gtins[:50]):
        qty = str(qtys[i]).strip() if i < len(qtys) else ""
        if not str(gtin).strip() and not qty:
            continue
        if not qty.isdigit() or len(qty) > 10:
            raise InvalidInput(f"line {i + 1}: a quantity is a whole number")
        lot = str(lots[i]) if i < len(lots) else ""
        text = str(codes[i]) if i < len(codes) else ""
        out.append(NewLine(str(gtin).strip()[:14], int(qty), lot[:41], text[:2001]))
    return out


async def create(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values = {k: field(form, k, 500) for k in _FIELDS}
    try:
        org = values["org"]
        if org and (not org.isdigit() or len(org) > 18):
            raise InvalidInput("org: an organisation id")
        w = await inv.warehouses.find(brand, values["warehouse"][:64])
        consignee = Consignee(values["name"], values["address"], values["contact"],
                              int(org) if org else None)  # fmt: skip
        sheet = await inv.outbound.create(who, brand, w, consignee, _lines(form), values["note"])
    except VerisealError as exc:
        return await list_page(call, exc, values)
    return call.redirect(f"{BASE}/outbound/{sheet.number}", "Outbound sheet created",
                         "出库单已创建")  # fmt: skip


async def sheet_page(call: ConsoleCall, error: VerisealError | None = None) -> Page:
    who, brand, ctx, inv = await context(call)
    sheet, plan = await inv.outbound.picking(who, brand, _number(call))
    warehouse = await inv.warehouses.get(sheet.warehouse_id)
    try:
        await inv.warehouses.require(who, STOCK_MOVE, warehouse)
        can_move = True
    except VerisealError:
        can_move = False
    return Page(_T + "outbound_sheet.html", {
        "brand": brand, "s": sheet, "plan": plan, "w": warehouse, "can_move": can_move,
        "names": await product_names(ctx, brand), "error": _text(call, error),
        "units": sum(ln.quantity for ln in sheet.lines),
    }, _status(error))  # fmt: skip


async def issue(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    number = _number(call)
    try:
        handler = field(form, "handler", 100) or None
        await inv.outbound.issue(who, brand, number, handler)
    except VerisealError as exc:
        return await sheet_page(call, exc)
    return call.redirect(f"{BASE}/outbound/{number}", "Issued: print the sheet",
                         "已出库：请打印出库单")  # fmt: skip


async def cancel(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    number = _number(call)
    try:
        await inv.outbound.cancel(who, brand, number, field(form, "reason", 500))
    except VerisealError as exc:
        return await sheet_page(call, exc)
    return call.redirect(f"{BASE}/outbound/{number}", "Cancelled", "已作废")


async def pdf(call: ConsoleCall) -> web.StreamResponse:
    who, brand, _, inv = await context(call)
    number = _number(call)
    data = await inv.outbound.pdf(who, brand, number)
    name = number.upper().removeprefix("VSOUT:")
    return web.Response(
        body=data, content_type="application/pdf",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": f'inline; filename="{name}.pdf"'},
    )  # fmt: skip


async def receive_page(call: ConsoleCall, error: VerisealError | None = None,
                       code: str = "") -> Page:  # fmt: skip
    _, brand, _, _ = await context(call)
    return Page(
        _T + "outbound_receive.html",
        {"brand": brand, "error": _text(call, error), "code": code},
        _status(error),
    )


async def receive(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    code = field(form, "code", 200)
    try:
        if not code:
            raise InvalidInput("scan the sheet's QR code or type its number")
        sheet = await inv.outbound.receive(who, brand, code)
    except VerisealError as exc:
        return await receive_page(call, exc, code)
    return call.redirect(f"{BASE}/outbound/{sheet.number}", "Checked in: the goods are in stock",
                         "已收货：货物已入库")  # fmt: skip
