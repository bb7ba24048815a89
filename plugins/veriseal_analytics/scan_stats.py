"""Scan statistics read from the scan rollups only (``analytics_scan_cube``,
``analytics_scan_delay``), never the scans: totals and rates, rankings by hour of day,
province (heat map), city, product and verdict, the daily trend and the first-scan
delay after shipment.

Contracts:

- every figure is a sum of rollup rows of the brand in the period (local days inclusive);
- ``repeat_rate`` is repeats / scans (scans of units scanned before, of all scans);
  ``clone_rate`` is clone / (genuine + clone) (:mod:`.scan_rollup`); ``first_scans``
  counts units scanned for the first time; each rate is None when its denominator is 0;
  ``change`` is (current - previous) / previous as in :mod:`.sales`;
- ``by="hour"`` lists all 24 hours ``'00'..'23'`` in order (empty hours as zeros); other
  rankings are ordered by scans, most first;
- the delay is whole days from a unit's earliest known shipment to its first scan, for
  units first scanned in the period: per product ``units``, ``median`` and ``p90``
  (nearest rank), None without matched units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal_analytics.periods import Compare, Period, Step, bucket, buckets
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.sales import Sales, change
from veriseal_analytics.scan_rollup import COLUMNS, ScanMeasures, quantile

ScanBy = Literal["hour", "province", "city", "product", "outcome"]
_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in COLUMNS)
_RATES = ("scans", "repeat_rate", "clone_rate", "first_scans")


def _measures(r: Any) -> ScanMeasures:
    return ScanMeasures(*(int(r[c] or 0) for c in COLUMNS))


def scan_figures(m: ScanMeasures) -> dict[str, Any]:
    """The reported figures of summed measures (see the module for the rates)."""
    authentic = m.genuine + m.clone
    return {**{c: int(getattr(m, c)) for c in COLUMNS},
            "repeat_rate": m.repeats / m.scans if m.scans else None,
            "clone_rate": m.clone / authentic if authentic else None}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScanRanking:
    """What a scan ranking asks (as :class:`veriseal_analytics.sales.Ranking`)."""

    by: ScanBy
    period: Period
    top: int = 10
    compare: Compare = "previous"
    lang: str = "zh"


class ScanStats:
    """The queries of the scan dashboard; ``ctx`` is the plugin's context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx
        self._labels = Sales(ctx)

    async def _grouped(self, brand: Brand, cube: str, period: Period,
                       limit: int | None = None) -> dict[str, ScanMeasures]:  # fmt: skip
        lo, hi = period.bounds()
        sql = (f"SELECT key, {_SUMS} FROM analytics_scan_cube WHERE brand_id = ? AND cube = ?"
               " AND day >= ? AND day <= ? GROUP BY key ORDER BY SUM(scans) DESC, key")  # fmt: skip
        args: list[Any] = [brand.id, cube, lo, hi]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        async with self.ctx.db.read() as tx:
            return {str(r["key"]): _measures(r) for r in await tx.fetch(sql, *args)}

    async def _total(self, brand: Brand, period: Period) -> ScanMeasures:
        return (await self._grouped(brand, "all", period)).get("", ScanMeasures())

    async def summary(self, who: Principal, brand: Brand, period: Period,
                      compare: Compare = "previous") -> dict[str, Any]:  # fmt: skip
        """The period's totals and rates and, unless ``compare`` is none, the comparison's
        and the change of scans, rates and first scans."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        now = scan_figures(await self._total(brand, period))
        out: dict[str, Any] = {"period": period.to_dict(), **now}
        other = period.compared(compare)
        if other is not None:
            before = scan_figures(await self._total(brand, other))
            out["previous"] = {"period": other.to_dict(), **before}
            out["change"] = {k: change(now[k], before[k]) for k in _RATES}
        return out

    async def ranking(self, who: Principal, brand: Brand, q: ScanRanking) -> list[dict[str, Any]]:
        """Rows ``{key, label, <figures>, previous?, change?}`` of the cube ``q.by``."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        hours = q.by == "hour"
        found = await self._grouped(brand, q.by, q.period, None if hours else q.top)
        if hours:
            found = {f"{h:02d}": found.get(f"{h:02d}", ScanMeasures()) for h in range(24)}
        other = q.period.compared(q.compare)
        before = {} if other is None else await self._grouped(brand, q.by, other)
        labels = await self.labels(brand, q.by, list(found), q.lang)
        rows = []
        for k, m in found.items():
            row: dict[str, Any] = {"key": k, "label": labels.get(k, k), **scan_figures(m)}
            if other is not None:
                prev = scan_figures(before.get(k, ScanMeasures()))
                row["previous"] = prev
                row["change"] = {c: change(row[c], prev[c]) for c in _RATES}
            rows.append(row)
        return rows

    async def labels(self, brand: Brand, by: str, keys: list[str], lang: str) -> dict[str, str]:
        """Names of keys: products, regions, verdicts (in ``lang``); hours keep the key."""
        if by == "outcome":
            en = lang.startswith("en")
            return {k: VERDICTS.get(k, (k, k))[0 if en else 1] for k in keys}
        if by in ("product", "province", "city"):
            return await self._labels.labels(brand, by, keys, lang)
        return {}

    async def trend(self, who: Principal, brand: Brand, period: Period,
                    step: Step = "day") -> list[dict[str, Any]]:  # fmt: skip
        """The period's figures per bucket (every bucket, empty ones as zeros)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        lo, hi = period.bounds()
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                f"SELECT day, {_SUMS} FROM analytics_scan_cube WHERE brand_id = ?"
                " AND cube = 'all' AND day >= ? AND day <= ? AND key = '' GROUP BY day",
                brand.id, lo, hi)  # fmt: skip
        per: dict[str, ScanMeasures] = {}
        for r in rows:
            per.setdefault(bucket(str(r["day"]), step), ScanMeasures()).add(_measures(r))
        return [{"bucket": b, **scan_figures(per.get(b, ScanMeasures()))}
                for b in buckets(period, step)]  # fmt: skip

    async def delay(self, who: Principal, brand: Brand, period: Period,
                    lang: str = "zh") -> dict[str, Any]:  # fmt: skip
        """First-scan delay after shipment per product and overall (see the module)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        lo, hi = period.bounds()
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                "SELECT gtin, days, SUM(n) AS n FROM analytics_scan_delay WHERE brand_id = ?"
                " AND day >= ? AND day <= ? GROUP BY gtin, days", brand.id, lo, hi)  # fmt: skip
        per: dict[str, dict[int, int]] = {}
        every: dict[int, int] = {}
        for r in rows:
            d, n = int(r["days"]), int(r["n"] or 0)
            per.setdefault(str(r["gtin"]), {})[d] = n
            every[d] = every.get(d, 0) + n
        labels = await self._labels.labels(brand, "product", list(per), lang)
        products = sorted(({"key": g, "label": labels.get(g, g), **_delay(h)}
                           for g, h in per.items()),
                          key=lambda r: (-r["units"], r["key"]))  # fmt: skip
        return {"period": period.to_dict(), "all": _delay(every), "products": products}


def _delay(h: dict[int, int]) -> dict[str, Any]:
    return {"units": sum(h.values()), "median": quantile(h, 0.5), "p90": quantile(h, 0.9)}


#: verdict labels (English, Chinese)
VERDICTS: dict[str, tuple[str, str]] = {
    "genuine": ("Genuine", "正品"), "recalled": ("Recalled", "已召回"),
    "expired": ("Expired", "已过期"), "key_revoked": ("Key revoked", "密钥已吊销"),
    "pin_required": ("PIN required", "需输入验证码"), "pin_wrong": ("Wrong PIN", "验证码错误"),
    "invalid": ("Invalid (fake)", "无效（疑似假冒）"),
    "suspected_clone": ("Suspected clone", "疑似克隆"),
    "not_activated": ("Not activated", "未激活"), "decommissioned": ("Void", "已作废"),
    "needs_online_check": ("Needs online check", "需联网核验"),
}  # fmt: skip


_STATE = "scan_stats"


def scan_stats(ctx: PluginContext) -> ScanStats:
    """The one :class:`ScanStats` of this context (kept in ``ctx.state``)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, ScanStats):
        found = ScanStats(ctx)
        ctx.state[_STATE] = found
    return found
