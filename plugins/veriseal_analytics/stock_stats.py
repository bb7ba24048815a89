"""Stock-movement statistics read from the stock cube only (``analytics_stock_cube``),
never inventory's ledger: a period's goods received, returned, shipped, adjusted and
transferred, units in and out and the net change, by product, warehouse or category,
and per day, week or month; each compared with the previous period or a year before.

Contracts:

- every figure is a sum of the brand's cube rows in the period (local days inclusive),
  as :func:`veriseal_analytics.stock_booking.figures` defines it;
- ``change`` is (current - previous) / |previous| per figure, None when previous is 0;
- rankings are ordered by units moved (in + out), most first, then by key; the trend
  lists every bucket of the period (empty ones as zeros)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from veriseal import Brand, Principal
from veriseal.extend import PluginContext, Unavailable
from veriseal_analytics.periods import Compare, Period, Step, bucket, buckets
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.sales import Sales, change
from veriseal_analytics.stock_booking import FIGURES, Flow, figures
from veriseal_analytics.stock_facts import STOCK_FACTS

StockBy = Literal["product", "warehouse", "category"]
#: the cube's column each ranking groups by
_COLUMN = {"product": "gtin", "warehouse": "warehouse_id", "category": "category_id"}


@dataclass(frozen=True, slots=True)
class StockRanking:
    """What a stock ranking asks (as :class:`veriseal_analytics.sales.Ranking`)."""

    by: StockBy
    period: Period
    top: int = 10
    compare: Compare = "previous"
    lang: str = "zh"


Grouped = dict[str, dict[str, Flow]]  # group key -> movement kind -> flow


def _with_change(now: dict[str, int], before: dict[str, int] | None,
                 other: Period | None) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = dict(now)
    if before is not None and other is not None:
        out["previous"] = {"period": other.to_dict(), **before}
        out["change"] = {k: change(now[k], before[k]) for k in FIGURES}
    return out


class StockStats:
    """The queries of the stock dashboard; ``ctx`` is the plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self._labels = Sales(ctx)

    async def _grouped(self, brand: Brand, column: str | None, period: Period) -> Grouped:
        """Flows per value of ``column`` (None: one group ``""``) and movement kind."""
        lo, hi = period.bounds()
        pick, by = ("", "") if column is None else (f"{column} AS g, ", f"{column}, ")
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                f"SELECT {pick}kind, SUM(units_in) AS i, SUM(units_out) AS o"
                " FROM analytics_stock_cube WHERE brand_id = ? AND day >= ? AND day <= ?"
                f" GROUP BY {by}kind", brand.id, lo, hi)  # fmt: skip
        out: Grouped = {}
        for r in rows:
            key = "" if column is None or r["g"] is None else str(r["g"])
            f = out.setdefault(key, {}).setdefault(str(r["kind"]), Flow())
            f.add(Flow(int(r["i"] or 0), int(r["o"] or 0)))
        return out

    async def _total(self, brand: Brand, period: Period) -> dict[str, int]:
        return figures((await self._grouped(brand, None, period)).get("", {}))

    async def summary(self, who: Principal, brand: Brand, period: Period,
                      compare: Compare = "previous") -> dict[str, Any]:  # fmt: skip
        """The period's figures and, unless ``compare`` is none, the comparison's and
        the change of each."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        other = period.compared(compare)
        before = None if other is None else await self._total(brand, other)
        return {"period": period.to_dict(),
                **_with_change(await self._total(brand, period), before, other)}  # fmt: skip

    async def ranking(self, who: Principal, brand: Brand,
                      q: StockRanking) -> list[dict[str, Any]]:  # fmt: skip
        """Rows ``{key, label, <figures>, previous?, change?}`` of the top ``q.top``."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        column = _COLUMN[q.by]
        found = {k: figures(v) for k, v in (await self._grouped(brand, column, q.period)).items()}
        top = sorted(found, key=lambda k: (-(found[k]["units_in"] + found[k]["units_out"]), k))
        top = top[: q.top]
        other = q.period.compared(q.compare)
        before = {} if other is None else await self._grouped(brand, column, other)
        labels = await self.labels(brand, q.by, top, q.lang)
        return [{"key": k, "label": labels.get(k, k),
                 **_with_change(found[k], None if other is None else figures(before.get(k, {})),
                                other)} for k in top]  # fmt: skip

    async def labels(self, brand: Brand, by: str, keys: list[str], lang: str) -> dict[str, str]:
        """Names of products, categories (in ``lang``) and warehouses (code and name)."""
        if by != "warehouse":
            return await self._labels.labels(brand, by, keys, lang)
        facts = self.ctx.optional(STOCK_FACTS)
        if isinstance(facts, Unavailable):
            return {}
        names = await facts.warehouses(brand.id)
        return {k: names[int(k)] for k in keys if k.isdigit() and int(k) in names}

    async def trend(self, who: Principal, brand: Brand, period: Period,
                    step: Step = "day") -> list[dict[str, Any]]:  # fmt: skip
        """The period's figures per bucket (every bucket, empty ones as zeros)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        per: dict[str, dict[str, Flow]] = {}
        for day, kinds in (await self._grouped(brand, "day", period)).items():
            into = per.setdefault(bucket(day, step), {})
            for kind, f in kinds.items():
                into.setdefault(kind, Flow()).add(f)
        return [{"bucket": b, **figures(per.get(b, {}))} for b in buckets(period, step)]


_STATE = "stock_stats"


def stock_stats(ctx: PluginContext) -> StockStats:
    """The one :class:`StockStats` of this context (kept in ``ctx.state``)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, StockStats):
        found = StockStats(ctx)
        ctx.state[_STATE] = found
    return found
