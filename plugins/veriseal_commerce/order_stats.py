"""Order statistics: count and amount of a brand's orders grouped by status, product,
dealer, region or period (day or month of creation), within a time window.

Contracts: drafts are left out (not orders yet); amounts are minor units per currency
(never summed across currencies); ``product`` counts order lines' units and amounts
(an order with two products appears under both); the others count whole orders.
Dealers see only their own subtree's orders; brand staff the brand's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from veriseal import InvalidInput, Principal, register_messages
from veriseal.extend import PluginContext, Tx

register_messages({"error.stats_invalid": ("Invalid statistics request", "统计请求无效")})

GROUPS = ("status", "product", "dealer", "region", "day", "month")


class StatsInvalid(InvalidInput):
    code = "stats_invalid"


@dataclass(frozen=True)
class StatsQuery:
    brand_id: int
    by: str = "status"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    org_ids: tuple[int, ...] | None = None  # None: every dealer


@dataclass(frozen=True)
class StatsRow:
    key: str
    currency: str
    orders: int
    units: int
    amount: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "currency": self.currency, "orders": self.orders,
                "units": self.units, "amount": self.amount}  # fmt: skip


def _where(q: StatsQuery) -> tuple[str, list[Any]]:
    where = ["o.brand_id = ?", "o.status <> 'draft'"]
    args: list[Any] = [q.brand_id]
    if q.since is not None:
        where.append("o.created_at >= ?")
        args.append(q.since)
    if q.until is not None:
        where.append("o.created_at < ?")
        args.append(q.until)
    if q.org_ids is not None:
        where.append(f"o.org_id IN ({', '.join('?' for _ in q.org_ids) or 'NULL'})")
        args.extend(q.org_ids)
    return " AND ".join(where), args


async def stats(tx: Tx, q: StatsQuery) -> list[StatsRow]:
    """The rows of ``q`` (see the module docstring), largest amount first."""
    if q.by not in GROUPS:
        raise StatsInvalid(f"group by one of {', '.join(GROUPS)}")
    where, args = _where(q)
    if q.by == "product":
        sql = (
            "SELECT l.gtin AS k, o.currency AS c, COUNT(DISTINCT o.id) AS n,"
            " SUM(l.quantity) AS u, SUM(l.amount) AS a FROM commerce_orders o"
            f" JOIN commerce_order_lines l ON l.order_id = o.id WHERE {where}"
            " GROUP BY l.gtin, o.currency"
        )
        rows = await tx.fetch(sql, *args)
        return _sorted([StatsRow(str(r["k"]), r["c"], int(r["n"]), int(r["u"]), int(r["a"]))
                        for r in rows])  # fmt: skip
    sql = (
        "SELECT o.id AS id, o.status AS status, o.org_id AS dealer, o.region AS region,"
        " o.created_at AS at, o.currency AS c, o.total AS a,"
        " (SELECT SUM(quantity) FROM commerce_order_lines l WHERE l.order_id = o.id) AS u"
        f" FROM commerce_orders o WHERE {where}"
    )
    groups: dict[tuple[str, str], list[int]] = {}
    for r in await tx.fetch(sql, *args):
        key = _key(tx, q.by, r)
        acc = groups.setdefault((key, r["c"]), [0, 0, 0])
        acc[0] += 1
        acc[1] += int(r["u"] or 0)
        acc[2] += int(r["a"])
    return _sorted([StatsRow(k, c, n, u, a) for (k, c), (n, u, a) in groups.items()])


def _key(tx: Tx, by: str, row: Any) -> str:
    if by in ("day", "month"):
        at = tx.dialect.timestamp(row["at"])
        return f"{at:%Y-%m-%d}" if by == "day" else f"{at:%Y-%m}"
    return str(row[by])


def _sorted(rows: list[StatsRow]) -> list[StatsRow]:
    return sorted(rows, key=lambda r: (-r.amount, r.key, r.currency))


async def order_stats(ctx: PluginContext, principal: Principal, q: StatsQuery) -> list[StatsRow]:
    """:func:`stats` for ``principal``: brand staff see the brand; a dealer its subtree."""
    from veriseal_commerce.permissions import ORDERS_PLACE, ORDERS_REVIEW  # noqa: PLC0415

    if ctx.allowed(principal, ORDERS_REVIEW):
        ctx.require(principal, ORDERS_REVIEW, brand_id=q.brand_id)
    else:
        # the role first (no org: the role alone is checked): a 403 for anyone else
        ctx.require(principal, ORDERS_PLACE, org=principal.org)
        if principal.org is None:
            raise StatsInvalid("no organisation")
        tree = await ctx.org_tree(principal, principal.org.id)
        q = StatsQuery(q.brand_id, q.by, q.since, q.until, tuple(o.id for o in tree))
    async with ctx.db.read() as tx:
        return await stats(tx, q)
