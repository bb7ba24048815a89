"""Pure arithmetic of a replacement order's lines: what the exchanged units were worth on
the order they replace, and the exchange credit that makes nothing due.

Contracts:

- the goods of a GTIN on the original order are numbered: first its paid units (every
  line of that GTIN that is not a gift), then its gift units. ``A`` is what the dealer
  paid for the ``P`` paid units (the sum of those lines' amounts after their discounts;
  an exchange credit on a line does not count as paid less: a replacement of a
  replacement is worth what the first order's goods were worth);
- **rounding**: the net unit price is ``A // P`` (floor, integer minor units); the
  remainder ``A - P * (A // P)`` (``0 <= r < P``) is kept on the FIRST paid unit, so the
  units' prices add up exactly to ``A``. Gift units are worth 0 (a gift is not
  exchangeable at a price);
- successive replacements of one order take the next units in that numbering (the units
  earlier replacements took are skipped), so whichever way the units are exchanged, the
  replacements of a GTIN together are worth exactly what the dealer paid; at most all
  ``P + G`` units of a GTIN are ever exchanged (``replacement_exceeds_order``), and only
  GTINs of the order (``replacement_not_on_order``);
- each run of units at one price becomes one line (so a GTIN gives one line, or two when
  the first unit carries a remainder, or one more for gift units): ``unit_price`` is the
  net price, the line's :data:`EXCHANGE` discount equals ``unit_price * quantity`` and its
  ``amount`` is 0: gross less discounts is the amount, and the order's total is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veriseal import Conflict, InvalidInput, register_messages
from veriseal_commerce.orders_store import OrderLine

register_messages(
    {
        "error.replacement_not_on_order": (
            "This product is not on the order it would replace",
            "该商品不在原订单中，不能换货",
        ),
        "error.replacement_exceeds_order": (
            "More units to exchange than the order has left",
            "换货数量超过原订单可换数量",
        ),
    }
)

#: the kind of the exchange credit recorded on a replacement line's discounts
EXCHANGE = "exchange"


class ReplacementNotOnOrder(InvalidInput):
    code = "replacement_not_on_order"


class ReplacementExceedsOrder(Conflict):
    code = "replacement_exceeds_order"


@dataclass(frozen=True)
class Run:
    """``quantity`` consecutive units worth ``price`` each (``gift``: units given free)."""

    price: int
    quantity: int
    gift: bool = False


def unit_split(amount: int, quantity: int) -> tuple[int, int]:
    """(net unit price, remainder) of ``amount`` paid for ``quantity`` units: the floor,
    and what the first unit carries on top (``price * quantity + remainder == amount``)."""
    if quantity <= 0 or amount < 0:
        raise ValueError("a positive quantity and a non-negative amount")
    price, remainder = divmod(amount, quantity)
    return price, remainder


def runs(amount: int, paid: int, gifts: int, start: int, count: int) -> list[Run]:
    """The units ``start .. start+count-1`` of a GTIN (``paid`` units costing ``amount``
    together, then ``gifts`` free ones) as runs of one price, in order."""
    if start < 0 or count <= 0 or start + count > paid + gifts:
        raise ValueError("units outside the order")
    price, remainder = unit_split(amount, paid) if paid else (0, 0)
    segments = [(0, min(paid, 1), price + remainder, False), (1, paid, price, False),
                (paid, paid + gifts, 0, True)]  # fmt: skip
    out: list[Run] = []
    for lo, hi, each, gift in segments:
        n = min(hi, start + count) - max(lo, start)
        if n <= 0:
            continue
        if out and out[-1].price == each and out[-1].gift == gift:
            out[-1] = Run(each, out[-1].quantity + n, gift)
        else:
            out.append(Run(each, n, gift))
    return out


def paid_value(line: OrderLine) -> int:
    """What the line's goods were paid: its amount, plus an exchange credit it carries."""
    credit = sum(int(d.get("amount", 0)) for d in line.discounts if d.get("kind") == EXCHANGE)
    return line.amount + credit


@dataclass(frozen=True)
class Exchange:
    """What a replacement line records: the original order and the return (for notes)."""

    order_no: str
    return_no: str

    @property
    def note(self) -> str:
        return (f"原订单 {self.order_no} 实付单价 / net unit price paid on order"
                f" {self.order_no}")  # fmt: skip

    @property
    def reason(self) -> str:
        return (f"换货：退货单 {self.return_no}，原订单 {self.order_no} / exchange for return"
                f" {self.return_no} of order {self.order_no}")  # fmt: skip


def _credit(amount: int, exchange: Exchange) -> tuple[dict[str, Any], ...]:
    if amount == 0:
        return ()  # gift units: nothing was paid, nothing to credit
    return ({"rule_id": 0, "kind": EXCHANGE, "name": "换货 / Exchange", "amount": amount,
             "reason": exchange.reason},)  # fmt: skip


def replacement_lines(original: Sequence[OrderLine], exchanged: Mapping[str, int],
                      wanted: Sequence[tuple[str, int]], exchange: Exchange
                      ) -> tuple[OrderLine, ...]:  # fmt: skip
    """The replacement's lines for ``wanted`` (GTIN, quantity; merged) given the
    ``original`` order's lines and the units per GTIN ``exchanged`` by its earlier
    replacements (see the module docstring). Refuses before anything is written."""
    out: list[OrderLine] = []
    for gtin, quantity in wanted:
        same = [ln for ln in original if ln.gtin == gtin]
        if not same:
            raise ReplacementNotOnOrder(f"{gtin} is not on order {exchange.order_no}",
                                        gtin=gtin)  # fmt: skip
        paid = sum(ln.quantity for ln in same if not ln.gift)
        gifts = sum(ln.quantity for ln in same if ln.gift)
        start = exchanged.get(gtin, 0)
        left = max(0, paid + gifts - start)
        if quantity > left:
            raise ReplacementExceedsOrder(
                f"{quantity} units of {gtin} to exchange, {left} left on order"
                f" {exchange.order_no} / 换货 {quantity} 件，原订单仅余 {left} 件",
                gtin=gtin, wanted=quantity, left=left,
            )  # fmt: skip
        amount = sum(paid_value(ln) for ln in same if not ln.gift)
        for run in runs(amount, paid, gifts, start, quantity):
            gross = run.price * run.quantity
            note = "赠品换货 / exchanged gift" if run.gift else exchange.note
            out.append(OrderLine(len(out) + 1, gtin, same[0].name, run.quantity, run.price,
                                 note, _credit(gross, exchange), run.gift, 0))  # fmt: skip
    return tuple(out)
