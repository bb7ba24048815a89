"""The management report: one printable PDF of a period for a brand's management, with
charts (vector, drawn server-side) and the numbers behind each chart in a table.

Sections: the sales KPIs against the previous period; revenue per week; top products
and provinces; scans per week with the repeat and clone-suspect rates; the trend and
anomalies of daily revenue (:meth:`Market.trend`, explained in words); and the latest
imported market data per metric. Every figure comes from the rollups and the imported
market data, never from the raw ledger tables."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal_analytics.charts_pdf import ChartSpec, Series
from veriseal_analytics.export_files import Col
from veriseal_analytics.market import Market
from veriseal_analytics.market_data import Metric
from veriseal_analytics.periods import Period
from veriseal_analytics.permissions import ANALYTICS_EXPORT
from veriseal_analytics.report_pdf import ReportSection, write_pdf
from veriseal_analytics.sales import Ranking
from veriseal_analytics.scan_stats import scan_stats
from veriseal_analytics.service import of, tz


def _t(lang: str, en: str, zh: str) -> str:
    return zh if lang.startswith("zh") else en


async def sections(ctx: PluginContext, who: Principal, brand: Brand, period: Period,
                   lang: str) -> list[ReportSection]:  # fmt: skip
    """The report's sections (see the module)."""
    sales, scans, market = of(ctx).sales, scan_stats(ctx), Market(ctx)

    def t(en: str, zh: str) -> str:
        return _t(lang, en, zh)

    s = await sales.summary(who, brand, period, "previous")
    prev, ch = s["previous"], s["change"]
    kpi_cols = [Col("name", "Figure", "指标"), Col("now", "This period", "本期"),
                Col("before", "Previous period", "上期"),
                Col("change", "Change", "变化", "percent")]  # fmt: skip
    kpis = [{"name": t(en, zh), "now": _fmt(s[k], kind), "before": _fmt(prev[k], kind),
             "change": ch.get(k)}
            for k, en, zh, kind in (("revenue", "Revenue (yuan)", "销售额（元）", "money"),
                                    ("units", "Units", "销量", "int"),
                                    ("orders", "Orders", "订单数", "int"),
                                    ("aov", "Average order (yuan)", "客单价（元）", "money"),
                                    ("return_rate", "Return rate", "退货率", "rate"))]  # fmt: skip
    weeks = await sales.trend(who, brand, period, "week")
    revenue = t("Revenue (yuan)", "销售额（元）")
    out = [
        ReportSection(t("Sales", "销售概况"), None, kpi_cols, kpis),
        ReportSection(t("Revenue per week", "每周销售额"),
                      ChartSpec("line", revenue, [w["bucket"] for w in weeks],
                                [Series(revenue, [w["revenue"] / 100 for w in weeks])]),
                      [Col("bucket", "Week", "周"), Col("revenue", revenue, revenue, "money"),
                       Col("orders", "Orders", "订单数", "int")], weeks),
    ]  # fmt: skip
    for by, title_en, title_zh in (("product", "Top products", "商品排行"),
                                   ("province", "Top provinces", "省份排行")):  # fmt: skip
        rows = [r.to_dict() for r in await sales.ranking(who, brand, Ranking(
            by, period, 10, "previous", lang=lang))]  # type: ignore[arg-type]  # fmt: skip
        chart = (
            ChartSpec(
                "hbar",
                t(title_en, title_zh),
                [r["label"] for r in rows],
                [Series(revenue, [r["revenue"] / 100 for r in rows])],
            )
            if rows
            else None
        )
        out.append(ReportSection(t(title_en, title_zh), chart, [
            Col("label", "Name", "名称"), Col("revenue", revenue, revenue, "money"),
            Col("units", "Units", "销量", "int")], rows))  # fmt: skip
    scan_weeks = await scans.trend(who, brand, period, "week")
    n = t("Scans", "扫码次数")
    out.append(ReportSection(t("Verifications per week", "每周扫码验证"),
                             ChartSpec("line", n, [w["bucket"] for w in scan_weeks],
                                       [Series(n, [float(w["scans"]) for w in scan_weeks])]),
                             [Col("bucket", "Week", "周"), Col("scans", n, n, "int"),
                              Col("repeat_rate", "Repeat rate", "重复扫码率", "percent"),
                              Col("clone_rate", "Clone-suspect rate", "疑似克隆率", "percent")],
                             scan_weeks))  # fmt: skip
    trend = await market.trend(who, brand, "sales", period)
    anomalies = trend["anomalies"]
    out.append(ReportSection(
        t("Trend and anomalies of daily revenue", "每日销售额的趋势与异常"),
        ChartSpec("line", revenue, trend["dates"],
                  [Series(t("Revenue", "销售额"), list(trend["values"])),
                   Series(t("Trend", "趋势"), list(trend["trend"]))]),
        [Col("date", "Day", "日期"), Col("kind", "Kind", "类型"),
         Col("value", "Value", "实际", "decimal"), Col("expected", "Expected", "预期", "decimal")],
        anomalies,
        note=trend["explanation_zh" if lang.startswith("zh") else "explanation_en"]))  # fmt: skip
    latest = []
    for metric in Metric:
        rows = await market.series(who, brand, str(metric), limit=5000)
        if rows:
            last = rows[-1]
            latest.append({"metric": str(metric), "date": last["date"], "value": last["value"],
                           "unit": last["unit"], "source": last["source"]})  # fmt: skip
    if latest:
        out.append(ReportSection(t("Market data (latest)", "市场数据（最新）"), None, [
            Col("metric", "Metric", "指标"), Col("date", "Date", "日期"),
            Col("value", "Value", "数值"), Col("unit", "Unit", "单位"),
            Col("source", "Source", "来源")], latest))  # fmt: skip
    return out


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "money":
        return f"{value / 100:,.2f}"
    if kind == "rate":
        return f"{value:.2%}"
    return f"{value:,}"


async def write(ctx: PluginContext, who: Principal, brand: Brand, period: Period, path: Path,
                lang: str = "zh") -> int:  # fmt: skip
    """Write the report to ``path`` (``analytics.export``); its page count."""
    ctx.require(who, ANALYTICS_EXPORT, brand_id=brand.id)
    parts = await sections(ctx, who, brand, period, lang)
    title = _t(lang, f"{brand.name}: management report", f"{brand.name} 经营分析报告")
    sub = [f"{period.start} — {period.end}"]
    return await asyncio.to_thread(write_pdf, path, title=title, subtitle_lines=sub,
                                   sections=parts, lang=lang,
                                   generated_at=dt.datetime.now(dt.UTC), tz=tz(ctx))  # fmt: skip
