"""``/console/analytics/behaviour``: dealer behaviour for brand staff (``analytics.view``).

The RFM segments (table and bar chart, dealers of each segment), when dealers order
(orders per hour of day stacked by weekday, with the weekday x hour table), the dealers'
habits and the dormant dealers. ``?period=`` sets the habits' period (default 90d),
``?window=`` the segments' (default 365d). Every chart has its numbers in a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, get_args

from veriseal import VerisealError
from veriseal.extend import ConsolePage, ConsoleView, Page
from veriseal_analytics.behaviour import behaviour_of
from veriseal_analytics.console_common import dashboard, query_choice, reader
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.service import period_in

if TYPE_CHECKING:
    from aiohttp import web

    from veriseal.extend import ConsoleCall

BASE = "/console/analytics/behaviour"
PeriodChoice = Literal["30d", "90d", "180d", "365d"]
WEEKDAYS = (("Mon", "周一"), ("Tue", "周二"), ("Wed", "周三"), ("Thu", "周四"), ("Fri", "周五"),
            ("Sat", "周六"), ("Sun", "周日"))  # fmt: skip


async def behaviour_page(call: ConsoleCall) -> Page | web.StreamResponse:
    """The page (see the module)."""
    r = await reader(call)
    who, ctx, brand, lang = r.who, r.ctx, r.brand, r.lang
    b = behaviour_of(ctx)
    error, values = "", {"period": "90d", "window": "365d"}
    data: dict[str, Any] = {}
    try:
        values["period"] = query_choice(call, "period", PeriodChoice, "90d")
        values["window"] = query_choice(call, "window", PeriodChoice, "365d")
        data["habits"] = await b.dealers(who, brand, period_in(ctx, values["period"]), lang)
        data["segments"] = await b.segments(who, brand, period_in(ctx, values["window"]), lang)
    except VerisealError as exc:
        error = call.refused(exc)
    weekdays = [zh if lang == "zh" else en for en, zh in WEEKDAYS]
    return dashboard(
        call,
        "veriseal_analytics/behaviour.html",
        r,
        values,
        error,
        data,
        lambda c, d: _charts(c, d, weekdays),
        weekdays=weekdays,
        periods=get_args(PeriodChoice),
    )


def _charts(call: ConsoleCall, d: dict[str, Any], weekdays: list[str]) -> dict[str, Any]:
    segs = d["segments"]["segments"]
    heat = d["habits"]["heat"]
    return {
        "segments": {"title": call.t("Dealers per segment", "各分群经销商数"),
                     "x": [s["name"] for s in segs],
                     "series": [{"name": call.t("Dealers", "经销商数"),
                                 "data": [s["count"] for s in segs]}]},
        "hours": {"title": call.t("Orders by hour of day and weekday", "按时段与星期的订单数"),
                  "x": [f"{h:02d}" for h in range(24)], "stack": True,
                  "series": [{"name": weekdays[w], "data": heat[w]} for w in range(7)]},
    }  # fmt: skip


PAGES: list[ConsolePage] = [
    ConsolePage(BASE, "Dealer behaviour", "经销商行为", ANALYTICS_VIEW, "home", 21),
]
VIEWS: list[ConsoleView] = [
    ConsoleView("GET", BASE, behaviour_page, ANALYTICS_VIEW),
]
