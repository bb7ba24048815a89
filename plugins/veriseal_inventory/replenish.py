"""Suggested replenishment of one product in one warehouse: pure arithmetic, no I/O.

Contracts (the numbers behind a suggestion are all on :class:`Suggestion`):

- **velocity** = units sent out over the window / days in the window (an exact
  :class:`~fractions.Fraction`, units per day); the window is the daily outflow series
  given, one entry per day, zero days included (a quiet day lowers the velocity);
- **days of cover** = available / velocity (``None`` when nothing went out: unlimited);
- **demand over the horizon** = ceil(velocity x (lead time + review period)): the stock
  that sells before an order placed now arrives and the next review comes round,
  rounded UP to whole units (running short costs more than one unit too many);
- **target** = max(safety stock + demand over the horizon, reorder point): the reorder
  point, when set, is a floor under the target, so stock below it is always reordered;
- **position** = available + incoming (already ordered, not yet received);
- nothing is suggested when position >= target; otherwise the quantity is
  max(reorder quantity, target - position), rounded UP to a whole number of packs.

So a suggestion is never negative, never made when the position covers the target, and
never falls when the velocity rises (every step above is monotone in it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from veriseal import InvalidInput, register_messages

register_messages(
    {
        "error.stock_replenish_invalid": (
            "Invalid replenishment input",
            "补货计算的输入无效",
        ),
    }
)

#: the review period when none is configured: stock is looked at again within a week
DEFAULT_REVIEW_DAYS = 7
#: the default velocity window, in days (four whole weeks: weekday patterns cancel out)
DEFAULT_WINDOW_DAYS = 28
#: upper bound on any quantity or day count accepted here (far below int64 limits)
MAX_UNITS = 10**12
MAX_DAYS = 3660


class ReplenishInvalid(InvalidInput):
    code = "stock_replenish_invalid"


@dataclass(frozen=True)
class Policy:
    """The stock policy of one (warehouse, product): all integers, all >= 0.

    ``reorder_point`` 0 means none; ``pack_size`` 1 means single units.
    """

    safety_stock: int = 0
    reorder_point: int = 0
    reorder_qty: int = 0
    lead_time_days: int = 0
    review_days: int = DEFAULT_REVIEW_DAYS
    pack_size: int = 1

    def __post_init__(self) -> None:
        for name in ("safety_stock", "reorder_point", "reorder_qty"):
            _check(name, getattr(self, name), 0, MAX_UNITS)
        _check("lead_time_days", self.lead_time_days, 0, MAX_DAYS)
        _check("review_days", self.review_days, 0, MAX_DAYS)
        _check("pack_size", self.pack_size, 1, MAX_UNITS)


@dataclass(frozen=True)
class Position:
    """What the warehouse has and expects: ``outflow`` is units out per day, oldest first."""

    available: int
    outflow: Sequence[int]
    incoming: int = 0

    def __post_init__(self) -> None:
        _check("available", self.available, 0, MAX_UNITS)
        _check("incoming", self.incoming, 0, MAX_UNITS)
        if not 1 <= len(self.outflow) <= MAX_DAYS:
            raise ReplenishInvalid(f"the velocity window must be 1..{MAX_DAYS} days")
        for day in self.outflow:
            _check("outflow", day, 0, MAX_UNITS)


@dataclass(frozen=True)
class Suggestion:
    """A suggestion with every number behind it (see the module's contracts)."""

    window_days: int
    sold: int
    velocity: Fraction
    days_of_cover: Fraction | None
    horizon_days: int
    horizon_demand: int
    target: int
    position: int
    shortfall: int
    quantity: int
    policy: Policy
    available: int
    incoming: int

    @property
    def needed(self) -> bool:
        return self.quantity > 0

    def explain(self, lang: str = "en") -> list[str]:
        """The numbers behind the suggestion, one line each, in ``lang`` ("zh" or "en")."""
        return [_line(key, lang, **values) for key, values in self._facts()]

    def _facts(self) -> list[tuple[str, dict[str, object]]]:
        p = self.policy
        cover = "∞" if self.days_of_cover is None else _decimal(self.days_of_cover)
        facts: list[tuple[str, dict[str, object]]] = [
            ("velocity", {"sold": self.sold, "days": self.window_days,
                          "v": _decimal(self.velocity)}),
            ("cover", {"available": self.available, "cover": cover}),
            ("horizon", {"lead": p.lead_time_days, "review": p.review_days,
                         "v": _decimal(self.velocity), "demand": self.horizon_demand}),
            ("target", {"safety": p.safety_stock, "demand": self.horizon_demand,
                        "rop": p.reorder_point, "target": self.target}),
            ("position", {"available": self.available, "incoming": self.incoming,
                          "position": self.position}),
        ]  # fmt: skip
        if not self.needed:
            facts.append(("covered", {"position": self.position, "target": self.target}))
        else:
            facts.append(("order", {"shortfall": self.shortfall, "min": p.reorder_qty,
                                    "pack": p.pack_size, "qty": self.quantity}))  # fmt: skip
        return facts


def velocity(outflow: Sequence[int]) -> Fraction:
    """Units per day over the series (exact)."""
    if not outflow:
        raise ReplenishInvalid("the velocity window must have at least one day")
    return Fraction(sum(outflow), len(outflow))


def round_up(quantity: int, pack_size: int) -> int:
    """``quantity`` rounded up to a whole number of packs (0 stays 0)."""
    return -(-quantity // pack_size) * pack_size


def suggest(policy: Policy, position: Position) -> Suggestion:
    """The replenishment suggestion for ``position`` under ``policy`` (module contracts)."""
    v = velocity(position.outflow)
    horizon = policy.lead_time_days + policy.review_days
    demand = math.ceil(v * horizon)
    target = max(policy.safety_stock + demand, policy.reorder_point)
    have = position.available + position.incoming
    shortfall = max(0, target - have)
    quantity = round_up(max(policy.reorder_qty, shortfall), policy.pack_size) if shortfall else 0
    return Suggestion(
        window_days=len(position.outflow),
        sold=sum(position.outflow),
        velocity=v,
        days_of_cover=None if v == 0 else Fraction(position.available) / v,
        horizon_days=horizon,
        horizon_demand=demand,
        target=target,
        position=have,
        shortfall=shortfall,
        quantity=quantity,
        policy=policy,
        available=position.available,
        incoming=position.incoming,
    )


def _check(name: str, value: object, low: int, high: int) -> None:
    # bool is an int subclass: True as a quantity is a caller's mistake, not 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ReplenishInvalid(f"{name} must be an integer in {low}..{high}, not {value!r}")


def _decimal(value: Fraction) -> str:
    """A fraction shown to two decimals (display only: the arithmetic stays exact)."""
    hundredths = round(value * 100)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


_LINES: dict[str, tuple[str, str]] = {
    "velocity": (
        "Velocity: {sold} units out in {days} days = {v} units/day",
        "销售速度：{days} 天出库 {sold} 件 = 每天 {v} 件",
    ),
    "cover": (
        "Days of cover: {available} available / velocity = {cover} days",
        "可售天数：可用 {available} 件 / 销售速度 = {cover} 天",
    ),
    "horizon": (
        "Demand until the next delivery: {v}/day x ({lead} lead + {review} review days),"
        " rounded up = {demand}",
        "补货周期需求：每天 {v} 件 x（交货期 {lead} 天 + 盘点周期 {review} 天），"
        "向上取整 = {demand} 件",
    ),
    "target": (
        "Target: max(safety stock {safety} + {demand}, reorder point {rop}) = {target}",
        "目标库存：max(安全库存 {safety} + {demand}，再订货点 {rop}) = {target} 件",
    ),
    "position": (
        "Position: {available} available + {incoming} incoming = {position}",
        "库存位置：可用 {available} 件 + 在途 {incoming} 件 = {position} 件",
    ),
    "covered": (
        "No order: the position {position} covers the target {target}",
        "无需补货：库存位置 {position} 件已达到目标 {target} 件",
    ),
    "order": (
        "Order: max(shortfall {shortfall}, reorder quantity {min}) in packs of {pack} = {qty}",
        "建议补货：max(缺口 {shortfall} 件，再订货量 {min} 件)，按每包 {pack} 件取整 = {qty} 件",
    ),
}


def _line(key: str, lang: str, **values: object) -> str:
    en, zh = _LINES[key]
    return (zh if lang.lower().startswith("zh") else en).format(**values)
