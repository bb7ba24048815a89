"""``/api/v1/inventory/outbound...``: outbound sheets (出库单). Create, list, show with
the picking list, issue, cancel, the PDF (``application/pdf``), and the consignee's
check-in (``POST .../{no}/receive``: the number, or the scanned ``VSOUT:<number>``)."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Short
from veriseal_inventory.api_common import (
    BASE,
    TAG,
    BrandQuery,
    Gtin,
    Lot,
    Quantity,
    Schema,
    context,
    warehouse,
)
from veriseal_inventory.outbound import NewLine
from veriseal_inventory.outbound_store import Consignee
from veriseal_inventory.permissions import STOCK_MOVE, STOCK_VIEW

#: text without control characters (tab and newline allowed)
_PLAIN = "^[^\\x00-\\x08\\x0b-\\x1f\\x7f]*$"
Number = Annotated[str, Meta(min_length=1, max_length=48, pattern="^[A-Za-z0-9:-]+$")]
Text = Annotated[str, Meta(max_length=500, pattern=_PLAIN)]
Text200 = Annotated[str, Meta(max_length=200, pattern=_PLAIN)]
Status = Literal["picking", "issued", "cancelled"]


class SheetPath(Model):
    no: Number


class ListQuery(BrandQuery):
    status: Status | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class ConsigneeBody(Model, kw_only=True):
    org_id: Id | None = None
    name: Text200 = ""
    address: Text = ""
    contact: Text200 = ""


class SheetLineBody(Model, kw_only=True):
    gtin: Gtin
    quantity: Quantity
    lot: Lot = ""
    codes: Annotated[str, Meta(max_length=2000, pattern=_PLAIN)] = ""


class CreateBody(Model, kw_only=True):
    warehouse: Short
    consignee: ConsigneeBody
    lines: Annotated[list[SheetLineBody], Meta(min_length=1, max_length=500)]
    note: Text = ""


class IssueSheetBody(Model, kw_only=True):
    handler: Annotated[str, Meta(max_length=100, pattern=_PLAIN)] | None = None


class CancelBody(Model, kw_only=True):
    reason: Text = ""


async def list_sheets(call: Call, query: ListQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    found = await inv.outbound.sheets(who, brand, status=query.status, limit=query.limit)
    return {"sheets": [s.to_dict() for s in found]}


async def create(call: Call, query: BrandQuery, body: CreateBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, body.warehouse)
    c = body.consignee
    lines = [NewLine(x.gtin, x.quantity, x.lot, x.codes) for x in body.lines]
    consignee = Consignee(c.name, c.address, c.contact, c.org_id)
    sheet = await inv.outbound.create(who, brand, w, consignee, lines, body.note)
    return sheet.to_dict()


async def show(call: Call, path: SheetPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    sheet, plan = await inv.outbound.picking(who, brand, path.no)
    return {**sheet.to_dict(), "picking": plan.to_dict()}


async def issue(call: Call, path: SheetPath, query: BrandQuery, body: IssueSheetBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.outbound.issue(who, brand, path.no, body.handler)).to_dict()


async def cancel(call: Call, path: SheetPath, query: BrandQuery, body: CancelBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.outbound.cancel(who, brand, path.no, body.reason)).to_dict()


async def receive(call: Call, path: SheetPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.outbound.receive(who, brand, path.no)).to_dict()


async def pdf(call: Call, path: SheetPath, query: BrandQuery) -> web.Response:
    who, brand, inv = await context(call, query.brand)
    data = await inv.outbound.pdf(who, brand, path.no)
    name = path.no.upper().removeprefix("VSOUT:")
    return web.Response(
        body=data, content_type="application/pdf",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": f'inline; filename="{name}.pdf"'},
    )  # fmt: skip


_O = BASE + "/outbound"
ENDPOINTS = [
    Endpoint("GET", _O, list_sheets, STOCK_VIEW,
             "Outbound sheets (出库单) in the caller's scope, newest first", tag=TAG),
    Endpoint("POST", _O, create, STOCK_MOVE,
             "Create an outbound sheet for a warehouse and a consignee (status picking)", 201,
             tag=TAG),
    Endpoint("GET", _O + "/{no}", show, STOCK_VIEW,
             "An outbound sheet with its picking list", tag=TAG),
    Endpoint("POST", _O + "/{no}/issue", issue, STOCK_MOVE,
             "Issue: post the picking list as the outbound movement (409 stock_insufficient,"
             " nothing written)", tag=TAG),
    Endpoint("POST", _O + "/{no}/cancel", cancel, STOCK_MOVE,
             "Cancel a sheet not yet issued", tag=TAG),
    Endpoint("GET", _O + "/{no}/pdf", pdf, STOCK_VIEW,
             "The issued sheet as PDF (application/pdf)", tag=TAG),
    Endpoint("POST", _O + "/{no}/receive", receive, STOCK_MOVE,
             "The consignee checks the sheet in (idempotent): the goods into its warehouse",
             tag=TAG),
]  # fmt: skip
