"""``/api/v1/analytics/sales...``: sales statistics from the rollups (``analytics.view``)
and the rollups' check and repair (``analytics.manage``). Request models are named
``Analytics...`` so they stay distinct in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from veriseal import Brand, Call, Endpoint, Model, Principal, Short
from veriseal.extend import PluginContext, plugin_context
from veriseal_analytics.permissions import ANALYTICS_MANAGE, ANALYTICS_SUGGEST, ANALYTICS_VIEW
from veriseal_analytics.rebuild import rebuild
from veriseal_analytics.sales import Ranking
from veriseal_analytics.service import of, period_in
from veriseal_analytics.suggest import evaluation, of_engine

NAME = "analytics"
BASE = "/api/v1/analytics"
TAG = "analytics"
Schema = dict[str, Any]
PeriodText = Annotated[str, Meta(min_length=2, max_length=40, pattern="^[0-9a-zA-Z.-]+$")]
CompareText = Literal["previous", "year", "none"]


class AnalyticsSalesQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "30d"
    compare: CompareText = "previous"


class AnalyticsTopQuery(AnalyticsSalesQuery, kw_only=True):
    by: Literal["product", "category", "dealer", "province", "city", "city_dealer", "channel"]
    top: Annotated[int, Meta(ge=1, le=1000)] = 10
    order: Literal["revenue", "units", "orders"] = "revenue"
    within: Short | None = None
    lang: Literal["zh", "en"] = "zh"


class AnalyticsTrendQuery(Model, kw_only=True):
    brand: Short | None = None
    period: PeriodText = "90d"
    step: Literal["day", "week", "month"] = "day"


class AnalyticsSuggestQuery(Model, kw_only=True):
    brand: Short | None = None
    dealer: Annotated[int, Meta(ge=1)]
    k: Annotated[int, Meta(ge=1, le=100)] = 10


class AnalyticsEvaluateQuery(Model, kw_only=True):
    brand: Short | None = None
    k: Annotated[int, Meta(ge=1, le=100)] = 10


class AnalyticsRebuild(Model, kw_only=True):
    brand: Short | None = None
    check: bool = True


async def context(call: Call, slug: str | None) -> tuple[Principal, Brand, PluginContext]:
    """The caller, the brand (the caller's own; a platform admin names it) and the context."""
    ctx = plugin_context(call, NAME)
    return call.who, await ctx.brand_for(call.who, slug), ctx


async def sales_summary(call: Call, query: AnalyticsSalesQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return await of(ctx).sales.summary(who, brand, period_in(ctx, query.period), query.compare)


async def sales_top(call: Call, query: AnalyticsTopQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    q = Ranking(
        query.by,
        period_in(ctx, query.period),
        query.top,
        query.compare,
        query.order,
        query.within,
        query.lang,
    )
    found = await of(ctx).sales.ranking(who, brand, q)  # fmt: skip
    return {"by": query.by, "rows": [r.to_dict() for r in found]}


async def sales_trend(call: Call, query: AnalyticsTrendQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    p = period_in(ctx, query.period)
    return {"period": p.to_dict(), "step": query.step,
            "rows": await of(ctx).sales.trend(who, brand, p, query.step)}  # fmt: skip


async def suggestions(call: Call, query: AnalyticsSuggestQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    rows = await of_engine(ctx).for_dealer(who, brand, query.dealer, query.k)
    return {"dealer": query.dealer, "suggestions": rows}


async def evaluate_suggestions(call: Call, query: AnalyticsEvaluateQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    return evaluation(await of_engine(ctx).evaluate(who, brand, query.k))


async def rebuild_rollups(call: Call, body: AnalyticsRebuild) -> Schema:
    who, brand, ctx = await context(call, body.brand)
    ctx.require(who, ANALYTICS_MANAGE, brand_id=brand.id)
    return (await rebuild(ctx, brand, repair=not body.check)).to_dict()


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/sales", sales_summary, ANALYTICS_VIEW,
             "Revenue, units, orders, average order value and return rate of a period,"
             " with the previous period's or last year's and the change", tag=TAG),
    Endpoint("GET", f"{BASE}/sales/top", sales_top, ANALYTICS_VIEW,
             "Top products, categories, dealers, provinces, cities (within a province),"
             " a city's dealers or channels, with the change", tag=TAG),
    Endpoint("GET", f"{BASE}/sales/trend", sales_trend, ANALYTICS_VIEW,
             "Revenue, units and orders per day, week or month", tag=TAG),
    Endpoint("GET", f"{BASE}/suggestions", suggestions, ANALYTICS_SUGGEST,
             "Products a dealer is likely to order next, with the reason (a dealer: its own)",
             tag=TAG),
    Endpoint("GET", f"{BASE}/suggestions/evaluation", evaluate_suggestions, ANALYTICS_VIEW,
             "The suggestions' hit-rate@k and MAP@k on each dealer's latest order held out,"
             " against the popularity baseline", tag=TAG),
    Endpoint("POST", f"{BASE}/rollups/rebuild", rebuild_rollups, ANALYTICS_MANAGE,
             "Check the rollups against commerce's records (check: true) or repair them", tag=TAG),
]  # fmt: skip
