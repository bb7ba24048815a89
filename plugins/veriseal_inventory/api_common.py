"""Shared pieces of the inventory API: the brand and services of a call, typed lines."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from veriseal import Brand, Call, Model, Principal, Short
from veriseal.extend import plugin_context
from veriseal_inventory.models import StockLine, Warehouse
from veriseal_inventory.service import Inventory, of

NAME = "inventory"
BASE = "/api/v1/inventory"
TAG = "inventory"
Schema = dict[str, Any]
Gtin = Annotated[str, Meta(pattern="^[0-9]{14}$")]
Lot = Annotated[str, Meta(max_length=40, pattern="^[^\\x00]*$")]
Quantity = Annotated[int, Meta(ge=1, le=1_000_000_000)]
Ref = Annotated[str, Meta(min_length=1, max_length=64, pattern="^[^\\x00]*$")]


class BrandQuery(Model):
    brand: Short | None = None


class LineBody(Model):
    gtin: Gtin
    quantity: Quantity
    lot: Lot = ""


Lines = Annotated[list[LineBody], Meta(min_length=1, max_length=500)]


def stock_lines(lines: list[LineBody]) -> list[StockLine]:
    return [StockLine(x.gtin, x.quantity, x.lot) for x in lines]


async def context(call: Call, slug: str | None) -> tuple[Principal, Brand, Inventory]:
    """The caller, the brand (the caller's own; a platform admin names it with
    ``?brand=``) and the plugin's services."""
    who = call.who
    ctx = plugin_context(call, NAME)
    return who, await ctx.brand_for(who, slug), of(ctx)


async def warehouse(inv: Inventory, brand: Brand, ref: str) -> Warehouse:
    return await inv.warehouses.find(brand, ref)
