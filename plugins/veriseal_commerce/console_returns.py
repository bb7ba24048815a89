"""Console pages of returns and exchanges, the dealer's side (phone first;
``orders.place``), and what the brand's pages (:mod:`.console_returns_review`) share.

- ``/console/commerce/returns``: "My returns / 我的退换货", my organisation's (subtree's)
  requests, newest first, filtered by status;
- ``/console/commerce/returns/new?order=<no>``: the request form of a delivered order
  (linked from the order's page): return or exchange, a reason from the brand's list,
  the detail, the products whose units were opened, the units' codes (typed one per
  line, or read by the phone's camera through ``static/scan.js`` as the fulfilment page
  reads them) and photos; without ``order``, the orders with delivered goods to pick;
- ``/console/commerce/returns/{no}``: the request: its products and units, the photos,
  the timeline (every event), the thread (post, or answer the brand's question), more
  photos while it is reviewed, and cancel where the state machine allows;
- ``/console/commerce/returns/{no}/photos/{id}``: a photo, ``no-store``, for the
  dealer's organisation and the brand only (the service decides who reads it).

Views parse, call :class:`.returns.ReturnService` with the caller and render; every rule
and scope check is the service's. A refusal is shown on the page with its message and
stable code, and nothing is changed: photos are checked before the request is opened.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiDictProxy

from veriseal import Brand, Principal, VerisealError
from veriseal.extend import Page, PluginContext
from veriseal_commerce.console_order_common import BASE, context, message, text_field
from veriseal_commerce.orders import OrderQuery
from veriseal_commerce.orders_store import Order
from veriseal_commerce.returns import MAX_PHOTO, MAX_PHOTOS, PHOTO_TYPES, ReturnAsk, ReturnView
from veriseal_commerce.returns_errors import ReturnInvalid, ReturnNotFound
from veriseal_commerce.returns_states import ReturnStatus, allowed_actions
from veriseal_commerce.returns_units import MAX_CODES
from veriseal_commerce.service import of

if TYPE_CHECKING:
    from veriseal.extend import ConsoleCall

MINE = f"{BASE}/returns"
REVIEW = f"{BASE}/return-review"
STATUSES = tuple(str(s) for s in ReturnStatus)
#: a page of the lists (the service's listing has no paging: the newest this many)
PAGE = 100
#: fulfilment statuses of orders whose goods (some of them) reached the dealer
_DELIVERED = ("delivered", "partially_delivered")


# -- shared by both sides -------------------------------------------------------------------
def client_id() -> str:
    """A fresh id for a form, so a resent form acts once (the services' replay)."""
    return f"console-{secrets.token_hex(12)}"


def codes_of(form: MultiDictProxy[Any]) -> list[str]:
    """The codes of a scanning form: ``codes`` one per line (what the camera fills) and
    the one typed in ``code``; blank lines dropped (the service reads them further)."""
    text = text_field(form, "codes", 301 * MAX_CODES)
    one = text_field(form, "code", 300)
    return [c.strip() for c in text.splitlines() if c.strip()] + ([one] if one else [])


def photos_of(form: MultiDictProxy[Any]) -> list[tuple[str, str, bytes]]:
    """The photos posted as (content type, filename, bytes), checked as the service
    checks them (PNG or JPEG by their first bytes, at most 5 MB, at most 9) so that a
    bad photo refuses the whole form before anything is written. An empty file input
    sends a nameless, empty part: skipped."""
    out = []
    for item in form.getall("photo", []):
        if not isinstance(item, web.FileField) or not (item.filename or "").strip():
            continue
        data = item.file.read(MAX_PHOTO + 1)
        if not data:
            continue
        kind = next((k for k, magic in PHOTO_TYPES.items() if data.startswith(magic)), None)
        if kind is None or len(data) > MAX_PHOTO:
            raise ReturnInvalid(
                "a photo is a PNG or JPEG of at most 5 MB / 照片须为 5 MB 以内的 PNG 或 JPEG",
                field="photo",
            )
        out.append((kind, item.filename[:200], data))
    if len(out) > MAX_PHOTOS:
        raise ReturnInvalid(f"at most {MAX_PHOTOS} photos / 最多 {MAX_PHOTOS} 张照片")
    return out


async def names_of(ctx: PluginContext, org_ids: set[int]) -> dict[int, str]:
    """Organisation id -> name (looked up outside any transaction)."""
    return {i: (await ctx.org(i)).name for i in sorted(org_ids)}


async def request_context(
    ctx: PluginContext, who: Principal, brand: Brand, return_no: str, side: str
) -> dict[str, Any]:
    """The request page's data: the request, its timeline, thread and photos, the
    actions the state machine allows now (the buttons), the brand's reason names, the
    dealer, and whether the reader is the requesting dealer itself (who may act)."""
    view: ReturnView = await of(ctx).returns.view(who, return_no[:40])
    r = view.request
    settings = await of(ctx).returns.settings(who, brand)
    units: dict[str, list[Any]] = {}
    for u in r.units:
        units.setdefault(str(u.status), []).append(u)
    return {
        "r": r, "events": view.events, "messages": view.messages, "photos": view.photos,
        "side": side, "actions": {str(a) for a in allowed_actions(ReturnStatus(r.status))},
        "reasons": {x.code: x for x in settings.reasons}, "units": units,
        "dealer": await ctx.org(r.org_id),
        "currency": (await of(ctx).orders.load(who, r.order_no)).currency,
        "own": who.org is not None and who.org.id == r.org_id,
        "here": f"{MINE if side == 'dealer' else REVIEW}/{r.return_no}",
        "photo_link": f"{MINE}/{r.return_no}/photos",
    }  # fmt: skip


async def list_page(call: ConsoleCall, side: str) -> Page:
    """Requests newest first, filtered by status: the dealer's subtree's or the
    brand's (the service scopes them)."""
    who, brand, ctx = await context(call)
    status = call.query.get("status", "")
    status = status if status in STATUSES else ""
    found = await of(ctx).returns.listing(who, brand, status or None, PAGE)
    return Page(
        "veriseal_commerce/returns_list.html",
        {"brand": brand, "requests": found, "statuses": STATUSES, "status": status,
         "side": side, "link": MINE if side == "dealer" else REVIEW,
         "dealers": await names_of(ctx, {r.org_id for r in found}), "error": ""},
    )  # fmt: skip


async def photo(call: ConsoleCall) -> web.StreamResponse:
    """A photo of a request, only through a request the reader may read (the dealer's
    organisation, its parents, the brand): private, never cached."""
    who = call.principal
    assert who is not None
    ctx = call.plugin("commerce")
    view = await of(ctx).returns.view(who, call.match["no"][:40])
    photo_id = call.int_param("id")
    if photo_id not in {p[0] for p in view.photos}:
        raise ReturnNotFound(f"no photo {photo_id} on this request / 无此照片")
    media, _name, data = await of(ctx).returns.photo(who, photo_id)
    headers = {"Cache-Control": "private, no-store", "Content-Disposition": "inline",
               "X-Content-Type-Options": "nosniff"}  # fmt: skip
    return web.Response(body=data, content_type=media, headers=headers)


# -- my returns ------------------------------------------------------------------------------
async def my_returns(call: ConsoleCall) -> Page:
    return await list_page(call, "dealer")


async def _delivered(ctx: PluginContext, who: Principal, brand: Brand) -> list[Order]:
    """My organisation's recent orders with delivered goods (what may be returned)."""
    found = await of(ctx).orders.search(who, brand, OrderQuery(limit=100))
    mine = who.org.id if who.org is not None else None
    # a listing's orders come without lines: their fulfilment axis says it
    return [o for o in found if o.org_id == mine and o.fulfilment_status in _DELIVERED]


async def new_page(call: ConsoleCall, error: str = "", status: int = 200,
                   values: dict[str, Any] | None = None) -> Page:  # fmt: skip
    """The form of ``?order=<no>`` (or the orders to pick from)."""
    who, brand, ctx = await context(call)
    v = values or {"order": call.query.get("order", "")[:40], "kind": "return"}
    order = None
    if v.get("order"):
        order = await of(ctx).orders.load(who, str(v["order"]))
    settings = await of(ctx).returns.settings(who, brand)
    return Page(
        "veriseal_commerce/returns_new.html",
        {"brand": brand, "order": order, "values": v, "error": error,
         "reasons": settings.reasons, "window_days": settings.window_days,
         "orders": [] if order else await _delivered(ctx, who, brand),
         "client_id": v.get("client_id") or client_id(), "max_photos": MAX_PHOTOS},
        status,
    )  # fmt: skip


async def create(call: ConsoleCall) -> Page | web.StreamResponse:
    """Open the request, then add its photos (checked first: a bad photo writes
    nothing); a refusal (a fake code, a unit not on the order, too many...) is shown
    with its code and the form keeps what was typed."""
    who, _, ctx = await context(call)
    form = await call.form()
    values: dict[str, Any] = {
        k: str(form.get(k, ""))[:20000]
        for k in ("order", "kind", "reason", "detail", "codes", "code", "client_id")
    }
    values["opened"] = [str(g) for g in form.getall("opened", [])][:200]
    try:
        pictures = photos_of(form)
        ask = ReturnAsk(
            text_field(form, "order", 40), text_field(form, "kind", 20),
            text_field(form, "reason", 40), codes_of(form), text_field(form, "detail", 1000),
            values["opened"], text_field(form, "client_id", 64) or None,
        )  # fmt: skip
        request = await of(ctx).returns.open(who, ask)
        # a resent form (same client_id) replays the request: its photos are there
        if pictures and not (await of(ctx).returns.view(who, request.return_no)).photos:
            for kind, name, data in pictures:
                await of(ctx).returns.add_photo(who, request.return_no, kind, name, data)
    except VerisealError as exc:
        return await new_page(call, message(call, exc), exc.http_status, values)
    return call.redirect(f"{MINE}/{request.return_no}", "Request sent to the brand.",
                         "申请已提交给品牌方。")  # fmt: skip


async def request_page(call: ConsoleCall, error: str = "", status: int = 200) -> Page:
    who, brand, ctx = await context(call)
    data = await request_context(ctx, who, brand, call.match["no"], "dealer")
    return Page(
        "veriseal_commerce/returns_request.html",
        {**data, "brand": brand, "error": error, "max_photos": MAX_PHOTOS},
        status,
    )


async def cancel(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        await of(ctx).returns.cancel(who, no, text_field(await call.form(), "reason", 1000))
    except VerisealError as exc:
        return await request_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{MINE}/{no}", "Request withdrawn.", "申请已撤销。")


async def reply(call: ConsoleCall) -> Page | web.StreamResponse:
    """``action=answer``: answer the brand's question (back to review); otherwise a
    message on the thread."""
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        form = await call.form()
        body = text_field(form, "text", 1000)
        if form.get("action") == "answer":
            await of(ctx).returns.answer(who, no, body)
        else:
            await of(ctx).returns.post(who, no, body)
    except VerisealError as exc:
        return await request_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{MINE}/{no}#thread", "Message sent.", "留言已发送。")


async def add_photos(call: ConsoleCall) -> Page | web.StreamResponse:
    who, _, ctx = await context(call)
    no = call.match["no"]
    try:
        pictures = photos_of(await call.form())
        if not pictures:
            raise ReturnInvalid("choose a photo / 请选择照片", field="photo")
        for kind, name, data in pictures:
            await of(ctx).returns.add_photo(who, no, kind, name, data)
    except VerisealError as exc:
        return await request_page(call, message(call, exc), exc.http_status)
    return call.redirect(f"{MINE}/{no}#photos", "Photos added.", "照片已上传。")
