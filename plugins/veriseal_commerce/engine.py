"""THE pricing engine: a pure function from a basket and the rules to a quote.

No I/O and no clock (the time is ``Basket.at``): the quote, the order and the console
all call :func:`price_basket`, so a total can never differ between paths.

Contracts (see docs/commerce-prices.md for the worked examples):

- each line's unit price comes from the most specific price row that applies (the
  order is :func:`specificity`); ``price_not_found`` when none does;
- promotions apply in priority order (higher first, then lower id), each at most once
  per basket and once per line, each on the amounts left by the promotions before it
  (a percentage after a sale takes the sale price, a minimum spend is checked after
  earlier discounts); an exclusive promotion never combines with another;
- a line never goes below zero; an order discount is split across its lines by weight
  with the remainder on the last line, so the lines always add up to the total;
- every applied rule is recorded on the line as plain values (rule id, kind, name,
  amount, reason): the record outlives the rule;
- a ``suggested_only`` promotion covers only the lines whose product is in the top
  ``suggested_k`` of ``Buyer.suggested`` (the dealer's suggestions, given by the caller:
  the engine does no I/O); its reasons end with "suggested for you / 为您推荐".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from veriseal import NotFound, register_messages
from veriseal_commerce.money import format_amount, percent_of, split_by_weight
from veriseal_commerce.pricing_models import (
    BENEFITS,
    SUGGESTED_REASON,
    PriceList,
    PriceRow,
    Promotion,
    Usage,
    round_price,
)

__all__ = [
    "BENEFITS",
    "AppliedDiscount",
    "Basket",
    "BasketLine",
    "Buyer",
    "PriceList",
    "PriceNotFound",
    "PriceRow",
    "PriceSource",
    "Promotion",
    "PromotionUse",
    "Quote",
    "QuoteLine",
    "Rules",
    "Usage",
    "price_basket",
    "specificity",
]

register_messages({"error.price_not_found": ("No price for this product", "该商品没有适用的价格")})

#: the buyer's level when a base list is priced: its rows' level is not checked
ANY_LEVEL = "*"
#: the deepest chain of "percentage of another list" rows followed before giving up
MAX_DERIVATION = 4


class PriceNotFound(NotFound):
    """No price row applies to a line (for this buyer, quantity and date)."""

    code = "price_not_found"


@dataclass(frozen=True)
class BasketLine:
    gtin: str
    quantity: int
    category_chain: tuple[int, ...] = ()  # leaf -> root category ids


@dataclass(frozen=True)
class Buyer:
    org_id: int | None  # None: a consumer (the retail price)
    level: str  # distributor | sub_distributor | retailer | consumer
    org_chain: tuple[int, ...] = ()  # own org id -> ... -> the brand's root org
    region_chain: tuple[str, ...] = ()  # most specific first: "440305", ..., "CN"
    first_order: bool = False
    #: the products suggested for this dealer, best first (``analytics.suggestions``,
    #: read once per quote by the pricing service; empty without the analytics plugin):
    #: what a ``suggested_only`` promotion's top-k is taken from
    suggested: tuple[str, ...] = ()


@dataclass(frozen=True)
class Basket:
    brand_id: int
    currency: str
    lines: tuple[BasketLine, ...]
    buyer: Buyer
    at: dt.datetime


@dataclass(frozen=True)
class Rules:
    """What the engine prices with: the brand's lists, rows and promotions, and the
    promotions' uses so far (by this buyer and overall)."""

    lists: tuple[PriceList, ...] = ()
    rows: tuple[PriceRow, ...] = ()
    promotions: tuple[Promotion, ...] = ()
    usage: Mapping[int, Usage] = field(default_factory=dict)


@dataclass(frozen=True)
class PriceSource:
    """The price row that gave a line its unit price, and why it won."""

    row_id: int
    list_id: int
    list_name: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_id": self.row_id,
            "list_id": self.list_id,
            "list_name": self.list_name,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AppliedDiscount:
    rule_id: int
    kind: str
    name: str
    amount: int  # minor units taken off this line
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "name": self.name,
            "amount": self.amount,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class QuoteLine:
    gtin: str
    quantity: int
    unit_price: int
    price: PriceSource | None  # None on a gift line without a price row
    discounts: tuple[AppliedDiscount, ...]
    line_total: int
    gift: bool = False

    @property
    def gross(self) -> int:
        return self.unit_price * self.quantity

    def to_dict(self) -> dict[str, Any]:
        return {
            "gtin": self.gtin,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "price": self.price.to_dict() if self.price else None,
            "discounts": [d.to_dict() for d in self.discounts],
            "line_total": self.line_total,
            "gift": self.gift,
        }


