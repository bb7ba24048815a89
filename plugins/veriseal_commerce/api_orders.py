"""``/api/v1/commerce/orders...``: dealers' orders over JSON.

The gate of each endpoint is the token scope it needs; the order service checks the
role and the target (a dealer acts on its own organisation's orders and reads its
subtree's; brand staff review, ship and read the brand's). Bodies are typed (msgspec);
amounts are minor units. A platform admin names the brand with ``?brand=<slug>``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import Meta

from veriseal import Brand, Call, Endpoint, Model, Name, Principal, Short
from veriseal.extend import PluginContext, plugin_context
from veriseal_commerce.order_stats import StatsQuery, order_stats
from veriseal_commerce.orders import OrderRequest
from veriseal_commerce.permissions import ORDERS_FULFIL, ORDERS_PLACE, ORDERS_REVIEW
from veriseal_commerce.service import of

NAME = "commerce"
BASE = "/api/v1/commerce"
Schema = dict[str, Any]
Text = Annotated[str, Meta(max_length=4000, pattern="^[^\\x00]*$")]
Code = Annotated[str, Meta(min_length=1, max_length=200, pattern="^[^\\x00]*$")]
_T = "commerce"


class OrderBrandQuery(Model):
    brand: Short | None = None


class OrderListQuery(OrderBrandQuery):
    status: Short | None = None
    limit: Annotated[int, Meta(ge=1, le=500)] = 100


class OrderStatsParams(OrderBrandQuery):
    by: Literal["status", "product", "dealer", "region", "day", "month"] = "status"
    since: dt.datetime | None = None
    until: dt.datetime | None = None


class OrderNoPath(Model):
    order_no: Annotated[str, Meta(min_length=1, max_length=32, pattern="^[A-Za-z0-9-]+$")]


class OrderLineBody(Model):
    gtin: Short
    quantity: Annotated[int, Meta(ge=1, le=1_000_000)]


class NewOrderBody(Model):
    lines: Annotated[list[OrderLineBody], Meta(min_length=1, max_length=200)]
    region: Name
    address: Annotated[str, Meta(min_length=1, max_length=500, pattern="^[^\\x00]*$")]


class OrderNoteBody(Model):
    text: Text = ""


class OrderReasonBody(Model):
    reason: Annotated[str, Meta(min_length=1, max_length=4000, pattern="^[^\\x00]*$")]


class OrderMessageBody(Model):
    text: Annotated[str, Meta(min_length=1, max_length=4000, pattern="^[^\\x00]*$")]


class OrderFulfilBody(Model):
    codes: Annotated[list[Code], Meta(min_length=1, max_length=5000)]
    client_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None


async def _context(call: Call, slug: str | None) -> tuple[Principal, Brand, PluginContext]:
    who = call.who
    ctx = plugin_context(call, NAME)
    brand = await (ctx.brand_by_id(who.brand_id) if who.brand_id is not None else ctx.brand(slug))
    return who, brand, ctx


async def create(call: Call, query: OrderBrandQuery, body: NewOrderBody) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    request = OrderRequest([(ln.gtin, ln.quantity) for ln in body.lines], body.region,
                           body.address)  # fmt: skip
    return (await of(ctx).orders.create(who, brand, request)).to_dict()


async def listing(call: Call, query: OrderListQuery) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    found = await of(ctx).orders.list(who, brand, query.status, query.limit)
    return {"orders": [o.to_dict() for o in found]}


async def show(call: Call, path: OrderNoPath) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.view(call.who, path.order_no)).to_dict()


async def submit(call: Call, path: OrderNoPath) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.submit(call.who, path.order_no)).to_dict()


async def cancel(call: Call, path: OrderNoPath, body: OrderNoteBody) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.cancel(call.who, path.order_no, body.text)).to_dict()


async def approve(call: Call, path: OrderNoPath, body: OrderNoteBody) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.approve(call.who, path.order_no, body.text)).to_dict()


async def reject(call: Call, path: OrderNoPath, body: OrderReasonBody) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.reject(call.who, path.order_no, body.reason)).to_dict()


async def post(call: Call, path: OrderNoPath, body: OrderMessageBody) -> Schema:
    ctx = plugin_context(call, NAME)
    return (await of(ctx).orders.post(call.who, path.order_no, body.text)).to_dict()


async def fulfil(call: Call, path: OrderNoPath, body: OrderFulfilBody) -> Schema:
    ctx = plugin_context(call, NAME)
    order = await of(ctx).fulfilment.ship(call.who, path.order_no, body.codes, body.client_id)
    return order.to_dict()


async def stats(call: Call, query: OrderStatsParams) -> Schema:
    who, brand, ctx = await _context(call, query.brand)
    rows = await order_stats(ctx, who, StatsQuery(brand.id, query.by, query.since, query.until))
    return {"by": query.by, "rows": [r.to_dict() for r in rows]}


_O = f"{BASE}/orders/{{order_no}}"
ENDPOINTS = [
    Endpoint("POST", f"{BASE}/orders", create, ORDERS_PLACE,
             "Create a priced draft order for my organisation", 201, tag=_T),
    Endpoint("GET", f"{BASE}/orders", listing, ORDERS_PLACE,
             "Orders I may see (a dealer: its subtree; brand staff: the brand's)", tag=_T),
    Endpoint("GET", f"{BASE}/order-stats", stats, ORDERS_REVIEW,
             "Order count, units and amount by status, product, dealer, region or period",
             tag=_T),
    Endpoint("GET", _O, show, ORDERS_PLACE, "An order with its timeline and messages", tag=_T),
    Endpoint("POST", f"{_O}/submit", submit, ORDERS_PLACE,
             "Submit a draft (territory, dealer, real-name and stock checks)", tag=_T),
    Endpoint("POST", f"{_O}/cancel", cancel, ORDERS_PLACE, "Cancel my order before approval",
             tag=_T),
    Endpoint("POST", f"{_O}/messages", post, ORDERS_PLACE,
             "Post on the order's thread (a reviewer's question, the dealer's answer)", 201,
             tag=_T),
    Endpoint("POST", f"{_O}/approve", approve, ORDERS_REVIEW, "Approve a paid order", tag=_T),
    Endpoint("POST", f"{_O}/reject", reject, ORDERS_REVIEW,
             "Reject an order with a reason (the dealer is told)", tag=_T),
    Endpoint("POST", f"{_O}/fulfil", fulfil, ORDERS_FULFIL,
             "Ship an approved order by scanning items, cases or pallets", tag=_T),
]  # fmt: skip
