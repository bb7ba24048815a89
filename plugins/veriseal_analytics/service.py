"""The plugin's services bundled per engine: ``of(ctx)`` gives the one instance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from veriseal.extend import PluginContext
from veriseal_analytics.periods import Period, period_of
from veriseal_analytics.reports import Reports
from veriseal_analytics.sales import Sales


def tz(ctx: PluginContext) -> str:
    """The calendar rollups are booked in: ``[plugins.analytics] tz`` (Asia/Shanghai)."""
    return str(ctx.config.get("tz", "Asia/Shanghai"))


def period_in(ctx: PluginContext, text: str) -> Period:
    """``text`` as a period of the rollups' calendar (``analytics_period_invalid``): a
    reader elsewhere asking for "the last 7 days" gets the days the rollups hold."""
    return period_of(text, dt.datetime.now(ZoneInfo(tz(ctx))).date())


@dataclass
class Analytics:
    ctx: PluginContext
    sales: Sales
    reports: Reports

    @classmethod
    def build(cls, ctx: PluginContext) -> Analytics:
        return cls(ctx, Sales(ctx), Reports(ctx))


_STATE = "services"


def of(ctx: PluginContext) -> Analytics:
    """The plugin's services in this engine (one instance per context)."""
    found = ctx.state.get(_STATE)
    if not isinstance(found, Analytics):
        found = Analytics.build(ctx)
        ctx.state[_STATE] = found
    return found
