"""HTTP routes of the territories plugin (JSON; errors go through the core's middleware).

- ``GET /api/v1/territories/regions/locate?lat=..&lon=..``: offline reverse geocoding and
  the resolved region's chain of parents;
- ``GET /api/v1/territories/regions/{code}``: one region and its children.
"""

from __future__ import annotations

import math

from aiohttp import web

from veriseal import Engine, InvalidInput, default_resolver
from veriseal_territories.hierarchy import default_hierarchy


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
    del engine  # these routes need no ledger; later ones (dealers) will
    app.router.add_get("/api/v1/territories/regions/locate", locate)
    app.router.add_get("/api/v1/territories/regions/{code:.+}", region)
