"""``/api/v1/commerce/returns...``: return and exchange requests over JSON.

The gate of each endpoint is the token scope it needs; the returns services check the
role and the target (a dealer's own users open, answer, cancel and add photos to their
organisation's requests and read their subtree's; the brand's reviewers review, refund,
exchange and settle; its warehouse staff receive, inspect and send back). Every refusal
is a coded 4xx raised before anything is written. Bodies are typed (msgspec, unknown
fields refused); amounts are minor units. A platform admin names the brand with
``?brand=<slug>``.

- ``GET|POST /returns``: list (``?status&limit``) and open (``orders.place``);
- ``GET /returns/{return_no}``: the request with its timeline, thread and photos;
- ``POST /returns/{return_no}/<action>``: ``cancel``, ``answer``, ``messages``,
  ``photos`` (base64 JSON, as payment receipts) for the dealer; ``approve``, ``reject``,
  ``ask``, ``scrap``, ``refund``, ``exchange``, ``settle`` for reviewers; ``receive``,
  ``inspect``, ``send-back`` for the warehouse;
- ``GET /returns/{return_no}/photos/{id}``: a photo, never cached;
- ``GET|PUT /returns/settings``, ``GET /returns/alerts``, ``GET /returns/stats``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from msgspec import Meta

from veriseal import Brand, Call, Endpoint, Id, Model, Principal, Short
from veriseal.extend import PluginContext, plugin_context
from veriseal_commerce.permissions import ORDERS_FULFIL, ORDERS_PLACE, ORDERS_REVIEW
from veriseal_commerce.returns import MAX_PHOTO, ReturnAsk
from veriseal_commerce.returns_errors import ReturnInvalid, ReturnNotFound
from veriseal_commerce.returns_stats import stats as return_stats
from veriseal_commerce.service import Commerce, of

NAME = "commerce"
BASE = "/api/v1/commerce"
Schema = dict[str, Any]
_T = "commerce"
_NUL = "^[^\\x00]*$"
Text = Annotated[str, Meta(max_length=1000, pattern=_NUL)]
Required = Annotated[str, Meta(min_length=1, max_length=1000, pattern=_NUL)]
UnitCode = Annotated[str, Meta(min_length=1, max_length=300, pattern=_NUL)]
Codes = Annotated[list[UnitCode], Meta(min_length=1, max_length=5000)]
Units = Annotated[list[UnitCode], Meta(max_length=5000)]
ClientId = Annotated[str, Meta(min_length=1, max_length=56, pattern="^[A-Za-z0-9_.:-]+$")]
Gtin = Annotated[str, Meta(min_length=8, max_length=14, pattern="^[0-9]+$")]


class ReturnBrandQuery(Model):
    brand: Short | None = None


class ReturnListQuery(ReturnBrandQuery):
    status: Short | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class ReturnAlertsQuery(ReturnBrandQuery):
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class ReturnStatsQuery(ReturnBrandQuery):
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class ReturnNoPath(Model):
    return_no: Annotated[str, Meta(min_length=1, max_length=40, pattern="^[A-Za-z0-9-]+$")]


class ReturnPhotoPath(ReturnNoPath):
    id: Id


class ReturnOpenBody(Model):
    """A dealer's request: every unit by its code; ``opened`` the GTINs opened."""

    order_no: Annotated[str, Meta(min_length=1, max_length=40, pattern="^[A-Za-z0-9-]+$")]
    kind: Literal["return", "exchange"]
    reason: Annotated[str, Meta(min_length=1, max_length=40, pattern=_NUL)]
    codes: Codes
    detail: Text = ""
    opened: Annotated[list[Gtin], Meta(max_length=200)] = msgspec.field(default_factory=list)
    client_id: ClientId | None = None


class ReturnApproveBody(Model):
    """``codes``: approve only these units (the others are declined); absent: all."""

    codes: Codes | None = None
    note: Text = ""


class ReturnRejectBody(Model):
    reason: Required


class ReturnAskBody(Model):
    question: Required


class ReturnMessageBody(Model):
    body: Required


class ReturnCancelBody(Model):
    reason: Text = ""


