"""快递100 (kuaidi100.com): its subscription push and its query answer, read into our
events. Pure: no I/O.

The push (订阅推送) is a form POST (``application/x-www-form-urlencoded``) with two
fields: ``param``, a JSON text, and ``sign``, the upper-case hex MD5 of ``param + salt``
(the salt given when subscribing; we accept lower case too and compare in constant
time). ``param``::

    {"status": "polling" | "shutdown" | "abort" | "updateall", "billstatus", "message",
     "autoCheck", "comOld", "comNew",
     "lastResult": {"message", "state", "status", "condition", "ischeck", "com", "nu",
                    "data": [{"context", "time", "ftime", "status", "statusCode",
                              "areaCode", "areaName", "areaCenter", "location",
                              "areaPinYin"}]}}

``lastResult`` is the waybill's whole history, newest first, every time; our store keeps
each event once (快递100 has no event id, so the key is derived from the content).
``status`` ``shutdown`` is the final push of a signed-for waybill (it carries the
delivery); ``abort`` means 快递100 stopped tracking (``message`` says why, such as
"3天查询无记录"): we store nothing for it and answer success (a failure answer would only
make 快递100 retry). Times are China time (UTC+8), ``"2012-08-28 16:33:19"``.

The receiver answers ``{"result": true, "returnCode": "200", "message": "成功"}``; any
other answer (``result`` false, ``returnCode`` ``"500"``) makes 快递100 push again later.

The query API (实时查询, ``poll/query.do``) answers the same shape as ``lastResult``:
:func:`events_of` reads both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from veriseal import VerisealError
from veriseal_logistics.intake_errors import PushInvalid, SignatureInvalid, unstorable
from veriseal_logistics.models import EventIn, Place
from veriseal_logistics.places import place_from_area
from veriseal_logistics.statuses import Status, from_kuaidi100

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
PUSH_STATUSES = frozenset({"polling", "shutdown", "abort", "updateall"})
MAX_EVENTS = 2000  # far more than any real waybill has
MAX_TEXT = 2000  # characters of one checkpoint's text
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class Push:
    """One push, read. ``carrier`` / ``tracking_no``: what 快递100 tracks now
    (``lastResult.com`` / ``nu``); ``carrier_submitted``: the code we subscribed with
    when 快递100 corrected it (``autoCheck`` 1, ``comOld``), else ``""``."""

    status: str
    message: str
    carrier: str
    tracking_no: str
    carrier_submitted: str
    events: tuple[EventIn, ...]

    @property
    def stores(self) -> bool:
        """Whether the push carries events to store (an ``abort`` does not)."""
        return self.status != "abort"

    @property
    def carriers(self) -> tuple[str, ...]:
        """The carrier codes the waybill may be registered under, most likely first."""
        return tuple(dict.fromkeys(c for c in (self.carrier, self.carrier_submitted) if c))


# -- answers ---------------------------------------------------------------------------
def success() -> dict[str, Any]:
    """The answer that tells 快递100 the push was taken."""
    return {"result": True, "returnCode": "200", "message": "成功"}


def failure(status: int, code: str, message: str) -> dict[str, Any]:
    """A refusal in 快递100's shape (it retries later), with our stable ``code``, and our
    API's ``error`` object too (快递100 ignores it; every API client reads errors alike)."""
    return {"result": False, "returnCode": str(status), "message": message, "code": code,
            "error": {"code": code, "message": message}}  # fmt: skip


# -- signature -------------------------------------------------------------------------
def sign(param: str, salt: str) -> str:
    """The push signature: upper-case hex MD5 of ``param + salt`` (UTF-8)."""
    return hashlib.md5((param + salt).encode("utf-8")).hexdigest().upper()  # 快递100's scheme


