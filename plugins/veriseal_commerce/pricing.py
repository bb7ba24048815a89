"""The pricing service (``of(ctx).pricing``): price lists, rows and promotions with their
rules and permission checks, quotes through THE engine (:func:`.engine.price_basket`),
and promotion usage recorded under a lock.

Contracts:

- managing lists, rows and promotions needs ``prices.manage`` on the brand; quoting needs
  ``prices.view``: a dealer quotes for its own organisation's subtree only, brand staff
  for any buyer of the brand;
- a row that would tie with another (same scope, level, organisation, region and
  minimum quantity, validity windows overlapping, lists of the same currency) is refused
  with ``price_row_tie``, naming the other row; a list derived from itself, directly or
  not, with ``price_list_cycle``;
- :meth:`PricingService.record_usage` locks each promotion row (in id order), re-checks
  the overall and per-dealer limits and the budget, and records the use, or raises
  ``promotion_exhausted`` (the order's transaction then rolls back: nothing counted);
- every quote (the quote tool, the catalogue, an order's pricing) reads a dealer's
  suggestions once, only when an active promotion is limited to suggested products, from
  ``analytics.suggestions`` (none without the analytics plugin: such a promotion then
  never applies) and hands them to the engine, so a quote and its order agree; an order
  reads them before its write transaction (:meth:`PricingService.read_suggestions`: the
  analytics model may need a refit, which must not hold the writer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from veriseal import (
    Brand,
    Conflict,
    InvalidInput,
    NotFound,
    OrgKind,
    Principal,
    default_boundaries,
    register_messages,
)
from veriseal.extend import PluginContext, Tx
from veriseal_commerce import pricing_store as store
from veriseal_commerce import suggestions
from veriseal_commerce.engine import (
    Basket,
    BasketLine,
    Buyer,
    PriceNotFound,
    Quote,
    Rules,
    price_basket,
)
from veriseal_commerce.money import MAX_MINOR, currency_code
from veriseal_commerce.permissions import PRICES_MANAGE, PRICES_VIEW
from veriseal_commerce.pricing_models import (
    BENEFITS,
    LEVELS,
    MAX_SUGGESTED_K,
    ROUNDINGS,
    PriceList,
    PriceRow,
    Promotion,
)

register_messages(
    {
        "error.price_row_tie": (
            "Another row has the same scope and overlapping dates: the tie is refused",
            "已有范围相同且有效期重叠的价格行：不允许并列",
        ),
        "error.price_list_cycle": (
            "A price list cannot derive from itself",
            "价格表不能由自身派生",
        ),
        "error.price_invalid": ("Invalid price or promotion", "价格或促销无效"),
        "error.price_list_not_found": ("Price list not found", "未找到该价格表"),
        "error.price_row_not_found": ("Price row not found", "未找到该价格行"),
        "error.promotion_not_found": ("Promotion not found", "未找到该促销"),
        "error.promotion_exhausted": (
            "The promotion has reached its limit or budget",
            "该促销已达使用上限或预算",
        ),
    }
)

MAX_LINES = 200
MAX_QTY = 1_000_000


class PriceRowTie(Conflict):
    code = "price_row_tie"


class PriceListCycle(InvalidInput):
    code = "price_list_cycle"


class PriceInvalid(InvalidInput):
    code = "price_invalid"


class PriceListNotFound(NotFound):
    code = "price_list_not_found"


class PriceRowNotFound(NotFound):
    code = "price_row_not_found"


class PromotionNotFound(NotFound):
    code = "promotion_not_found"


class PromotionExhausted(Conflict):
    code = "promotion_exhausted"


#: how many orders ``org_id`` has placed with the brand (set by the orders service)
History = Callable[[int, int], Awaitable[int]]
#: a product's category ids, leaf first (set from the catalogue's category tree)
Categories = Callable[[Brand, str], Awaitable[tuple[int, ...]]]


async def _no_history(brand_id: int, org_id: int) -> int:
    del brand_id, org_id
    return 0


def region_code(text: str) -> str:
    """A region's canonical code (``CN-GD``, ``440100``; ``440000`` -> ``CN-GD``)."""
    try:
        return str(default_boundaries().ancestors(text.strip())[-1].code)
    except NotFound:  # an unknown code is the caller's input error
        raise PriceInvalid(f"unknown region {text[:40]!r}") from None


