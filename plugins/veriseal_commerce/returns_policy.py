"""The rules a return request must pass, as pure functions (no I/O), and the value of
returned units.

Contracts:

- eligibility per brand (:class:`ReturnSettings`): a return window in days after the
  order's last delivery (``return_window_closed`` past it), products that cannot be
  returned at all and products that come back only unopened (``return_not_eligible``
  naming the product), and a list of reasons (``return_invalid`` for a code not on it);
- quantities: per product, asked <= delivered - already in returns
  (``return_too_many`` naming the product, what was asked and what is left);
- value: the refund value of ``k`` units of a product whose order lines cost ``amount``
  for ``quantity`` units (after their discounts; gifts are units too, so a unit is worth
  the average the dealer paid), ``before`` of them returned already, is
  ``amount * (before + k) // quantity - amount * before // quantity``: returns of every
  unit, in any number of parts, add up to exactly ``amount``, and no part is ever worth
  more than its share rounded up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from veriseal_commerce.returns_errors import (
    ReturnInvalid,
    ReturnNotEligible,
    ReturnTooMany,
    ReturnWindowClosed,
)

DEFAULT_WINDOW_DAYS = 30
MAX_REASONS = 50


@dataclass(frozen=True)
class Reason:
    code: str
    en: str
    zh: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "en": self.en, "zh": self.zh}


DEFAULT_REASONS = (
    Reason("damaged", "Damaged in transit", "运输破损"),
    Reason("defective", "Quality problem", "质量问题"),
    Reason("wrong_item", "Wrong product delivered", "发错货"),
    Reason("near_expiry", "Near or past its expiry date", "临期或过期"),
    Reason("unsold", "Unsold stock", "滞销库存"),
    Reason("other", "Other (say why)", "其他（请说明）"),
)


@dataclass(frozen=True)
class ReturnSettings:
    """A brand's eligibility rules (the defaults until the brand saves its own)."""

    brand_id: int
    window_days: int = DEFAULT_WINDOW_DAYS
    no_return: frozenset[str] = frozenset()
    sealed_only: frozenset[str] = frozenset()
    reasons: tuple[Reason, ...] = DEFAULT_REASONS
    updated_by: str = ""
    updated_at: dt.datetime | None = None

    def reason(self, code: str) -> Reason:
        """The reason named ``code`` (``return_invalid`` when the brand offers none such)."""
        for r in self.reasons:
            if r.code == code:
                return r
        raise ReturnInvalid(
            f"{code[:40]!r} is not one of the brand's return reasons / 退换货原因无效",
            reason=code[:40],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "no_return": sorted(self.no_return),
            "sealed_only": sorted(self.sealed_only),
            "reasons": [r.to_dict() for r in self.reasons],
            "updated_by": self.updated_by,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


def checked_reasons(raw: Iterable[Mapping[str, Any]]) -> tuple[Reason, ...]:
    """Reasons from JSON-like input: codes are 1-40 of a-z, 0-9 and _, unique; texts
    1-100 characters; at least one and at most :data:`MAX_REASONS`."""
    out: list[Reason] = []
    for item in raw:
        code, en, zh = (str(item.get(k, "")).strip() for k in ("code", "en", "zh"))
        ok = 0 < len(code) <= 40 and code.isascii() and code.replace("_", "").isalnum()
        if not ok or code != code.lower() or not (0 < len(en) <= 100 and 0 < len(zh) <= 100):
            raise ReturnInvalid(
                "a reason is {code: a-z0-9_, en, zh: 1-100 characters} / 原因格式无效"
            )
        if any(r.code == code for r in out):
            raise ReturnInvalid(f"reason {code!r} is listed twice / 原因重复", reason=code)
        out.append(Reason(code, en, zh))
    if not 0 < len(out) <= MAX_REASONS:
        raise ReturnInvalid(f"1 to {MAX_REASONS} reasons / 原因数量无效")
    return tuple(out)


def check_window(last_delivery: dt.datetime | None, now: dt.datetime, days: int) -> None:
    """``return_not_eligible`` when nothing was delivered, ``return_window_closed`` when
    ``now`` is more than ``days`` days after the last delivery."""
    if last_delivery is None:
        raise ReturnNotEligible("nothing on this order was delivered yet / 订单尚未收货")
    closes = last_delivery + dt.timedelta(days=days)
    if now > closes:
        raise ReturnWindowClosed(
            f"returns closed on {closes:%Y-%m-%d} ({days} days after delivery)"
            f" / 退换货已于 {closes:%Y-%m-%d} 截止",
            closed_at=closes.isoformat(),
            days=days,
        )


def check_products(settings: ReturnSettings, lines: Iterable[tuple[str, bool]]) -> None:
    """Each (GTIN, opened) may be returned under the brand's rules."""
    for gtin, opened in lines:
        if gtin in settings.no_return:
            raise ReturnNotEligible(f"{gtin} cannot be returned / 该商品不可退换", gtin=gtin)
        if opened and gtin in settings.sealed_only:
            raise ReturnNotEligible(
                f"{gtin} can only be returned unopened / 该商品拆封后不可退换",
                gtin=gtin,
                opened=True,
            )


def check_quantities(
    delivered: Mapping[str, int], returned: Mapping[str, int], asked: Mapping[str, int]
) -> None:
    """Per GTIN, ``asked <= delivered - returned`` (``return_too_many`` otherwise)."""
    for gtin, n in sorted(asked.items()):
        left = delivered.get(gtin, 0) - returned.get(gtin, 0)
        if n > left:
            raise ReturnTooMany(
                f"{n} units of {gtin} asked, {max(left, 0)} delivered and not yet returned"
                f" / 退货 {n} 件，可退 {max(left, 0)} 件",
                gtin=gtin,
                asked=n,
                left=max(left, 0),
            )


def refund_value(amount: int, quantity: int, before: int, k: int) -> int:
    """The value of ``k`` more units (see the module docstring); 0 <= before,
    before + k <= quantity."""
    if quantity <= 0 or before < 0 or k < 0 or before + k > quantity:
        raise ValueError("0 <= before <= before + k <= quantity required")
    return amount * (before + k) // quantity - amount * before // quantity


@dataclass(frozen=True)
class Paid:
    """What an order's lines cost per product: ``amount`` for ``quantity`` units."""

    amount: int
    quantity: int


def paid_by_product(lines: Iterable[tuple[str, int, int]]) -> dict[str, Paid]:
    """(GTIN, quantity, amount) lines summed per GTIN."""
    out: dict[str, Paid] = {}
    for gtin, quantity, amount in lines:
        was = out.get(gtin, Paid(0, 0))
        out[gtin] = Paid(was.amount + amount, was.quantity + quantity)
    return out


@dataclass(frozen=True)
class Valued:
    gtin: str
    units: int
    value: int


@dataclass
class Valuation:
    lines: list[Valued] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(x.value for x in self.lines)


def value_units(
    paid: Mapping[str, Paid], before: Mapping[str, int], units: Mapping[str, int]
) -> Valuation:
    """The refund value of ``units`` per GTIN, ``before`` of each valued already."""
    out = Valuation()
    for gtin, k in sorted(units.items()):
        p = paid[gtin]
        out.lines.append(
            Valued(gtin, k, refund_value(p.amount, p.quantity, before.get(gtin, 0), k))
        )
    return out
