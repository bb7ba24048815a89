"""Orders over real loopback HTTP with API tokens, on both backends: a dealer creates
and submits, a sibling gets 403, the brand approves after payment and rejects with a
reason, bad input of any shape is a 4xx with a code that changes nothing."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import priced
from veriseal.server.app import Limits, make_app
from veriseal_commerce.payable import summarize

BASE = "/api/v1/commerce"


async def _headers(shop: Shop, who: str) -> dict[str, str]:
    text, _ = await shop.engine.accounts.create_token(shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_orders_over_http(shop: Shop) -> None:
    await priced(shop)
    admin, gd, zj = [await _headers(shop, w) for w in ("admin", "gd", "zj")]
    async with TestClient(TestServer(make_app(shop.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        new = {"lines": [{"gtin": TEA, "quantity": 4}, {"gtin": WINE, "quantity": 1}],
               "region": "440100", "address": "广州市天河路1号"}  # fmt: skip
        status, order = await call("POST", "/orders", gd, new)
        assert status == 201 and order["status"] == "draft"
        no = order["order_no"]
        for bad in ({}, {**new, "lines": []}, {**new, "lines": [{"gtin": TEA, "quantity": 0}]},
                    {**new, "address": ""}, {**new, "region": 5}, [1, 2], "x"):  # fmt: skip
            status, body = await call("POST", "/orders", gd, bad)
            assert 400 <= status < 500 and body["error"]["code"], bad
        status, body = await call("GET", f"/orders/{no}", zj)
        assert status == 403 and no not in str(body)
        status, body = await call("GET", "/orders", zj)
        assert status == 200 and body["orders"] == []
        status, body = await call("POST", f"/orders/{no}/approve", admin, {})
        assert status == 409 and body["error"]["code"] == "order_transition"
        status, order = await call("POST", f"/orders/{no}/submit", gd)
        assert status == 200 and order["status"] == "submitted"
        found = await shop.c.orders.load(shop.people["gd"], no)
        async with shop.ctx.db.write() as tx:
            await shop.c.orders.on_payment(tx, found.id, summarize(found.total, found.total, 0,
                                                                   "CNY"))  # fmt: skip
        status, order = await call("POST", f"/orders/{no}/approve", admin, {"text": "ok"})
        assert status == 200 and order["status"] == "approved"
        status, msg = await call("POST", f"/orders/{no}/messages", admin, {"text": "几时到？"})
        assert status == 201 and msg["side"] == "brand"
        status, view = await call("GET", f"/orders/{no}", gd)
        assert [e["to"] for e in view["events"]] == [
            "draft", "submitted", "awaiting_review", "approved"]  # fmt: skip
        assert view["messages"][0]["body"] == "几时到？"
        status, stats = await call("GET", "/order-stats?by=status", admin)
        assert status == 200 and stats["rows"][0]["key"] == "approved"
        status, body = await call("GET", "/order-stats?by=colour", admin)
        assert status == 400
        # another order, rejected with a reason; a reason is required
        _, second = await call("POST", "/orders", gd, new)
        await call("POST", f"/orders/{second['order_no']}/submit", gd)
        status, body = await call("POST", f"/orders/{second['order_no']}/reject", admin, {})
        assert status == 400
        status, body = await call("POST", f"/orders/{second['order_no']}/reject", admin,
                                  {"reason": "超出授权"})  # fmt: skip
        assert status == 200 and body["status"] == "rejected"
        status, body = await call("POST", f"/orders/{no}/fulfil", admin, {"codes": []})
        assert status == 400
        status, body = await call("GET", "/orders/SO-NOPE", gd)
        assert status == 404 and body["error"]["code"] == "order_not_found"
