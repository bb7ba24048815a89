"""``/console/analytics/stock``: the stock-movement dashboard, read from the stock cube
only.

KPIs (received, shipped, adjusted out / scrapped, net change) with their change, the
daily trend of units in and out (an ECharts line), and the top products and
warehouses. Every chart has its numbers in a table beside it. The lead lists
:data:`PAGES` and :data:`VIEWS` in console_pages.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal.extend import ConsolePage, ConsoleView, Page
from veriseal_analytics.console_common import SHOWN, Reader, period_dashboard
from veriseal_analytics.periods import Compare, Period, Step
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.stock_stats import StockRanking, stock_stats

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

BASE = "/console/analytics/stock"


async def stock_page(call: ConsoleCall) -> Page:
    """The dashboard (see the module)."""
    return await period_dashboard(call, "veriseal_analytics/stock.html", _figures, charts)


async def _figures(r: Reader, period: Period, compare: Compare, step: Step) -> dict[str, Any]:
    stats, who, brand = stock_stats(r.ctx), r.who, r.brand
    data: dict[str, Any] = {"summary": await stats.summary(who, brand, period, compare),
                            "trend": await stats.trend(who, brand, period, step)}  # fmt: skip
    for by in ("product", "warehouse"):
        data[by] = await stats.ranking(who, brand, StockRanking(by, period, SHOWN, compare,
                                                                r.lang))  # fmt: skip
    return data


def charts(call: ConsoleCall, d: dict[str, Any]) -> dict[str, Any]:
    """The chart data blocks (static/charts.js) of the page's figures."""
    units_in, units_out = call.t("Units in", "进"), call.t("Units out", "出")
    return {
        "trend": {"title": call.t("Stock in and out per day", "每日出入库"),
                  "x": [r["bucket"] for r in d["trend"]],
                  "series": [{"name": units_in, "data": [r["units_in"] for r in d["trend"]]},
                             {"name": units_out, "data": [r["units_out"] for r in d["trend"]]},
                             {"name": call.t("Net change", "净变化"),
                              "data": [r["net"] for r in d["trend"]]}]},
        "product": {"title": call.t("Products moved most", "出入库商品排行"),
                    "x": [r["label"] for r in d["product"]],
                    "series": [{"name": units_in, "data": [r["units_in"] for r in d["product"]]},
                               {"name": units_out,
                                "data": [r["units_out"] for r in d["product"]]}]},
    }  # fmt: skip


PAGES: list[ConsolePage] = [
    ConsolePage(BASE, "Stock movements", "库存变动分析", ANALYTICS_VIEW, "home", 22),
]
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", BASE, stock_page, ANALYTICS_VIEW),
]