def region_chain(text: str | None) -> tuple[str, ...]:
    """The region and its ancestors, most specific first (``440100``, ``CN-GD``, ``CN``)."""
    if text is None or not text.strip():
        return ()
    code = region_code(text)
    return tuple(a.code for a in reversed(default_boundaries().ancestors(code)))


def percent(text: str | int | Decimal) -> Decimal:
    """An exact percentage between 0 and 1000 (``price_invalid`` otherwise)."""
    try:
        value = Decimal(str(text).strip().rstrip("%"))
    except InvalidOperation:
        raise PriceInvalid(f"{str(text)[:20]!r} is not a percentage") from None
    if not value.is_finite() or not 0 <= value <= 1000 or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise PriceInvalid("a percentage is between 0 and 1000 with at most 4 decimals")
    return value


@dataclass(frozen=True)
class SuggestedFor:
    """A dealer's top ``k`` suggested GTINs, read ahead of a transaction."""

    org_id: int
    k: int
    gtins: tuple[str, ...]


def suggested_k(promotions: Sequence[Promotion]) -> int:
    """How many suggestions the active suggested-only promotions need (the largest
    top-k: a shorter top-k is a prefix of it); 0 when none is."""
    return max((p.suggested_k for p in promotions if p.active and p.suggested_only), default=0)