@dataclass(frozen=True)
class PromotionUse:
    """One promotion's use by a quote: what ``record_usage`` counts against its limits."""

    promotion_id: int
    name: str
    amount: int  # the discount it gave, minor units (counts against its budget)

    def to_dict(self) -> dict[str, Any]:
        return {"promotion_id": self.promotion_id, "name": self.name, "amount": self.amount}


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: int  # before discounts
    discount: int
    total: int
    free_shipping: bool
    promotions: tuple[PromotionUse, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal,
            "discount": self.discount,
            "total": self.total,
            "free_shipping": self.free_shipping,
            "promotions": [p.to_dict() for p in self.promotions],
        }


# -- price rows --------------------------------------------------------------------------


def specificity(row: PriceRow, line: BasketLine, buyer: Buyer) -> tuple[int, ...] | None:
    """The row's rank for this line and buyer (greater is more specific), or None when
    it does not apply. Compared in this order: the product scope (a product, then a
    category nearer the product, then everything), the organisation (own org, then
    nearer ancestors, then none), the region (nearer, then none), the dealer level
    (named, then any), the minimum quantity (the highest tier reached)."""
    product = _rank_product(row, line)
    org = _rank_chain(row.org_id, buyer.org_chain)
    region = _rank_chain(row.region, buyer.region_chain)
    if product is None or org is None or region is None:
        return None
    if row.level is not None and buyer.level not in (row.level, ANY_LEVEL):
        return None
    if line.quantity < row.min_qty:
        return None
    return (product, org, region, 0 if row.level is None else 1, row.min_qty)


def _rank_product(row: PriceRow, line: BasketLine) -> int | None:
    if row.gtin is not None:
        return 1_000_000 if row.gtin == line.gtin else None
    if row.category_id is not None:
        rank = _rank_chain(row.category_id, line.category_chain)
        return rank
    return 0


def _rank_chain(value: Any, chain: Sequence[Any]) -> int | None:
    """0 when the row names nothing; else higher the nearer ``value`` is to the start of
    ``chain`` (the buyer's own org / region, the product's leaf category); None if absent."""
    if value is None:
        return 0
    try:
        return len(chain) - chain.index(value) + 1
    except ValueError:
        return None


@dataclass(frozen=True)
class _Priced:
    unit: int
    row: PriceRow
    why: str


def _best_row(
    rows: Sequence[PriceRow], line: BasketLine, buyer: Buyer, at: dt.datetime
) -> tuple[PriceRow, tuple[int, ...]] | None:
    best: tuple[PriceRow, tuple[int, ...]] | None = None
    for row in rows:
        if not row.valid_at(at):
            continue
        rank = specificity(row, line, buyer)
        if rank is None:
            continue
        # ties are refused when rows are saved; the lower id decides if one slipped in
        if best is None or rank > best[1] or (rank == best[1] and row.id < best[0].id):
            best = (row, rank)
    return best


def _price_line(
    rules: _Index, line: BasketLine, buyer: Buyer, at: dt.datetime, list_id: int | None = None
) -> _Priced | None:
    return _price_from(rules, line, buyer, at, list_id, 0)


def _price_from(
    rules: _Index,
    line: BasketLine,
    buyer: Buyer,
    at: dt.datetime,
    list_id: int | None,
    depth: int,
) -> _Priced | None:
    scoped = rules.rows if list_id is None else rules.by_list.get(list_id)
    found = None if scoped is None else _best_row(scoped.candidates(line), line, buyer, at)
    if found is None or depth > MAX_DERIVATION:
        return None
    row, rank = found
    why = _explain(row, rank)
    if row.base_list_id is None:
        return _Priced(round_price(row.amount, row.rounding, rules.currency), row, why)
    # the base list is priced for the same line and buyer, whatever its rows' level
    anyone = replace(buyer, level=ANY_LEVEL)
    base = _price_from(rules, line, anyone, at, row.base_list_id, depth + 1)
    if base is None:
        return None
    unit = round_price(percent_of(base.unit, row.percent), row.rounding, rules.currency)
    name = rules.list_names.get(row.base_list_id, str(row.base_list_id))
    base_price = format_amount(base.unit, rules.currency)
    return _Priced(unit, row, f"{why}; {row.percent}% of {name} ({base_price})")


