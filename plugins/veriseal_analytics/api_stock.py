"""``/api/v1/analytics/stock...``: stock-movement statistics from the stock cube
(``analytics.view``) and their check and repair against inventory's posts
(``analytics.manage``). Request models are named ``AnalyticsStock...`` so they stay
distinct in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, CompareText, PeriodText, Schema, context
from veriseal_analytics.permissions import ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.service import period_in
from veriseal_analytics.stock_rebuild import rebuild
from veriseal_analytics.stock_stats import StockRanking, stock_stats


class AnalyticsStockQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "30d"
    compare: CompareText = "previous"


class AnalyticsStockTopQuery(AnalyticsStockQuery, kw_only=True):
    by: Literal["product", "warehouse", "category"]
    top: Annotated[int, Meta(ge=1, le=1000)] = 10
    lang: Literal["zh", "en"] = "zh"


class AnalyticsStockTrendQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "90d"
    step: Literal["day", "week", "month"] = "day"


class AnalyticsStockRebuild(Model, kw_only=True):
    brand: Short | None = None
    check: bool = True


async def stock_summary(call: Call, query: AnalyticsStockQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    p = period_in(ctx, query.period)
    return await stock_stats(ctx).summary(who, brand, p, query.compare)


async def stock_top(call: Call, query: AnalyticsStockTopQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    q = StockRanking(query.by, period_in(ctx, query.period), query.top, query.compare,
                     query.lang)  # fmt: skip
    return {"by": query.by, "rows": await stock_stats(ctx).ranking(who, brand, q)}


async def stock_trend(call: Call, query: AnalyticsStockTrendQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    p = period_in(ctx, query.period)
    return {"period": p.to_dict(), "step": query.step,
            "rows": await stock_stats(ctx).trend(who, brand, p, query.step)}  # fmt: skip


async def stock_rebuild(call: Call, body: AnalyticsStockRebuild) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
    return (await rebuild(ctx, brand, repair=not body.check)).to_dict()


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/stock", stock_summary, ANALYTICS_VIEW,
             "Units received, returned, shipped, adjusted and transferred, in, out and net"
             " of a period, with the previous period's or last year's and the change", tag=TAG),
    Endpoint("GET", f"{BASE}/stock/top", stock_top, ANALYTICS_VIEW,
             "Stock movements by product, warehouse or category", tag=TAG),
    Endpoint("GET", f"{BASE}/stock/trend", stock_trend, ANALYTICS_VIEW,
             "Stock movements per day, week or month", tag=TAG),
    Endpoint("POST", f"{BASE}/stock/rebuild", stock_rebuild, ANALYTICS_MANAGE,
             "Check the stock rollups against inventory's posts (check: true) or repair them",
             tag=TAG),
]  # fmt: skip
