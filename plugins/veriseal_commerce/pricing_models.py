"""The records the pricing engine reads: price lists, price rows, promotions, usage.

Plain frozen values (no I/O): the store builds them from rows, the engine reads them,
tests build them by hand. Amounts are integer minor units; percentages exact decimals.

Rounding rules of a price row (applied to the row's price, fixed or derived):

- ``none``: as is (a derived price is rounded half away from zero to the minor unit);
- ``end_8``: up to the nearest price whose whole units end in 8 (123.45 -> 128.00,
  128.00 stays, 128.01 -> 138.00);
- ``end_9_9``: up to the nearest price ending in 9.9 (123.45 -> 129.90, 9.95 -> 19.90).

A rounding rule never lowers a price: rounding up keeps a derived wholesale price from
slipping below what the percentage gives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from veriseal_commerce.money import format_amount, precision

LEVELS = ("distributor", "sub_distributor", "retailer", "consumer")
ROUNDINGS = ("none", "end_8", "end_9_9")
BENEFITS = ("percent_off", "amount_off", "fixed_price", "tiered", "gift", "free_shipping")
#: the most suggestions a "suggested products only" promotion may look at (its top-k)
MAX_SUGGESTED_K = 50
#: what a discount's reason says when it applied only because the product is suggested
SUGGESTED_REASON = "suggested for you / 为您推荐"


@lru_cache(maxsize=64)
def _major(currency: str) -> int:
    return int(10 ** precision(currency))


def round_price(minor: int, rule: str, currency: str) -> int:
    """``minor`` under the rounding ``rule`` (see the module docstring)."""
    if rule == "none" or minor <= 0:
        return minor
    major = _major(currency)
    grid = 10 * major
    offset = 8 * major if rule == "end_8" else 99 * major // 10
    # the smallest k * grid + offset that is >= minor
    k = -((offset - minor) // grid)
    return max(0, k) * grid + offset


@dataclass(frozen=True)
class PriceList:
    id: int
    brand_id: int
    name: str
    currency: str = "CNY"


@dataclass(frozen=True)
class PriceRow:
    """One row of a price list. Scope: ``gtin`` (a product) or ``category_id`` (a
    category and its sub-categories) or neither (everything); ``level``, ``org_id`` (an
    organisation subtree) and ``region`` (a region and its sub-regions) narrow it when
    set. Price: ``amount`` (fixed), or ``percent`` of the price ``base_list_id`` gives;
    then ``rounding``."""

    id: int
    list_id: int
    gtin: str | None = None
    category_id: int | None = None
    level: str | None = None
    org_id: int | None = None
    region: str | None = None
    min_qty: int = 1
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None  # exclusive
    amount: int = 0
    base_list_id: int | None = None
    percent: Decimal = Decimal(100)
    rounding: str = "none"

    def valid_at(self, at: dt.datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )

    def coordinates(self) -> tuple[object, ...]:
        """What makes two rows compete for the same line and buyer at one rank."""
        return (self.gtin, self.category_id, self.level, self.org_id, self.region, self.min_qty)

    def overlaps(self, other: PriceRow) -> bool:
        """Whether the two validity windows share an instant."""
        lo = max(_t(self.valid_from, -1), _t(other.valid_from, -1))
        hi = min(_t(self.valid_until, 1), _t(other.valid_until, 1))
        return lo < hi


_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def _t(value: dt.datetime | None, side: int) -> dt.datetime:
    if value is None:
        return _MIN if side < 0 else _MAX
    return value


@dataclass(frozen=True)
class Promotion:
    """A condition and a benefit. Conditions: ``gtins`` / ``category_ids`` (the lines
    it covers; neither: every line), ``min_qty`` and ``min_amount`` over those lines
    (after earlier discounts), ``levels``, ``regions`` (a region covers its
    sub-regions), the window [``starts``, ``ends``), ``first_order``, ``suggested_only``
    (a line is covered only if its product is among the ordering dealer's top
    ``suggested_k`` suggestions: see :meth:`covers`). Benefits: see
    :data:`BENEFITS`. Stacking: ``priority`` (higher first), ``exclusive`` (never with
    another), ``combines_with`` (when set, only with those promotions). Limits: uses per
    order (gift sets), per dealer and overall (orders), and a ``budget`` (total
    discount, minor units)."""

    id: int
    brand_id: int
    name: str
    benefit: str
    currency: str = "CNY"
    priority: int = 0
    exclusive: bool = False
    combines_with: tuple[int, ...] = ()
    gtins: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    min_qty: int = 0
    min_amount: int = 0
    levels: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    first_order: bool = False
    suggested_only: bool = False
    suggested_k: int = 10
    percent: Decimal = Decimal(0)  # percent_off
    amount: int = 0  # amount_off: off the order; fixed_price: the unit price
    tiers: tuple[tuple[int, Decimal], ...] = ()  # tiered: (from quantity, percent off)
    buy_qty: int = 0  # gift: for every buy_qty units covered ...
    gift_qty: int = 0  # ... gift_qty units of gift_gtin free
    gift_gtin: str | None = None
    per_order: int | None = None
    per_dealer: int | None = None
    overall: int | None = None
    budget: int | None = None
    active: bool = True

    def in_window(self, at: dt.datetime) -> bool:
        return (self.starts is None or self.starts <= at) and (self.ends is None or at < self.ends)

    def covers(self, gtin: str, chain: tuple[int, ...], suggested: tuple[str, ...] = ()) -> bool:
        """Whether a line of ``gtin`` (categories ``chain``) is one this promotion is on.
        ``suggested``: the buyer's suggested GTINs, best first; a ``suggested_only``
        promotion covers a line only when ``gtin`` is among the first ``suggested_k`` of
        them (so with no suggestions, e.g. without the analytics plugin, never)."""
        if self.suggested_only and gtin not in suggested[: self.suggested_k]:
            return False
        if not self.gtins and not self.category_ids:
            return True
        return gtin in self.gtins or any(c in self.category_ids for c in chain)

    def tier_percent(self, quantity: int) -> Decimal:
        """The percentage of the highest tier ``quantity`` reaches (0 below the first)."""
        reached = [p for q, p in self.tiers if quantity >= q]
        return max(reached) if reached else Decimal(0)

    def reason(self, quantity: int, amount: int) -> str:
        """Why it applied, for people (amounts in the promotion's currency)."""
        money = format_amount  # minor units -> "12.50"
        what = {
            "percent_off": f"{self.percent}% off",
            "amount_off": f"{money(self.amount, self.currency)} off",
            "fixed_price": f"unit price {money(self.amount, self.currency)}",
            "tiered": f"{self.tier_percent(quantity)}% off at {quantity} units",
        }.get(self.benefit, self.benefit)
        why = f"{what} (on {quantity} units, {money(amount, self.currency)})"
        return f"{why}; {SUGGESTED_REASON}" if self.suggested_only else why


@dataclass(frozen=True)
class Usage:
    """A promotion's uses so far: orders overall, orders by this buyer, discount given."""

    orders: int = 0
    by_dealer: int = 0
    amount: int = 0

    def allows(self, promo: Promotion) -> bool:
        """Whether one more order may use ``promo``."""
        return (
            (promo.overall is None or self.orders < promo.overall)
            and (promo.per_dealer is None or self.by_dealer < promo.per_dealer)
            and (promo.budget is None or self.amount < promo.budget)
        )

    def budget_left(self, promo: Promotion) -> int | None:
        return None if promo.budget is None else max(0, promo.budget - self.amount)
