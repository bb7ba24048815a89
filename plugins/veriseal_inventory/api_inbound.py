"""``/api/v1/inventory/inbound...``: inbound receipts and their inspection, and
``/api/v1/inventory/inspection-settings``: which products need inspection before sale.

- ``GET inbound`` (``stock.view``): receipts newest first (``?status=open|done``,
  ``?warehouse=``, ``?before=`` pages on);
- ``POST inbound`` (``stock.move``): receive goods into the warehouse's quarantine
  (``release: true`` moves the lines needing no inspection on to stock at once);
- ``GET inbound/{receipt}`` (``stock.view``): the receipt, its lines and decisions;
- ``GET inbound/{receipt}/lines/{line}/plan`` (``stock.view``): the ISO 2859-1 plan
  for the line (``?aql=``, ``?level=``; default: the product's setting);
- ``POST inbound/{receipt}/lines/{line}/inspection`` (``stock.inspect``): decide;
- ``POST inbound/{receipt}/release`` (``stock.move``): lines needing no inspection to
  stock;
- ``GET inspection-settings`` (``stock.view``), ``PUT inspection-settings/{gtin}``
  (``stock.manage``, brand staff).

Refusals: 400 ``inbound_invalid``, 404 ``inbound_not_found``, 409 ``inbound_state`` /
``stock_insufficient``, 403 ``forbidden``; nothing changes."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Short
from veriseal_inventory.api_common import (
    BASE,
    TAG,
    BrandQuery,
    Gtin,
    Lines,
    Ref,
    Schema,
    context,
    stock_lines,
)
from veriseal_inventory.inbound_models import DecisionKind, InspectRequest
from veriseal_inventory.permissions import STOCK_INSPECT, STOCK_MANAGE, STOCK_MOVE, STOCK_VIEW

Aql = Annotated[str, Meta(pattern="^[0-9]{1,4}(\\.[0-9]{1,3})?$")]
Level = Annotated[str, Meta(pattern="^(I|II|III|S-[1-4])$")]
Text = Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")]
Count = Annotated[int, Meta(ge=0, le=1_000_000_000)]
LineNo = Annotated[int, Meta(ge=1, le=500)]


class InboundReceiptPath(Model):
    receipt: Ref


class InboundLinePath(Model):
    receipt: Ref
    line: LineNo


class InspectionGtinPath(Model):
    gtin: Gtin


class InboundListQuery(BrandQuery):
    status: Literal["open", "done"] | None = None
    warehouse: Short | None = None
    before: Id | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 50


class InboundPlanQuery(BrandQuery):
    aql: Aql | None = None
    level: Level | None = None


class InboundReceiveBody(Model, kw_only=True):
    warehouse: Short
    lines: Lines
    supplier: Annotated[str, Meta(max_length=200, pattern="^[^\\x00]*$")] = ""
    note: Text = ""
    release: bool = False
    client_id: Ref | None = None


class InboundInspectionBody(Model, kw_only=True):
    decision: Literal["accept_all", "reject_all", "accept_part"]
    defects: Count
    aql: Aql | None = None
    level: Level | None = None
    accepted: Count | None = None
    rejected: Count | None = None
    reason: Text = ""


class InspectionSettingBody(Model, kw_only=True):
    required: bool
    aql: Aql | None = None
    level: Level | None = None


async def list_receipts(call: Call, query: InboundListQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    found = await inv.inbound.list(who, brand, status=query.status,
                                   warehouse_ref=query.warehouse, before_id=query.before,
                                   limit=query.limit)  # fmt: skip
    return {"receipts": [r.to_dict() for r in found],
            "next": found[-1].id if len(found) == query.limit else None}  # fmt: skip


async def receive(call: Call, query: BrandQuery, body: InboundReceiveBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    view = await inv.inbound.receive(who, brand, body.warehouse, stock_lines(body.lines),
                                     supplier=body.supplier, note=body.note,
                                     client_id=body.client_id, release=body.release)  # fmt: skip
    return view.to_dict()


async def show(call: Call, path: InboundReceiptPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.inbound.get(who, brand, path.receipt)).to_dict()


async def plan(call: Call, path: InboundLinePath, query: InboundPlanQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    found = await inv.inbound.plan(who, brand, path.receipt, path.line, query.aql, query.level)
    return found.to_dict()


async def inspect(
    call: Call, path: InboundLinePath, query: BrandQuery, body: InboundInspectionBody
) -> Schema:
    who, brand, inv = await context(call, query.brand)
    req = InspectRequest(DecisionKind(body.decision), body.defects, body.aql, body.level,
                         body.accepted, body.rejected, body.reason)  # fmt: skip
    return (await inv.inbound.inspect(who, brand, path.receipt, path.line, req)).to_dict()


async def release(call: Call, path: InboundReceiptPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.inbound.release(who, brand, path.receipt)).to_dict()


async def settings(call: Call, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return {"settings": [s.to_dict() for s in await inv.inbound.settings(who, brand)]}


async def put_setting(
    call: Call, path: InspectionGtinPath, query: BrandQuery, body: InspectionSettingBody
) -> Schema:
    who, brand, inv = await context(call, query.brand)
    made = await inv.inbound.set_setting(who, brand, path.gtin, required=body.required,
                                         aql=body.aql, level=body.level)  # fmt: skip
    return made.to_dict()


_R = BASE + "/inbound/{receipt}"
ENDPOINTS = [
    Endpoint("GET", f"{BASE}/inbound", list_receipts, STOCK_VIEW,
             "Inbound receipts newest first (?status=open|done, ?warehouse=)", tag=TAG),
    Endpoint("POST", f"{BASE}/inbound", receive, STOCK_MOVE,
             "Receive goods into the warehouse's quarantine (入库单)", 201, tag=TAG),
    Endpoint("GET", _R, show, STOCK_VIEW, "A receipt with its lines and decisions", tag=TAG),
    Endpoint("GET", _R + "/lines/{line}/plan", plan, STOCK_VIEW,
             "The ISO 2859-1 sampling plan of a line (sample size, Ac, Re)", tag=TAG),
    Endpoint("POST", _R + "/lines/{line}/inspection", inspect, STOCK_INSPECT,
             "Decide a line: accept all, reject all or accept part (409 inbound_state)",
             tag=TAG),
    Endpoint("POST", _R + "/release", release, STOCK_MOVE,
             "Move the lines needing no inspection from quarantine to stock", tag=TAG),
    Endpoint("GET", f"{BASE}/inspection-settings", settings, STOCK_VIEW,
             "Which products need inspection before sale, and their AQL / level", tag=TAG),
    Endpoint("PUT", BASE + "/inspection-settings/{gtin}", put_setting, STOCK_MANAGE,
             "Set a product's inspection requirement and default plan", tag=TAG),
]  # fmt: skip
