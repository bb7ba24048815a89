"""Console pages of safety stock and replenishment (phone first):

- ``/console/inventory/safety-stock``: every level in scope with its safety stock,
  reorder point, closing line and state (low / reorder / ok / not set), the setting rows
  and, for ``stock.manage``, a form to set a product's policy for a warehouse or as the
  brand default; the latest low-stock alerts;
- ``/console/inventory/replenish``: the suggestions with the numbers behind each
  (velocity over the window, cover, demand over lead time and review, target,
  position, order), by warehouse or product, sales from outbound or consumer scans.

Views parse, call the services with the caller and render; every rule and scope check
is the services'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from veriseal import InvalidInput, VerisealError
from veriseal.extend import Page
from veriseal_inventory.console_common import BASE, context, field, message, product_names
from veriseal_inventory.permissions import STOCK_MANAGE
from veriseal_inventory.planning import BASES, PlanRequest
from veriseal_inventory.replenish import DEFAULT_REVIEW_DAYS, DEFAULT_WINDOW_DAYS, Policy

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

_T = "veriseal_inventory/"
_POLICY = ("safety_stock", "reorder_point", "reorder_qty", "lead_time_days", "review_days",
           "pack_size")  # fmt: skip


async def safety_page(call: ConsoleCall, error: str = "",
                      values: dict[str, str] | None = None) -> Page:  # fmt: skip
    who, brand, ctx, inv = await context(call)
    warehouses = await inv.warehouses.in_scope(who, brand)
    gtin = field(call.query, "product", 14) or None
    ref = field(call.query, "warehouse", 32)
    chosen = next((w for w in warehouses if ref in (w.code, str(w.id))), None) if ref else None
    rows = await inv.alerts.overview(who, brand, gtin=gtin, warehouse=chosen)
    return Page(_T + "safety.html", {
        "brand": brand, "rows": rows, "warehouses": {w.id: w for w in warehouses},
        "settings": await inv.alerts.settings(who, brand, gtin=gtin, warehouse=chosen),
        "alerts": await inv.alerts.alerts(who, brand, warehouse=chosen, limit=20),
        "names": await product_names(ctx, brand), "products": await ctx.products(brand),
        "product": gtin or "", "warehouse": chosen.code if chosen else "",
        "can_manage": ctx.allowed(who, STOCK_MANAGE), "error": error,
        "values": values or {"review_days": str(DEFAULT_REVIEW_DAYS), "pack_size": "1"},
    }, 409 if error else 200)  # fmt: skip


def _number(text: str, name: str, low: int) -> int:
    if not text:
        return low
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) < low:
        raise InvalidInput(f"{name}: a whole number of at least {low}")
    return int(text)


async def safety_save(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, _, inv = await context(call)
    form = await call.form()
    values = {k: field(form, k, 32) for k in ("gtin", "warehouse", *_POLICY)}
    try:
        policy = Policy(**{k: _number(values[k], k, 1 if k == "pack_size" else 0)
                           for k in _POLICY})  # fmt: skip
        w = await inv.warehouses.find(brand, values["warehouse"]) if values["warehouse"] else None
        await inv.alerts.save(who, brand, values["gtin"], policy, w)
    except VerisealError as exc:
        return await safety_page(call, message(call, exc), values)
    return call.redirect(f"{BASE}/safety-stock", "Setting saved", "设置已保存")


async def replenish_page(call: ConsoleCall) -> Page:
    who, brand, ctx, inv = await context(call)
    warehouses = await inv.warehouses.in_scope(who, brand)
    gtin = field(call.query, "product", 14) or None
    ref = field(call.query, "warehouse", 32)
    basis = field(call.query, "basis", 16) or "outbound"
    days_text = field(call.query, "days", 4) or str(DEFAULT_WINDOW_DAYS)
    if basis not in BASES or not (days_text.isascii() and days_text.isdigit()):
        raise InvalidInput("basis: outbound or scans; days: a whole number")
    show_all = call.query.get("all") == "1"
    chosen = next((w for w in warehouses if ref in (w.code, str(w.id))), None) if ref else None
    request = PlanRequest(chosen, gtin, int(days_text), basis, only_needed=not show_all)
    rows = await inv.planning.plan(who, brand, request)
    return Page(_T + "replenish.html", {
        "brand": brand, "rows": rows, "warehouses": warehouses,
        "names": await product_names(ctx, brand), "lang": call.lang,
        "values": {"product": gtin or "", "warehouse": chosen.code if chosen else "",
                   "basis": basis, "days": days_text, "all": show_all},
        "bases": BASES,
    })  # fmt: skip