class ReturnPhotoBody(Model):
    """A photo of the goods: PNG or JPEG, base64, at most 5 MB."""

    content_type: Literal["image/png", "image/jpeg"]
    data_base64: Annotated[str, Meta(min_length=1, max_length=7_000_000)]
    filename: Annotated[str, Meta(max_length=200, pattern="^[^\\x00/\\\\]*$")] = ""


class ReturnReceiveBody(Model):
    codes: Codes
    warehouse: Annotated[str, Meta(min_length=1, max_length=40, pattern=_NUL)] | None = None
    client_id: ClientId | None = None


class ReturnInspectBody(Model):
    accepted: Units = msgspec.field(default_factory=list)
    rejected: Units = msgspec.field(default_factory=list)
    reason: Text = ""
    client_id: ClientId | None = None


class ReturnScrapBody(Model):
    codes: Codes
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=_NUL)]
    client_id: ClientId | None = None


class ReturnSendBackBody(Model):
    codes: Codes
    note: Text = ""
    client_id: ClientId | None = None


class ReturnNoteBody(Model):
    note: Annotated[str, Meta(max_length=200, pattern=_NUL)] = ""


class ReturnSettleBody(Model):
    note: Required


class ReturnReasonItem(Model):
    code: Annotated[str, Meta(min_length=1, max_length=40, pattern="^[a-z0-9_]+$")]
    en: Annotated[str, Meta(min_length=1, max_length=100, pattern=_NUL)]
    zh: Annotated[str, Meta(min_length=1, max_length=100, pattern=_NUL)]


class ReturnSettingsBody(Model):
    """The brand's rules; a field left out stays as it is."""

    window_days: Annotated[int, Meta(ge=0, le=3650)] | None = None
    no_return: Annotated[list[Gtin], Meta(max_length=1000)] | None = None
    sealed_only: Annotated[list[Gtin], Meta(max_length=1000)] | None = None
    reasons: Annotated[list[ReturnReasonItem], Meta(min_length=1, max_length=50)] | None = None


async def _context(call: Call, slug: str | None) -> tuple[Principal, Brand, PluginContext]:
    who = call.who
    ctx = plugin_context(call, NAME)
    brand = await (ctx.brand_by_id(who.brand_id) if who.brand_id is not None else ctx.brand(slug))
    return who, brand, ctx


def _c(call: Call) -> Commerce:
    return of(plugin_context(call, NAME))


# -- the dealer's side ---------------------------------------------------------------------
async def open_return(call: Call, body: ReturnOpenBody) -> Schema:
    ask = ReturnAsk(body.order_no, body.kind, body.reason, body.codes, body.detail, body.opened,
                    body.client_id)  # fmt: skip
    return (await _c(call).returns.open(call.who, ask)).to_dict()


async def listing(call: Call, query: ReturnListQuery) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    found = await of(ctx).returns.listing(who, brand, query.status, query.limit)
    return {"returns": [r.to_dict() for r in found]}


async def show(call: Call, path: ReturnNoPath) -> Schema:
    return (await _c(call).returns.view(call.who, path.return_no)).to_dict()


async def cancel(call: Call, path: ReturnNoPath, body: ReturnCancelBody) -> Schema:
    return (await _c(call).returns.cancel(call.who, path.return_no, body.reason)).to_dict()


async def answer(call: Call, path: ReturnNoPath, body: ReturnMessageBody) -> Schema:
    return (await _c(call).returns.answer(call.who, path.return_no, body.body)).to_dict()


async def post(call: Call, path: ReturnNoPath, body: ReturnMessageBody) -> Schema:
    return (await _c(call).returns.post(call.who, path.return_no, body.body)).to_dict()


