"""``/api/v1/inventory/warehouses...`` and ``/stock/...``: warehouses, levels, balances,
movements, and receiving, issuing and transferring by quantity. Every route checks its
action against the warehouse's organisation (a dealer sees and moves only its
subtree's stock). Movements by quantity take an ``Idempotency``-style ``client_id`` in
the body: a retry returns the first answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Name, Short
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
    warehouse,
)
from veriseal_inventory.models import LocationKind
from veriseal_inventory.permissions import STOCK_MANAGE, STOCK_MOVE, STOCK_VIEW
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery

Code = Annotated[str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]


class WarehousePath(Model):
    warehouse: Short


class WarehouseBody(Model, kw_only=True):
    code: Code
    name: Name
    org_id: Id | None = None
    address: Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")] = ""


class LocationBody(Model):
    code: Code
    kind: Literal["stock", "quarantine", "rejected"] = "stock"


class LevelsQuery(BrandQuery):
    gtin: Gtin | None = None
    warehouse: Short | None = None


class BalancesQuery(BrandQuery):
    gtin: Gtin | None = None


class MovementsQuery(BrandQuery):
    warehouse: Short | None = None
    gtin: Gtin | None = None
    document: Ref | None = None
    before: Id | None = None
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100


class MoveBody(Model, kw_only=True):
    lines: Lines
    location: Short | None = None
    document: Annotated[str, Meta(max_length=64, pattern="^[^\\x00]*$")] = ""
    reason: Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")] = ""
    at: dt.datetime | None = None
    client_id: Ref | None = None


class TransferBody(MoveBody, kw_only=True):
    to: Short
    to_location: Short | None = None


def _request(body: MoveBody) -> MoveRequest:
    return MoveRequest(body.document, body.reason, body.at, body.client_id, body.location)


async def list_warehouses(call: Call, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return {"warehouses": [w.to_dict() for w in await inv.warehouses.in_scope(who, brand)]}


async def create_warehouse(call: Call, query: BrandQuery, body: WarehouseBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    made = await inv.warehouses.create(who, brand, body.code, body.name, org_id=body.org_id,
                                       address=body.address)  # fmt: skip
    return made.to_dict()


async def locations(call: Call, path: WarehousePath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    await inv.warehouses.require(who, STOCK_VIEW, w)
    return {"locations": [loc.to_dict() for loc in await inv.warehouses.locations(w.id)]}


async def add_location(call: Call, path: WarehousePath, query: BrandQuery,
                       body: LocationBody) -> Schema:  # fmt: skip
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    loc = await inv.warehouses.add_location(who, w, body.code, LocationKind(body.kind))
    return loc.to_dict()


async def levels(call: Call, query: LevelsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    found = await inv.stock.levels(who, brand, gtin=query.gtin, warehouse=w)
    return {"levels": [lv.to_dict() for lv in found]}


async def balances(call: Call, path: WarehousePath, query: BalancesQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    return {"balances": [b.to_dict() for b in await inv.stock.balances(who, w, query.gtin)]}


async def movements(call: Call, query: MovementsQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    ids = None if query.warehouse is None else [(await warehouse(inv, brand, query.warehouse)).id]
    q = MovementQuery(ids, query.gtin, query.document, query.before, query.limit)
    found = await inv.stock.movements(who, brand, q)
    return {"movements": [m.to_dict() for m in found],
            "next": found[-1].id if len(found) == query.limit else None}  # fmt: skip


async def receive(call: Call, path: WarehousePath, query: BrandQuery, body: MoveBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    return {"movements": await inv.stock.receive(who, w, stock_lines(body.lines), _request(body))}


async def issue(call: Call, path: WarehousePath, query: BrandQuery, body: MoveBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, path.warehouse)
    return {"movements": await inv.stock.issue(who, w, stock_lines(body.lines), _request(body))}


async def transfer(call: Call, path: WarehousePath, query: BrandQuery,
                   body: TransferBody) -> Schema:  # fmt: skip
    who, brand, inv = await context(call, query.brand)
    src = await warehouse(inv, brand, path.warehouse)
    dst = await warehouse(inv, brand, body.to)
    ids = await inv.stock.transfer(who, src, dst, stock_lines(body.lines), _request(body),
                                   body.to_location)  # fmt: skip
    return {"movements": ids}


_W = BASE + "/warehouses/{warehouse}"
ENDPOINTS = [
    Endpoint("GET", f"{BASE}/warehouses", list_warehouses, STOCK_VIEW,
             "The warehouses in the caller's scope", tag=TAG),
    Endpoint("POST", f"{BASE}/warehouses", create_warehouse, STOCK_MANAGE,
             "Create a warehouse (409 warehouse_exists)", 201, tag=TAG),
    Endpoint("GET", f"{_W}/locations", locations, STOCK_VIEW, "A warehouse's locations", tag=TAG),
    Endpoint("POST", f"{_W}/locations", add_location, STOCK_MANAGE, "Add a location", 201,
             tag=TAG),
    Endpoint("GET", f"{BASE}/stock", levels, STOCK_VIEW,
             "Stock per warehouse and product: sellable, reserved, available, quarantine,"
             " rejected", tag=TAG),
    Endpoint("GET", f"{_W}/balances", balances, STOCK_VIEW,
             "Stock per location and lot of a warehouse", tag=TAG),
    Endpoint("GET", f"{BASE}/movements", movements, STOCK_VIEW,
             "Movements, newest first (?before= pages on)", tag=TAG),
    Endpoint("POST", f"{_W}/receive", receive, STOCK_MOVE,
             "Goods in by quantity (409 stock_backdated)", 201, tag=TAG),
    Endpoint("POST", f"{_W}/issue", issue, STOCK_MOVE,
             "Goods out by quantity (409 stock_insufficient: never below zero)", 201, tag=TAG),
    Endpoint("POST", f"{_W}/transfer", transfer, STOCK_MOVE,
             "Move goods to another warehouse or location, both sides in one commit", 201,
             tag=TAG),
]  # fmt: skip
