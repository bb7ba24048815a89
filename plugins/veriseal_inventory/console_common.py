"""What the inventory console pages share: the caller, its brand and the plugin's
services; a refusal's message; bounded form fields; product names by GTIN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import Brand, InvalidInput, Principal, VerisealError
from veriseal.extend import PluginContext
from veriseal_inventory.models import StockLine
from veriseal_inventory.service import Inventory, of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

PLUGIN = "inventory"
BASE = "/console/inventory"


async def context(call: ConsoleCall) -> tuple[Principal, Brand, PluginContext, Inventory]:
    """The signed-in caller, its brand (a platform admin names it with ``?brand=``),
    the plugin's context and services."""
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    return who, await ctx.brand_for(who, await call.brand_slug()), ctx, of(ctx)


def message(call: ConsoleCall, exc: VerisealError) -> str:
    """A refusal as the reader sees it (:meth:`ConsoleCall.refused`)."""
    return call.refused(exc)


def field(form: Any, name: str, limit: int) -> str:
    """A posted (or queried) text field (:meth:`ConsoleCall.text`)."""
    from veriseal.extend import ConsoleCall  # noqa: PLC0415 (the console's, loaded with it)

    return ConsoleCall.text(form, name, limit)


async def product_names(ctx: PluginContext, brand: Brand) -> dict[str, str]:
    """The brand's product names by GTIN (for tables of stock)."""
    return {p.gtin: p.name for p in await ctx.products(brand)}


def form_lines(form: Any, limit: int = 50) -> list[StockLine]:
    """The repeated ``gtin`` / ``qty`` / ``lot`` fields of a form as lines (blank rows
    skipped); ``invalid_input`` for a quantity that is not a whole number in ASCII
    digits (``"²"`` is a digit to ``str.isdigit`` but not to ``int``)."""
    gtins, qtys, lots = form.getall("gtin", []), form.getall("qty", []), form.getall("lot", [])
    out = []
    for i, gtin in enumerate(gtins[:limit]):
        qty = str(qtys[i]).strip() if i < len(qtys) else ""
        if not str(gtin).strip() and not qty:
            continue
        if not (qty.isascii() and qty.isdigit()) or len(qty) > 10:
            raise InvalidInput(f"line {i + 1}: a quantity is a whole number / 数量须为整数")
        lot = str(lots[i]).strip() if i < len(lots) else ""
        out.append(StockLine(str(gtin).strip()[:14], int(qty), lot[:41]))
    return out
