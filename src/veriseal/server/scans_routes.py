"""Authenticated scan API: handheld uploads and the admin's view of the scan ledger.
Declared as :class:`~veriseal.server.endpoints.Endpoint` s (``/openapi.json`` has each
route's input).

- ``POST /api/v1/scans`` (``scans.record``): a dealer's or inspector's handheld posts
  one scan or a batch saved while offline: ``{"scans": [{"code": ..., "client_scan_id":
  ..., "lat": ..., "lon": ..., "acc": ..., "scanned_at": ...}, ...]}`` (at most
  :data:`MAX_UPLOAD` per request). Retries are idempotent per ``client_scan_id``;
  ``scanned_at`` (ISO 8601 with an offset) is the device's time of an offline scan,
  refused with ``scan_time_invalid`` outside its bounds (see :mod:`veriseal.scanning.handheld`).
  Every item is checked before any is recorded: a bad item (its error names
  ``scans[i]``) rejects the upload and records nothing. An item without ``lat``/``lon``
  and without ``scanned_at`` (a live scan) gets the location of the uploader's address
  (source ``ip``, see :mod:`veriseal.server.client_ip`); an offline scan does not: where
  the device is when it syncs says nothing about where it scanned.
- ``GET /api/v1/scans?code=&batch=&product=<GTIN>&since=&until=&country=&province=
  &outcome=&channel=`` (``scans.read``): the brand's scans in the order recorded, a page
  at a time (``limit``, ``cursor``); ``since``/``until`` filter on when each scan happened.
- ``GET /api/v1/alerts?kind=&code=&state=`` (``alerts.read``): the brand's alerts with
  their evidence scans and workflow state (see :mod:`veriseal.brandops.alerts`), oldest
  first, paged the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import Meta

from veriseal.accounts.permissions import Action
from veriseal.brandops.alerts import row_record
from veriseal.codes.gtin import normalize_gtin
from veriseal.errors import InvalidInput
from veriseal.models import AlertKind, Location, LocationSource, ScanChannel, ScanQuery
from veriseal.regions.china import province_key
from veriseal.scanning.handheld import HandheldScan, HandheldUploads, parse_scan_time
from veriseal.scanning.records import scan_record
from veriseal.scanning.verification import Outcome
from veriseal.server.brand_scope import brand_for
from veriseal.server.client_ip import client_network
from veriseal.server.endpoints import Call, Endpoint
from veriseal.server.inputs import Code, Id, Latitude, Longitude, Model, Page, Short, after_id
from veriseal.server.listing import listing, page_schema, records

MAX_UPLOAD = 500
_CLIENT_ID_MAX = 64
_NO_NUL = "^[^\\x00]*$"

Schema = dict[str, Any]
#: the device's time of an offline scan; its bounds are checked by parse_scan_time
ScanTime = Annotated[str, Meta(max_length=64, pattern=_NO_NUL,
                               description="ISO 8601 with a UTC offset")]  # fmt: skip


class ScanItem(Model):
    code: Code
    client_scan_id: Annotated[str, Meta(min_length=1, max_length=_CLIENT_ID_MAX,
                                        pattern="^[^\\x00-\\x1f\\x7f]*$")]  # fmt: skip
    pin: Short | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    acc: Annotated[float, Meta(ge=0, le=1_000_000, description="metres")] | None = None
    scanned_at: ScanTime | None = None


class Upload(Model):
    scans: Annotated[list[ScanItem], Meta(min_length=1, max_length=MAX_UPLOAD)]


class ScansQuery(Page):
    brand: Short | None = None
    code: Code | None = None
    batch: Id | None = None
    product: Annotated[str, Meta(pattern="^[0-9]{8,14}$", description="GTIN")] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    country: Annotated[str, Meta(pattern="^[A-Z]{2}$")] | None = None
    province: Short | None = None
    outcome: Outcome | None = None
    channel: ScanChannel | None = None


class AlertsQuery(Page):
    brand: Short | None = None
    kind: AlertKind | None = None
    code: Code | None = None
    state: Literal["open", "investigating", "confirmed", "dismissed"] | None = None
    #: true: the alerts no brand owns (invalid-code floods), for the platform admin
    platform: bool = False


def _location(item: ScanItem) -> Location | None:
    if item.lat is None and item.lon is None:
        return None
    if item.lat is None or item.lon is None:
        raise InvalidInput("give lat and lon both, or neither")
    return Location(item.lat, item.lon, item.acc, LocationSource.GPS)


def _parse_item(
    item: ScanItem, index: int, now: dt.datetime, ip_location: Location | None
) -> HandheldScan:
    """One upload item, checked; ``now`` is the server's clock for ``scanned_at``,
    ``ip_location`` the uploader's address's place (for a live scan without a fix)."""
    try:
        if not item.client_scan_id.isprintable():
            raise InvalidInput(f"client_scan_id has 1 to {_CLIENT_ID_MAX} printable characters")
        loc = _location(item)
        if loc is None and item.scanned_at is None:
            loc = ip_location
        at = None if item.scanned_at is None else parse_scan_time(item.scanned_at, now)
    except InvalidInput as exc:
        # the same class (its stable code) and details, with the item's position added
        raise type(exc)(f"scans[{index}]: {exc.message}", **exc.details) from None
    return HandheldScan(item.code, item.client_scan_id, loc, item.pin, at)


async def upload(call: Call, body: Upload) -> Schema:
    now = dt.datetime.now(dt.UTC)
    # validate everything first: a bad item rejects the upload and records nothing
    ip_location = client_network(call.request).ip_location(call.request)
    parsed = [_parse_item(item, i, now, ip_location) for i, item in enumerate(body.scans)]
    if len({p.client_scan_id for p in parsed}) != len(parsed):
        raise InvalidInput("client_scan_id repeats within the upload")
    results = await HandheldUploads(call.engine.ledger, call.engine.scans).upload(call.who, parsed)
    return {"results": results}


async def list_scans(call: Call, query: ScansQuery) -> Schema:
    brand = await brand_for(call, query.brand, Action.SCANS_READ)
    scans = ScanQuery(
        code=query.code,
        batch_id=query.batch,
        since=query.since,
        until=query.until,
        gtin=None if query.product is None else normalize_gtin(query.product),
        country=query.country,
        province=None if query.province is None else province_key(query.province),
        limit=query.limit,
        after_id=after_id(query),
        outcome=None if query.outcome is None else str(query.outcome),
        channel=None if query.channel is None else str(query.channel),
    )
    found = await call.engine.ledger.list_scans(brand.id, scans)
    return records("scans", found, query, scan_record)


async def list_alerts(call: Call, query: AlertsQuery) -> Schema:
    desk = call.engine.ops.alerts
    # platform: the alerts no brand owns (invalid-code floods), the platform admin's
    brand = None if query.platform else await desk.brand(call.who, query.brand)
    found = await desk.page(
        call.who, brand, kind=query.kind, code=query.code, state=query.state,
        beyond=after_id(query), newest_first=False, limit=query.limit,
    )  # fmt: skip
    return listing("alerts", [row_record(a) for a in found], query,
                   found[-1].alert.id if found else None)  # fmt: skip


_SCAN = {"$ref": "#/components/schemas/ScanRecord"}
_ALERT: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "at": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": [str(k) for k in AlertKind]},
        "code": {"type": "string"},
        "evidence_scans": {"type": "array", "items": {"type": "integer"}},
        "details": {"type": "object"},
        "brand_id": {"type": ["integer", "null"]},
        "state": {"type": "string", "enum": ["open", "investigating", "confirmed", "dismissed"]},
        "state_changed_at": {"type": ["string", "null"], "format": "date-time"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
A = Action
ROUTES = [
    Endpoint("POST", "/api/v1/scans", upload, A.SCANS_RECORD,
             f"Upload handheld scans (1 to {MAX_UPLOAD}; all checked before any is recorded;"
             " idempotent per client_scan_id)",
             response={"type": "object", "properties": {"results": {"type": "array"}}}),
    Endpoint("GET", "/api/v1/scans", list_scans, A.SCANS_READ,
             "The brand's scans in the order recorded, a page at a time",
             response=page_schema("scans", _SCAN)),
    Endpoint("GET", "/api/v1/alerts", list_alerts, A.ALERTS_READ,
             "The brand's clone and flood alerts, oldest first, a page at a time",
             response=page_schema("alerts", _ALERT)),
]  # fmt: skip
