"""``/api/v1/logistics/waybills``: register a waybill, list the brand's (filters, a page
at a time), show one and its timeline (``logistics.view``; a dealer sees waybills
shipped from or to its subtree; creating needs ``logistics.manage``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from veriseal import Call, Endpoint, Id, InvalidInput, Model, page_after, page_records
from veriseal_logistics.api_common import (
    BASE,
    TAG,
    LogisticsBrandPage,
    LogisticsBrandQuery,
    PlaceText,
    Ref,
    Schema,
    context,
    services,
)
from veriseal_logistics.permissions import LOGISTICS_MANAGE, LOGISTICS_VIEW
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

StatusName = Literal[
    "info_received", "picked_up", "in_transit", "at_destination_city", "out_for_delivery",
    "delivered", "failed_attempt", "exception", "returned", "expired",
]  # fmt: skip
Promise = Annotated[str, Meta(min_length=10, max_length=40, pattern="^[0-9T:.+Z -]+$")]


class LogisticsWaybillBody(Model, kw_only=True):
    carrier: Ref
    tracking_no: Ref
    origin: PlaceText
    destination: PlaceText | None = None
    promised: Promise | None = None  # a date (end of that day) or an ISO time with offset
    reference: Annotated[str, Meta(max_length=64, pattern="^[^\\x00]*$")] = ""
    movement_id: Id | None = None
    from_org: Id | None = None
    to_org: Id | None = None
    waypoints: Annotated[list[PlaceText], Meta(max_length=20)] = msgspec.field(default_factory=list)


class LogisticsWaybillQuery(LogisticsBrandPage, kw_only=True):
    status: StatusName | None = None
    reference: Ref | None = None
    alerted: bool | None = None


class LogisticsWaybillPath(Model):
    id: Id


def promised(text: str | None) -> dt.date | dt.datetime | None:
    """``YYYY-MM-DD`` (a date) or an ISO 8601 time with its offset."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"promised {text!r} is not a date or an ISO time") from None
    if value.tzinfo is None:
        raise InvalidInput("promised needs its offset (e.g. +08:00)")
    return value


def new_waybill(b: LogisticsWaybillBody) -> NewWaybill:
    return NewWaybill(
        carrier=b.carrier.strip(), tracking_no=b.tracking_no.strip(), origin=b.origin,
        destination=b.destination, promised=promised(b.promised), reference=b.reference,
        movement_id=b.movement_id, from_org=b.from_org, to_org=b.to_org,
        waypoints=tuple(b.waypoints),
    )  # fmt: skip


async def create_waybill(
    call: Call, query: LogisticsBrandQuery, body: LogisticsWaybillBody
) -> Schema:
    who, brand, lx = await context(call, query.brand)
    return (await lx.waybills.create(who, brand, new_waybill(body))).to_dict()


async def list_waybills(call: Call, query: LogisticsWaybillQuery) -> Schema:
    who, brand, lx = await context(call, query.brand)
    status = None if query.status is None else Status(query.status)
    found = await lx.waybills.listing(who, brand, status=status, reference=query.reference,
                                      alerted=query.alerted, limit=query.limit,
                                      after=page_after(query))  # fmt: skip
    return page_records("waybills", found, query)


async def show_waybill(call: Call, path: LogisticsWaybillPath) -> Schema:
    return (await services(call).waybills.get(call.who, path.id)).to_dict()


async def waybill_timeline(call: Call, path: LogisticsWaybillPath) -> Schema:
    lx = services(call)
    waybill = await lx.waybills.get(call.who, path.id)
    points = await lx.waybills.timeline(call.who, path.id)
    return {"waybill": waybill.to_dict(), "checkpoints": [c.to_dict() for c in points]}


ENDPOINTS = [
    Endpoint("POST", f"{BASE}/waybills", create_waybill, LOGISTICS_MANAGE,
             "Register a waybill (the same carrier and number with the same data again"
             " returns it)", tag=TAG, status=201),
    Endpoint("GET", f"{BASE}/waybills", list_waybills, LOGISTICS_VIEW,
             "Waybills, a page at a time (filters: status, reference, alerted)", tag=TAG),
    Endpoint("GET", f"{BASE}/waybills/{{id}}", show_waybill, LOGISTICS_VIEW,
             "A waybill: status, ETA, places", tag=TAG),
    Endpoint("GET", f"{BASE}/waybills/{{id}}/timeline", waybill_timeline, LOGISTICS_VIEW,
             "A waybill's carrier events in the order they happened", tag=TAG),
]  # fmt: skip
