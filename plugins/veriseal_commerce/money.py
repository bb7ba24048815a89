"""Money as integer minor units (分 for CNY) with its currency: never a float.

Contracts:

- a currency is an ISO 4217 code; its precision (digits after the point: CNY 2, JPY 0,
  KWD 3) comes from CLDR via Babel, so amounts in any currency are exact integers;
- :func:`parse_amount` reads what people type ("12.5", "12.50", "1,200", "¥8") and
  refuses more decimals than the currency has, never rounding silently;
- :func:`percent_of` is the ONE rounding of a share of an amount: half away from zero to
  the minor unit (12.345 -> 12.35, 0.5 分 -> 1 分), on exact decimals;
- :func:`split_by_weight` shares an amount across weights: each share is rounded down
  and the remainder goes to the last share (spilling to the shares before it so that no
  share exceeds its weight when the amount fits), so the shares always add up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from veriseal import InvalidInput, register_messages

register_messages(
    {
        "error.money_invalid": ("Invalid amount of money", "金额无效"),
        "error.currency_mismatch": ("Amounts in different currencies", "币种不一致"),
    }
)

#: the largest amount accepted anywhere, in minor units (10^13 分 = 1000 亿元): far above
#: any order, far below an int64 column's limit even after summing thousands of lines
MAX_MINOR = 10**13
_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(r"[+-]?\d+(\.\d*)?|[+-]?\.\d+")
_SYMBOLS = "¥￥$€£ \u00a0\u3000"


class MoneyInvalid(InvalidInput):
    code = "money_invalid"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"


def currency_code(text: str) -> str:
    """An upper-case ISO 4217 code, ``money_invalid`` otherwise."""
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise MoneyInvalid(f"{text!r} is not an ISO 4217 currency code")
    return code


def precision(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (CLDR; 2 when CLDR does not know it)."""
    return int(get_currency_precision(currency_code(currency)))


@dataclass(frozen=True, order=True)
class Money:
    """An exact amount: ``minor`` units of ``currency`` (1 CNY = 100 minor units)."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise MoneyInvalid("an amount is a whole number of minor units")
        if abs(self.minor) > MAX_MINOR:
            raise MoneyInvalid("amount out of range")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)

    def __str__(self) -> str:
        return f"{format_amount(self.minor, self.currency)} {self.currency}"

    def to_dict(self) -> dict[str, object]:
        """``{"amount": 1250, "currency": "CNY", "display": "12.50"}``: minor units are
        the value; ``display`` is for people."""
        return {
            "amount": self.minor,
            "currency": self.currency,
            "display": format_amount(self.minor, self.currency),
        }


def parse_amount(text: str | int, currency: str = "CNY") -> int:
    """Minor units of a typed amount (``"12.5"`` CNY -> 1250). An ``int`` is taken as
    minor units already. ``money_invalid`` for anything else, for more decimals than
    the currency has, or beyond :data:`MAX_MINOR`."""
    if isinstance(text, bool):
        raise MoneyInvalid("an amount is a number")
    if isinstance(text, int):
        return Money(text, currency_code(currency)).minor
    cleaned = text.strip().strip(_SYMBOLS).replace(",", "").replace("，", "")
    if not _AMOUNT.fullmatch(cleaned):
        raise MoneyInvalid(f"{text!r} is not an amount")
    digits = precision(currency)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyInvalid(f"{text!r} is not an amount") from None
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyInvalid(f"{currency} has {digits} decimals: {text!r} has more")
    return Money(int(scaled), currency_code(currency)).minor


def format_amount(minor: int, currency: str = "CNY") -> str:
    """``1250`` CNY -> ``"12.50"`` (plain digits, a point, no grouping: for machines and
    forms; the console formats for the reader's locale)."""
    digits = precision(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"


def percent_of(minor: int, percent: Decimal | int | str) -> int:
    """``percent`` % of ``minor``, rounded half away from zero to the minor unit."""
    try:
        share = Decimal(minor) * Decimal(percent) / Decimal(100)
    except InvalidOperation:
        raise MoneyInvalid(f"{percent!r} is not a percentage") from None
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_by_weight(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` shared in proportion to non-negative ``weights``: each share rounded
    toward zero, the remainder on the last share with a positive weight (or the last
    share when all weights are 0), so ``sum(result) == amount`` always."""
    if not weights:
        if amount:
            raise MoneyInvalid("nothing to share an amount across")
        return []
    if any(w < 0 for w in weights):
        raise MoneyInvalid("weights are non-negative")
    total = sum(weights)
    if total == 0:
        return [0] * (len(weights) - 1) + [amount]
    shares = [int(Decimal(amount) * w / total) for w in weights]  # toward zero, exact
    rest = amount - sum(shares)
    if 0 <= amount <= total:
        # the remainder goes on the last line, and on the ones before it only where the
        # last cannot take it all: a share never exceeds its weight (a discount split
        # over amounts never takes a line below zero)
        for i in reversed(range(len(weights))):
            add = min(rest, weights[i] - shares[i])
            shares[i] += add
            rest -= add
        return shares
    last = max(i for i, w in enumerate(weights) if w > 0)
    shares[last] += rest
    return shares
