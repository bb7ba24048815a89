"""Custom reports: a saved definition run over the booked lines (``analytics_lines``,
the plugin's own fact table), and its rows as an export source.

A :class:`ReportSpec` names measures, up to two dimensions, filters, a period, a
comparison, a sort and a display limit; ``detail`` asks for the booked lines themselves
(the large exports). Contracts:

- the figures are those of :mod:`.sales` (the same definitions of orders, revenue,
  returns), computed with one ``GROUP BY`` over the lines of the period: a time
  dimension (day, week, month) is bucketed after grouping by day, exact because an
  order has one day;
- a comparison adds ``<measure>_previous`` and ``<measure>_change`` per row;
- the display limit (:attr:`ReportSpec.limit`) cuts what a page shows; exports run
  :func:`rows` without it, page by page, so an export has its own limit
  (:data:`EXPORT_MAX`) and never holds the lines in memory;
- an invalid definition is ``analytics_report_invalid`` (a 400) naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from veriseal import Brand, InvalidInput, Principal, register_messages
from veriseal.extend import PluginContext
from veriseal_analytics.booking import RETURN, REVERSAL, SALE, Measures
from veriseal_analytics.export_files import Col
from veriseal_analytics.periods import Compare, Period, bucket
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.sales import Sales, change, figures

register_messages({"error.analytics_report_invalid": ("Invalid report definition", "报表定义无效")})

#: rows an export may hold (a report's display limit is separate and smaller)
EXPORT_MAX = 5_000_000
MEASURES: dict[str, tuple[str, str, str]] = {
    "revenue": ("Revenue", "销售额", "money"), "units": ("Units", "销量", "int"),
    "orders": ("Orders", "订单数", "int"), "aov": ("Average order", "客单价", "money"),
    "returned_units": ("Returned units", "退货件数", "int"),
    "refunded": ("Refunded", "退款额", "money"),
    "return_rate": ("Return rate", "退货率", "percent"),
}  # fmt: skip
#: dimension -> (column of analytics_lines, English, Chinese)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "day": ("day", "Day", "日期"), "week": ("day", "Week", "周"), "month": ("day", "Month", "月份"),
    "product": ("gtin", "Product", "商品"), "category": ("category_id", "Category", "类目"),
    "dealer": ("org_id", "Dealer", "经销商"), "province": ("province", "Province", "省份"),
    "city": ("city", "City", "城市"), "channel": ("channel", "Channel", "渠道"),
}  # fmt: skip
FILTERS = ("product", "category", "dealer", "province", "city", "channel")


class ReportInvalid(InvalidInput):
    code = "analytics_report_invalid"


class ReportSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A report definition (stored as JSON; see the module)."""

    measures: tuple[str, ...] = ("revenue", "units", "orders")
    dimensions: tuple[str, ...] = ("product",)
    period: str = "30d"
    compare: Compare = "none"
    filters: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    sort: str = "revenue"
    descending: bool = True
    limit: int = 100
    detail: bool = False

    def check(self) -> None:
        """``analytics_report_invalid`` unless every name is known and sizes are sane."""
        if not self.measures or any(m not in MEASURES for m in self.measures):
            raise ReportInvalid(f"measures: some of {', '.join(MEASURES)}")
        if len(self.dimensions) > 2 or any(d not in DIMENSIONS for d in self.dimensions):
            raise ReportInvalid(f"dimensions: at most two of {', '.join(DIMENSIONS)}")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ReportInvalid("dimensions: each at most once")
        bad = [k for k in self.filters if k not in FILTERS]
        if bad or any(len(v) > 500 or any(len(x) > 40 for x in v) for v in self.filters.values()):
            raise ReportInvalid(f"filters: {', '.join(FILTERS)}, at most 500 values each")
        for name in ("dealer", "category"):
            if not all(v.isdigit() and len(v) <= 18 for v in self.filters.get(name, ())):
                raise ReportInvalid(f"filters: {name} values are ids (digits)")
        if self.sort not in (*self.measures, *self.dimensions):
            raise ReportInvalid("sort: one of the report's measures or dimensions")
        if not 1 <= self.limit <= 10_000:
            raise ReportInvalid("limit: 1 to 10000 rows shown (exports are not limited by it)")


