"""``/api/v1/commerce/prices/...``, ``/promotions/...`` and ``POST /quote``: price lists,
rows and promotions for brand staff (``prices.manage``), quotes for dealers and staff
(``prices.view``: a dealer for its own subtree). Bodies are typed (msgspec); amounts as
typed text (``"12.50"``) or integer minor units; answers carry minor units. Lists are
small and not paged. A platform admin names the brand with ``?brand=<slug>``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from veriseal import Brand, Call, Endpoint, Id, Model, Name, Principal, Short
from veriseal.extend import plugin_context
from veriseal_commerce import pricing_input, suggestions
from veriseal_commerce.permissions import PRICES_MANAGE, PRICES_VIEW
from veriseal_commerce.pricing import PricingService
from veriseal_commerce.pricing_models import MAX_SUGGESTED_K
from veriseal_commerce.service import of

NAME = "commerce"
BASE = "/api/v1/commerce"
Schema = dict[str, Any]
Amount = Annotated[str, Meta(max_length=24, pattern="^[^\\x00]*$")] | int
Texts = Annotated[list[Short], Meta(max_length=200)]
Quantity = Annotated[int, Meta(ge=1, le=1_000_000)]


class BrandQuery(Model):
    brand: Short | None = None


class RowsQuery(BrandQuery):
    list: Id | None = None


class SuggestedQuery(BrandQuery):
    k: Annotated[int, Meta(ge=1, le=MAX_SUGGESTED_K)] = 10
    limit: Annotated[int, Meta(ge=1, le=1000)] = 50


class IdPath(Model):
    id: Id


class ListBody(Model):
    name: Short
    currency: Annotated[str, Meta(min_length=3, max_length=3)] = "CNY"


class RowBody(Model, kw_only=True):
    list_id: Id
    gtin: Short | None = None
    category_id: Id | None = None
    level: Short | None = None
    org_id: Id | None = None
    region: Short | None = None
    min_qty: Quantity = 1
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    price: Amount | None = None
    base_list_id: Id | None = None
    percent: Annotated[str, Meta(max_length=12)] | int | None = None
    rounding: Literal["none", "end_8", "end_9_9"] = "none"


class PromotionBody(Model, kw_only=True):
    name: Short
    benefit: Literal["percent_off", "amount_off", "fixed_price", "tiered", "gift",
                     "free_shipping"]  # fmt: skip
    currency: Annotated[str, Meta(min_length=3, max_length=3)] = "CNY"
    priority: Annotated[int, Meta(ge=-1000, le=1000)] = 0
    exclusive: bool = False
    combines_with: Annotated[list[Id], Meta(max_length=200)] = msgspec.field(default_factory=list)
    gtins: Texts = msgspec.field(default_factory=list)
    category_ids: Annotated[list[Id], Meta(max_length=200)] = msgspec.field(default_factory=list)
    min_qty: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    min_amount: Amount | None = None
    levels: Texts = msgspec.field(default_factory=list)
    regions: Texts = msgspec.field(default_factory=list)
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    first_order: bool = False
    suggested_only: bool = False  # only on the ordering dealer's suggested products
    suggested_k: Annotated[int, Meta(ge=1, le=MAX_SUGGESTED_K)] = 10  # ... its top-k
    percent: Annotated[str, Meta(max_length=12)] | int | None = None
    amount: Amount | None = None
    tiers: Annotated[list[tuple[Quantity, str]], Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    buy_qty: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    gift_qty: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    gift_gtin: Short | None = None
    per_order: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None
    per_dealer: Annotated[int, Meta(ge=0, le=1_000_000_000)] | None = None
    overall: Annotated[int, Meta(ge=0, le=1_000_000_000)] | None = None
    budget: Amount | None = None


class QuoteLineBody(Model):
    gtin: Short
    quantity: Quantity


class QuoteBody(Model, kw_only=True):
    dealer: Short | None = None  # an org id or a dealer code; none: mine (or retail)
    lines: Annotated[list[QuoteLineBody], Meta(min_length=1, max_length=200)]
    region: Name | None = None
    at: dt.datetime | None = None


async def _context(call: Call, slug: str | None) -> tuple[Principal, Brand, PricingService]:
    who = call.who
    ctx = plugin_context(call, NAME)
    brand = await (ctx.brand_by_id(who.brand_id) if who.brand_id is not None else ctx.brand(slug))
    return who, brand, of(ctx).pricing


# -- price lists and rows ------------------------------------------------------------------
async def lists(call: Call, query: BrandQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    found = await p.lists(who, brand)
    return {"lists": [{"id": x.id, "name": x.name, "currency": x.currency} for x in found]}


async def add_list(call: Call, query: BrandQuery, body: ListBody) -> Schema:
    who, brand, p = await _context(call, query.brand)
    made = await p.add_list(who, brand, body.name, body.currency)
    return {"id": made.id, "name": made.name, "currency": made.currency}


async def rows(call: Call, query: RowsQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    return {"rows": [pricing_input.row_dict(r) for r in await p.rows(who, brand, query.list)]}


async def _save_row(call: Call, slug: str | None, body: RowBody, row_id: int) -> Schema:
    who, brand, p = await _context(call, slug)
    currency = {x.id: x.currency for x in await p.lists(who, brand)}.get(body.list_id, "CNY")
    row = pricing_input.price_row(msgspec.structs.asdict(body), currency, row_id)
    return pricing_input.row_dict(await p.set_row(who, brand, row))


async def add_row(call: Call, query: BrandQuery, body: RowBody) -> Schema:
    return await _save_row(call, query.brand, body, 0)


async def edit_row(call: Call, path: IdPath, query: BrandQuery, body: RowBody) -> Schema:
    return await _save_row(call, query.brand, body, path.id)


async def delete_row(call: Call, path: IdPath, query: BrandQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    await p.delete_row(who, brand, path.id)
    return {"deleted": path.id}


# -- promotions ----------------------------------------------------------------------------
async def promotions(call: Call, query: BrandQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    found = await p.promotions(who, brand)
    return {"promotions": [pricing_input.promotion_dict(x) for x in found]}


async def add_promotion(call: Call, query: BrandQuery, body: PromotionBody) -> Schema:
    who, brand, p = await _context(call, query.brand)
    made = await p.add_promotion(who, brand, pricing_input.promotion(msgspec.structs.asdict(body)))
    return pricing_input.promotion_dict(made)


async def suggested(call: Call, query: SuggestedQuery) -> Schema:
    """Per product, how many dealers have it in their top ``k`` suggestions (most first):
    what to plan suggested-products promotions on; ``available`` is false (and the list
    empty) without the analytics plugin."""
    who, brand, p = await _context(call, query.brand)
    ctx = plugin_context(call, NAME)
    counts = (await p.suggested_counts(who, brand, query.k))[: query.limit]
    names = {x.gtin: x.name for x in await ctx.products(brand)} if counts else {}
    return {"k": query.k, "available": suggestions.available(ctx),
            "products": [{"gtin": c.gtin, "name": names.get(c.gtin, c.gtin),
                          "dealers": c.dealers} for c in counts]}  # fmt: skip


async def promotion(call: Call, path: IdPath, query: BrandQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    return pricing_input.promotion_dict(await p.promotion(who, brand, path.id))


async def _set_active(call: Call, path: IdPath, query: BrandQuery, active: bool) -> Schema:
    who, brand, p = await _context(call, query.brand)
    await p.set_active(who, brand, path.id, active)
    return pricing_input.promotion_dict(await p.promotion(who, brand, path.id))


async def disable_promotion(call: Call, path: IdPath, query: BrandQuery) -> Schema:
    return await _set_active(call, path, query, False)


async def enable_promotion(call: Call, path: IdPath, query: BrandQuery) -> Schema:
    return await _set_active(call, path, query, True)


async def delete_promotion(call: Call, path: IdPath, query: BrandQuery) -> Schema:
    who, brand, p = await _context(call, query.brand)
    await p.delete_promotion(who, brand, path.id)
    return {"deleted": path.id}


# -- quotes --------------------------------------------------------------------------------
async def quote(call: Call, query: BrandQuery, body: QuoteBody) -> Schema:
    who, brand, p = await _context(call, query.brand)
    org_id = None if body.dealer is None else await p.dealer_org(who, brand, body.dealer)
    lines = [(x.gtin, x.quantity) for x in body.lines]
    return (await p.quote(who, brand, org_id, lines, body.region, body.at)).to_dict()


_T = "commerce"
ENDPOINTS = [
    Endpoint("GET", f"{BASE}/prices/lists", lists, PRICES_MANAGE, "The brand's price lists",
             tag=_T),
    Endpoint("POST", f"{BASE}/prices/lists", add_list, PRICES_MANAGE, "Add a price list", 201,
             tag=_T),
    Endpoint("GET", f"{BASE}/prices/rows", rows, PRICES_MANAGE,
             "Price rows (of one list with ?list=), not paged", tag=_T),
    Endpoint("POST", f"{BASE}/prices/rows", add_row, PRICES_MANAGE,
             "Add a price row (409 price_row_tie on a tie)", 201, tag=_T),
    Endpoint("PUT", f"{BASE}/prices/rows/{{id}}", edit_row, PRICES_MANAGE,
             "Replace a price row (409 price_row_tie on a tie)", tag=_T),
    Endpoint("DELETE", f"{BASE}/prices/rows/{{id}}", delete_row, PRICES_MANAGE,
             "Delete a price row", tag=_T),
    Endpoint("GET", f"{BASE}/promotions", promotions, PRICES_MANAGE, "The brand's promotions",
             tag=_T),
    Endpoint("POST", f"{BASE}/promotions", add_promotion, PRICES_MANAGE, "Add a promotion", 201,
             tag=_T),
    Endpoint("GET", f"{BASE}/promotions/suggested", suggested, PRICES_MANAGE,
             "Products most often in dealers' top-k suggestions (analytics plugin), to plan"
             " suggested-products promotions on", tag=_T),
    Endpoint("GET", f"{BASE}/promotions/{{id}}", promotion, PRICES_MANAGE, "One promotion",
             tag=_T),
    Endpoint("POST", f"{BASE}/promotions/{{id}}/disable", disable_promotion, PRICES_MANAGE,
             "Disable a promotion (quotes stop offering it)", tag=_T),
    Endpoint("POST", f"{BASE}/promotions/{{id}}/enable", enable_promotion, PRICES_MANAGE,
             "Enable a disabled promotion", tag=_T),
    Endpoint("DELETE", f"{BASE}/promotions/{{id}}", delete_promotion, PRICES_MANAGE,
             "Delete a promotion (orders keep the discounts they recorded)", tag=_T),
    Endpoint("POST", f"{BASE}/quote", quote, PRICES_VIEW,
             "Price a basket for a dealer (mine by default), explaining each row and discount",
             tag=_T),
]  # fmt: skip
