"""``/api/v1/logistics/alerts``: stalled, late, off-route and misdelivered waybills
(``logistics.view``), closed with a note (``logistics.manage``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Note, page_after, page_records
from veriseal_logistics.api_common import (
    BASE,
    TAG,
    LogisticsBrandPage,
    LogisticsBrandQuery,
    Schema,
    services,
)
from veriseal_logistics.api_common import context as brand_context
from veriseal_logistics.permissions import LOGISTICS_MANAGE, LOGISTICS_VIEW


class LogisticsAlertQuery(LogisticsBrandPage, kw_only=True):
    status: Literal["open", "closed", "all"] = "open"
    kind: Literal["stalled", "late", "off_route", "wrong_destination"] | None = None


class LogisticsPerformanceQuery(LogisticsBrandQuery, kw_only=True):
    days: Annotated[int, Meta(ge=1, le=3660)] = 30


class LogisticsAlertPath(Model):
    id: Id


class LogisticsAlertClose(Model, kw_only=True):
    note: Note = ""


async def list_logistics_alerts(call: Call, query: LogisticsAlertQuery) -> Schema:
    who, brand, lx = await brand_context(call, query.brand)
    status = None if query.status == "all" else query.status
    found = await lx.alerts.listing(who, brand, status=status, kind=query.kind,
                                    limit=query.limit, after=page_after(query))  # fmt: skip
    return page_records("alerts", found, query)


async def close_logistics_alert(
    call: Call, path: LogisticsAlertPath, body: LogisticsAlertClose
) -> Schema:
    closed = await services(call).alerts.close(call.who, path.id, body.note)
    return closed.to_dict()


async def logistics_performance(call: Call, query: LogisticsPerformanceQuery) -> Schema:
    who, brand, lx = await brand_context(call, query.brand)
    until = dt.datetime.now(dt.UTC)
    got = await lx.performance.report(who, brand, until - dt.timedelta(days=query.days), until)
    return got.to_dict()


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/alerts", list_logistics_alerts, LOGISTICS_VIEW,
             "Logistics alerts (status open|closed|all, kind), a page at a time", tag=TAG),
    Endpoint("POST", f"{BASE}/alerts/{{id}}/close", close_logistics_alert, LOGISTICS_MANAGE,
             "Close an alert with a note", tag=TAG),
    Endpoint("GET", f"{BASE}/performance", logistics_performance, LOGISTICS_VIEW,
             "Carriers and lanes: parcels delivered in the last days, on time, transit"
             " hours; parcels in flight; open alerts by kind", tag=TAG),
]  # fmt: skip