def spec_of(data: Mapping[str, Any] | bytes) -> ReportSpec:
    """A definition from JSON (bytes) or a decoded mapping, checked."""
    try:
        raw = data if isinstance(data, bytes) else msgspec.json.encode(dict(data))
        spec = msgspec.json.decode(raw, type=ReportSpec)
    except (msgspec.ValidationError, msgspec.DecodeError, TypeError) as exc:
        raise ReportInvalid(str(exc)[:200]) from None
    spec.check()
    return spec


def columns(spec: ReportSpec) -> list[Col]:
    """The export columns of a grouped report."""
    cols: list[Col] = []
    for d in spec.dimensions:
        _, en, zh = DIMENSIONS[d]
        cols.append(Col(d, en, zh))
        if d in ("product", "category", "dealer", "province", "city"):
            cols.append(Col(f"{d}_name", f"{en} name", f"{zh}名称"))
    for m in spec.measures:
        en, zh, kind = MEASURES[m]
        cols.append(Col(m, en, zh, kind))  # type: ignore[arg-type]
        if spec.compare != "none":
            cols.append(Col(f"{m}_previous", f"{en}, before", f"{zh}（对比期）", kind))  # type: ignore[arg-type]
            cols.append(Col(f"{m}_change", f"{en}, change", f"{zh}变化", "percent"))
    return cols


DETAIL_COLUMNS = [
    Col("day", "Day", "日期", "date"), Col("kind", "Kind", "类型"),
    Col("order_id", "Order id", "订单 ID", "int"), Col("dealer", "Dealer id", "经销商 ID", "int"),
    Col("gtin", "GTIN", "商品编码"), Col("province", "Province", "省份"),
    Col("city", "City", "城市"), Col("channel", "Channel", "渠道"),
    Col("units", "Units", "件数", "int"), Col("amount", "Amount", "金额", "money"),
]  # fmt: skip

_SUMS = (
    f"COUNT(DISTINCT CASE WHEN kind = '{SALE}' THEN ref END) AS sold,"
    f" COUNT(DISTINCT CASE WHEN kind = '{REVERSAL}' THEN ref END) AS reversed,"
    f" SUM(CASE WHEN kind <> '{RETURN}' THEN units ELSE 0 END) AS units,"
    f" SUM(CASE WHEN kind <> '{RETURN}' THEN amount ELSE 0 END) AS revenue,"
    f" SUM(CASE WHEN kind = '{RETURN}' THEN units ELSE 0 END) AS returned_units,"
    f" SUM(CASE WHEN kind = '{RETURN}' THEN amount ELSE 0 END) AS refunded"
)


def _where(brand_id: int, spec: ReportSpec, period: Period) -> tuple[str, list[Any]]:
    lo, hi = period.bounds()
    sql, args = "brand_id = ? AND day >= ? AND day <= ?", [brand_id, lo, hi]
    for name, values in sorted(spec.filters.items()):
        if not values:
            continue
        column = DIMENSIONS[name][0]
        sql += f" AND {column} IN ({', '.join('?' * len(values))})"
        ints = column in ("org_id", "category_id")
        args += [int(v) if ints else v for v in values]  # ints: digits (check())
    return sql, args


