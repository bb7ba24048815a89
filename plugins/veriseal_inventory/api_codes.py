"""``/api/v1/inventory/...`` of code-tracked stock: receiving and issuing by scanned item,
case and pallet codes, where a unit is held, and the code alerts (duplicate codes,
untracked outbound). A receipt of a unit already in stock anywhere answers 409
``stock_duplicate_code`` (the alert it raises is kept); an issue of units not in the
warehouse 409 ``stock_not_here``."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Code, Endpoint, Id, Model, Short
from veriseal_inventory.api_common import BASE, TAG, BrandQuery, Ref, Schema, context, warehouse
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_MOVE, STOCK_VIEW
from veriseal_inventory.units import MAX_ENTRIES
from veriseal_inventory.units_store import AlertQuery

Codes = Annotated[list[Code], Meta(min_length=1, max_length=MAX_ENTRIES)]
Document = Annotated[str, Meta(max_length=64, pattern="^[^\\x00]*$")]


class WarehousePath(Model):
    warehouse: Short


class AlertPath(Model):
    id: Id


class CodesBody(Model, kw_only=True):
    codes: Codes
    location: Short | None = None
    document: Document = ""
    client_id: Ref | None = None


class IssueCodesBody(Model, kw_only=True):
    codes: Codes
    document: Document = ""
    client_id: Ref | None = None


class WhereQuery(BrandQuery, kw_only=True):
    code: Code


class AlertsQuery(BrandQuery):
    status: Literal["open", "closed"] | None = None
    kind: Literal["duplicate_code", "untracked_outbound"] | None = None
    warehouse: Short | None = None
    before: Id | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class CloseBody(Model):
    note: Annotated[str, Meta(min_length=1, max_length=500, pattern="^[^\\x00]*$")]


async def receive_codes(call: Call, path: WarehousePath, query: BrandQuery,
                        body: CodesBody) -> Schema:  # fmt: skip
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    done = await inv.units.receive_codes(who, w, body.codes, location=body.location,
                                         document=body.document,
                                         client_id=body.client_id)  # fmt: skip
    return done.to_dict()


async def issue_codes(call: Call, path: WarehousePath, query: BrandQuery,
                      body: IssueCodesBody) -> Schema:  # fmt: skip
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    done = await inv.units.issue_codes(who, w, body.codes, document=body.document,
                                       client_id=body.client_id)  # fmt: skip
    return done.to_dict()


async def where(call: Call, query: WhereQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.units.where(who, brand, query.code)).to_dict()


async def code_alerts(call: Call, query: AlertsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    ids = None if query.warehouse is None else [(await warehouse(inv, brand, query.warehouse)).id]
    q = AlertQuery(ids, query.status, query.kind, query.before, query.limit)
    found = await inv.units.alerts(who, brand, q)
    return {"alerts": [a.to_dict() for a in found],
            "next": found[-1].id if len(found) == query.limit else None}  # fmt: skip


async def close_alert(call: Call, path: AlertPath, query: BrandQuery, body: CloseBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.units.close_alert(who, brand, path.id, body.note)).to_dict()


_W = BASE + "/warehouses/{warehouse}"
ENDPOINTS = [
    Endpoint("POST", f"{_W}/receive-codes", receive_codes, STOCK_MOVE,
             "Goods in by scanned item, case and pallet codes (409 stock_duplicate_code:"
             " a unit in stock already; the alert is kept)", 201, tag=TAG),
    Endpoint("POST", f"{_W}/issue-codes", issue_codes, STOCK_MOVE,
             "Goods out by scanned codes (409 stock_not_here)", 201, tag=TAG),
    Endpoint("GET", f"{BASE}/codes/where", where, STOCK_VIEW,
             "Which warehouse and location hold the units of a scanned code", tag=TAG),
    Endpoint("GET", f"{BASE}/code-alerts", code_alerts, STOCK_VIEW,
             "Code alerts (duplicate codes, untracked outbound), newest first", tag=TAG),
    Endpoint("POST", BASE + "/code-alerts/{id}/close", close_alert, STOCK_MANAGE,
             "Close a code alert with what was found", tag=TAG),
]  # fmt: skip
