"""The facts of sales and returns this plugin offers other plugins (service
``commerce.sales_facts``): what analytics books into its rollups, read from the
plugin's own tables so a reader never depends on another plugin's schema.

Contracts:

- an order is a **sale** from its first ``paid`` event (the payment status became
  paid); it is **reversed** by a later ``reject``, ``cancel`` or ``expire`` (the money
  goes back); replacement orders are never paid, so never sales;
- :attr:`OrderFact.lines` sums the order's lines per GTIN: ``units`` ordered (gifts
  included) and ``amount`` charged (a gift's is 0), in the order's currency's minor unit;
- a **return** counts when it is ``completed``: its units that came back (received or
  any later unit status) per GTIN, and the amount refunded split over those GTINs by
  value (largest remainder, so the parts add up to :attr:`ReturnFact.refunded` exactly);
- listings are in id order from ``after_id`` (exclusive), at most ``limit`` rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal.extend import PluginContext, Provided, ServiceKey, Tx

_UNDONE = ("reject", "cancel", "expire")
_BACK = ("received", "restocked", "rejected", "scrapped", "sent_back")


@dataclass(frozen=True, slots=True)
class LineFact:
    gtin: str
    units: int
    amount: int


@dataclass(frozen=True, slots=True)
class OrderFact:
    id: int
    brand_id: int
    org_id: int
    order_no: str
    region: str
    currency: str
    created_at: dt.datetime
    paid_at: dt.datetime | None  # None: never paid (not a sale)
    undone_at: dt.datetime | None  # rejected, cancelled or expired after it was paid
    lines: tuple[LineFact, ...]


@dataclass(frozen=True, slots=True)
class ReturnFact:
    id: int
    brand_id: int
    org_id: int
    order_id: int
    return_no: str
    completed_at: dt.datetime | None  # None: not completed yet
    refunded: int
    lines: tuple[LineFact, ...]  # units back and the refund's share per GTIN


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder; exact sum)."""
    whole = sum(weights)
    if whole <= 0:
        return [total if i == 0 else 0 for i in range(len(weights))]
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


_PAID = (
    "o.brand_id = ? AND o.id > ? AND EXISTS (SELECT 1 FROM commerce_order_events p"
    " WHERE p.order_id = o.id AND p.action = 'paid')"
)
_ORDERS = (
    "SELECT o.id, o.brand_id, o.org_id, o.order_no, o.region, o.currency, o.created_at"
    " FROM commerce_orders o WHERE {where} ORDER BY o.id LIMIT ?"
)
_LINES = (
    "SELECT order_id, gtin, SUM(quantity) AS units, SUM(amount) AS amount"
    " FROM commerce_order_lines WHERE order_id IN ({marks}) GROUP BY order_id, gtin"
)
_EVENTS = (
    "SELECT order_id, action, at FROM commerce_order_events WHERE order_id IN ({marks})"
    " AND action IN ('paid', 'reject', 'cancel', 'expire') ORDER BY order_id, seq"
)
_RETURNS = (
    "SELECT r.id, r.brand_id, r.org_id, r.order_id, r.return_no, r.status, r.refunded"
    " FROM commerce_returns r WHERE {where} ORDER BY r.id LIMIT ?"
)
_UNITS_BACK = (
    "SELECT gtin, COUNT(*) AS n FROM commerce_return_units WHERE return_id = ?"
    f" AND status IN ({', '.join('?' * len(_BACK))}) GROUP BY gtin"
)
_VALUES = (
    "SELECT gtin, SUM(amount) AS amount, SUM(quantity) AS units FROM commerce_order_lines"
    " WHERE order_id = ? GROUP BY gtin"
)
_COMPLETED = (
    "SELECT MAX(at) AS at FROM commerce_return_events WHERE return_id = ?"
    " AND to_status = 'completed'"
)


