"""A generic signed JSON webhook for carriers and 3PLs that are not 快递100. Pure: no I/O.

Body (UTF-8 JSON, at most :data:`MAX_EVENTS` events)::

    {"carrier": "sf", "tracking_no": "SF123",
     "events": [{"id": "e-1", "time": "2026-12-04T09:30:00+08:00",
                 "status": "in_transit",            # our vocabulary, or
                 "raw_status": "在途",               # the carrier's (快递100 codes/texts)
                 "description": "...",
                 "place": {"name": "深圳", "lat": 22.5, "lon": 114.1}  # or
                 "area_code": "440300"}]}

Events are keyed by ``id`` (the same id twice is one event); without one the store
derives the key from the content. ``time`` must carry its offset.

Signature (as Stripe's): header ``X-Veriseal-Signature: t=<unix seconds>,v1=<hex>``
where ``<hex>`` is HMAC-SHA256 of ``"<t>.<body>"`` under the brand's webhook secret.
Several ``v1`` are allowed (a secret being rotated); one must match. A ``t`` more than
:data:`SKEW_SECONDS` from our clock is refused, so a captured request cannot be replayed
later.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Annotated

import msgspec
from msgspec import Meta

from veriseal import VerisealError
from veriseal_logistics.intake_errors import SignatureInvalid, WebhookInvalid, unstorable
from veriseal_logistics.models import EventIn, Place
from veriseal_logistics.places import locate, resolve_place
from veriseal_logistics.statuses import Status, from_kuaidi100, parse

HEADER = "X-Veriseal-Signature"
SKEW_SECONDS = 300
MAX_EVENTS = 1000
MAX_BODY = 2 * 1024 * 1024

_Text = Annotated[str, Meta(max_length=2000)]
_Short = Annotated[str, Meta(min_length=1, max_length=64)]


class _Place(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=200)] = ""
    lat: Annotated[float, Meta(ge=-90, le=90)] | None = None
    lon: Annotated[float, Meta(ge=-180, le=180)] | None = None


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    time: Annotated[str, Meta(max_length=64)]
    id: Annotated[str, Meta(max_length=128)] = ""
    status: Annotated[str, Meta(max_length=64)] = ""
    raw_status: Annotated[str, Meta(max_length=200)] = ""
    description: _Text = ""
    place: _Place | None = None
    area_code: Annotated[str, Meta(max_length=32)] = ""


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    carrier: _Short
    tracking_no: _Short
    events: Annotated[list[_Event], Meta(min_length=1, max_length=MAX_EVENTS)]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook call, read: a waybill and its events."""

    carrier: str
    tracking_no: str
    events: tuple[EventIn, ...]


# -- signature -------------------------------------------------------------------------
def signature(secret: str, body: bytes, t: int) -> str:
    """The header value a sender puts on ``body`` at unix time ``t``."""
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(header: str | None, body: bytes, secret: str, now: float) -> None:
    """Raise :class:`SignatureInvalid` unless ``header`` signs ``body`` with ``secret``
    within :data:`SKEW_SECONDS` of ``now`` (unix seconds). No secret set: refused."""
    if not secret:
        raise SignatureInvalid("no webhook secret is set for this brand")
    t, macs = _parse_header(header or "")
    if t is None or not macs:
        raise SignatureInvalid(f"the {HEADER} header is missing or malformed")
    if abs(now - t) > SKEW_SECONDS:
        raise SignatureInvalid("the signature's time is outside the allowed skew")
    expected = _mac(secret, t, body).encode("ascii")
    if not any(hmac.compare_digest(expected, m.encode("ascii")) for m in macs):
        raise SignatureInvalid("the signature does not match")


def _mac(secret: str, t: int, body: bytes) -> str:
    message = str(t).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int | None, list[str]]:
    t: int | None = None
    macs: list[str] = []
    for part in header.split(",")[:20]:
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            t = int(value)
        elif name == "v1" and len(value) == 64 and value.isascii():
            macs.append(value.lower())
    return t, macs


# -- body ------------------------------------------------------------------------------
def read(body: bytes) -> Delivery:
    """The delivery in ``body``: :class:`WebhookInvalid` (or, for an unknown
    ``area_code``, ``logistics_place_unknown``) for anything else. Never raises other
    exceptions."""
    if len(body) > MAX_BODY:
        raise WebhookInvalid("the body is too large", reason="size")
    try:
        data = msgspec.json.decode(body, type=_Body)
    except msgspec.ValidationError as exc:
        raise WebhookInvalid(f"invalid body: {exc}", reason="shape") from None
    except msgspec.DecodeError:
        raise WebhookInvalid("the body is not JSON", reason="json") from None
    texts = [data.carrier, data.tracking_no]
    for e in data.events:
        texts += [e.id, e.status, e.raw_status, e.description, e.area_code]
        texts += [e.place.name] if e.place else []
    if any(unstorable(t) for t in texts):
        raise WebhookInvalid("text no ledger can store", reason="text")
    events = tuple(_event(i, e) for i, e in enumerate(data.events))
    return Delivery(data.carrier.strip(), data.tracking_no.strip(), events)


def _event(index: int, e: _Event) -> EventIn:
    at = parse_iso(e.time)
    if at is None:
        raise WebhookInvalid(f"event {index}: time needs ISO 8601 with an offset",
                             reason="time")  # fmt: skip
    status = _status(e.status, e.raw_status)
    if status is None:
        raise WebhookInvalid(f"event {index}: unknown status", reason="status")
    return EventIn(at, status, e.raw_status or e.status, e.description, _place(e), e.area_code,
                   e.id.strip())  # fmt: skip


def _status(status: str, raw: str) -> Status | None:
    if status:
        try:
            return parse(status)
        except ValueError:
            return None
    return from_kuaidi100(raw) if raw else None


def _place(e: _Event) -> Place:
    p = e.place
    if p is not None and p.lat is not None and p.lon is not None:
        if not (math.isfinite(p.lat) and math.isfinite(p.lon)):
            raise WebhookInvalid("place: lat and lon must be numbers", reason="place")
        return locate(p.lat, p.lon, p.name)
    if p is not None and (p.lat is None) != (p.lon is None):
        raise WebhookInvalid("place: give both lat and lon, or neither", reason="place")
    if e.area_code:
        return resolve_place(e.area_code)  # PlaceUnknown: a coded 400
    name = p.name.strip() if p else ""
    if not name:
        return Place()
    try:
        return resolve_place(name)
    except VerisealError:
        return Place(name)  # a place we cannot locate is still worth showing


def parse_iso(text: str) -> dt.datetime | None:
    """An ISO 8601 time with its offset, in UTC; None without an offset or unreadable."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None or value.year < 2000:
        return None
    return value.astimezone(dt.UTC)
