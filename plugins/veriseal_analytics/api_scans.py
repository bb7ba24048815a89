"""``/api/v1/analytics/scans...``: scan statistics from the scan rollups
(``analytics.view``) and their check and repair (``analytics.manage``). Request models
are named ``AnalyticsScan...`` so they stay distinct in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, CompareText, PeriodText, Schema, context
from veriseal_analytics.permissions import ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.scan_rebuild import rebuild
from veriseal_analytics.scan_stats import ScanRanking, scan_stats
from veriseal_analytics.service import period_in


class AnalyticsScanQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "30d"
    compare: CompareText = "previous"


class AnalyticsScanTopQuery(AnalyticsScanQuery, kw_only=True):
    by: Literal["hour", "province", "city", "product", "outcome"]
    top: Annotated[int, Meta(ge=1, le=1000)] = 10
    lang: Literal["zh", "en"] = "zh"


class AnalyticsScanTrendQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "90d"
    step: Literal["day", "week", "month"] = "day"


class AnalyticsScanDelayQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "90d"
    lang: Literal["zh", "en"] = "zh"


class AnalyticsScanRebuild(Model, kw_only=True):
    brand: Short | None = None
    check: bool = True


async def scans_summary(call: Call, query: AnalyticsScanQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await scan_stats(ctx).summary(who, brand, period_in(ctx, query.period), query.compare)


async def scans_top(call: Call, query: AnalyticsScanTopQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    q = ScanRanking(query.by, period_in(ctx, query.period), query.top, query.compare, query.lang)
    return {"by": query.by, "rows": await scan_stats(ctx).ranking(who, brand, q)}


async def scans_trend(call: Call, query: AnalyticsScanTrendQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    p = period_in(ctx, query.period)
    return {"period": p.to_dict(), "step": query.step,
            "rows": await scan_stats(ctx).trend(who, brand, p, query.step)}  # fmt: skip


async def scans_delay(call: Call, query: AnalyticsScanDelayQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await scan_stats(ctx).delay(who, brand, period_in(ctx, query.period), query.lang)


async def scans_rebuild(call: Call, body: AnalyticsScanRebuild) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
    return (await rebuild(ctx, brand, repair_it=not body.check)).to_dict()


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/scans", scans_summary, ANALYTICS_VIEW,
             "Scans, first scans, repeat-scan and clone-suspect rates of a period, with the"
             " previous period's or last year's and the change", tag=TAG),
    Endpoint("GET", f"{BASE}/scans/top", scans_top, ANALYTICS_VIEW,
             "Scans by hour of day, province (heat map), city, product or verdict", tag=TAG),
    Endpoint("GET", f"{BASE}/scans/trend", scans_trend, ANALYTICS_VIEW,
             "Scans and rates per day, week or month", tag=TAG),
    Endpoint("GET", f"{BASE}/scans/delay", scans_delay, ANALYTICS_VIEW,
             "Days from shipment to a unit's first scan: median and p90 per product", tag=TAG),
    Endpoint("POST", f"{BASE}/scans/rebuild", scans_rebuild, ANALYTICS_MANAGE,
             "Check the scan rollups against the scans (check: true) or repair them", tag=TAG),
]  # fmt: skip
