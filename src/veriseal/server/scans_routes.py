"""Authenticated scan API: handheld uploads and the admin's view of the scan ledger.

- ``POST /api/v1/scans``: a dealer's or inspector's handheld posts one scan or a batch
  saved while offline: ``{"scans": [{"code": ..., "client_scan_id": ..., "lat": ...,
  "lon": ..., "acc": ..., "scanned_at": ...}, ...]}`` (at most :data:`MAX_UPLOAD` per
  request). Retries are idempotent per ``client_scan_id``; ``scanned_at`` (ISO 8601 with
  an offset) is the device's time of an offline scan, refused with
  ``scan_time_invalid`` outside its bounds (see :mod:`veriseal.handheld`). Needs
  ``scans.record``.
- ``GET /api/v1/alerts?kind=&code=``: the brand's alerts with their evidence scans.
  Needs ``alerts.read``.
- ``GET /api/v1/scans?code=&batch=&product=<GTIN>&since=&until=&country=&province=&limit=``: the
  brand's scans in the order recorded (``since``/``until`` filter on when each scan
  happened). Needs ``scans.read`` (brand admins, inspectors).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from aiohttp import web

from veriseal.accounts.permissions import Action, require
from veriseal.codes.gtin import normalize_gtin
from veriseal.engine import Engine
from veriseal.errors import InvalidInput
from veriseal.handheld import HandheldScan, HandheldUploads, parse_scan_time
from veriseal.models import AlertKind, Location, LocationSource
from veriseal.regions.china import province_key
from veriseal.scan_records import alert_record, scan_record
from veriseal.server.auth import field, json_object, optional_int_query, principal, time_query

MAX_UPLOAD = 500
_CLIENT_ID_MAX = 64


def _location(item: dict[str, Any]) -> Location | None:
    lat, lon, acc = item.get("lat"), item.get("lon"), item.get("acc")
    if lat is None and lon is None:
        return None
    numbers = [v for v in (lat, lon, acc) if v is not None]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers) or not all(
        math.isfinite(float(v)) for v in numbers
    ):
        raise InvalidInput("lat, lon and acc are numbers")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("lat must be in -90..90 and lon in -180..180, both given")
    if acc is not None and not 0 <= acc <= 1_000_000:
        raise InvalidInput("acc is metres, 0..1000000")
    return Location(float(lat), float(lon), None if acc is None else float(acc), LocationSource.GPS)


def _parse_item(item: Any, index: int, now: dt.datetime) -> HandheldScan:
    """One upload item, checked; ``now`` is the server's clock for ``scanned_at``."""
    if not isinstance(item, dict):
        raise InvalidInput(f"scans[{index}] must be an object")
    try:
        code = field(item, "code", str)
        client_id = field(item, "client_scan_id", str)
        pin = field(item, "pin", str, required=False)
        loc = _location(item)
        raw_time = item.get("scanned_at")
        scanned_at = None if raw_time is None else parse_scan_time(raw_time, now)
    except InvalidInput as exc:
        # the same class (its stable code) and details, with the item's position added
        raise type(exc)(f"scans[{index}]: {exc.message}", **exc.details) from None
    if not 1 <= len(client_id) <= _CLIENT_ID_MAX or not client_id.isprintable():
        raise InvalidInput(f"scans[{index}]: client_scan_id has 1 to {_CLIENT_ID_MAX} characters")
    return HandheldScan(code, client_id, loc, pin, scanned_at)


def _province(text: str | None) -> str | None:
    return None if text is None else province_key(text)


def _gtin(text: str | None) -> str | None:
    return None if text is None else normalize_gtin(text)


async def _brand_for(request: web.Request, engine: Engine, action: Action) -> int:
    """The brand a listing is about (``?brand=<slug>``, else the caller's own), after
    checking the caller may perform ``action`` on it."""
    who = await principal(request, engine)
    brand_slug = request.query.get("brand")
    if brand_slug is not None:
        require(who, action)  # refuse before revealing whether the brand exists
        brand_id = (await engine.brands.get(brand_slug)).id
    elif who.brand_id is not None:
        brand_id = who.brand_id
    else:
        raise InvalidInput("name the brand: ?brand=<slug>")
    require(who, action, brand_id=brand_id)
    return brand_id


def register_routes(app: web.Application, engine_key: web.AppKey[Engine]) -> None:
    async def upload(request: web.Request) -> web.Response:
        engine = request.app[engine_key]
        who = await principal(request, engine)
        require(who, Action.SCANS_RECORD)  # before reading what the caller sent
        body = await json_object(request)
        items = body.get("scans")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_UPLOAD:
            raise InvalidInput(f"'scans' is a list of 1 to {MAX_UPLOAD} scans")
        # validate everything first: a bad item rejects the upload and records nothing
        now = dt.datetime.now(dt.UTC)
        parsed = [_parse_item(item, i, now) for i, item in enumerate(items)]
        if len({p.client_scan_id for p in parsed}) != len(parsed):
            raise InvalidInput("client_scan_id repeats within the upload")
        results = await HandheldUploads(engine.ledger, engine.scans).upload(who, parsed)
        return web.json_response({"results": results})

    async def list_scans(request: web.Request) -> web.Response:
        engine = request.app[engine_key]
        brand_id = await _brand_for(request, engine, Action.SCANS_READ)
        limit = optional_int_query(request, "limit") or 1000
        if not 1 <= limit <= 10_000:
            raise InvalidInput("limit is 1..10000")
        found = await engine.ledger.list_scans(
            brand_id,
            code=request.query.get("code"),
            batch_id=optional_int_query(request, "batch"),
            since=time_query(request, "since"),
            until=time_query(request, "until"),
            gtin=_gtin(request.query.get("product")),
            country=request.query.get("country"),
            province=_province(request.query.get("province")),
            limit=limit,
        )
        return web.json_response({"scans": [scan_record(s) for s in found]})

    async def list_alerts(request: web.Request) -> web.Response:
        engine = request.app[engine_key]
        brand_id = await _brand_for(request, engine, Action.ALERTS_READ)
        kind = request.query.get("kind")
        try:
            alert_kind = AlertKind(kind) if kind else None
        except ValueError:
            raise InvalidInput(f"kind is one of {[str(k) for k in AlertKind]}") from None
        found = await engine.ledger.list_alerts(
            brand_id, kind=alert_kind, code=request.query.get("code")
        )
        return web.json_response({"alerts": [alert_record(a) for a in found]})

    app.router.add_get("/api/v1/alerts", list_alerts)
    app.router.add_post("/api/v1/scans", upload)
    app.router.add_get("/api/v1/scans", list_scans)
