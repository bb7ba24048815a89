"""Console pages of inbound receipts (phone first):

- ``/console/inventory/inbound``: receipts newest first (``?status=open|done``), and a
  form to receive goods into quarantine (``stock.move``);
- ``/console/inventory/inbound/{no}``: the receipt, each line with its decision or, while
  it awaits one, its ISO 2859-1 plan (sample size, Ac, Re) for the AQL / level chosen
  on the page (``?line=&aql=&level=``; default: the product's setting) and the
  inspection form (``stock.inspect``); the release of lines needing no inspection
  (``stock.move``).

Views parse, call :class:`veriseal_inventory.inbound.InboundService` with the caller and
render; every rule and scope check is the service's."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_inventory import sampling
from veriseal_inventory.console_common import (
    BASE,
    context,
    field,
    form_lines,
    message,
    product_names,
)
from veriseal_inventory.inbound_models import DecisionKind, InspectRequest, LineStatus
from veriseal_inventory.permissions import STOCK_INSPECT, STOCK_MOVE

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
_LINES = 5  # blank lines on the receive form
DECISIONS = (("accept_all", "Accept all", "全部接收"), ("reject_all", "Reject all", "全部拒收"),
             ("accept_part", "Accept part", "部分接收"))  # fmt: skip


async def list_page(call: ConsoleCall, error: str = "",
                    values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx, inv = await context(call)
    status = field(call.query, "status", 8) or None
    found = await inv.inbound.list(who, brand, status=status if status in ("open", "done")
                                   else None)  # fmt: skip
    warehouses = await inv.warehouses.in_scope(who, brand)
    can_move = ctx.allowed(who, STOCK_MOVE)
    return Page(_T + "inbound_list.html", {
        "brand": brand, "receipts": found, "warehouses": {w.id: w for w in warehouses},
        "status": status or "", "error": error,
        "values": {"warehouse": "", "supplier": "", "note": "", **(values or {})},
        "can_receive": can_move, "products": await ctx.products(brand) if can_move else [],
        "client_id": secrets.token_hex(12), "lines": range(_LINES),
    }, 409 if error else 200)  # fmt: skip


async def receive(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values = {k: field(form, k, 200) for k in ("warehouse", "supplier", "client_id")}
    values["note"] = field(form, "note", 500)
    try:
        view = await inv.inbound.receive(
            who, brand, values["warehouse"], form_lines(form), supplier=values["supplier"],
            note=values["note"], client_id=values["client_id"][:64] or None,
            release=form.get("release") == "1",
        )  # fmt: skip
    except VerisealError as exc:
        return await list_page(call, message(call, exc), values)
    no = view.receipt.receipt_no
    return call.redirect(f"{BASE}/inbound/{no}", f"Receipt {no} recorded", f"入库单 {no} 已登记")


async def receipt_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx, inv = await context(call)
    no = call.match.get("no", "")
    view = await inv.inbound.get(who, brand, no)
    chosen = call.query_int("line")
    aql = field(call.query, "aql", 8) or None
    level = field(call.query, "level", 4) or None
    settings = {x.gtin: await inv.inbound.setting(brand.id, x.gtin) for x in view.lines}
    plans: dict[int, sampling.Plan] = {}
    for line in view.lines:
        if line.status is not LineStatus.AWAITING:
            continue
        s = settings[line.gtin]
        mine = line.line_no == chosen
        try:
            plans[line.line_no] = sampling.plan(line.quantity, (mine and aql) or s.aql,
                                                (mine and level) or s.level)  # fmt: skip
        except VerisealError as exc:  # an AQL typed into the address: the default plan
            error = error or message(call, exc)
            plans[line.line_no] = sampling.plan(line.quantity, s.aql, s.level)
    warehouse = await inv.warehouses.get(view.receipt.warehouse_id)
    return Page(_T + "inbound_receipt.html", {
        "brand": brand, "view": view, "w": warehouse, "plans": plans, "settings": settings,
        "names": await product_names(ctx, brand), "error": error,
        "aqls": [str(a) for a in sampling.AQLS], "levels": sampling.LEVELS,
        "decisions": DECISIONS, "can_inspect": ctx.allowed(who, STOCK_INSPECT),
        "can_release": ctx.allowed(who, STOCK_MOVE) and any(
            x.status is LineStatus.AWAITING and not x.required for x in view.lines),
    }, status)  # fmt: skip


def _count(form: Any, name: str) -> int | None:
    text = field(form, name, 10)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"{name}: a whole number / 须为整数")
    return int(text)


async def inspect(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    no = call.match.get("no", "")
    form = await call.form()
    try:
        line = _count(form, "line")
        defects = _count(form, "defects")
        decision = field(form, "decision", 16)
        if line is None or defects is None:
            raise InvalidInput("line and defects are required / 须填写行号与不合格数")
        if decision not in [d for d, _, _ in DECISIONS]:
            raise InvalidInput("choose a decision / 请选择判定结果")
        req = InspectRequest(DecisionKind(decision), defects, field(form, "aql", 8) or None,
                             field(form, "level", 4) or None, _count(form, "accepted"),
                             _count(form, "rejected"), field(form, "reason", 500))  # fmt: skip
        await inv.inbound.inspect(who, brand, no, line, req)
    except VerisealError as exc:
        return await receipt_page(call, message(call, exc), 409)
    return call.redirect(f"{BASE}/inbound/{no}", "Inspection recorded", "质检结果已登记")


async def release(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    no = call.match.get("no", "")
    try:
        await inv.inbound.release(who, brand, no)
    except VerisealError as exc:
        return await receipt_page(call, message(call, exc), 409)
    return call.redirect(f"{BASE}/inbound/{no}", "Moved to stock", "免检货物已入库")