def verify(param: str, signature: str, salt: str) -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` signs ``param`` with ``salt``
    (an empty salt verifies nothing: a brand that has not set one accepts no push)."""
    if not salt:
        raise SignatureInvalid("no 快递100 salt is set for this brand")
    try:
        expected = sign(param, salt).encode("ascii")
        given = signature.strip().upper().encode("ascii")
    except UnicodeEncodeError:
        raise SignatureInvalid("the signature does not match") from None
    if not hmac.compare_digest(expected, given):
        raise SignatureInvalid("the signature does not match")


# -- the form --------------------------------------------------------------------------
def read_form(body: bytes) -> tuple[str, str]:
    """``(param, sign)`` of a push's form body; :class:`PushInvalid` if either is missing
    or repeated, or the body is not UTF-8 form data."""
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise PushInvalid("the body is not UTF-8 form data", reason="form") from None
    values = []
    for name in ("param", "sign"):
        got = fields.get(name, [])
        if len(got) != 1:
            raise PushInvalid(f"the form needs exactly one '{name}'", reason=name)
        values.append(got[0])
    return values[0], values[1]


# -- param -----------------------------------------------------------------------------
def read_param(param: str) -> Push:
    """The push in ``param``; :class:`PushInvalid` (with ``details.reason``) for anything
    that is not the documented shape. Never raises anything else."""
    try:
        data = json.loads(param)
    except (ValueError, RecursionError):
        raise PushInvalid("param is not JSON", reason="json") from None
    if not isinstance(data, dict):
        raise PushInvalid("param is not a JSON object", reason="json")
    status = _text(data, "status")
    if status not in PUSH_STATUSES:
        raise PushInvalid(f"unknown push status {status[:40]!r}", reason="status")
    message = _text(data, "message")
    submitted = _text(data, "comOld") if _text(data, "autoCheck") == "1" else ""
    last = data.get("lastResult")
    if status == "abort" and not isinstance(last, dict):
        return Push(status, message, "", "", submitted, ())
    if not isinstance(last, dict):
        raise PushInvalid("lastResult is missing", reason="lastResult")
    carrier, number = _text(last, "com"), _text(last, "nu")
    if not carrier or not number or len(carrier) > 64 or len(number) > 64:
        raise PushInvalid("lastResult needs com and nu", reason="lastResult")
    events = () if status == "abort" else tuple(events_of(last))
    return Push(status, message, carrier, number, submitted, events)


def events_of(result: Mapping[str, Any]) -> list[EventIn]:
    """The events of a 快递100 result (a push's ``lastResult`` or a query's answer).

    A checkpoint's status is its ``statusCode`` / ``status`` (with ``resultv2``). Without
    them (a plain subscription), the newest checkpoint takes the waybill's ``state`` and
    the others are ``in_transit``: 快递100 says nothing finer about them."""
    data = result.get("data", [])
    if data is None:
        data = []
    if not isinstance(data, list) or len(data) > MAX_EVENTS:
        raise PushInvalid("data is not a list of checkpoints", reason="data")
    items = [_item(i, x) for i, x in enumerate(data)]
    newest = max((at for at, *_ in items), default=None)
    state = _text(result, "state")
    out = []
    for at, raw, code, text, place, area in items:
        status = from_kuaidi100(raw, code)
        if status is None:
            status = (from_kuaidi100(state) if at == newest else None) or Status.IN_TRANSIT
        label = "/".join(x for x in (raw, code) if x)
        out.append(EventIn(at, status, label, text, place, area))
    return out


_Item = tuple[dt.datetime, str, str, str, Place, str]


def _item(index: int, item: Any) -> _Item:
    if not isinstance(item, dict):
        raise PushInvalid(f"checkpoint {index} is not an object", reason="data")
    when = _text(item, "ftime") or _text(item, "time")
    at = parse_time(when)
    if at is None:
        raise PushInvalid(f"checkpoint {index}: unreadable time {when[:40]!r}", reason="time")
    context = _text(item, "context")
    if len(context) > MAX_TEXT:
        raise PushInvalid(f"checkpoint {index}: context too long", reason="context")
    area = _text(item, "areaCode")
    name = _text(item, "areaName") or _text(item, "location")
    center = _text(item, "areaCenter")
    fields = (_text(item, "status"), _text(item, "statusCode"), context, area, name, center)
    if any(len(f) > MAX_TEXT for f in fields) or any(unstorable(f) for f in fields):
        raise PushInvalid(f"checkpoint {index}: text no ledger can store", reason="text")
    return at, fields[0], fields[1], context, _place(area, name, center), area


def _place(area: str, name: str, center: str) -> Place:
    """Where a checkpoint was: from its area code and centre when 快递100 sends them. An
    area we cannot place keeps its name only: a push is never refused for it (快递100
    would retry it for nothing)."""
    if not (area or center):
        return Place(name)
    try:
        return place_from_area(area, name, center)
    except (VerisealError, ValueError):
        return Place(name)


def parse_time(text: str) -> dt.datetime | None:
    """A 快递100 time (China time, ``"2012-08-28 16:33:19"``) in UTC; None if unreadable."""
    for fmt in _TIME_FORMATS:
        try:
            local = dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        if local.year < 2000:
            return None
        return local.replace(tzinfo=CHINA).astimezone(dt.UTC)
    return None


def _text(data: Mapping[str, Any], name: str) -> str:
    """A field as text: strings as they are, numbers as 快递100 means them ("0", "1"),
    anything else (missing, null, objects) as ``""``."""
    value = data.get(name)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return ""
