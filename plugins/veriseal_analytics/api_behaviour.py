"""``/api/v1/analytics/dealers/...`` and ``/consumers/behaviour``: dealer habits, RFM
segments and consumer scan behaviour (``analytics.view``). Periods as for sales
(``30d``, ``mtd``, ``2026-11``, ``FROM..TO``)."""

from __future__ import annotations

from typing import Any, Literal

from veriseal import Call, Endpoint, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, PeriodText, context
from veriseal_analytics.behaviour import behaviour_of
from veriseal_analytics.permissions import ANALYTICS_VIEW
from veriseal_analytics.service import period_in

Schema = dict[str, Any]


class AnalyticsBehaviourQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "90d"
    lang: Literal["zh", "en"] = "zh"


class AnalyticsSegmentsQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "365d"
    lang: Literal["zh", "en"] = "zh"


class AnalyticsConsumersQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "30d"


async def dealers_behaviour(call: Call, query: AnalyticsBehaviourQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await behaviour_of(ctx).dealers(who, brand, period_in(ctx, query.period), query.lang)


async def dealers_segments(call: Call, query: AnalyticsSegmentsQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await behaviour_of(ctx).segments(who, brand, period_in(ctx, query.period), query.lang)


async def consumers_behaviour(call: Call, query: AnalyticsConsumersQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await behaviour_of(ctx).consumers(who, brand, period_in(ctx, query.period))


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/dealers/behaviour", dealers_behaviour, ANALYTICS_VIEW,
             "Per dealer: orders per 30 days, median basket, ordering hours and weekdays,"
             " product mix and dormancy", tag=TAG),
    Endpoint("GET", f"{BASE}/dealers/segments", dealers_segments, ANALYTICS_VIEW,
             "RFM segments of the dealers (rules, counts, dealers) and the dormant dealers",
             tag=TAG),
    Endpoint("GET", f"{BASE}/consumers/behaviour", consumers_behaviour, ANALYTICS_VIEW,
             "Consumer scans per day and hour, repeat scanners and registration after a scan",
             tag=TAG),
]  # fmt: skip