async def add_photo(call: Call, path: ReturnNoPath, body: ReturnPhotoBody) -> Schema:
    try:
        data = base64.b64decode(body.data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ReturnInvalid("the photo is not base64 / 照片不是 base64 编码") from None
    if len(data) > MAX_PHOTO:
        raise ReturnInvalid("a photo is at most 5 MB / 照片不得超过 5 MB")
    photo_id = await _c(call).returns.add_photo(
        call.who, path.return_no, body.content_type, body.filename or "photo", data
    )
    return {"id": photo_id, "return_no": path.return_no}


async def photo(call: Call, path: ReturnPhotoPath) -> web.Response:
    returns = _c(call).returns
    view = await returns.view(call.who, path.return_no)  # may the caller read the request?
    if path.id not in {p[0] for p in view.photos}:  # a photo of another request: not here
        raise ReturnNotFound(f"no photo {path.id} on {path.return_no}")
    content_type, _, data = await returns.photo(call.who, path.id)
    return web.Response(
        body=data, content_type=content_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Content-Disposition": "inline"},
    )  # fmt: skip


# -- the brand's review and resolution ----------------------------------------------------------
async def approve(call: Call, path: ReturnNoPath, body: ReturnApproveBody) -> Schema:
    r = await _c(call).returns.approve(call.who, path.return_no, body.codes, body.note)
    return r.to_dict()


async def reject(call: Call, path: ReturnNoPath, body: ReturnRejectBody) -> Schema:
    return (await _c(call).returns.reject(call.who, path.return_no, body.reason)).to_dict()


async def ask(call: Call, path: ReturnNoPath, body: ReturnAskBody) -> Schema:
    return (await _c(call).returns.ask(call.who, path.return_no, body.question)).to_dict()


async def refund(call: Call, path: ReturnNoPath, body: ReturnNoteBody) -> Schema:
    return (await _c(call).resolution.refund(call.who, path.return_no, body.note)).to_dict()


async def exchange(call: Call, path: ReturnNoPath) -> Schema:
    return (await _c(call).resolution.exchange(call.who, path.return_no)).to_dict()


async def settle(call: Call, path: ReturnNoPath, body: ReturnSettleBody) -> Schema:
    return (await _c(call).resolution.settle(call.who, path.return_no, body.note)).to_dict()


# -- the goods' way back ------------------------------------------------------------------------
async def receive(call: Call, path: ReturnNoPath, body: ReturnReceiveBody) -> Schema:
    r = await _c(call).return_goods.receive(
        call.who, path.return_no, body.codes, warehouse=body.warehouse, client_id=body.client_id
    )
    return r.to_dict()


async def inspect(call: Call, path: ReturnNoPath, body: ReturnInspectBody) -> Schema:
    r = await _c(call).return_goods.inspect(
        call.who, path.return_no, accepted=body.accepted, rejected=body.rejected,
        reason=body.reason, client_id=body.client_id,
    )  # fmt: skip
    return r.to_dict()


async def scrap(call: Call, path: ReturnNoPath, body: ReturnScrapBody) -> Schema:
    r = await _c(call).return_goods.scrap(call.who, path.return_no, body.codes,
                                          reason=body.reason, client_id=body.client_id)  # fmt: skip
    return r.to_dict()


async def send_back(call: Call, path: ReturnNoPath, body: ReturnSendBackBody) -> Schema:
    r = await _c(call).return_goods.send_back(call.who, path.return_no, body.codes,
                                              note=body.note, client_id=body.client_id)  # fmt: skip
    return r.to_dict()


# -- the brand's rules, alerts and statistics -----------------------------------------------
async def get_settings(call: Call, query: ReturnBrandQuery) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    return (await of(ctx).returns.settings(who, brand)).to_dict()


async def put_settings(call: Call, query: ReturnBrandQuery, body: ReturnSettingsBody) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    reasons = None if body.reasons is None else [
        {"code": r.code, "en": r.en, "zh": r.zh} for r in body.reasons
    ]  # fmt: skip
    saved = await of(ctx).returns.set_settings(
        who, brand, window_days=body.window_days, no_return=body.no_return,
        sealed_only=body.sealed_only, reasons=reasons,
    )  # fmt: skip
    return saved.to_dict()


async def alerts(call: Call, query: ReturnAlertsQuery) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    found = await of(ctx).returns.alerts(who, brand, query.limit)
    return {"alerts": [a.to_dict() for a in found]}


async def stats(call: Call, query: ReturnStatsQuery) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    since = query.since or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    until = query.until or dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    since, until = (t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (since, until))
    found = await return_stats(ctx, who, brand, since, until)
    return {"since": since.isoformat(), "until": until.isoformat(), **found.to_dict()}


_R = f"{BASE}/returns"
_N = f"{_R}/{{return_no}}"
_PHOTO: Schema = {"type": "string", "format": "binary"}
#: The fixed paths first: ``/returns/settings`` is never read as a return number.
ENDPOINTS = [
    Endpoint("GET", f"{_R}/settings", get_settings, ORDERS_PLACE,
             "The brand's return rules: window, products, reasons (its dealers and reviewers)",
             tag=_T),
    Endpoint("PUT", f"{_R}/settings", put_settings, ORDERS_REVIEW,
             "Change the brand's return rules (fields left out stay)", tag=_T),
    Endpoint("GET", f"{_R}/alerts", alerts, ORDERS_REVIEW,
             "Suspicious units met on returns: fake codes, units shipped elsewhere, returned"
             " twice", tag=_T),
    Endpoint("GET", f"{_R}/stats", stats, ORDERS_PLACE,
             "Return rates by product and dealer, units by reason and month (a dealer: its"
             " subtree)", tag=_T),
    Endpoint("GET", _R, listing, ORDERS_PLACE,
             "Return requests I may see (a dealer: its subtree; brand staff: the brand's)",
             tag=_T),
    Endpoint("POST", _R, open_return, ORDERS_PLACE,
             "Ask to return or exchange units of a delivered order, each by its code", 201,
             tag=_T),
    Endpoint("GET", _N, show, ORDERS_PLACE,
             "A return request with its units, timeline, thread and photos", tag=_T),
    Endpoint("POST", f"{_N}/cancel", cancel, ORDERS_PLACE,
             "Withdraw my request before any unit came back", tag=_T),
    Endpoint("POST", f"{_N}/answer", answer, ORDERS_PLACE,
             "Answer the brand's question: back to review", tag=_T),
    Endpoint("POST", f"{_N}/messages", post, ORDERS_PLACE,
             "Post on the request's thread (either side), status unchanged", 201, tag=_T),
    Endpoint("POST", f"{_N}/photos", add_photo, ORDERS_PLACE,
             "Add a photo of the goods (PNG or JPEG, base64, at most 5 MB, 9 a request)",
             201, tag=_T),
    Endpoint("GET", f"{_N}/photos/{{id}}", photo, ORDERS_PLACE,
             "A photo of a request (the dealer and the brand), not cached", tag=_T,
             response=_PHOTO),
    Endpoint("POST", f"{_N}/approve", approve, ORDERS_REVIEW,
             "Approve every unit, or only the named ones (the others are declined)", tag=_T),
    Endpoint("POST", f"{_N}/reject", reject, ORDERS_REVIEW,
             "Refuse the request with a reason (the dealer is told)", tag=_T),
    Endpoint("POST", f"{_N}/ask", ask, ORDERS_REVIEW,
             "Ask the dealer a question (the request waits for the answer)", tag=_T),
    Endpoint("POST", f"{_N}/receive", receive, ORDERS_FULFIL,
             "Scan returned units in: into a warehouse's quarantine (idempotent by client_id)",
             tag=_T),
    Endpoint("POST", f"{_N}/inspect", inspect, ORDERS_FULFIL,
             "Decide received units: accepted to stock, rejected aside with a reason", tag=_T),
    Endpoint("POST", f"{_N}/scrap", scrap, ORDERS_REVIEW,
             "Scrap rejected units: codes decommissioned, goods out of stock", tag=_T),
    Endpoint("POST", f"{_N}/send-back", send_back, ORDERS_FULFIL,
             "Ship rejected units back to the dealer", tag=_T),
    Endpoint("POST", f"{_N}/refund", refund, ORDERS_REVIEW,
             "Refund the units that passed inspection (a credit note for transfers; once per"
             " return)", tag=_T),
    Endpoint("POST", f"{_N}/exchange", exchange, ORDERS_REVIEW,
             "A replacement order for the units that passed inspection (once per return)",
             tag=_T),
    Endpoint("POST", f"{_N}/settle", settle, ORDERS_REVIEW,
             "Close a return none of whose units passed inspection", tag=_T),
]  # fmt: skip
