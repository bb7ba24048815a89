"""Console pages of prices and promotions (phone first).

- dealers (``prices.view``): ``/console/commerce/catalogue`` browses the catalogue by
  category and search with MY price, ``/console/commerce/catalogue/{gtin}`` a product
  with my price, its volume tiers, the promotions that apply to me and availability
  (from the inventory plugin when it is enabled: ``inventory.availability``; "not
  tracked" otherwise);
- brand staff (``prices.manage``): ``/console/commerce/prices`` (lists and rows: add,
  edit, delete; a tie is refused with its message), ``/console/commerce/promotions``
  (add, disable, enable, delete; with the analytics plugin, the products most often
  suggested across the brand's dealers, to plan "suggested products only" promotions
  from), ``/console/commerce/quote`` (a quote for any dealer
  that explains each row).

Views parse, call :class:`.pricing.PricingService` with the caller and render; every
rule and scope check is the service's. Prices come from THE engine, as everywhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from veriseal import Brand, InvalidInput, Principal, VerisealError
from veriseal.extend import Page, ServiceKey, Unavailable
from veriseal_commerce import pricing_input
from veriseal_commerce.engine import Quote
from veriseal_commerce.permissions import ORDERS_PLACE
from veriseal_commerce.pricing import PricingService
from veriseal_commerce.pricing_models import BENEFITS, LEVELS, ROUNDINGS
from veriseal_commerce.service import of
from veriseal_commerce.suggestions import available as suggestions_available
from veriseal_commerce.suggestions import for_me

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

PLUGIN = "commerce"
BASE = "/console/commerce"
#: how many units a line of the quote tool may name (the engine's limit)
MAX_QTY = 1_000_000
#: what the inventory plugin answers for (brand id, GTIN, the dealer's org id or None)
Availability = Callable[[int, str, int | None], Awaitable[Any]]
AVAILABILITY: ServiceKey[Availability] = ServiceKey("inventory.availability")


async def _services(call: ConsoleCall) -> tuple[Principal, Brand, PricingService]:
    who = call.principal
    assert who is not None  # every view here needs a sign-in
    ctx = call.plugin(PLUGIN)
    if who.brand_id is not None:
        return who, await ctx.brand_by_id(who.brand_id), of(ctx).pricing
    slug = call.query.get("brand") or None
    if slug is None and call.request.method == "POST":
        value = (await call.form()).get("brand")
        slug = value if isinstance(value, str) and value else None
    return who, await ctx.brand(slug), of(ctx).pricing


def _message(call: ConsoleCall, exc: VerisealError) -> str:
    return f"{call.t('Refused', '未能保存')}: {exc.message} [{exc.code}]"


async def _fields(call: ConsoleCall, names: tuple[str, ...]) -> dict[str, str]:
    form = await call.form()
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        text = value if isinstance(value, str) else ""
        if len(text) > 200 or "\x00" in text:
            raise InvalidInput(f"{name}: at most 200 characters, no NUL")
        out[name] = text.strip()
    return out


def _quantity(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= MAX_QTY:
        raise InvalidInput(f"a quantity is a whole number from 1 to {MAX_QTY}")
    return int(text)


# -- brand staff: lists and rows -------------------------------------------------------------
ROW_FIELDS = (
    "list_id", "gtin", "category_id", "level", "org_id", "region", "min_qty", "valid_from",
    "valid_until", "price", "base_list_id", "percent", "rounding",
)  # fmt: skip


async def prices_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, p = await _services(call)
    lists = await p.lists(who, brand)
    rows = await p.rows(who, brand)
    names = {pl.id: pl for pl in lists}
    return Page(
        "veriseal_commerce/prices.html",
        {"brand": brand, "lists": lists, "names": names, "error": error,
         "rows": [pricing_input.row_dict(r) for r in rows], "levels": LEVELS,
         "roundings": ROUNDINGS, "edit": call.query.get("edit", "")},
        status,
    )  # fmt: skip


async def list_add(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, p = await _services(call)
    try:
        f = await _fields(call, ("name", "currency"))
        await p.add_list(who, brand, f["name"], f["currency"] or "CNY")
    except VerisealError as exc:
        return await prices_page(call, _message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/prices", "Price list added.", "已新增价格表。")


async def row_save(call: ConsoleCall) -> Page | web.StreamResponse:
    """Add a row, or replace the one named by ``row_id``; a tie is shown, not saved."""
    who, brand, p = await _services(call)
    try:
        f = await _fields(call, (*ROW_FIELDS, "row_id"))
        currency = {x.id: x.currency for x in await p.lists(who, brand)}
        list_id = int(f["list_id"]) if f["list_id"].isdigit() else 0
        row_id = int(f["row_id"]) if f["row_id"].isdigit() else 0
        row = pricing_input.price_row(f, currency.get(list_id, "CNY"), row_id)
        await p.set_row(who, brand, row)
    except VerisealError as exc:
        return await prices_page(call, _message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/prices", "Price row saved.", "价格行已保存。")


async def row_delete(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, p = await _services(call)
    try:
        await p.delete_row(who, brand, call.int_param("id"))
    except VerisealError as exc:
        return await prices_page(call, _message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/prices", "Price row deleted.", "价格行已删除。")


# -- brand staff: promotions -------------------------------------------------------------------
PROMO_FIELDS = ("name", "benefit", "percent", "amount", "tiers", "buy_qty", "gift_qty",
                "gift_gtin", "gtins", "category_ids", "min_qty", "min_amount", "levels",
                "regions", "starts", "ends", "priority", "combines_with", "per_order",
                "per_dealer", "overall", "budget", "suggested_k")  # fmt: skip
#: the planning list on the promotions page: its top-k and how many products it shows
PLAN_K, PLAN_ROWS = 10, 20


async def promotions_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, p = await _services(call)
    found = await p.promotions(who, brand)
    ctx = call.plugin(PLUGIN)
    counts = (await p.suggested_counts(who, brand, PLAN_K))[:PLAN_ROWS]
    names = {x.gtin: x.name for x in await ctx.products(brand)} if counts else {}
    return Page(
        "veriseal_commerce/promotions.html",
        {"brand": brand, "promotions": [pricing_input.promotion_dict(x) for x in found],
         "benefits": BENEFITS, "levels": LEVELS, "error": error,
         "suggestions_on": suggestions_available(ctx), "plan_k": PLAN_K,
         "suggested": [(c.gtin, names.get(c.gtin, c.gtin), c.dealers) for c in counts]},
        status,
    )  # fmt: skip


async def promotion_add(call: ConsoleCall) -> Page | web.StreamResponse:
    who, brand, p = await _services(call)
    try:
        data: dict[str, Any] = dict(await _fields(call, PROMO_FIELDS))
        form = await call.form()
        data["exclusive"] = form.get("exclusive") == "1"
        data["first_order"] = form.get("first_order") == "1"
        data["suggested_only"] = form.get("suggested_only") == "1"
        await p.add_promotion(who, brand, pricing_input.promotion(data))
    except VerisealError as exc:
        return await promotions_page(call, _message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/promotions", "Promotion added.", "已新增促销。")


async def promotion_change(call: ConsoleCall) -> Page | web.StreamResponse:
    """``action``: disable, enable or delete."""
    who, brand, p = await _services(call)
    promo_id = call.int_param("id")
    try:
        action = (await _fields(call, ("action",)))["action"]
        if action == "delete":
            await p.delete_promotion(who, brand, promo_id)
        elif action in ("disable", "enable"):
            await p.set_active(who, brand, promo_id, action == "enable")
        else:
            raise InvalidInput("action: disable, enable or delete")
    except VerisealError as exc:
        return await promotions_page(call, _message(call, exc), exc.http_status)
    return call.redirect(f"{BASE}/promotions", "Promotion changed.", "促销已更新。")


# -- the quote tool (brand staff) --------------------------------------------------------------
async def quote_page(call: ConsoleCall) -> Page:
    """A quote for any dealer (or the retail price), explaining each row; a GET form, so
    a quote can be bookmarked and nothing is written."""
    who, brand, p = await _services(call)
    q = call.query
    form = {k: q.get(k, "") for k in ("dealer", "region", "lines")}
    quote: Quote | None = None
    error, status = "", 200
    if form["lines"]:
        try:
            lines = _lines(form["lines"])
            org = await p.dealer_org(who, brand, form["dealer"]) if form["dealer"] else None
            quote = await p.quote(who, brand, org, lines, form["region"] or None)
        except VerisealError as exc:
            error, status = _message(call, exc), exc.http_status
    products = await call.plugin(PLUGIN).products(brand)
    return Page(
        "veriseal_commerce/quote.html",
        {"brand": brand, "form": form, "quote": quote, "error": error, "products": products},
        status,
    )  # fmt: skip


def _lines(text: str) -> list[tuple[str, int]]:
    """``GTIN QTY`` per line (or ``GTIN,QTY``)."""
    out = []
    for raw in text.replace(",", " ").splitlines()[:200]:
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 2 or len(parts[0]) > 20:
            raise InvalidInput("one line per product: GTIN and quantity")
        out.append((parts[0], _quantity(parts[1])))
    return out


# -- dealers: the catalogue with my prices -----------------------------------------------------
async def catalogue_page(call: ConsoleCall) -> Page:
    """The catalogue by category and search, each product with my price for one unit."""
    who, brand, p = await _services(call)
    ctx = call.plugin(PLUGIN)
    search = call.query.get("q", "")[:100]
    category = call.query_int("category") if call.query.get("category") else None
    products = await ctx.search_products(brand, search, category_id=category, limit=50)
    suggested = [] if search or category else await for_me(ctx, who, brand.id)
    names = {x.gtin: x.name for x in await ctx.products(brand)} if suggested else {}
    gtins = list(dict.fromkeys([x.gtin for x in products] + [s.gtin for s in suggested]))
    quotes = await p.unit_quotes(who, brand, gtins)
    # no row applies to me: None, shown as "ask the brand"
    prices = {g: None if q is None else q.total for g, q in quotes.items()}
    currency = next((q.currency for q in quotes.values() if q is not None), "CNY")
    return Page(
        "veriseal_commerce/catalogue.html",
        {"brand": brand, "products": products, "prices": prices, "currency": currency,
         "categories": await ctx.categories(brand), "q": search, "category": category,
         "suggested": [(s, names.get(s.gtin, s.gtin)) for s in suggested]},
    )  # fmt: skip


async def product_page(call: ConsoleCall) -> Page:
    """One product: my unit price, the volume tiers, the promotions that apply to me
    and availability."""
    who, brand, p = await _services(call)
    ctx = call.plugin(PLUGIN)
    product = await ctx.product(brand, call.request.match_info.get("gtin", "")[:20])
    tiers = await _tiers(p, who, brand, product.gtin)
    avail = ctx.optional(AVAILABILITY)
    available: Any = None
    if not isinstance(avail, Unavailable):
        available = await avail(brand.id, product.gtin, who.org.id if who.org else None)
    return Page(
        "veriseal_commerce/product.html",
        {"brand": brand, "product": product, "tiers": tiers, "available": available,
         "tracked": not isinstance(avail, Unavailable),
         "can_order": ctx.allowed(who, ORDERS_PLACE)},
    )  # fmt: skip


async def _tiers(
    p: PricingService, who: Principal, brand: Brand, gtin: str
) -> list[dict[str, Any]]:
    """My quote at 1 unit and at each volume tier's minimum quantity."""
    rows = await p.tier_quantities(brand, gtin)
    out: list[dict[str, Any]] = []
    for qty in sorted({1, *rows}):
        try:
            q = await p.quote(who, brand, None, [(gtin, qty)], None)
        except VerisealError:
            continue
        line = q.lines[0]
        out.append({"qty": qty, "unit": line.unit_price, "total": q.total, "quote": q,
                    "currency": q.currency})  # fmt: skip
    return out