def _explain(row: PriceRow, rank: tuple[int, ...]) -> str:
    scope = (
        f"product {row.gtin}"
        if row.gtin
        else f"category {row.category_id}"
        if row.category_id is not None
        else "every product"
    )
    parts = [scope]
    if row.org_id is not None:
        parts.append(f"org {row.org_id}")
    if row.region:
        parts.append(f"region {row.region}")
    if row.level:
        parts.append(f"level {row.level}")
    if row.min_qty > 1:
        parts.append(f"from {row.min_qty} units")
    return "row " + str(row.id) + ": " + ", ".join(parts) + f" (rank {list(rank)})"


class _Scoped:
    """Rows by product scope (a GTIN, a category id, or every product), so a line
    looks only at the rows that can cover it (the result is the same as scanning all)."""

    def __init__(self, rows: Sequence[PriceRow]) -> None:
        self.by_gtin: dict[str, list[PriceRow]] = {}
        self.by_category: dict[int, list[PriceRow]] = {}
        self.every: list[PriceRow] = []
        for r in rows:
            if r.gtin is not None:
                self.by_gtin.setdefault(r.gtin, []).append(r)
            elif r.category_id is not None:
                self.by_category.setdefault(r.category_id, []).append(r)
            else:
                self.every.append(r)

    def candidates(self, line: BasketLine) -> list[PriceRow]:
        found = list(self.by_gtin.get(line.gtin, ()))
        for category in line.category_chain:
            found += self.by_category.get(category, ())
        return found + self.every


@dataclass
class _Index:
    currency: str
    rows: _Scoped
    by_list: dict[int, _Scoped]
    list_names: dict[int, str]


def _index(rules: Rules, currency: str) -> _Index:
    lists = {pl.id: pl for pl in rules.lists if pl.currency == currency}
    rows = [r for r in rules.rows if r.list_id in lists]
    by_list: dict[int, list[PriceRow]] = {}
    for r in rows:
        by_list.setdefault(r.list_id, []).append(r)
    return _Index(
        currency,
        _Scoped(rows),
        {k: _Scoped(v) for k, v in by_list.items()},
        {k: v.name for k, v in lists.items()},
    )


# -- promotions --------------------------------------------------------------------------


@dataclass
class _Line:
    """A line being priced: its amount after the discounts so far."""

    gtin: str
    quantity: int
    chain: tuple[int, ...]
    unit: int
    source: PriceSource | None
    gift: bool
    discounts: list[AppliedDiscount] = field(default_factory=list)

    @property
    def current(self) -> int:
        return self.unit * self.quantity - sum(d.amount for d in self.discounts)


@dataclass
class _State:
    lines: list[_Line]
    applied: list[Promotion] = field(default_factory=list)
    uses: list[PromotionUse] = field(default_factory=list)
    free_shipping: bool = False


def price_basket(basket: Basket, rules: Rules) -> Quote:
    """The quote of ``basket`` under ``rules`` (see the module docstring). Raises
    ``price_not_found`` when a line has no price row."""
    index = _index(rules, basket.currency)
    state = _State([_first_price(index, line, basket) for line in basket.lines])
    once = {p.id: p for p in rules.promotions}  # a promotion listed twice applies once
    for promo in sorted(once.values(), key=lambda p: (-p.priority, p.id)):
        _apply(promo, basket, rules.usage.get(promo.id, Usage()), state, index)
    lines = tuple(
        QuoteLine(
            ln.gtin, ln.quantity, ln.unit, ln.source, tuple(ln.discounts), ln.current, ln.gift
        )
        for ln in state.lines
    )
    subtotal = sum(ln.gross for ln in lines)
    total = sum(ln.line_total for ln in lines)
    return Quote(
        basket.currency,
        lines,
        subtotal,
        subtotal - total,
        total,
        state.free_shipping,
        tuple(state.uses),
    )


def _first_price(index: _Index, line: BasketLine, basket: Basket) -> _Line:
    priced = _price_line(index, line, basket.buyer, basket.at)
    if priced is None:
        raise PriceNotFound(f"no price for {line.gtin} x {line.quantity}")
    row = priced.row
    source = PriceSource(row.id, row.list_id, index.list_names[row.list_id], priced.why)
    return _Line(line.gtin, line.quantity, line.category_chain, priced.unit, source, False)


def _compatible(promo: Promotion, applied: Sequence[Promotion]) -> bool:
    for other in applied:
        if promo.exclusive or other.exclusive:
            return False
        if promo.combines_with and other.id not in promo.combines_with:
            return False
        if other.combines_with and promo.id not in other.combines_with:
            return False
    return True