class PricingService:
    """See the module docstring."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self.history: History = _no_history
        self.categories: Categories = ctx.category_chain

    # -- buyers and quotes ----------------------------------------------------------------
    async def buyer(
        self, brand: Brand, org_id: int | None, region: str | None, at: dt.datetime
    ) -> Buyer:
        """Who buys: the dealer level and organisation chain of ``org_id`` (None: a
        consumer, the retail price), the delivery region's chain, and whether this is
        the dealer's first order (``history`` says none yet)."""
        del at  # levels and history are read as they are now
        regions = region_chain(region)
        if org_id is None:
            return Buyer(None, "consumer", (), regions, False)
        org = await self.ctx.org(org_id)
        if org.brand_id != brand.id or not _dealer(org):
            raise PriceInvalid("the buyer is not a dealer of this brand")
        chain = tuple(int(x) for x in reversed(org.path.strip("/").split("/")) if x)
        level = "retailer" if org.kind == OrgKind.RETAILER else "distributor"
        if level == "distributor" and org.parent_id is not None:
            parent = await self.ctx.org(org.parent_id)
            if parent.kind == OrgKind.DISTRIBUTOR:
                level = "sub_distributor"
        orders = await self.history(brand.id, org_id)
        return Buyer(org_id, level, chain, regions, orders == 0)

    async def quote(
        self,
        principal: Principal,
        brand: Brand,
        org_id: int | None,
        lines: Sequence[tuple[str, int]],
        region: str | None,
        at: dt.datetime | None = None,
    ) -> Quote:
        """The price of ``lines`` (GTIN, quantity) for ``org_id`` (``prices.view``: a
        dealer for its own subtree; None from a dealer means its own organisation)."""
        org_id = await self._buyer_org(principal, brand, org_id)
        when = at or dt.datetime.now(dt.UTC)
        buyer = await self.buyer(brand, org_id, region, when)
        async with self.ctx.db.read() as tx:
            return await self._quote(tx, brand, buyer, lines, when)

    async def _buyer_org(
        self, principal: Principal, brand: Brand, org_id: int | None
    ) -> int | None:
        """``org_id`` checked against the caller's scope (``prices.view``); None from a
        dealer is its own organisation."""
        self.ctx.require(principal, PRICES_VIEW, brand_id=brand.id)
        own = principal.org
        if org_id is None and own is not None and own.brand_id == brand.id and _dealer(own):
            org_id = own.id
        if org_id is not None:
            self.ctx.require(principal, PRICES_VIEW, brand_id=brand.id, org=await self._org(org_id))
        return org_id

    async def unit_quotes(
        self, principal: Principal, brand: Brand, gtins: Sequence[str]
    ) -> dict[str, Quote | None]:
        """The caller's own quote for one unit of each product (None: no price row
        applies), the rules read once: what a catalogue page lists."""
        org_id = await self._buyer_org(principal, brand, None)
        when = dt.datetime.now(dt.UTC)
        buyer = await self.buyer(brand, org_id, None, when)
        async with self.ctx.db.read() as tx:
            rules = await self.rules(tx, brand.id, org_id)
        buyer = await self.with_suggestions(brand.id, buyer, rules.promotions)
        currency = rules.lists[0].currency if rules.lists else "CNY"
        out: dict[str, Quote | None] = {}
        for gtin in gtins:
            lines = await self.basket_lines(brand, [(gtin, 1)])
            try:
                out[gtin] = price_basket(Basket(brand.id, currency, lines, buyer, when), rules)
            except PriceNotFound:
                out[gtin] = None
        return out

    async def quote_in(
        self,
        tx: Tx,
        brand: Brand,
        buyer: Buyer,
        lines: Sequence[tuple[str, int]],
        ready: SuggestedFor | None = None,
    ) -> Quote:
        """The quote inside the caller's (order's) transaction, at the current time;
        ``ready``: the buyer's suggestions read before the transaction."""
        return await self._quote(tx, brand, buyer, lines, dt.datetime.now(dt.UTC), ready)

    async def _quote(
        self,
        tx: Tx,
        brand: Brand,
        buyer: Buyer,
        lines: Sequence[tuple[str, int]],
        at: dt.datetime,
        ready: SuggestedFor | None = None,
    ) -> Quote:
        basket_lines = await self.basket_lines(brand, lines)
        rules = await self.rules(tx, brand.id, buyer.org_id)
        buyer = await self.with_suggestions(brand.id, buyer, rules.promotions, ready)
        currency = rules.lists[0].currency if rules.lists else "CNY"
        return price_basket(Basket(brand.id, currency, basket_lines, buyer, at), rules)

    async def with_suggestions(
        self,
        brand_id: int,
        buyer: Buyer,
        promotions: Sequence[Promotion],
        ready: SuggestedFor | None = None,
    ) -> Buyer:
        """``buyer`` with its suggested products (:func:`suggested_k` of them), taken
        from ``ready`` when it has enough for this buyer, else read now; as it is when
        no promotion needs them or the buyer is not a dealer."""
        k = suggested_k(promotions)
        if k <= 0 or buyer.org_id is None:
            return buyer
        if ready is not None and ready.org_id == buyer.org_id and ready.k >= k:
            return replace(buyer, suggested=ready.gtins)
        found = await suggestions.suggested_gtins(self.ctx, brand_id, buyer.org_id, k)
        return replace(buyer, suggested=found)

    async def read_suggestions(self, brand_id: int, org_id: int) -> SuggestedFor | None:
        """The dealer's suggestions as the brand's active promotions need them now (None
        when none does), to price an order with inside its transaction without calling
        analytics there. A promotion added meanwhile that needs more is read then."""
        async with self.ctx.db.read() as tx:
            k = suggested_k(await store.promotions(tx, brand_id, active_only=True))
        if k <= 0:
            return None
        return SuggestedFor(org_id, k, await suggestions.suggested_gtins(self.ctx, brand_id,
                                                                          org_id, k))  # fmt: skip

    async def suggested_counts(
        self, principal: Principal, brand: Brand, k: int = 10
    ) -> list[suggestions.SuggestedCount]:
        """For planning promotions (``prices.manage``): each product in some dealer's top
        ``k`` suggestions with how many dealers have it there, most first; [] without
        the analytics plugin."""
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        if not 1 <= k <= MAX_SUGGESTED_K:
            raise PriceInvalid(f"top-k is from 1 to {MAX_SUGGESTED_K}")
        return await suggestions.suggested_counts(self.ctx, brand.id, k)

    async def basket_lines(
        self, brand: Brand, lines: Sequence[tuple[str, int]]
    ) -> tuple[BasketLine, ...]:
        """Checked lines (known products, 1..1,000,000 units, at most 200 lines), the
        same product's lines merged, in first-seen order."""
        if not lines or len(lines) > MAX_LINES:
            raise PriceInvalid(f"a basket has 1 to {MAX_LINES} lines")
        merged: dict[str, int] = {}
        for gtin, qty in lines:
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_QTY:
                raise PriceInvalid(f"a quantity is a whole number from 1 to {MAX_QTY}")
            product = await self.ctx.product(brand, str(gtin))
            merged[product.gtin] = merged.get(product.gtin, 0) + qty
            if merged[product.gtin] > MAX_QTY:
                raise PriceInvalid(f"a quantity is a whole number from 1 to {MAX_QTY}")
        return tuple([BasketLine(g, q, await self.categories(brand, g)) for g, q in merged.items()])

    async def rules(self, tx: Tx, brand_id: int, org_id: int | None) -> Rules:
        """The brand's lists, rows, active promotions and their uses (by ``org_id``)."""
        return Rules(
            tuple(await store.lists(tx, brand_id)),
            tuple(await store.rows(tx, brand_id)),
            tuple(await store.promotions(tx, brand_id, active_only=True)),
            await store.usage(tx, brand_id, org_id),
        )

    async def dealer_org(self, principal: Principal, brand: Brand, ref: str | int) -> int:
        """The organisation id of a dealer named by its org id or its dealer code, among
        the organisations ``principal`` may see (``price_invalid`` otherwise)."""
        text = str(ref).strip()
        own = principal.org
        root = own.id if own is not None and own.brand_id == brand.id else None
        if root is None:
            root = (await self.ctx.brand_org(brand)).id
        for org in await self.ctx.org_tree(principal, root):
            named = text in (str(org.id), org.profile.get("dealer_code"))
            if named and org.brand_id == brand.id and _dealer(org):
                return org.id
        raise PriceInvalid(f"no dealer {text[:40]!r} that you may see")

    async def tier_quantities(self, brand: Brand, gtin: str) -> list[int]:
        """The volume tiers (minimum quantities above 1) of rows that may price
        ``gtin``: the quantities at which a console shows the price again."""
        chain = set(await self.categories(brand, gtin))
        async with self.ctx.db.read() as tx:
            rows = await store.rows(tx, brand.id)
        return sorted(
            {r.min_qty for r in rows
             if r.min_qty > 1 and (r.gtin in (None, gtin)) and (r.category_id is None
                                                                 or r.category_id in chain)}
        )  # fmt: skip

    async def _org(self, org_id: int) -> Any:
        try:
            return await self.ctx.org(org_id)
        except NotFound:
            raise PriceInvalid(f"no organisation {org_id}") from None

    # -- usage ----------------------------------------------------------------------------
    async def record_usage(
        self, tx: Tx, brand_id: int, quote: Quote, order_id: int, org_id: int
    ) -> None:
        """Count the quote's promotions for ``order_id`` (see the module docstring).
        Recording the same order twice counts it once."""
        now = dt.datetime.now(dt.UTC)
        for use in sorted(quote.promotions, key=lambda u: u.promotion_id):
            row = await store.promotion(tx, brand_id, use.promotion_id, lock=True)
            if row is None or not bool(row["active"]):
                raise PromotionExhausted(f"promotion {use.name!r} is no longer available")
            if await self._recorded(tx, use.promotion_id, order_id):
                continue
            promo = store.promotion_of(tx, row)
            mine = await store.dealer_uses(tx, use.promotion_id, org_id)
            used_orders, used_amount = int(row["used_orders"]), int(row["used_amount"])
            if (
                (promo.overall is not None and used_orders >= promo.overall)
                or (promo.per_dealer is not None and mine >= promo.per_dealer)
                or (promo.budget is not None and used_amount + use.amount > promo.budget)
            ):
                raise PromotionExhausted(f"promotion {use.name!r} has reached its limit")
            await store.add_use(
                tx,
                {"promotion_id": use.promotion_id, "brand_id": brand_id, "order_id": order_id,
                 "org_id": org_id, "amount": use.amount, "at": now},
            )  # fmt: skip

    @staticmethod
    async def _recorded(tx: Tx, promo_id: int, order_id: int) -> bool:
        found = await tx.fetchrow(
            "SELECT id FROM commerce_promotion_uses WHERE promotion_id = ? AND order_id = ?"
            " AND released_at IS NULL",
            promo_id,
            order_id,
        )
        return found is not None

    async def release_usage(self, tx: Tx, order_id: int) -> None:
        """Give back the uses of a cancelled, rejected or expired order (idempotent)."""
        await store.release_uses(tx, order_id, dt.datetime.now(dt.UTC))

    # -- price lists and rows -------------------------------------------------------------
    async def lists(self, principal: Principal, brand: Brand) -> list[PriceList]:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.lists(tx, brand.id)

    async def add_list(
        self, principal: Principal, brand: Brand, name: str, currency: str = "CNY"
    ) -> PriceList:
        """A new, empty price list (``prices.manage``); names are unique per brand."""
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        name = name.strip()
        if not 0 < len(name) <= 64:
            raise PriceInvalid("a list name has 1 to 64 characters")
        code = currency_code(currency)
        async with self.ctx.db.write() as tx:
            if any(pl.name == name for pl in await store.lists(tx, brand.id)):
                raise PriceInvalid(f"a list named {name!r} exists")
            new_id = await store.add_list(tx, brand.id, name, code, dt.datetime.now(dt.UTC))
        return PriceList(new_id, brand.id, name, code)

    async def rows(
        self, principal: Principal, brand: Brand, list_id: int | None = None
    ) -> list[PriceRow]:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.rows(tx, brand.id, list_id)

    async def set_row(self, principal: Principal, brand: Brand, row: PriceRow) -> PriceRow:
        """Add ``row`` (``id`` 0) or replace the row with its id; refused on a tie or a
        cycle of derived lists (nothing written). The saved row."""
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        row = await self._checked_row(brand, row)
        async with self.ctx.db.write() as tx:
            lists = {pl.id: pl for pl in await store.lists(tx, brand.id)}
            existing = await store.rows(tx, brand.id)
            _check_row(row, lists, existing)
            if row.id:
                if not any(r.id == row.id for r in existing):
                    raise PriceRowNotFound(f"no price row {row.id}")
                await store.update_row(tx, brand.id, row)
                return row
            new_id = await store.insert_row(tx, brand.id, row, dt.datetime.now(dt.UTC))
        return replace(row, id=new_id)

    async def _checked_row(self, brand: Brand, row: PriceRow) -> PriceRow:
        if row.gtin is not None:
            row = replace(row, gtin=(await self.ctx.product(brand, row.gtin)).gtin)
        if row.region is not None:
            row = replace(row, region=region_code(row.region))
        if row.category_id is not None:
            await self._check_categories(brand, (row.category_id,))
        if row.org_id is not None:
            org = await self._org(row.org_id)
            if org.brand_id != brand.id:
                raise PriceInvalid("the organisation is not in this brand")
        _check_row_values(row)
        return row

    async def _check_categories(self, brand: Brand, ids: Sequence[int]) -> None:
        known = {c.id for c in await self.ctx.categories(brand)} if ids else set()
        for missing in set(ids) - known:
            raise PriceInvalid(f"no category {missing} in this brand")

    async def delete_row(self, principal: Principal, brand: Brand, row_id: int) -> None:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.write() as tx:
            if await store.row(tx, brand.id, row_id) is None:
                raise PriceRowNotFound(f"no price row {row_id}")
            await store.delete_row(tx, brand.id, row_id)

    # -- promotions -----------------------------------------------------------------------
    async def promotions(self, principal: Principal, brand: Brand) -> list[Promotion]:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            return await store.promotions(tx, brand.id)

    async def promotion(self, principal: Principal, brand: Brand, promo_id: int) -> Promotion:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.read() as tx:
            found = await store.promotion(tx, brand.id, promo_id)
            if found is None:
                raise PromotionNotFound(f"no promotion {promo_id}")
            return store.promotion_of(tx, found)

    async def add_promotion(
        self, principal: Principal, brand: Brand, promo: Promotion
    ) -> Promotion:
        """Save a new promotion (``prices.manage``); its id."""
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        promo = replace(promo, brand_id=brand.id, currency=currency_code(promo.currency))
        promo = replace(promo, regions=tuple(region_code(r) for r in promo.regions))
        if promo.gift_gtin is not None:
            promo = replace(promo, gift_gtin=(await self.ctx.product(brand, promo.gift_gtin)).gtin)
        await self._check_categories(brand, promo.category_ids)
        gtins = [(await self.ctx.product(brand, g)).gtin for g in promo.gtins]
        promo = replace(promo, gtins=tuple(gtins))
        check_promotion(promo)
        async with self.ctx.db.write() as tx:
            new_id = await store.insert_promotion(tx, promo, dt.datetime.now(dt.UTC))
        return replace(promo, id=new_id)

    async def set_active(
        self, principal: Principal, brand: Brand, promo_id: int, active: bool
    ) -> None:
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.write() as tx:
            if await store.promotion(tx, brand.id, promo_id, lock=True) is None:
                raise PromotionNotFound(f"no promotion {promo_id}")
            await store.set_active(tx, brand.id, promo_id, active)

    async def delete_promotion(self, principal: Principal, brand: Brand, promo_id: int) -> None:
        """Delete a promotion and its use counts (orders keep their recorded discounts)."""
        self.ctx.require(principal, PRICES_MANAGE, brand_id=brand.id)
        async with self.ctx.db.write() as tx:
            if await store.promotion(tx, brand.id, promo_id, lock=True) is None:
                raise PromotionNotFound(f"no promotion {promo_id}")
            await store.delete_promotion(tx, brand.id, promo_id)


