"""``/api/v1/logistics/push/kuaidi100/{brand}``, ``/webhook/{brand}`` and
``/events/import``: how carrier events come in.

The two receivers are public routes authenticated by their signature (the brand's
快递100 salt, its webhook secret): nothing is read into the ledger before the signature
holds, and nothing is stored on any error. An unknown brand is answered as a bad
signature (403), so the receivers do not tell which brands exist. The 快递100 receiver
answers in 快递100's shape (``{"result": true, "returnCode": "200", "message": "成功"}``;
a refusal has ``result`` false, ``returnCode`` the HTTP status and our ``code``).
"""

from __future__ import annotations

import datetime as dt
import time

from aiohttp import web

from veriseal import Call, Endpoint, Gate, InvalidInput, VerisealError
from veriseal.extend import plugin_context
from veriseal_logistics import kuaidi100, webhook
from veriseal_logistics.api_common import (
    BASE,
    NAME,
    TAG,
    LogisticsBrandPath,
    LogisticsBrandQuery,
    Schema,
    context,
)
from veriseal_logistics.csv_import import MAX_BYTES, import_csv
from veriseal_logistics.intake_errors import PushInvalid, SignatureInvalid, WebhookInvalid
from veriseal_logistics.permissions import LOGISTICS_MANAGE
from veriseal_logistics.pollers import interval_minutes
from veriseal_logistics.service import Logistics, of

MAX_PUSH = 2 * 1024 * 1024  # a waybill's whole history is a few kB

_RESULT = {"type": "object", "required": ["result", "returnCode", "message"],
           "properties": {"result": {"type": "boolean"}, "returnCode": {"type": "string"},
                          "message": {"type": "string"}, "code": {"type": "string"}}}  # fmt: skip
_INGESTED = {"type": "object", "required": ["waybill_id", "added", "duplicates"],
             "properties": {"waybill_id": {"type": "integer"}, "added": {"type": "integer"},
                            "duplicates": {"type": "integer"}}}  # fmt: skip


async def _brand_secrets(call: Call, slug: str) -> tuple[int, Logistics, str, str]:
    """The brand's id, the services and its (salt, webhook secret); an unknown brand is
    a bad signature (as if it had no secret)."""
    ctx = plugin_context(call, NAME)
    try:
        brand = await ctx.brand(slug)
    except VerisealError:
        raise SignatureInvalid("the signature does not match") from None
    lx = of(ctx)
    secrets = await lx.settings.secrets(brand.id)
    return brand.id, lx, secrets.kuaidi100_salt, secrets.webhook_secret


async def _read(call: Call, limit: int) -> bytes:
    body = await call.request.content.read(limit + 1)
    if len(body) > limit:
        raise InvalidInput(f"the body is larger than {limit} bytes")
    return body


# -- 快递100 ----------------------------------------------------------------------------
async def push_kuaidi100(call: Call, path: LogisticsBrandPath) -> web.Response:
    try:
        answer = await _push(call, path.brand)
    except VerisealError as exc:
        answer = kuaidi100.failure(exc.http_status, exc.code, exc.message)
        return web.json_response(answer, status=exc.http_status)
    return web.json_response(answer)


async def _push(call: Call, slug: str) -> Schema:
    try:
        body = await _read(call, MAX_PUSH)
    except InvalidInput as exc:
        raise PushInvalid(exc.message, reason="size") from None
    param, signature = kuaidi100.read_form(body)
    brand_id, lx, salt, _ = await _brand_secrets(call, slug)
    kuaidi100.verify(param, signature, salt)
    push = kuaidi100.read_param(param)
    if not push.stores:  # 快递100 stopped tracking: its message is all there is
        return kuaidi100.success()
    carrier = push.carrier
    for code in push.carriers:
        if await lx.waybills.find(brand_id, code, push.tracking_no) is not None:
            carrier = code
            break
    # an unknown waybill: WaybillUnknown (404), nothing stored
    done = await lx.waybills.ingest(brand_id, carrier, push.tracking_no, push.events,
                                    "kuaidi100")  # fmt: skip
    await _pushed(call, lx, done.waybill.id)
    return kuaidi100.success()


async def _pushed(call: Call, lx: Logistics, waybill_id: int) -> None:
    """A carrier that pushes needs no polling while its news flows: the waybill's next
    poll (a paid query at 快递100) moves a poll interval on from now. Pollers stay the
    backup for a subscription that went quiet."""
    minutes = interval_minutes(plugin_context(call, NAME).config)
    await lx.waybills.polled(waybill_id, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes))


# -- the signed webhook ---------------------------------------------------------------------
async def logistics_webhook(call: Call, path: LogisticsBrandPath) -> Schema:
    try:
        body = await _read(call, webhook.MAX_BODY)
    except InvalidInput as exc:
        raise WebhookInvalid(exc.message, reason="size") from None
    brand_id, lx, _, secret = await _brand_secrets(call, path.brand)
    webhook.verify(call.request.headers.get(webhook.HEADER), body, secret, time.time())
    delivery = webhook.read(body)
    done = await lx.waybills.ingest(brand_id, delivery.carrier, delivery.tracking_no,
                                    delivery.events, "webhook")  # fmt: skip
    await _pushed(call, lx, done.waybill.id)
    return {"waybill_id": done.waybill.id, "added": done.added, "duplicates": done.duplicates}


# -- CSV import -----------------------------------------------------------------------------
async def import_logistics_events(call: Call, query: LogisticsBrandQuery) -> Schema:
    who, brand, lx = await context(call, query.brand)
    raw = await _read(call, MAX_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV must be UTF-8") from None
    return (await import_csv(lx, who, brand, text)).to_dict()


ENDPOINTS = [
    Endpoint("POST", f"{BASE}/push/kuaidi100/{{brand}}", push_kuaidi100, Gate.PUBLIC,
             "快递100's subscription push (form: param, sign = MD5(param + salt)); answers"
             " in 快递100's format", tag=TAG, response=_RESULT,
             raw_body="application/x-www-form-urlencoded"),
    Endpoint("POST", f"{BASE}/webhook/{{brand}}", logistics_webhook, Gate.PUBLIC,
             "Carrier events as signed JSON (X-Veriseal-Signature: t=..,v1=HMAC-SHA256)",
             tag=TAG, response=_INGESTED, raw_body="application/json"),
    Endpoint("POST", f"{BASE}/events/import", import_logistics_events, LOGISTICS_MANAGE,
             "Import carrier events from CSV (all or nothing)", tag=TAG, raw_body="text/csv"),
]  # fmt: skip
