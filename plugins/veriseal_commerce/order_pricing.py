"""What orders need of the ONE pricing engine, as a protocol.

Orders never compute a price: a :class:`Pricer` reads what it needs ahead of the order's
transaction (:meth:`Pricer.prepare`: the dealer's suggestions), turns requested lines
into priced lines (unit price, the price row's explanation, every discount applied,
gift lines, the total), records a submitted order's promotion usage (which locks and may refuse
with ``promotion_exhausted``) and gives it back when the order is cancelled, rejected
or expires. The engine itself is the pricing area's (``of(ctx).pricing``); the adapter
over it is set on the order service when the commerce services are built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from veriseal import Brand, Conflict, register_messages
from veriseal.extend import PluginContext, Tx
from veriseal_commerce.engine import Quote, QuoteLine
from veriseal_commerce.orders_store import OrderLine
from veriseal_commerce.pricing import PricingService, SuggestedFor

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
    async def prepare(self, brand: Brand, org_id: int) -> Any:
        """What pricing for dealer ``org_id`` reads outside a transaction (opaque to
        orders; handed to :meth:`price`). Called before the order's write transaction."""
        ...

    async def price(
        self,
        tx: Tx,
        brand: Brand,
        buyer: tuple[int, str],
        lines: Sequence[tuple[str, int]],
        ready: Any = None,
    ) -> Priced:
        """``lines`` (GTIN, quantity) priced now for ``buyer``: (dealer org id, delivery
        region); ``ready``: what :meth:`prepare` gave for that dealer."""
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

    async def prepare(self, brand: Brand, org_id: int) -> Any:
        return None

    async def price(
        self,
        tx: Tx,
        brand: Brand,
        buyer: tuple[int, str],
        lines: Sequence[tuple[str, int]],
        ready: Any = None,
    ) -> Priced:
        raise PricingUnavailable("no pricing engine")

    async def record(self, tx: Tx, brand_id: int, priced: Priced, order_id: int,
                     org_id: int) -> None:  # fmt: skip
        raise PricingUnavailable("no pricing engine")

    async def release(self, tx: Tx, order_id: int) -> None:
        return None


def order_line(n: int, line: QuoteLine, name: str) -> OrderLine:
    """A quote's line as plain values (they outlive the rules that made them)."""
    note = line.price.reason if line.price is not None else ""
    if line.price is not None:
        note = f"{line.price.list_name}: {note}" if note else line.price.list_name
    discounts = tuple(
        {"rule_id": d.rule_id, "kind": d.kind, "name": d.name, "amount": d.amount,
         "reason": d.reason}
        for d in line.discounts
    )  # fmt: skip
    return OrderLine(n, line.gtin, name, line.quantity, line.unit_price, note, discounts,
                     line.gift, line.line_total)  # fmt: skip


class EnginePricer:
    """The :class:`Pricer` over the pricing engine (``of(ctx).pricing``)."""

    def __init__(self, ctx: PluginContext, pricing: PricingService) -> None:
        self.ctx = ctx
        self.pricing = pricing

    async def prepare(self, brand: Brand, org_id: int) -> SuggestedFor | None:
        """The dealer's suggestions, if an active promotion needs them."""
        return await self.pricing.read_suggestions(brand.id, org_id)

    async def price(
        self,
        tx: Tx,
        brand: Brand,
        buyer: tuple[int, str],
        lines: Sequence[tuple[str, int]],
        ready: Any = None,
    ) -> Priced:
        org_id, region = buyer
        who = await self.pricing.buyer(brand, org_id, region, dt.datetime.now(dt.UTC))
        given = ready if isinstance(ready, SuggestedFor) else None
        quote: Quote = await self.pricing.quote_in(tx, brand, who, lines, given)
        names = {
            g: (await self.ctx.product(brand, g)).name for g in {ln.gtin for ln in quote.lines}
        }
        out = tuple(order_line(n, ln, names[ln.gtin]) for n, ln in enumerate(quote.lines, 1))
        return Priced(out, quote.total, quote.currency, quote)

    async def record(self, tx: Tx, brand_id: int, priced: Priced, order_id: int,
                     org_id: int) -> None:  # fmt: skip
        await self.pricing.record_usage(tx, brand_id, priced.quote, order_id, org_id)

    async def release(self, tx: Tx, order_id: int) -> None:
        await self.pricing.release_usage(tx, order_id)
