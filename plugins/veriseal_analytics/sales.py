"""Sales statistics read from the rollups only (``analytics_cube``), never the raw
tables: totals, rankings with period-over-period change, trends and the drill-down
province -> city -> dealer.

Contracts:

- every figure is a sum of cube rows of the brand in the period (days inclusive);
  revenue and refunds are in the currency's minor unit (分);
- ``aov`` (average order value) is revenue / orders, ``return_rate`` returned units /
  units sold, each None when its denominator is 0; ``change`` is (current - previous)
  / previous, None when there is no previous figure;
- a ranking's ``within`` narrows a drill-down: ``city`` within a province code,
  ``city_dealer`` (a city's dealers) within a city code;
- labels: product names, dealer names, region and category names in the reader's
  language; a key without a name keeps the key."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal.regions.boundaries import RegionNotFound, default_boundaries
from veriseal_analytics.booking import Measures
from veriseal_analytics.periods import Compare, Period, Step, bucket, buckets
from veriseal_analytics.permissions import ANALYTICS_VIEW

By = Literal["product", "category", "dealer", "province", "city", "city_dealer", "channel"]
Metric = Literal["revenue", "units", "orders"]
_SUMS = ("SUM(orders) AS orders, SUM(units) AS units, SUM(revenue) AS revenue,"
         " SUM(returned_units) AS returned_units, SUM(refunded) AS refunded")  # fmt: skip


def _measures(r: Any) -> Measures:
    return Measures(
        *(int(r[c] or 0) for c in ("orders", "units", "revenue", "returned_units", "refunded"))
    )


def figures(m: Measures) -> dict[str, Any]:
    """The reported figures of summed measures (see the module for aov and return rate)."""
    return {"revenue": m.revenue, "units": m.units, "orders": m.orders,
            "aov": m.revenue / m.orders if m.orders else None,
            "returned_units": m.returned_units, "refunded": m.refunded,
            "return_rate": m.returned_units / m.units if m.units > 0 else None}  # fmt: skip


async def product_names(ctx: PluginContext, brand: Brand, gtins: Sequence[str]) -> dict[str, str]:
    """The names of the products ``gtins`` (those the brand has): one query reading
    only them, never the whole catalogue (a dashboard names its top 10 of thousands)."""
    if not gtins:
        return {}
    return {p.gtin: p.name for p in await ctx.products(brand, gtins)}


def change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None or before == 0:
        return None
    return (now - before) / abs(before)


@dataclass(frozen=True, slots=True)
class Ranking:
    """What a ranking asks: the cube ``by``, the period, how many, compared with what,
    ordered by which figure, within which region (drill-down) and in which language."""

    by: By
    period: Period
    top: int = 10
    compare: Compare = "previous"
    order: Metric = "revenue"
    within: str | None = None
    lang: str = "zh"


@dataclass(frozen=True)
class Ranked:
    key: str
    label: str
    current: dict[str, Any]
    previous: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, **self.current}
        if self.previous is not None:
            out["previous"] = self.previous
            out["change"] = {k: change(self.current[k], self.previous[k])
                             for k in ("revenue", "units", "orders")}  # fmt: skip
        return out


class Sales:
    """The queries (one per dashboard panel); ``ctx`` is the plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def _sum(
        self, brand: Brand, cube: str, period: Period, key: str | None = None
    ) -> Measures:
        lo, hi = period.bounds()
        extra, args = ("AND key = ?", [key]) if key is not None else ("", [])
        async with self.ctx.db.read() as tx:
            row = await tx.fetchrow(
                f"SELECT {_SUMS} FROM analytics_cube WHERE brand_id = ? AND cube = ?"
                f" AND day >= ? AND day <= ? {extra}", brand.id, cube, lo, hi, *args)  # fmt: skip
        return Measures() if row is None else _measures(row)

    async def summary(self, who: Principal, brand: Brand, period: Period,
                      compare: Compare = "previous") -> dict[str, Any]:  # fmt: skip
        """The period's totals and, unless ``compare`` is none, the comparison's and the change."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        now = figures(await self._sum(brand, "all", period))
        out: dict[str, Any] = {"period": period.to_dict(), **now}
        other = period.compared(compare)
        if other is not None:
            before = figures(await self._sum(brand, "all", other))
            out["previous"] = {"period": other.to_dict(), **before}
            out["change"] = {
                k: change(now[k], before[k])
                for k in ("revenue", "units", "orders", "aov", "return_rate")
            }
        return out

    async def _grouped(
        self, brand: Brand, cube: str, period: Period, *, keys: Sequence[str] | None = None,
        prefix: str | None = None, order: Metric = "revenue", limit: int | None = None,
    ) -> dict[str, Measures]:  # fmt: skip
        lo, hi = period.bounds()
        sql = (f"SELECT key, {_SUMS} FROM analytics_cube WHERE brand_id = ? AND cube = ?"
               " AND day >= ? AND day <= ?")  # fmt: skip
        args: list[Any] = [brand.id, cube, lo, hi]
        if keys is not None:
            if not keys:
                return {}
            sql += f" AND key IN ({', '.join('?' * len(keys))})"
            args += list(keys)
        if prefix is not None:
            sql += " AND key >= ? AND key < ?"  # a range: the index serves it on both backends
            args += [prefix, prefix + "\U0010ffff"]
        sql += f" GROUP BY key ORDER BY SUM({order}) DESC, key"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        async with self.ctx.db.read() as tx:
            return {str(r["key"]): _measures(r) for r in await tx.fetch(sql, *args)}

    async def ranking(self, who: Principal, brand: Brand, q: Ranking) -> list[Ranked]:
        """The top ``q.top`` keys of the cube ``q.by`` in the period (see the module)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        cities = q.by == "city" and q.within
        found = await self._grouped(
            brand, q.by, q.period, order=q.order, limit=None if cities else q.top,
            prefix=f"{q.within or ''}|" if q.by == "city_dealer" else None)  # fmt: skip
        if cities:
            inside = [(k, m) for k, m in found.items() if _in_region(k, q.within or "")]
            found = dict(inside[: q.top])
        other = q.period.compared(q.compare)
        before = {} if other is None else await self._grouped(brand, q.by, other, keys=list(found))
        labels = await self.labels(brand, q.by, list(found), q.lang)
        return [Ranked(k, labels.get(k, k), figures(m),
                       None if other is None else figures(before.get(k, Measures())))
                for k, m in found.items()]  # fmt: skip

    async def trend(self, who: Principal, brand: Brand, period: Period, step: Step = "day", *,
                    cube: str = "all", key: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """The period's figures per bucket (every bucket, empty ones as zeros)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        lo, hi = period.bounds()
        extra, args = ("AND key = ?", [key]) if key is not None else ("AND key = ''", [])
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                f"SELECT day, {_SUMS} FROM analytics_cube WHERE brand_id = ? AND cube = ?"
                f" AND day >= ? AND day <= ? {extra} GROUP BY day",
                brand.id, cube, lo, hi, *args)  # fmt: skip
        per: dict[str, Measures] = {}
        for r in rows:
            per.setdefault(bucket(str(r["day"]), step), Measures()).add(_measures(r))
        return [{"bucket": b, **figures(per.get(b, Measures()))} for b in buckets(period, step)]

    async def labels(self, brand: Brand, by: str, keys: Sequence[str], lang: str) -> dict[str, str]:
        """Names of ``keys`` of the cube ``by`` in ``lang`` (``zh`` or ``en``)."""
        en = lang.startswith("en")
        wanted = set(keys)
        if by == "product":
            return await product_names(self.ctx, brand, keys)
        if by == "category":
            return {str(c.id): (c.name_en or c.name) if en else c.name
                    for c in await self.ctx.categories(brand) if str(c.id) in wanted}  # fmt: skip
        if by in ("dealer", "city_dealer"):
            return await self._dealers(keys)
        if by in ("province", "city"):
            return _regions(keys, en)
        return {}

    async def _dealers(self, keys: Sequence[str]) -> dict[str, str]:
        """Dealer names of ``dealer`` keys (org ids) or ``city_dealer`` keys
        (``<city>|<org id>``), in one query; a key naming no organisation is left out."""
        ids: dict[str, int] = {}
        for k in keys:
            with contextlib.suppress(ValueError):
                ids[k] = int(k.rsplit("|", 1)[-1])
        orgs = await self.ctx.orgs(ids.values())
        return {k: orgs[i].name for k, i in ids.items() if i in orgs}


def _regions(keys: Sequence[str], en: bool) -> dict[str, str]:
    b, out = default_boundaries(), {}
    for k in keys:
        try:
            a = b.area(k)
        except (RegionNotFound, ValueError, KeyError):
            continue
        out[k] = (a.name_en or a.name) if en else a.name
    return out


def _in_region(code: str, region: str) -> bool:
    try:
        return default_boundaries().contains(region, code)
    except (RegionNotFound, ValueError, KeyError):
        return False
