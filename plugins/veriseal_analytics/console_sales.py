"""``/console/analytics``: the sales dashboard, read from the rollups only.

KPIs with their change, the trend, top products and dealers, a province map and the
region drill-down (province -> city -> dealer, by ``?within=``). Every chart has its
numbers in a table beside it; the rankings export as CSV or XLSX (``?export=``) up to
the console's export limit, separate from the display limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal import Brand, VerisealError
from veriseal.extend import Column, Page, export_format, export_response
from veriseal_analytics.console_common import (
    PLUGIN,
    SHOWN,
    PeriodChoice,
    dashboard,
    query_choice,
    reader,
)
from veriseal_analytics.periods import Compare, Period, Step
from veriseal_analytics.permissions import ANALYTICS_EXPORT
from veriseal_analytics.sales import By, Ranking
from veriseal_analytics.service import of, period_in

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

BASE = "/console/analytics"
EXPORTED = 10_000


def _region_level(within: str) -> By:
    """The drill-down's next level below ``within`` ('' -> provinces)."""
    if not within:
        return "province"
    return "city_dealer" if within.isdigit() else "city"


async def sales_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """The dashboard (see the module); ``?export=csv|xlsx&by=`` exports a ranking."""
    r = await reader(call)
    who, ctx, brand, lang = r.who, r.ctx, r.brand, r.lang
    sales = of(ctx).sales
    error, values = "", {"period": "30d", "compare": "previous", "within": ""}
    period: Period | None = None
    data: dict[str, Any] = {}
    try:
        values["period"] = query_choice(call, "period", PeriodChoice, "30d")
        compare: Compare = query_choice(call, "compare", Compare, "previous")
        values["compare"] = compare
        values["within"] = call.text(call.query, "within", 16)
        period = period_in(ctx, values["period"])
        fmt = export_format(call)
        if fmt is not None:
            return await _export(call, brand, Ranking(
                query_choice(call, "by", By, "product"), period, EXPORTED, compare,
                within=values["within"] or None, lang=lang))  # fmt: skip
        data["summary"] = await sales.summary(who, brand, period, compare)
        step: Step = "day" if period.days <= 92 else "week"
        data["trend"] = await sales.trend(who, brand, period, step)
        tops: tuple[tuple[By, int], ...] = (("product", SHOWN), ("dealer", SHOWN), ("province", 40))
        for by, n in tops:
            data[by] = [r.to_dict() for r in await sales.ranking(
                who, brand, Ranking(by, period, n, compare, lang=lang))]  # fmt: skip
        level = _region_level(values["within"])
        data["region_level"] = level
        q = Ranking(level, period, 50, compare, within=values["within"] or None, lang=lang)
        data["regions"] = [r.to_dict() for r in await sales.ranking(who, brand, q)]
    except VerisealError as exc:
        error = call.refused(exc)
    return dashboard(call, "veriseal_analytics/sales.html", r, values, error, data, _charts, period)


def _charts(call: ConsoleCall, d: dict[str, Any]) -> dict[str, Any]:
    revenue = call.t("Revenue", "销售额")
    return {
        "trend": {"title": call.t("Revenue and orders over time", "销售额与订单趋势"),
                  "x": [r["bucket"] for r in d["trend"]],
                  "series": [{"name": revenue, "data": [r["revenue"] / 100 for r in d["trend"]]},
                             {"name": call.t("Orders", "订单数"),
                              "data": [r["orders"] for r in d["trend"]]}]},
        "product": {"title": call.t("Top products by revenue", "商品销售额排行"),
                    "x": [r["label"] for r in d["product"]],
                    "series": [{"name": revenue,
                                "data": [r["revenue"] / 100 for r in d["product"]]}]},
        "map": {"title": call.t("Revenue by province", "各省销售额"), "name": revenue,
                "data": [{"code": r["key"], "value": r["revenue"] / 100}
                         for r in d["province"] if r["key"]]},
    }  # fmt: skip


async def _export(call: ConsoleCall, brand: Brand, q: Ranking) -> web.StreamResponse:
    """A ranking of up to :data:`EXPORTED` rows as CSV or XLSX (``analytics.export``)."""
    who = call.principal
    assert who is not None
    ctx = call.plugin(PLUGIN)
    ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
    rows = await of(ctx).sales.ranking(who, brand, q)
    columns = [Column("key", "Key", "编码"), Column("label", "Name", "名称"),
               Column("revenue", "Revenue (yuan)", "销售额（元）"),
               Column("units", "Units", "销量"), Column("orders", "Orders", "订单数"),
               Column("returned_units", "Returned", "退货件数"),
               Column("revenue_change", "Revenue change", "销售额变化")]  # fmt: skip
    out = []
    for r in rows:
        d = r.to_dict()
        change = d.get("change", {}).get("revenue")
        out.append({"key": d["key"], "label": d["label"], "revenue": f"{d['revenue'] / 100:.2f}",
                    "units": d["units"], "orders": d["orders"],
                    "returned_units": d["returned_units"],
                    "revenue_change": "" if change is None else f"{change:.4f}"})  # fmt: skip
    stem = f"sales-{q.by}-{q.period.start}-{q.period.end}"
    return await export_response(call, stem, columns, out)