def _dealer(org: Any) -> bool:
    return org.kind in (OrgKind.DISTRIBUTOR, OrgKind.RETAILER)


def _check_row_values(row: PriceRow) -> None:
    if row.gtin is not None and row.category_id is not None:
        raise PriceInvalid("a row is on a product or a category, not both")
    if row.level is not None and row.level not in LEVELS:
        raise PriceInvalid(f"level is one of {', '.join(LEVELS)}")
    if row.rounding not in ROUNDINGS:
        raise PriceInvalid(f"rounding is one of {', '.join(ROUNDINGS)}")
    if not 1 <= row.min_qty <= MAX_QTY:
        raise PriceInvalid(f"a minimum quantity is from 1 to {MAX_QTY}")
    if not 0 <= row.amount <= MAX_MINOR:
        raise PriceInvalid("a price is between 0 and the largest amount")
    if row.valid_from and row.valid_until and row.valid_until <= row.valid_from:
        raise PriceInvalid("a row's validity ends after it starts")
    percent(row.percent)


def _check_row(row: PriceRow, lists: dict[int, PriceList], existing: Sequence[PriceRow]) -> None:
    """Refuse a row whose list is unknown, which derives in a cycle, or which ties."""
    own = lists.get(row.list_id)
    if own is None:
        raise PriceListNotFound(f"no price list {row.list_id}")
    others = [r for r in existing if r.id != row.id]
    if row.base_list_id is not None:
        base = lists.get(row.base_list_id)
        if base is None:
            raise PriceListNotFound(f"no price list {row.base_list_id}")
        if base.currency != own.currency:
            raise PriceInvalid("a list derives from a list of the same currency")
        if _reaches(row.base_list_id, row.list_id, [*others, row]):
            raise PriceListCycle(f"list {own.name!r} would derive from itself")
    same_currency = {i for i, pl in lists.items() if pl.currency == own.currency}
    for other in others:
        if (
            other.list_id in same_currency
            and other.coordinates() == row.coordinates()
            and other.overlaps(row)
        ):
            raise PriceRowTie(
                f"row {other.id} (list {lists[other.list_id].name!r}) has the same scope"
                " and overlapping dates"
            )