class SalesFacts:
    """The service object (``commerce.sales_facts``)."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def order(self, order_id: int) -> OrderFact | None:
        async with self.ctx.db.read() as tx:
            found = await _orders(tx, "o.id = ?", (order_id,), 1)
        return found[0] if found else None

    async def paid_orders(
        self, brand_id: int, after_id: int = 0, limit: int = 1000
    ) -> list[OrderFact]:
        """The brand's orders that were ever paid (sales, reversed or not), by id."""
        async with self.ctx.db.read() as tx:
            return await _orders(tx, _PAID, (brand_id, after_id), limit)

    async def return_(self, return_id: int) -> ReturnFact | None:
        async with self.ctx.db.read() as tx:
            found = await _returns(tx, "r.id = ?", (return_id,), 1)
        return found[0] if found else None

    async def completed_returns(
        self, brand_id: int, after_id: int = 0, limit: int = 1000
    ) -> list[ReturnFact]:
        where = "r.brand_id = ? AND r.id > ? AND r.status = 'completed'"
        async with self.ctx.db.read() as tx:
            return await _returns(tx, where, (brand_id, after_id), limit)


async def _orders(tx: Tx, where: str, args: tuple[Any, ...], limit: int) -> list[OrderFact]:
    rows = await tx.fetch(_ORDERS.format(where=where), *args, limit)
    if not rows:
        return []
    ids = [int(r["id"]) for r in rows]
    marks = ", ".join("?" * len(ids))
    lines: dict[int, list[LineFact]] = {i: [] for i in ids}
    for r in await tx.fetch(_LINES.format(marks=marks), *ids):
        lines[int(r["order_id"])].append(LineFact(str(r["gtin"]), int(r["units"]),
                                                  int(r["amount"])))  # fmt: skip
    paid: dict[int, dt.datetime] = {}
    undone: dict[int, dt.datetime] = {}
    for r in await tx.fetch(_EVENTS.format(marks=marks), *ids):
        oid, at = int(r["order_id"]), tx.dialect.timestamp(r["at"])
        if r["action"] == "paid":
            paid.setdefault(oid, at)
        elif oid in paid:
            undone.setdefault(oid, at)
    out = []
    for r in rows:
        oid = int(r["id"])
        out.append(OrderFact(oid, int(r["brand_id"]), int(r["org_id"]), str(r["order_no"]),
                             str(r["region"]), str(r["currency"]),
                             tx.dialect.timestamp(r["created_at"]), paid.get(oid),
                             undone.get(oid),
                             tuple(sorted(lines[oid], key=lambda x: x.gtin))))  # fmt: skip
    return out


async def _returns(tx: Tx, where: str, args: tuple[Any, ...], limit: int) -> list[ReturnFact]:
    out: list[ReturnFact] = []
    for r in await tx.fetch(_RETURNS.format(where=where), *args, limit):
        rid = int(r["id"])
        back = {str(u["gtin"]): int(u["n"]) for u in await tx.fetch(_UNITS_BACK, rid, *_BACK)}
        price = {str(v["gtin"]): int(v["amount"]) // max(1, int(v["units"]))
                 for v in await tx.fetch(_VALUES, int(r["order_id"]))}  # fmt: skip
        gtins = sorted(back)
        shares = _split(int(r["refunded"]), [back[g] * price.get(g, 0) for g in gtins])
        completed = None
        if r["status"] == "completed":
            at = await tx.fetchrow(_COMPLETED, rid)
            if at is not None and at["at"] is not None:
                completed = tx.dialect.timestamp(at["at"])
        lines = tuple(LineFact(g, back[g], share) for g, share in zip(gtins, shares, strict=True))
        out.append(ReturnFact(rid, int(r["brand_id"]), int(r["org_id"]), int(r["order_id"]),
                              str(r["return_no"]), completed, int(r["refunded"]),
                              lines))  # fmt: skip
    return out


SALES_FACTS: ServiceKey[SalesFacts] = ServiceKey("commerce.sales_facts")


def provided(ctx: PluginContext) -> Provided[SalesFacts]:
    return Provided(SALES_FACTS, SalesFacts(ctx))
