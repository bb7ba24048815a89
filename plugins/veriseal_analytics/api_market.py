"""``/api/v1/analytics/market`` and ``/trends``: external market data imported as CSV
(``analytics.manage``) and read back, and the trend, weekly season, spikes and drops of
the brand's daily sales or scans (``analytics.view``)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, InvalidInput, Model, Short
from veriseal_analytics.api_sales import BASE, TAG, PeriodText, Schema, context
from veriseal_analytics.market import Market
from veriseal_analytics.market_data import Metric
from veriseal_analytics.permissions import ANALYTICS_MANAGE, ANALYTICS_VIEW
from veriseal_analytics.service import period_in

#: a market-data file's largest size (200,000 lines of about 80 bytes)
MAX_BYTES = 16 * 1024 * 1024


class AnalyticsBrandOnly(Model, kw_only=True):
    brand: Short | None = None


class AnalyticsMarketQuery(Model, kw_only=True):
    brand: Short | None = None
    metric: Metric
    region: Short | None = None
    competitor: Short | None = None
    limit: Annotated[int, Meta(ge=1, le=5000)] = 1000


class AnalyticsTrendsQuery(Model, kw_only=True):
    brand: Short | None = None
    source: Literal["sales", "scans"] = "sales"
    region: Short | None = None
    period: PeriodText = "365d"


async def import_market(call: Call, query: AnalyticsBrandOnly) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    raw = await call.request.content.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES} bytes")
    return (await Market(ctx).import_csv(who, brand, raw)).to_dict()


async def market_series(call: Call, query: AnalyticsMarketQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    rows = await Market(ctx).series(who, brand, str(query.metric), region=query.region,
                                    competitor=query.competitor, limit=query.limit)  # fmt: skip
    return {"metric": str(query.metric), "rows": rows}


async def trends(call: Call, query: AnalyticsTrendsQuery) -> Schema:
    who, brand, ctx = await context(call, query.brand)
    period = period_in(ctx, query.period)
    return await Market(ctx).trend(who, brand, query.source, period, query.region)


ENDPOINTS = [
    Endpoint("POST", f"{BASE}/market/import", import_market, ANALYTICS_MANAGE,
             "Import market data (CSV in the documented schema, all or nothing; UTF-8 or"
             " GB18030)", tag=TAG, raw_body="text/csv"),
    Endpoint("GET", f"{BASE}/market", market_series, ANALYTICS_VIEW,
             "Imported market data of one metric, oldest first", tag=TAG),
    Endpoint("GET", f"{BASE}/trends", trends, ANALYTICS_VIEW,
             "Daily sales or scans of a period (all regions or one province): trend, weekly"
             " season, residual, spikes and drops, explained", tag=TAG),
]  # fmt: skip
