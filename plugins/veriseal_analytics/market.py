"""External market data (industry reports, competitor prices) imported from CSV, and the
trends of the brand's own sales and scans: a decomposition and the spikes and drops.

Contracts:

- :meth:`Market.import_csv` takes a file in the schema of :mod:`.market_data`, all or
  nothing: any bad line refuses the file (``market_csv_invalid`` with the lines), and a
  good file replaces the rows it repeats (same date, metric, region, category,
  competitor and product) in one transaction, one upsert per line (imports of one
  brand one after the other); the counts of new and replaced rows;
- :meth:`Market.series` reads a metric back (filters optional), oldest first;
- :meth:`Market.trend` decomposes the brand's daily revenue (sales) or scans (scans)
  in a period, for all regions or one province, into trend + weekly season + residual
  (:mod:`.decompose`) and finds spikes and drops (:mod:`.spikes`, threshold 5 and a
  56-day window by default: the simulation gave precision 0.95/0.90 at recall
  0.73/0.98 for spikes/drops there, against one false alarm per real one at 3.5/28)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from veriseal import Brand, Principal
from veriseal.extend import PluginContext, Tx
from veriseal_analytics.decompose import decompose, fill_calendar
from veriseal_analytics.market_data import parse_market_csv
from veriseal_analytics.periods import Period
from veriseal_analytics.permissions import ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.spikes import detect

Source = Literal["sales", "scans"]
THRESHOLD = 5.0
WINDOW = 56
#: the table's unique key besides the brand (a month and its first day share the date)
_KEY = ("date", "metric", "region", "category", "competitor", "product")
_COLUMNS = ("date", "period", "metric", "value", "unit", "region", "category", "competitor",
            "product", "gtin", "source", "note")  # fmt: skip
#: a line replaces the row of its key in place (one statement per line, both backends)
_UPSERT = (
    f"INSERT INTO analytics_market (brand_id, {', '.join(_COLUMNS)}, imported_at)"
    f" VALUES (?, {', '.join('?' * len(_COLUMNS))}, ?)"
    f" ON CONFLICT (brand_id, {', '.join(_KEY)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_COLUMNS, "imported_at") if c not in _KEY)
)


@dataclass(frozen=True)
class Imported:
    rows: int
    new: int
    replaced: int

    def to_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "new": self.new, "replaced": self.replaced}


class Market:
    """Market data and trends for one engine's plugin context."""

    def __init__(self, ctx: PluginContext) -> None:
        self.ctx = ctx

    async def import_csv(self, who: Principal, brand: Brand, data: bytes) -> Imported:
        """Import a market-data CSV (see the module)."""
        self.ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
        rows = parse_market_csv(data)
        now = dt.datetime.now(dt.UTC)
        values = [(brand.id, r.date.isoformat(), r.period, str(r.metric), str(r.value),
                   str(r.unit), r.region or "", r.category or "", r.competitor or "",
                   r.product or "", r.gtin or "", r.source or "", r.note or "", now)
                  for r in rows]  # fmt: skip
        async with self.ctx.db.write() as tx:
            # one import of the brand at a time, so the counts below are its own
            await tx.advisory_lock(self.ctx.db.lock_key(f"market:{brand.id}"))
            before = await self._count(tx, brand)
            await tx.executemany(_UPSERT, values)
            new = await self._count(tx, brand) - before
        replaced = len(rows) - new
        return Imported(len(rows), new, replaced)

    @staticmethod
    async def _count(tx: Tx, brand: Brand) -> int:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM analytics_market WHERE brand_id = ?",
                                brand.id)  # fmt: skip
        return int(row["n"]) if row else 0

    async def series(self, who: Principal, brand: Brand, metric: str, *,
                     region: str | None = None, competitor: str | None = None,
                     limit: int = 5000) -> list[dict[str, Any]]:  # fmt: skip
        """The metric's rows, oldest first (values as exact decimal strings)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        sql, args = (
            "SELECT * FROM analytics_market WHERE brand_id = ? AND metric = ?",
            [brand.id, metric],
        )
        for name, value in (("region", region), ("competitor", competitor)):
            if value is not None:
                sql += f" AND {name} = ?"
                args.append(value)
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(sql + " ORDER BY date, id LIMIT ?", *args, limit)
        return [{c: str(r[c]) for c in _COLUMNS} for r in rows]

    async def daily(self, brand: Brand, source: Source, period: Period,
                    region: str | None) -> dict[dt.date, float]:  # fmt: skip
        """The brand's daily revenue (yuan) or scans in the period, from the rollups."""
        table, measure = (("analytics_cube", "revenue") if source == "sales"
                          else ("analytics_scan_cube", "scans"))  # fmt: skip
        cube, key = ("province", region) if region else ("all", "")
        lo, hi = period.bounds()
        async with self.ctx.db.read() as tx:
            rows = await tx.fetch(
                f"SELECT day, SUM({measure}) AS v FROM {table} WHERE brand_id = ? AND cube = ?"
                " AND key = ? AND day >= ? AND day <= ? GROUP BY day",
                brand.id, cube, key, lo, hi)  # fmt: skip
        scale = 100.0 if source == "sales" else 1.0
        return {dt.date.fromisoformat(str(r["day"])): float(r["v"] or 0) / scale for r in rows}

    async def trend(self, who: Principal, brand: Brand, source: Source, period: Period,
                    region: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Decomposition and anomalies of the daily series (see the module)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        points = await self.daily(brand, source, period, region)
        values = fill_calendar(points, period.start, period.end, "day")
        dates = [period.start + dt.timedelta(days=i) for i in range(len(values))]
        parts = decompose(values, 7)
        found = detect(values, dates=dates, window=min(WINDOW, max(8, len(values) // 2)),
                       threshold=THRESHOLD, period=7) if len(values) >= 8 else []  # fmt: skip
        return {"source": source, "region": region or "", "period": period.to_dict(),
                "dates": [d.isoformat() for d in dates], "values": values,
                "trend": list(parts.trend), "seasonal": list(parts.seasonal),
                "residual": list(parts.residual),
                "strength_trend": parts.strength_trend,
                "strength_seasonal": parts.strength_seasonal,
                "explanation_en": parts.explanation_en, "explanation_zh": parts.explanation_zh,
                "anomalies": [{"date": a.date.isoformat(), "value": a.value,
                               "expected": a.expected, "score": a.score, "kind": a.kind}
                              for a in found]}  # fmt: skip


def total(rows: list[dict[str, Any]]) -> Decimal:
    """The sum of market rows' values (exact)."""
    return sum((Decimal(r["value"]) for r in rows), Decimal(0))