def _reaches(start: int, target: int, rows: Sequence[PriceRow]) -> bool:
    edges: dict[int, set[int]] = {}
    for r in rows:
        if r.base_list_id is not None:
            edges.setdefault(r.list_id, set()).add(r.base_list_id)
    seen: set[int] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node == target:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def check_promotion(p: Promotion) -> None:
    """``price_invalid`` unless the promotion's fields make sense for its benefit."""
    if not 0 < len(p.name.strip()) <= 64:
        raise PriceInvalid("a promotion name has 1 to 64 characters")
    if p.benefit not in BENEFITS:
        raise PriceInvalid(f"benefit is one of {', '.join(BENEFITS)}")
    if any(lv not in LEVELS for lv in p.levels):
        raise PriceInvalid(f"levels are among {', '.join(LEVELS)}")
    for value in (p.min_qty, p.min_amount, p.amount):
        if not 0 <= value <= MAX_MINOR:
            raise PriceInvalid("quantities and amounts are not negative")
    for limit in (p.per_order, p.per_dealer, p.overall, p.budget):
        if limit is not None and not 0 <= limit <= MAX_MINOR:
            raise PriceInvalid("limits are not negative")
    if p.starts and p.ends and p.ends <= p.starts:
        raise PriceInvalid("a promotion ends after it starts")
    if not 1 <= p.suggested_k <= MAX_SUGGESTED_K:
        raise PriceInvalid(f"the suggested top-k is from 1 to {MAX_SUGGESTED_K}")
    _check_benefit(p)


def _check_benefit(p: Promotion) -> None:
    if p.benefit in ("percent_off", "tiered"):
        for share in (p.percent, *(pc for _, pc in p.tiers)):
            if percent(share) > 100:
                raise PriceInvalid("a discount is at most 100%")
    if p.benefit == "tiered" and not p.tiers:
        raise PriceInvalid("a tiered discount needs tiers")
    if p.benefit == "gift" and (not p.gift_gtin or p.buy_qty < 1 or p.gift_qty < 1):
        raise PriceInvalid("buy X get Y needs the gift product, X and Y")
    if p.benefit in ("amount_off", "fixed_price") and p.amount <= 0:
        raise PriceInvalid("the amount must be positive")
