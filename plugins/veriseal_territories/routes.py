"""HTTP routes of the territories plugin, declared as the core's ``Endpoint`` s (each
route's access rule and typed input; ``/openapi.json`` lists them). Errors go through
the core's middleware.

- ``GET regions/locate?lat=..&lon=..``: offline reverse geocoding and the resolved
  region's chain of parents; ``GET regions/{code}``: one region and its children. Both
  public: they read the bundled administrative divisions, nothing of any brand.
- dealers, grants, the order-time ``authorize`` check, shipments and receipts (with
  offline ``sync``), take-backs (returns to the brand), the holder of a unit, and
  diversion alerts with their workflow and history analysis: see docs/territories.md.
  These need an API token (``Authorization: Bearer vst_...``) whose scopes hold the
  route's action; the services check the role and the dealer subtree. A platform
  admin names the brand with ``?brand=<slug>``.

Lists answer ``{<key>: [...], "next_cursor": ...}``: ask again with ``?cursor=`` until
it is null.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from msgspec import Meta

from veriseal import (
    Action,
    Brand,
    Call,
    Code,
    Endpoint,
    Gate,
    Id,
    InvalidInput,
    Latitude,
    Longitude,
    Model,
    Name,
    Note,
    Page,
    Principal,
    Short,
    page_after,
    page_listing,
    page_records,
    page_schema,
    require_permission,
)
from veriseal.extend import plugin_context
from veriseal_territories.analysis import analyse
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.permissions import TERRITORY_GRANT
from veriseal_territories.service import Territories, of, sync_operations
from veriseal_territories.shipment_policy import CHECKS, Destination
from veriseal_territories.shipments import MoveOptions, Point

BASE = "/api/v1/territories"
NAME = "territories"  # the plugin whose context the handlers use
Schema = dict[str, Any]
MAX_ITEMS = 100_000
MAX_CHILDREN = 1000
Items = Annotated[list[Code], Meta(min_length=1, max_length=MAX_ITEMS)]
AlertState = Literal["open", "investigating", "confirmed", "dismissed"]


# -- regions (public) -------------------------------------------------------------------
class LocateQuery(Model):
    lat: Latitude
    lon: Longitude


class RegionPath(Model):
    code: Annotated[str, Meta(min_length=1, max_length=100, pattern="^[^\\x00]*$")]


async def locate(call: Call, query: LocateQuery) -> Schema:
    return default_hierarchy().locate(query.lat, query.lon)


async def region(call: Call, path: RegionPath) -> Schema:
    h = default_hierarchy()
    node = h.get(path.code)
    children = h.children(node.code)[:MAX_CHILDREN]
    return {**node.to_dict(), "children": [c.to_dict() for c in children]}


# -- the caller's brand -------------------------------------------------------------------
class BrandQuery(Model):
    brand: Short | None = None


class BrandPage(Page):
    brand: Short | None = None


async def _context(call: Call, brand_slug: str | None) -> tuple[Principal, Brand, Territories]:
    """The caller, its brand (the platform admin names one with ?brand=) and services."""
    who = call.who
    ctx = plugin_context(call, NAME)
    if who.brand_id is not None:
        brand = await ctx.brand_by_id(who.brand_id)
    else:
        brand = await ctx.brand(brand_slug)
    return who, brand, of(ctx)


# -- dealers ----------------------------------------------------------------------------
class ImportQuery(BrandQuery):
    skip_bad: bool = False


async def dealer_tree(call: Call, query: BrandPage) -> Schema:
    who, brand, t = await _context(call, query.brand)
    rows = await t.dealers.tree(who, brand.id, after_org=page_after(query), limit=query.limit)
    nodes = [
        {"depth": d, "org_id": o.id, "kind": str(o.kind), "org_name": o.name,
         "dealer": x.to_dict() if x else None}
        for d, o, x in rows
    ]  # fmt: skip
    return page_listing("dealers", nodes, query, rows[-1][1].id if rows else None)


async def dealer_import(call: Call, query: ImportQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    try:
        text = (await call.request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8") from None
    if "\x00" in text:
        raise InvalidInput("the CSV contains a NUL character")
    report = await t.dealers.import_csv(who, brand.id, text, query.skip_bad)
    return report.to_dict()


# -- grants -----------------------------------------------------------------------------
class GrantsQuery(BrandPage):
    dealer: Short | None = None
    all: bool = False


class GrantBody(Model, kw_only=True):
    dealer: Short
    product: Name = "*"
    region: Name
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    note: Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")] = ""


class GrantPath(Model):
    id: Id
    action: Literal["revoke", "suspend", "reinstate"]


class NoteBody(Model):
    note: Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")] = ""


async def grants_list(call: Call, query: GrantsQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    found = await t.grants.list(who, brand.id, query.dealer, query.all,
                                after_id=page_after(query), limit=query.limit)  # fmt: skip
    return page_listing("grants", [{"dealer": d.code, **g.to_dict()} for d, g in found], query,
                        found[-1][1].id if found else None)  # fmt: skip


async def grants_add(call: Call, query: BrandQuery, body: GrantBody) -> Schema:
    who, brand, t = await _context(call, query.brand)
    g = await t.grants.grant(who, brand.id, body.dealer, body.product, body.region,
                             body.valid_from, body.valid_until, body.note)  # fmt: skip
    return g.to_dict()


async def grants_change(call: Call, path: GrantPath, query: BrandQuery, body: NoteBody) -> Schema:
    who, brand, t = await _context(call, query.brand)
    return (await t.grants.change(who, brand.id, path.id, path.action, body.note)).to_dict()


# -- authorize ----------------------------------------------------------------------------
class AuthorizeInput(Model):
    dealer: Short
    product: Name
    region: Name | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    at: dt.datetime | None = None


class AuthorizeQuery(AuthorizeInput, kw_only=True):
    brand: Short | None = None


async def _authorize(call: Call, brand_slug: str | None, q: AuthorizeInput) -> Schema:
    who, brand, t = await _context(call, brand_slug)
    dealer = await t.dealers.find(brand.id, q.dealer)
    org = await t.ctx.org(dealer.org_id)
    require_permission(who, Action.ORGS_VIEW, org=org)
    if (q.lat is None) != (q.lon is None):
        raise InvalidInput("give lat and lon both, or neither")
    point = None if q.lat is None or q.lon is None else (q.lat, q.lon)
    decision = await t.grants.authorize(brand.id, dealer.code, q.product, q.region, point, q.at)
    return decision.to_dict()


async def authorize_get(call: Call, query: AuthorizeQuery) -> Schema:
    return await _authorize(call, query.brand, query)


async def authorize_post(call: Call, query: BrandQuery, body: AuthorizeInput) -> Schema:
    return await _authorize(call, query.brand, body)


# -- shipments, receipts, offline sync ----------------------------------------------------
class Position(Model):
    lat: Latitude
    lon: Longitude
    accuracy_m: Annotated[float, Meta(ge=0, le=1_000_000)] | None = None


class Place(Model):
    """Where shipped goods are going: a region code, or a point."""

    region: Name | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None


class ShipBody(Model):
    to: Short
    items: Items
    from_: Short | None = msgspec.field(default=None, name="from")
    client_id: Short | None = None
    location: Position | None = None
    note: Note = ""
    destination: Place | None = None


class ReceiveBody(Model):
    items: Items
    at: Short | None = None
    client_id: Short | None = None
    location: Position | None = None
    note: Note = ""


class TakeBackBody(Model):
    """The brand takes goods back from a dealer (a return)."""

    from_: Short = msgspec.field(name="from")
    items: Items
    reference: Note = ""  # what the take-back is for (a return number)
    client_id: Short | None = None
    location: Position | None = None
    note: Note = ""


class SyncOperation(Model):
    client_id: Short
    kind: Literal["out", "in"]
    items: Items
    to: Short | None = None
    from_: Short | None = msgspec.field(default=None, name="from")
    at: Short | None = None
    location: Position | None = None
    destination: Place | None = None


class SyncBody(Model):
    operations: Annotated[list[SyncOperation], Meta(max_length=1000)]


def _point(loc: Position | None) -> Point | None:
    return None if loc is None else Point(loc.lat, loc.lon, loc.accuracy_m)


def _options(body: ShipBody | ReceiveBody) -> MoveOptions:
    """How the handheld says it scanned the movement (at the server's time)."""
    return MoveOptions(client_id=body.client_id, location=_point(body.location), note=body.note)


def _destination(place: Place | None) -> Destination | None:
    if place is None:
        return None
    if place.region is not None:
        if place.lat is not None or place.lon is not None:
            raise InvalidInput("destination: a region code or a point, not both")
        return Destination(region=place.region)
    if place.lat is None or place.lon is None:
        raise InvalidInput("destination: a region code, or lat and lon")
    return Destination(point=(place.lat, place.lon))


def _moved(result: Any) -> web.Response:
    """201 for a new movement, 200 for the replay of one already recorded."""
    return web.json_response(result.to_dict(), status=200 if result.replayed else 201)


async def ship(call: Call, query: BrandQuery, body: ShipBody) -> web.Response:
    who, brand, t = await _context(call, query.brand)
    to = _destination(body.destination)
    r = await t.ship(
        who, brand, body.to, body.items, from_ref=body.from_, options=_options(body), destination=to
    )
    return _moved(r)


async def receive(call: Call, query: BrandQuery, body: ReceiveBody) -> web.Response:
    who, brand, t = await _context(call, query.brand)
    r = await t.receive(who, brand, body.items, at_ref=body.at, options=_options(body))
    return _moved(r)


async def take_back(call: Call, query: BrandQuery, body: TakeBackBody) -> web.Response:
    who, brand, t = await _context(call, query.brand)
    options = MoveOptions(
        client_id=body.client_id, location=_point(body.location),
        note=body.note or body.reference, reference=body.reference,
    )  # fmt: skip
    r = await t.take_back(who, brand, body.from_, body.items, options=options)
    return _moved(r)


async def sync(call: Call, query: BrandQuery, body: SyncBody) -> Schema:
    who, brand, _ = await _context(call, query.brand)
    ops = msgspec.to_builtins(body.operations)
    return {"results": await sync_operations(plugin_context(call, NAME), who, brand, ops)}


class PolicyBody(Model):
    check: Literal["refuse", "flag", "off"] | None = None
    warehouse_check: Literal["refuse", "flag", "off"] | None = None


async def policy_get(call: Call, query: BrandQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    require_permission(who, TERRITORY_GRANT, brand_id=brand.id)
    return {**(await t.checks.policy(brand.id)).to_dict(), "choices": list(CHECKS)}


async def policy_set(call: Call, query: BrandQuery, body: PolicyBody) -> Schema:
    who, brand, t = await _context(call, query.brand)
    new = await t.checks.set_policy(who, brand.id, body.check, body.warehouse_check)
    return {**new.to_dict(), "choices": list(CHECKS)}


# -- holder and diversion -----------------------------------------------------------------
class HolderQuery(BrandQuery, kw_only=True):
    code: Code


class AlertsQuery(BrandPage):
    state: AlertState | None = None
    level: Literal["suspected", "strong"] | None = None
    dealer: Short | None = None
    since: dt.datetime | None = None
    format: Literal["json", "csv", "jsonl"] = "json"


class AlertPath(Model):
    id: Id


class Penalty(Model):
    amount: Annotated[int, Meta(ge=0, le=10**12)] | Annotated[float, Meta(ge=0, le=1e12)]
    currency: Annotated[str, Meta(pattern="^[A-Za-z]{3}$")] = "CNY"
    reason: Annotated[str, Meta(max_length=500, pattern="^[^\\x00]*$")] = ""


class TransitionBody(Model):
    to: AlertState
    note: Note = ""
    penalty: Penalty | None = None
    action: Literal["suspend", "revoke"] | None = None


class HistoryQuery(BrandQuery, kw_only=True):
    since: dt.datetime
    until: dt.datetime | None = None
    top: Annotated[int, Meta(ge=1, le=1000)] = 50


async def holder(call: Call, query: HolderQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    require_permission(who, Action.SCANS_READ, brand_id=brand.id)
    v = await t.ctx.verify(query.code)
    if v.info is None or v.info.batch_id is None or v.info.brand_id != brand.id:
        raise InvalidInput(f"not a code of this brand: {v.reason}")
    found = await t.shipments.holder(v.info.batch_id, v.info.index)
    if found is None:
        return {"holder": None, "held_by": "brand"}
    d = await t.dealers.get(brand.id, found[0])
    return {"holder": d.to_dict(), "movement_id": found[1],
            "state": "received" if found[2] == "in" else "in_transit"}  # fmt: skip


async def alerts(call: Call, query: AlertsQuery) -> Schema | web.Response:
    who, brand, t = await _context(call, query.brand)
    org = (await t.dealers.find(brand.id, query.dealer)).org_id if query.dealer else None
    filters: dict[str, Any] = {
        "state": query.state,
        "org_id": org,
        "since": query.since,
        "level": query.level,
    }
    if query.format != "json":
        text = await t.alerts.export(who, brand.id, query.format, **filters)
        kind = "text/csv" if query.format == "csv" else "application/x-ndjson"
        return web.Response(text=text, content_type=kind, charset="utf-8")
    found = await t.alerts.list(who, brand.id, **filters, limit=query.limit,
                                after_id=page_after(query))  # fmt: skip
    return page_records("alerts", found, query)


async def alert(call: Call, path: AlertPath, query: BrandQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    return (await t.alerts.get(who, brand.id, path.id)).to_dict()


async def transition(
    call: Call, path: AlertPath, query: BrandQuery, body: TransitionBody
) -> Schema:
    who, brand, t = await _context(call, query.brand)
    penalty = None if body.penalty is None else msgspec.to_builtins(body.penalty)
    a = await t.alerts.transition(who, brand.id, path.id, body.to, body.note, penalty,
                                  body.action)  # fmt: skip
    return a.to_dict()


async def history(call: Call, query: HistoryQuery) -> Schema:
    who, brand, t = await _context(call, query.brand)
    found = await analyse(t.ctx, t.diversion, who, brand.id, query.since, query.until)
    return {"dealers": [f.to_dict() for f in found[: query.top]]}


_OBJ: Schema = {"type": "object"}
A = Action
ROUTES = [
    Endpoint("GET", f"{BASE}/regions/locate", locate, Gate.PUBLIC,
             "The region (country, province, city, GB/T 2260) nearest a position, offline",
             tag="territories"),
    Endpoint("GET", f"{BASE}/regions/{{code:.+}}", region, Gate.PUBLIC,
             f"One region and its children (at most the first {MAX_CHILDREN}; not paged)",
             tag="territories"),
    Endpoint("GET", f"{BASE}/dealers", dealer_tree, A.ORGS_VIEW,
             "The dealer tree I may see, in tree order, a page at a time",
             tag="territories", response=page_schema("dealers", _OBJ)),
    Endpoint("POST", f"{BASE}/dealers/import", dealer_import, A.ORGS_MANAGE,
             "Import dealers from CSV (all or nothing unless skip_bad)",
             tag="territories", raw_body="text/csv"),
    Endpoint("GET", f"{BASE}/grants", grants_list, A.ORGS_VIEW,
             "Territory grants of the dealers I may see, by id, a page at a time",
             tag="territories", response=page_schema("grants", _OBJ)),
    Endpoint("POST", f"{BASE}/grants", grants_add, TERRITORY_GRANT,
             "Grant a verified dealer a product in a region", 201, tag="territories"),
    Endpoint("POST", f"{BASE}/grants/{{id}}/{{action:revoke|suspend|reinstate}}",
             grants_change, TERRITORY_GRANT, "Revoke, suspend or reinstate a grant",
             tag="territories"),
    Endpoint("GET", f"{BASE}/authorize", authorize_get, A.ORGS_VIEW,
             "May this dealer sell this product there (order-time check)",
             tag="territories"),
    Endpoint("POST", f"{BASE}/authorize", authorize_post, A.ORGS_VIEW,
             "May this dealer sell this product there (order-time check, JSON body)",
             tag="territories"),
    Endpoint("POST", f"{BASE}/shipments", ship, A.SCANS_RECORD,
             "Scan goods out to a dealer (201; 200 for a replayed client_id)", 201,
             tag="territories"),
    Endpoint("GET", f"{BASE}/shipments/policy", policy_get, TERRITORY_GRANT,
             "What a shipment to a dealer not authorized there does (refuse, flag, off)",
             tag="territories"),
    Endpoint("POST", f"{BASE}/shipments/policy", policy_set, TERRITORY_GRANT,
             "Set what a shipment to a dealer not authorized there does", tag="territories"),
    Endpoint("POST", f"{BASE}/receipts", receive, A.SCANS_RECORD,
             "Scan goods in at a dealer (201; 200 for a replayed client_id)", 201,
             tag="territories"),
    Endpoint("POST", f"{BASE}/takebacks", take_back, A.SCANS_RECORD,
             "The brand takes goods back from a dealer, a return (brand staff; 201; 200"
             " for a replayed client_id)", 201, tag="territories"),
    Endpoint("POST", f"{BASE}/sync", sync, A.SCANS_RECORD,
             "Apply a handheld's offline shipments and receipts in order, one result each",
             tag="territories"),
    Endpoint("GET", f"{BASE}/holder", holder, A.SCANS_READ,
             "Which dealer holds a unit now", tag="territories"),
    Endpoint("GET", f"{BASE}/diversion/alerts", alerts, A.ALERTS_READ,
             "Diversion alerts by id, a page at a time (format=csv|jsonl: an export)",
             tag="territories", response=page_schema("alerts", _OBJ)),
    Endpoint("GET", f"{BASE}/diversion/alerts/{{id}}", alert, A.ALERTS_READ,
             "One diversion alert with its history", tag="territories"),
    Endpoint("POST", f"{BASE}/diversion/alerts/{{id}}/transition", transition,
             TERRITORY_GRANT, "Move a diversion alert on in its workflow",
             tag="territories"),
    Endpoint("GET", f"{BASE}/diversion/scan", history, A.ALERTS_READ,
             "Dealers ranked by units scanned outside their territory since a time",
             tag="territories"),
]  # fmt: skip