@dataclass
class Reports:
    """Runs definitions for one engine's plugin context."""

    ctx: PluginContext
    sales: Sales = field(init=False)

    def __post_init__(self) -> None:
        self.sales = Sales(self.ctx)

    async def grouped(
        self, brand: Brand, spec: ReportSpec, period: Period
    ) -> dict[tuple[str, ...], Measures]:
        """The period's measures per dimension key (every key, unsorted)."""
        cols = list(dict.fromkeys(DIMENSIONS[d][0] for d in spec.dimensions))
        where, args = _where(brand.id, spec, period)
        group = ", ".join(cols) if cols else ""
        select = f"{group}, {_SUMS}" if cols else _SUMS
        sql = f"SELECT {select} FROM analytics_lines WHERE {where}"
        if cols:
            sql += f" GROUP BY {group}"
        out: dict[tuple[str, ...], Measures] = {}
        async with self.ctx.db.read() as tx:
            for r in await tx.fetch(sql, *args):
                key = tuple(_key(d, r) for d in spec.dimensions)
                m = Measures(int(r["sold"] or 0) - int(r["reversed"] or 0), int(r["units"] or 0),
                             int(r["revenue"] or 0), int(r["returned_units"] or 0),
                             int(r["refunded"] or 0))  # fmt: skip
                out.setdefault(key, Measures()).add(m)
        return out

    async def run(
        self, who: Principal, brand: Brand, spec: ReportSpec, period: Period, lang: str = "zh",
        *, limit: int | None = None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """The report's rows, sorted, at most ``limit`` (None: all)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        now = await self.grouped(brand, spec, period)
        other = period.compared(spec.compare)
        before = {} if other is None else await self.grouped(brand, spec, other)
        names = {d: await self.sales.labels(brand, d, sorted({k[i] for k in now}), lang)
                 for i, d in enumerate(spec.dimensions)
                 if d in ("product", "category", "dealer", "province", "city")}  # fmt: skip
        rows = []
        for key, m in now.items():
            row: dict[str, Any] = {}
            for d, k in zip(spec.dimensions, key, strict=True):
                row[d] = k
                if d in names:
                    row[f"{d}_name"] = names[d].get(k, k)
            f = figures(m)
            prev = figures(before.get(key, Measures())) if other is not None else None
            for name in spec.measures:
                row[name] = f[name]
                if prev is not None:
                    row[f"{name}_previous"] = prev[name]
                    row[f"{name}_change"] = change(f[name], prev[name])
            rows.append(row)
        rows.sort(key=lambda r: _sort_key(r, spec.sort), reverse=spec.descending)
        return rows if limit is None else rows[:limit]

    async def detail(self, who: Principal, brand: Brand, spec: ReportSpec, period: Period,
                     page: int = 10_000) -> AsyncIterator[Sequence[dict[str, Any]]]:  # fmt: skip
        """The period's booked lines matching the filters, a page at a time (by id)."""
        self.ctx.require(who, ANALYTICS_VIEW, brand_id=brand.id)
        where, args = _where(brand.id, spec, period)
        after, sent = 0, 0
        while sent < EXPORT_MAX:
            async with self.ctx.db.read() as tx:
                rows = await tx.fetch(
                    "SELECT id, day, kind, order_id, org_id, gtin, province, city, channel, units,"
                    f" amount FROM analytics_lines WHERE {where} AND id > ? ORDER BY id LIMIT ?",
                    *args, after, page)  # fmt: skip
            if not rows:
                return
            after = int(rows[-1]["id"])
            sent += len(rows)
            yield [{"day": str(r["day"]), "kind": str(r["kind"]), "order_id": int(r["order_id"]),
                    "dealer": int(r["org_id"]), "gtin": str(r["gtin"]),
                    "province": str(r["province"]), "city": str(r["city"]),
                    "channel": str(r["channel"]), "units": int(r["units"]),
                    "amount": int(r["amount"])} for r in rows]  # fmt: skip


def _key(dimension: str, row: Any) -> str:
    value = row[DIMENSIONS[dimension][0]]
    text = "" if value is None else str(value)
    if dimension in ("week", "month"):
        return bucket(text, dimension)  # type: ignore[arg-type]
    return text


def _sort_key(row: Mapping[str, Any], name: str) -> tuple[int, Any]:
    value = row.get(name)
    return (0, 0) if value is None else (1, value)
