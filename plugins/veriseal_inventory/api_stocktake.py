"""``/api/v1/inventory/stocktakes...``: open a count, count by quantity or by scanned
codes, propose the variance, approve or reject it (a different person holding
``stock.approve``: 403 ``stocktake_same_person`` otherwise). A blind count's answers
leave out every expected quantity for counters."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from veriseal import Call, Endpoint, Id, Model, Short
from veriseal_inventory.api_common import (
    BASE,
    TAG,
    BrandQuery,
    Gtin,
    Lot,
    Schema,
    context,
    warehouse,
)
from veriseal_inventory.count_states import CountAction, CountStatus
from veriseal_inventory.permissions import STOCK_APPROVE, STOCK_COUNT
from veriseal_inventory.stocktake_models import CountLine, CountMode

Text = Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")]
Counted = Annotated[int, Meta(ge=0, le=1_000_000_000)]
Fen = Annotated[int, Meta(ge=0, le=10_000_000_000)]


class CountPath(Model):
    id: Id


class ListQuery(BrandQuery):
    warehouse: Short | None = None
    status: Literal["open", "counting", "submitted", "approved", "rejected", "closed",
                    "cancelled"] | None = None  # fmt: skip
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class OpenBody(Model, kw_only=True):
    warehouse: Short
    mode: Literal["system", "physical"] = "system"
    blind: bool = False
    locations: Annotated[list[Short], Meta(max_length=200)] = msgspec.field(default_factory=list)
    gtins: Annotated[list[Gtin], Meta(max_length=200)] = msgspec.field(default_factory=list)


class CountLineBody(Model, kw_only=True):
    gtin: Gtin
    quantity: Counted
    lot: Lot = ""
    location: Short | None = None


class CountBody(Model):
    lines: Annotated[list[CountLineBody], Meta(max_length=500)]


class ScanBody(Model, kw_only=True):
    codes: Annotated[list[Annotated[str, Meta(min_length=1, max_length=300,
                                              pattern="^[^\\x00]*$")]],
                     Meta(min_length=1, max_length=2000)]  # fmt: skip
    location: Short | None = None


class SubmitBody(Model, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern="^[^\\x00]*$")]
    unit_costs: Annotated[dict[Gtin, Fen], Meta(max_length=500)] = msgspec.field(
        default_factory=dict
    )


class DecideBody(Model, kw_only=True):
    note: Text = ""


class RejectBody(Model, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern="^[^\\x00]*$")]


async def list_counts(call: Call, query: ListQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = None if query.warehouse is None else await warehouse(inv, brand, query.warehouse)
    status = None if query.status is None else CountStatus(query.status)
    found = await inv.counts.listed(who, brand, warehouse=w, status=status, limit=query.limit)
    return {"stocktakes": [s.to_dict() for s in found]}


async def open_count(call: Call, query: BrandQuery, body: OpenBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    w = await warehouse(inv, brand, body.warehouse)
    made = await inv.counts.open(who, w, mode=CountMode(body.mode), blind=body.blind,
                                 locations=body.locations, gtins=body.gtins)  # fmt: skip
    return (await inv.counts.show(who, brand, made.id)).to_dict()


async def show(call: Call, path: CountPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.show(who, brand, path.id)).to_dict()


async def count(call: Call, path: CountPath, query: BrandQuery, body: CountBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    lines = [CountLine(x.gtin, x.quantity, x.lot, x.location) for x in body.lines]
    return (await inv.counts.count(who, brand, path.id, lines)).to_dict()


async def scan(call: Call, path: CountPath, query: BrandQuery, body: ScanBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    got = await inv.counts.count_codes(who, brand, path.id, body.codes, body.location)
    return {"added": got.added, "repeated": got.repeated, **got.view.to_dict()}


async def submit(call: Call, path: CountPath, query: BrandQuery, body: SubmitBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.submit(who, brand, path.id, body.reason, body.unit_costs)).to_dict()


async def approve(call: Call, path: CountPath, query: BrandQuery, body: DecideBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.approve(who, brand, path.id, body.note)).to_dict()


async def reject(call: Call, path: CountPath, query: BrandQuery, body: RejectBody) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.reject(who, brand, path.id, body.reason)).to_dict()


async def cancel(call: Call, path: CountPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.end(who, brand, path.id, CountAction.CANCEL)).to_dict()


async def close(call: Call, path: CountPath, query: BrandQuery) -> Schema:
    who, brand, inv = await context(call, query.brand)
    return (await inv.counts.end(who, brand, path.id, CountAction.CLOSE)).to_dict()


_S = BASE + "/stocktakes"
_ONE = _S + "/{id}"
ENDPOINTS = [
    Endpoint("GET", _S, list_counts, STOCK_COUNT, "Stocktakes, newest first", tag=TAG),
    Endpoint("POST", _S, open_count, STOCK_COUNT,
             "Open a stocktake: expected quantities frozen now (409 stocktake_active)", 201,
             tag=TAG),
    Endpoint("GET", _ONE, show, STOCK_COUNT,
             "A stocktake's lines and variance (expected quantities left out of a blind"
             " count for counters)", tag=TAG),
    Endpoint("POST", _ONE + "/count", count, STOCK_COUNT,
             "Record counted quantities (0 is a count; no lines: start counting)", tag=TAG),
    Endpoint("POST", _ONE + "/scan", scan, STOCK_COUNT,
             "Count scanned item, case or pallet codes (each unit once)", tag=TAG),
    Endpoint("POST", _ONE + "/submit", submit, STOCK_COUNT,
             "Propose the variance with a reason (and unit costs in fen)", tag=TAG),
    Endpoint("POST", _ONE + "/approve", approve, STOCK_APPROVE,
             "Apply the variance as adjustment movements (403 stocktake_same_person)", tag=TAG),
    Endpoint("POST", _ONE + "/reject", reject, STOCK_APPROVE,
             "Refuse the variance with a reason: back to counting", tag=TAG),
    Endpoint("POST", _ONE + "/cancel", cancel, STOCK_COUNT, "Cancel a count not submitted",
             tag=TAG),
    Endpoint("POST", _ONE + "/close", close, STOCK_COUNT, "Close a rejected count", tag=TAG),
]  # fmt: skip
