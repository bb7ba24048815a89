"""Line-controller API: activate, decommission, pack and unpack from the factory line.
Declared as :class:`~veriseal.server.endpoints.Endpoint` s (``/openapi.json`` has each
route's input); every route needs ``line.operate`` (factory operators, brand admins),
checked for the brand concerned; events record the calling user as their actor.

- ``POST /api/v1/batches/{batch}/activate``: body ``{"from": I, "to": J}`` or
  ``{"ranges": ["0-99", "250"]}``, optional ``read_point`` / ``biz_location`` (URI or
  GLN) and ``event_time``. Answers the counts and the event id.
- ``POST /api/v1/batches/{batch}/decommission``: the same, plus ``reason`` (required)
  and ``destroyed`` (bool).
- ``POST /api/v1/pack``: ``{"parents": [{"parent": "<SSCC>", "children": ["<item code,
  SSCC, or BATCH:I-J>", ...]}, ...]}``: many cases or pallets in one request, ALL OR
  NOTHING: every parent is checked, then all are packed in one transaction (one
  AggregationEvent each); one refused parent refuses the request and packs none.
- ``POST /api/v1/unpack``: ``{"parent": "<SSCC>", "children": [...]}`` (no children:
  everything the parent holds).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from veriseal.accounts.models import Principal
from veriseal.accounts.permissions import Action, require
from veriseal.errors import InvalidInput, VerisealError
from veriseal.lifecycle.activation import StateChange
from veriseal.lifecycle.aggregation import Children, PackRequest, PackResult
from veriseal.lifecycle.events import Where
from veriseal.lifecycle.index_ranges import IndexRange, make, parse
from veriseal.lifecycle.logistic_units import parse_sscc
from veriseal.models import Batch, Brand
from veriseal.scanning.items import resolve_children
from veriseal.server.brand_scope import brand_for
from veriseal.server.endpoints import Call, Endpoint
from veriseal.server.inputs import Code, Count, Id, Line, Model, Note, Short

Schema = dict[str, Any]
#: ``"5"``, ``"10-19"`` or ``"10..19"`` in ASCII digits
RangeText = Annotated[str, Meta(pattern="^[0-9]{1,10}((-|\\.\\.)[0-9]{1,10})?$",
                                description="I or I-J")]  # fmt: skip
MAX_PARENTS = 1000
MAX_CHILDREN = 10_000


class BatchPath(Model):
    batch: Id


class LineEvent(Model):
    """Where and when a line event happened (default: now, no location)."""

    read_point: Line | None = None
    biz_location: Line | None = None
    event_time: dt.datetime | None = None


class Indexes(LineEvent):
    """``ranges`` if given, else ``from`` .. ``to``."""

    ranges: Annotated[list[RangeText | Count], Meta(min_length=1, max_length=10_000)] | None = None
    first: Count | None = msgspec.field(default=None, name="from")
    last: Count | None = msgspec.field(default=None, name="to")


class Decommission(Indexes):
    reason: Note = ""
    destroyed: bool = False


class BrandQuery(Model):
    brand: Short | None = None


class PackParent(Model):
    parent: Code
    children: Annotated[list[Code], Meta(min_length=1, max_length=MAX_CHILDREN)]


class PackBody(LineEvent, kw_only=True):
    parents: Annotated[list[PackParent], Meta(min_length=1, max_length=MAX_PARENTS)]


class UnpackBody(LineEvent, kw_only=True):
    parent: Code
    children: Annotated[list[Code], Meta(min_length=1, max_length=MAX_CHILDREN)] | None = None


def _actor(who: Principal) -> str:
    return f"user:{who.user_id}" if who.user_id is not None else "user:system"


def _where(call: Call, body: LineEvent) -> Where:
    return Where.parse(body.read_point, body.biz_location, _actor(call.who))


async def _batch(call: Call, batch_id: int) -> Batch:
    """The batch, once the caller may operate the line of its brand (the role is checked
    before the batch is looked up, so a stranger learns nothing about batches)."""
    require(call.who, Action.LINE_OPERATE)
    batch = await call.engine.ledger.get_batch(batch_id)
    require(call.who, Action.LINE_OPERATE, brand_id=batch.brand_id)
    return batch


def _ranges(body: Indexes) -> list[IndexRange]:
    if body.ranges is not None:
        return [parse(str(x)) for x in body.ranges]
    if body.first is None or body.last is None:
        raise InvalidInput("give 'from' and 'to' (integers) or 'ranges'")
    return [make(body.first, body.last)]


def _answer(change: StateChange) -> Schema:
    return {
        "batch": change.batch_id,
        "event_id": change.event_id,
        "changed": change.changed,
        "already": change.already,
        "skipped_decommissioned": change.skipped,
    }


async def activate(call: Call, path: BatchPath, body: Indexes) -> Schema:
    batch = await _batch(call, path.batch)
    change = await call.engine.lifecycle.activation.activate(
        batch, _ranges(body), _where(call, body), body.event_time
    )
    return _answer(change)


async def decommission(call: Call, path: BatchPath, body: Decommission) -> Schema:
    batch = await _batch(call, path.batch)
    change = await call.engine.lifecycle.activation.decommission(
        batch,
        _ranges(body),
        body.reason,
        _where(call, body),
        destroyed=body.destroyed,
        at=body.event_time,
    )
    return _answer(change)


async def _children(call: Call, brand: Brand, texts: list[str]) -> Children:
    engine = call.engine
    return await resolve_children(engine.batches, engine.verifier, brand, texts)


def _moved(result: PackResult) -> Schema:
    return {"parent": result.parent, "event_id": result.event_id, "items": result.items,
            "units": result.units}  # fmt: skip


async def pack(call: Call, query: BrandQuery, body: PackBody) -> Schema:
    brand = await brand_for(call, query.brand, Action.LINE_OPERATE)
    requests = []
    for i, p in enumerate(body.parents):
        try:
            requests.append(
                PackRequest(parse_sscc(p.parent), await _children(call, brand, p.children))
            )
        except VerisealError as exc:  # the same code and details, naming the parent
            raise type(exc)(f"parents[{i}]: {exc.message}", **exc.details) from None
    done = await call.engine.lifecycle.aggregation.pack_many(
        brand, requests, _where(call, body), body.event_time
    )
    return {"packed": [_moved(r) for r in done]}


async def unpack(call: Call, query: BrandQuery, body: UnpackBody) -> Schema:
    brand = await brand_for(call, query.brand, Action.LINE_OPERATE)
    children = None if body.children is None else await _children(call, brand, body.children)
    result = await call.engine.lifecycle.aggregation.unpack(
        brand, parse_sscc(body.parent), _where(call, body), children, body.event_time
    )
    return _moved(result)


_CHANGE = {"$ref": "#/components/schemas/StateChange"}
_MOVED: Schema = {
    "type": "object",
    "properties": {
        "parent": {"type": "string", "description": "SSCC (18 digits)"},
        "event_id": {"type": "integer"},
        "items": {"type": "integer"},
        "units": {"type": "integer"},
    },
}
A = Action
ROUTES = [
    Endpoint("POST", "/api/v1/batches/{batch}/activate", activate, A.LINE_OPERATE,
             "Activate (commission) printed labels of a batch", response=_CHANGE),
    Endpoint("POST", "/api/v1/batches/{batch}/decommission", decommission, A.LINE_OPERATE,
             "Decommission (void) labels of a batch", response=_CHANGE),
    Endpoint("POST", "/api/v1/pack", pack, A.LINE_OPERATE,
             f"Pack items and units into up to {MAX_PARENTS} parents (all or nothing)",
             response={"type": "object", "properties": {
                 "packed": {"type": "array", "items": _MOVED}}}),
    Endpoint("POST", "/api/v1/unpack", unpack, A.LINE_OPERATE,
             "Take items or units out of a parent (all it holds without children)",
             response=_MOVED),
]  # fmt: skip
