"""What orders need of the ONE pricing engine, as a protocol.

Orders never compute a price: a :class:`Pricer` turns requested lines into priced
lines (unit price, the price row's explanation, every discount applied, gift lines,
the total), records a submitted order's promotion usage (which locks and may refuse
with ``promotion_exhausted``) and gives it back when the order is cancelled, rejected
or expires. The engine itself is the pricing area's (``of(ctx).pricing``); the adapter
over it is set on the order service when the commerce services are built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from veriseal import Brand, Conflict, register_messages
from veriseal.extend import Tx
from veriseal_commerce.orders_store import OrderLine

register_messages(
    {
        "error.pricing_unavailable": (
            "Prices are not available: no pricing engine is set up",
            "价格不可用：未配置定价引擎",
        ),
    }
)


class PricingUnavailable(Conflict):
    code = "pricing_unavailable"


@dataclass(frozen=True)
class Priced:
    """A priced order: lines (gift lines included, ``gift=True``), total, currency and
    the engine's own quote (handed back to :meth:`Pricer.record`)."""

    lines: tuple[OrderLine, ...]
    total: int
    currency: str
    quote: Any


class Pricer(Protocol):
    async def price(
        self, tx: Tx, brand: Brand, org_id: int, lines: Sequence[tuple[str, int]]
    ) -> Priced:
        """``lines`` (GTIN, quantity) priced for dealer ``org_id`` now."""
        ...

    async def record(self, tx: Tx, brand_id: int, priced: Priced, order_id: int,
                     org_id: int) -> None:  # fmt: skip
        """Count the quote's promotions as used by ``order_id`` (locks; may refuse)."""
        ...

    async def release(self, tx: Tx, order_id: int) -> None:
        """Give back what ``order_id`` used (idempotent)."""
        ...


class NoPricer:
    """The pricer until the pricing engine is wired: refuses with a coded error."""

    async def price(
        self, tx: Tx, brand: Brand, org_id: int, lines: Sequence[tuple[str, int]]
    ) -> Priced:
        raise PricingUnavailable("no pricing engine")

    async def record(self, tx: Tx, brand_id: int, priced: Priced, order_id: int,
                     org_id: int) -> None:  # fmt: skip
        raise PricingUnavailable("no pricing engine")

    async def release(self, tx: Tx, order_id: int) -> None:
        return None
