"""Return statistics: return rates by product, reason, dealer and month.

Contract: over the orders created in ``[since, until)``, the rate of a product (or
dealer) is the units in live return requests (asked and not declined, rejected or
withdrawn) over the units delivered; by reason and by month the units returned are
counted (the month of the request). Brand reviewers see the whole brand; a dealer its
own subtree. Rates are fractions (0..1), None where nothing was delivered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veriseal import Brand, Principal, Role
from veriseal.extend import PluginContext, Tx
from veriseal_commerce.permissions import ORDERS_PLACE, ORDERS_REVIEW

_DEALERS = frozenset({Role.DISTRIBUTOR, Role.RETAILER})


@dataclass(frozen=True)
class Rate:
    key: str
    delivered: int
    returned: int

    @property
    def rate(self) -> float | None:
        return None if self.delivered == 0 else self.returned / self.delivered

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "delivered": self.delivered,
            "returned": self.returned,
            "rate": self.rate,
        }


@dataclass(frozen=True)
class ReturnStats:
    by_product: list[Rate]
    by_dealer: list[Rate]
    by_reason: dict[str, int]
    by_month: dict[str, int]

    @property
    def total(self) -> Rate:
        return Rate(
            "all",
            sum(r.delivered for r in self.by_product),
            sum(r.returned for r in self.by_product),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "by_product": [r.to_dict() for r in self.by_product],
            "by_dealer": [r.to_dict() for r in self.by_dealer],
            "by_reason": self.by_reason,
            "by_month": self.by_month,
        }


def _scope(org_ids: Sequence[int] | None, column: str) -> tuple[str, list[Any]]:
    if org_ids is None:
        return "", []
    marks = ", ".join("?" for _ in org_ids) or "NULL"
    return f" AND {column} IN ({marks})", list(org_ids)


async def _rates(
    tx: Tx,
    brand_id: int,
    period: tuple[dt.datetime, dt.datetime],
    org_ids: Sequence[int] | None,
    by: str,
) -> list[Rate]:
    """Delivered and returned units per ``by`` (``gtin`` or ``org_id``)."""
    where, args = _scope(org_ids, "o.org_id")
    col = "l.gtin" if by == "gtin" else "o.org_id"
    delivered = await tx.fetch(
        f"SELECT {col} AS k, SUM(l.delivered) AS n FROM commerce_order_lines l"
        " JOIN commerce_orders o ON o.id = l.order_id"
        f" WHERE o.brand_id = ? AND o.created_at >= ? AND o.created_at < ?{where}"
        f" GROUP BY {col}",
        brand_id,
        *period,
        *args,
    )
    ucol = "u.gtin" if by == "gtin" else "o.org_id"
    returned = await tx.fetch(
        f"SELECT {ucol} AS k, COUNT(*) AS n FROM commerce_return_units u"
        " JOIN commerce_orders o ON o.id = u.order_id"
        f" WHERE o.brand_id = ? AND o.created_at >= ? AND o.created_at < ?{where}"
        f" GROUP BY {ucol}",
        brand_id,
        *period,
        *args,
    )
    got = {str(r["k"]): int(r["n"] or 0) for r in delivered}
    back = {str(r["k"]): int(r["n"] or 0) for r in returned}
    keys = sorted(set(got) | set(back))
    rates = [Rate(k, got.get(k, 0), back.get(k, 0)) for k in keys]
    return sorted(rates, key=lambda r: (-(r.rate or 0.0), -r.returned, r.key))


async def stats(
    ctx: PluginContext, principal: Principal, brand: Brand, since: dt.datetime, until: dt.datetime
) -> ReturnStats:
    """The brand's return statistics over orders created in ``[since, until)``."""
    org_ids: list[int] | None = None
    if principal.role in _DEALERS:
        ctx.require(principal, ORDERS_PLACE, brand_id=brand.id)
        root = principal.org.id if principal.org is not None else None
        org_ids = [o.id for o in await ctx.org_tree(principal, root)]
    else:
        ctx.require(principal, ORDERS_REVIEW, brand_id=brand.id)
    period = (since, until)
    where, args = _scope(org_ids, "r.org_id")
    async with ctx.db.read() as tx:
        by_product = await _rates(tx, brand.id, period, org_ids, "gtin")
        by_dealer = await _rates(tx, brand.id, period, org_ids, "org_id")
        rows = await tx.fetch(
            "SELECT r.reason, r.created_at, COUNT(u.id) AS n FROM commerce_returns r"
            " JOIN commerce_return_units u ON u.return_id = r.id"
            " JOIN commerce_orders o ON o.id = r.order_id"
            f" WHERE r.brand_id = ? AND o.created_at >= ? AND o.created_at < ?{where}"
            " GROUP BY r.id, r.reason, r.created_at",
            brand.id,
            *period,
            *args,
        )
        by_reason: dict[str, int] = {}
        by_month: dict[str, int] = {}
        for r in rows:
            n = int(r["n"])
            by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + n
            month = f"{tx.dialect.timestamp(r['created_at']):%Y-%m}"
            by_month[month] = by_month.get(month, 0) + n
    return ReturnStats(
        by_product, by_dealer, dict(sorted(by_reason.items())), dict(sorted(by_month.items()))
    )
