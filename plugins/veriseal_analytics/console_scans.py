"""``/console/analytics/scans``: the scan dashboard, read from the scan rollups only.

KPIs (scans, first scans, repeat-scan and clone-suspect rates) with their change, the
daily trend, scans by hour of day, a province heat map, top products, the verdict
split and the first-scan delay after shipment per product. Every chart has its numbers
in a table beside it. The lead lists :data:`PAGES` and :data:`VIEWS` in console_pages.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veriseal.extend import ConsolePage, ConsoleView, Page
from veriseal_analytics.console_common import SHOWN, Reader, period_dashboard
from veriseal_analytics.periods import Compare, Period, Step
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.scan_stats import ScanBy, ScanRanking, scan_stats

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

BASE = "/console/analytics/scans"


async def scans_page(call: ConsoleCall) -> Page:
    """The dashboard (see the module)."""
    return await period_dashboard(call, "veriseal_analytics/scans.html", _figures, charts)


async def _figures(r: Reader, period: Period, compare: Compare, step: Step) -> dict[str, Any]:
    stats, who, brand, lang = scan_stats(r.ctx), r.who, r.brand, r.lang
    data: dict[str, Any] = {"summary": await stats.summary(who, brand, period, compare),
                            "trend": await stats.trend(who, brand, period, step)}  # fmt: skip
    tops: tuple[tuple[ScanBy, int], ...] = (
        ("hour", 24), ("province", 40), ("product", SHOWN), ("outcome", 20))  # fmt: skip
    for by, n in tops:
        data[by] = await stats.ranking(who, brand, ScanRanking(by, period, n, compare, lang))
    delay = await stats.delay(who, brand, period, lang)
    everything = {
        "key": "",
        "label": "全部商品" if lang == "zh" else "All products",
        **delay["all"],
    }
    data["delay"] = [everything, *delay["products"]]
    return data


def charts(call: ConsoleCall, d: dict[str, Any]) -> dict[str, Any]:
    """The chart data blocks (static/charts.js) of the page's figures."""
    scans = call.t("Scans", "扫码次数")
    return {
        "trend": {"title": call.t("Scans per day", "每日扫码"),
                  "x": [r["bucket"] for r in d["trend"]],
                  "series": [{"name": scans, "data": [r["scans"] for r in d["trend"]]},
                             {"name": call.t("First scans", "首次扫码"),
                              "data": [r["first_scans"] for r in d["trend"]]}]},
        "hour": {"title": call.t("Scans by hour of day", "各时段扫码"),
                 "x": [r["key"] for r in d["hour"]],
                 "series": [{"name": scans, "data": [r["scans"] for r in d["hour"]]}]},
        "map": {"title": call.t("Scans by province", "各省扫码热力图"), "name": scans,
                "data": [{"code": r["key"], "value": r["scans"]} for r in d["province"]
                         if r["key"]]},
        "product": {"title": call.t("Top products by scans", "商品扫码排行"),
                    "x": [r["label"] for r in d["product"]],
                    "series": [{"name": scans, "data": [r["scans"] for r in d["product"]]}]},
        "outcome": {"title": call.t("Verdicts", "验证结果"),
                    "data": [{"name": r["label"], "value": r["scans"]} for r in d["outcome"]]},
    }  # fmt: skip


PAGES: list[ConsolePage] = [
    ConsolePage(BASE, "Scan analytics", "扫码分析", ANALYTICS_VIEW, "home", 21),
]
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", BASE, scans_page, ANALYTICS_VIEW),
]
