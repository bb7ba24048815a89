"""HTTP routes of the territories plugin (JSON; errors go through the core's middleware).

- ``GET /api/v1/territories/regions/locate?lat=..&lon=..``: offline reverse geocoding and
  the resolved region's chain of parents;
- ``GET /api/v1/territories/regions/{code}``: one region and its children;
- dealers, grants, the order-time ``authorize`` check, shipments and receipts (with
  offline ``sync``), the holder of a unit, and diversion alerts with their workflow and
  history analysis: see docs/territories.md. These need an API token
  (``Authorization: Bearer vst_...``); the services check the permissions.
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from veriseal import (
    Action,
    Brand,
    Engine,
    InvalidInput,
    Principal,
    default_resolver,
    json_body,
    request_principal,
    require_permission,
)
from veriseal_territories.analysis import analyse
from veriseal_territories.hierarchy import default_hierarchy
from veriseal_territories.service import Territories, of, sync_operations, when
from veriseal_territories.shipments import Point


def _coordinate(request: web.Request, name: str, limit: float) -> float:
    try:
        value = float(request.query[name])
    except (KeyError, ValueError):
        raise InvalidInput(f"query parameter {name!r} must be a number") from None
    if not math.isfinite(value) or abs(value) > limit:
        raise InvalidInput(f"{name} must be within ±{limit:g}")
    return value


async def locate(request: web.Request) -> web.Response:
    lat = _coordinate(request, "lat", 90)
    lon = _coordinate(request, "lon", 180)
    found = default_resolver().nearest(lat, lon)
    if found is None:
        return web.json_response({"region": None, "chain": []})
    r = found.region
    city = f"{r.province}/{r.city}"
    chain = [n.to_dict() for n in default_hierarchy().ancestors(city)]
    return web.json_response(
        {
            "region": {"country": r.country, "province": r.province, "city": r.city,
                       "gb2260": r.gb2260},
            "nearest_place_km": round(found.distance_km, 2),
            "chain": chain,
        }
    )  # fmt: skip


async def region(request: web.Request) -> web.Response:
    h = default_hierarchy()
    node = h.get(request.match_info["code"])
    return web.json_response(
        {**node.to_dict(), "children": [c.to_dict() for c in h.children(node.code)[:1000]]}
    )


def add_routes(app: web.Application, engine: Engine) -> None:
    add_dealer_routes(app, engine)
    app.router.add_get("/api/v1/territories/regions/locate", locate)
    app.router.add_get("/api/v1/territories/regions/{code:.+}", region)


# -- dealers, grants, shipments, diversion (API tokens: Authorization: Bearer vst_...) ----
def _text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"field {name!r} is required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"field {name!r} must be a string")
    return value


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None


ENGINE = web.AppKey("territories_engine", Engine)


def _engine(request: web.Request) -> Engine:
    return request.app[ENGINE]


async def _context(request: web.Request) -> tuple[Principal, Brand, Territories]:
    """The caller, its brand (the platform admin names one with ?brand=) and services."""
    engine = _engine(request)
    principal = await request_principal(request, engine)
    if principal.brand_id is not None:
        brand = await engine.ledger.get_brand_by_id(principal.brand_id)
    else:
        brand = await engine.brand(request.query.get("brand"))
    return principal, brand, of(engine)


def _items(body: dict[str, Any]) -> list[str]:
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InvalidInput("field 'items' must be a list of scanned codes / SSCCs")
    return items


async def dealer_tree(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    rows = await t.dealers.tree(principal, brand.id)
    return web.json_response(
        [
            {"depth": d, "org_id": o.id, "kind": str(o.kind), "org_name": o.name,
             "dealer": x.to_dict() if x else None}
            for d, o, x in rows
        ]
    )  # fmt: skip


async def dealer_import(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    try:
        text = (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8") from None
    skip = request.query.get("skip_bad") in ("1", "true")
    report = await t.dealers.import_csv(principal, brand.id, text, skip)
    return web.json_response(report.to_dict())


async def grants_list(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    found = await t.grants.list(
        principal, brand.id, request.query.get("dealer"), request.query.get("all") == "1"
    )
    return web.json_response([{"dealer": d.code, **g.to_dict()} for d, g in found])


async def grants_add(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    body = await json_body(request)
    g = await t.grants.grant(
        principal, brand.id, _text(body, "dealer") or "", _text(body, "product", False) or "*",
        _text(body, "region") or "", when(_text(body, "valid_from", False)),
        when(_text(body, "valid_until", False)), _text(body, "note", False) or "",
    )  # fmt: skip
    return web.json_response(g.to_dict(), status=201)


async def grants_change(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    body = await json_body(request) if request.can_read_body else {}
    g = await t.grants.change(
        principal, brand.id, _int(request.match_info["id"], "grant id"),
        request.match_info["action"], _text(body, "note", False) or "",
    )  # fmt: skip
    return web.json_response(g.to_dict())


async def authorize(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    q: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        q = await json_body(request)
    dealer = await t.dealers.find(brand.id, str(q.get("dealer") or ""))
    require_permission(
        principal,
        Action.ORGS_VIEW,
        org=await _engine(request).accounts.store.get_org(dealer.org_id),
    )
    point = None
    if q.get("lat") is not None or q.get("lon") is not None:
        loc = Point.parse({"lat": q.get("lat"), "lon": q.get("lon")})
        point = (loc.lat, loc.lon) if loc else None
    region = q.get("region")
    decision = await t.grants.authorize(
        brand.id, dealer.code, str(q.get("product") or ""),
        str(region) if region else None, point, when(q.get("at")),
    )  # fmt: skip
    return web.json_response(decision.to_dict())


async def ship(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    body = await json_body(request)
    r = await t.shipments.ship(
        principal, brand, _text(body, "to") or "", _items(body),
        from_ref=_text(body, "from", False), client_id=_text(body, "client_id", False),
        location=Point.parse(body.get("location")), note=_text(body, "note", False) or "",
    )  # fmt: skip
    return web.json_response(r.to_dict(), status=200 if r.replayed else 201)


async def receive(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    body = await json_body(request)
    r = await t.receive(
        principal, brand, _items(body), at_ref=_text(body, "at", False),
        client_id=_text(body, "client_id", False),
        location=Point.parse(body.get("location")), note=_text(body, "note", False) or "",
    )  # fmt: skip
    return web.json_response(r.to_dict(), status=200 if r.replayed else 201)


async def sync(request: web.Request) -> web.Response:
    principal, brand, _ = await _context(request)
    body = await json_body(request)
    ops = body.get("operations")
    if not isinstance(ops, list) or len(ops) > 1000:
        raise InvalidInput("field 'operations' must be a list of at most 1000 operations")
    return web.json_response(
        {"results": await sync_operations(_engine(request), principal, brand, ops)}
    )


async def holder(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    require_permission(principal, Action.SCANS_READ, brand_id=brand.id)
    v = await _engine(request).verifier.verify(request.query.get("code", ""))
    if v.info is None or v.info.batch_id is None or v.info.brand_id != brand.id:
        raise InvalidInput(f"not a code of this brand: {v.reason}")
    found = await t.shipments.holder(v.info.batch_id, v.info.index)
    if found is None:
        return web.json_response({"holder": None, "held_by": "brand"})
    d = await t.dealers.get(brand.id, found[0])
    return web.json_response(
        {"holder": d.to_dict(), "movement_id": found[1],
         "state": "received" if found[2] == "in" else "in_transit"}
    )  # fmt: skip


async def alerts(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    q = request.query
    org = (await t.dealers.find(brand.id, q["dealer"])).org_id if q.get("dealer") else None
    filters: dict[str, Any] = {"state": q.get("state"), "org_id": org,
                               "since": when(q.get("since"))}  # fmt: skip
    fmt = q.get("format", "json")
    if fmt in ("csv", "jsonl"):
        text = await t.alerts.export(principal, brand.id, fmt, **filters)
        kind = "text/csv" if fmt == "csv" else "application/x-ndjson"
        return web.Response(text=text, content_type=kind, charset="utf-8")
    found = await t.alerts.list(principal, brand.id, **filters)
    return web.json_response([a.to_dict() for a in found])


async def alert(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    a = await t.alerts.get(principal, brand.id, _int(request.match_info["id"], "alert id"))
    return web.json_response(a.to_dict())


async def transition(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    body = await json_body(request)
    penalty = body.get("penalty")
    if penalty is not None and not isinstance(penalty, dict):
        raise InvalidInput("field 'penalty' must be an object {amount, currency, reason}")
    a = await t.alerts.transition(
        principal, brand.id, _int(request.match_info["id"], "alert id"),
        _text(body, "to") or "", _text(body, "note", False) or "", penalty,
        _text(body, "action", False),
    )  # fmt: skip
    return web.json_response(a.to_dict())


async def history(request: web.Request) -> web.Response:
    principal, brand, t = await _context(request)
    since = when(request.query.get("since"))
    if since is None:
        raise InvalidInput("query parameter 'since' is required")
    top = _int(request.query.get("top", "50"), "top")
    found = await analyse(_engine(request), t.diversion, principal, brand.id, since,
                          when(request.query.get("until")))  # fmt: skip
    return web.json_response([f.to_dict() for f in found[: max(top, 1)]])


def add_dealer_routes(app: web.Application, engine: Engine) -> None:
    base = "/api/v1/territories"
    app[ENGINE] = engine
    r = app.router
    r.add_get(f"{base}/dealers", dealer_tree)
    r.add_post(f"{base}/dealers/import", dealer_import)
    r.add_get(f"{base}/grants", grants_list)
    r.add_post(f"{base}/grants", grants_add)
    r.add_post(f"{base}/grants/{{id}}/{{action:revoke|suspend|reinstate}}", grants_change)
    r.add_get(f"{base}/authorize", authorize)
    r.add_post(f"{base}/authorize", authorize)
    r.add_post(f"{base}/shipments", ship)
    r.add_post(f"{base}/receipts", receive)
    r.add_post(f"{base}/sync", sync)
    r.add_get(f"{base}/holder", holder)
    r.add_get(f"{base}/diversion/alerts", alerts)
    r.add_get(f"{base}/diversion/alerts/{{id}}", alert)
    r.add_post(f"{base}/diversion/alerts/{{id}}/transition", transition)
    r.add_get(f"{base}/diversion/scan", history)
