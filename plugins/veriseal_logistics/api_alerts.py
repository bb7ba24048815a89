"""``/api/v1/logistics/alerts``: stalled, late, off-route and misdelivered waybills
(``logistics.view``), closed with a note (``logistics.manage``)."""

from __future__ import annotations

from typing import Literal

from veriseal import Call, Endpoint, Id, Model, Note, page_after, page_records
from veriseal_logistics.api_common import BASE, TAG, LogisticsBrandPage, Schema, services
from veriseal_logistics.api_common import context as brand_context
from veriseal_logistics.permissions import LOGISTICS_MANAGE, LOGISTICS_VIEW


class LogisticsAlertQuery(LogisticsBrandPage, kw_only=True):
    status: Literal["open", "closed", "all"] = "open"
    kind: Literal["stalled", "late", "off_route", "wrong_destination"] | None = None


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


ENDPOINTS = [
    Endpoint("GET", f"{BASE}/alerts", list_logistics_alerts, LOGISTICS_VIEW,
             "Logistics alerts (status open|closed|all, kind), a page at a time", tag=TAG),
    Endpoint("POST", f"{BASE}/alerts/{{id}}/close", close_logistics_alert, LOGISTICS_MANAGE,
             "Close an alert with a note", tag=TAG),
]  # fmt: skip