def _eligible(promo: Promotion, basket: Basket, usage: Usage) -> bool:
    buyer = basket.buyer
    return (
        promo.active
        and promo.currency == basket.currency
        and promo.in_window(basket.at)
        and (not promo.levels or buyer.level in promo.levels)
        and (not promo.regions or any(r in promo.regions for r in buyer.region_chain))
        and (not promo.first_order or buyer.first_order)
        and usage.allows(promo)
    )


def _apply(promo: Promotion, basket: Basket, usage: Usage, state: _State, index: _Index) -> None:
    if not _eligible(promo, basket, usage) or not _compatible(promo, state.applied):
        return
    suggested = basket.buyer.suggested
    targets = [
        ln for ln in state.lines if not ln.gift and promo.covers(ln.gtin, ln.chain, suggested)
    ]
    quantity = sum(ln.quantity for ln in targets)
    amount = sum(ln.current for ln in targets)
    if not targets or quantity < promo.min_qty or amount < promo.min_amount:
        return
    if promo.benefit == "free_shipping":
        state.free_shipping = True
        _used(promo, state, 0)
        return
    if promo.benefit == "gift":
        _gift(promo, basket, usage, state, index, quantity)
        return
    raw = _raw_discounts(promo, targets, quantity)
    given = _cap(raw, usage.budget_left(promo))
    if sum(given) <= 0:
        return
    reason = promo.reason(quantity, amount)
    for ln, amt in zip(targets, given, strict=True):
        if amt > 0:
            ln.discounts.append(AppliedDiscount(promo.id, promo.benefit, promo.name, amt, reason))
    _used(promo, state, sum(given))


def _used(promo: Promotion, state: _State, amount: int) -> None:
    state.applied.append(promo)
    state.uses.append(PromotionUse(promo.id, promo.name, amount))


def _raw_discounts(promo: Promotion, targets: Sequence[_Line], quantity: int) -> list[int]:
    """Each target line's discount before the budget cap, never above its amount."""
    if promo.benefit == "amount_off":
        total = min(promo.amount, sum(ln.current for ln in targets))
        return split_by_weight(total, [ln.current for ln in targets])
    if promo.benefit == "fixed_price":
        return [max(0, ln.current - promo.amount * ln.quantity) for ln in targets]
    percent = promo.percent if promo.benefit == "percent_off" else promo.tier_percent(quantity)
    return [min(ln.current, percent_of(ln.current, percent)) for ln in targets]


def _cap(raw: list[int], left: int | None) -> list[int]:
    """The discounts within a budget's remainder (``None``: no budget), shared in
    proportion to what each line would have had."""
    total = sum(raw)
    if left is None or total <= left:
        return raw
    if left <= 0:
        return [0] * len(raw)
    return split_by_weight(left, raw)


def _gift(
    promo: Promotion, basket: Basket, usage: Usage, state: _State, index: _Index, quantity: int
) -> None:
    """Buy ``buy_qty`` get ``gift_qty`` of ``gift_gtin``: one gift line, its full price
    as its discount (so it counts against the budget at its listed value)."""
    if not promo.gift_gtin or promo.buy_qty <= 0:
        return
    sets = quantity // promo.buy_qty
    if promo.per_order is not None:
        sets = min(sets, promo.per_order)
    gift = BasketLine(promo.gift_gtin, 1, ())
    priced = _price_line(index, gift, basket.buyer, basket.at)
    unit = priced.unit if priced else 0
    left = usage.budget_left(promo)
    if left is not None and unit > 0:
        sets = min(sets, left // (unit * promo.gift_qty))
    if sets <= 0:
        return
    count = sets * promo.gift_qty
    source = None
    if priced is not None:
        list_name = index.list_names[priced.row.list_id]
        source = PriceSource(priced.row.id, priced.row.list_id, list_name, priced.why)
    line = _Line(promo.gift_gtin, count, (), unit, source, True)
    reason = f"buy {promo.buy_qty} get {promo.gift_qty} of {promo.gift_gtin}, {sets} times"
    if promo.suggested_only:
        reason = f"{reason}; {SUGGESTED_REASON}"
    line.discounts.append(AppliedDiscount(promo.id, "gift", promo.name, unit * count, reason))
    state.lines.append(line)
    _used(promo, state, unit * count)


def as_percent(text: str | int | Decimal) -> Decimal:
    """A percentage as an exact decimal (kept as text in rows and promotions)."""
    return Decimal(str(text))
