"""Prices, promotions and quotes over real loopback HTTP with API tokens, on both
backends: brand staff manage, dealers quote for their own subtree only (a sibling gets
403 and learns nothing), ties are 409 with a stable code, bad input of any shape is a
4xx that changes nothing, and no driver text reaches the client."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.conftest import TEA, WINE, Shop
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/commerce"


async def _headers(shop: Shop, who: str) -> dict[str, str]:
    text, _ = await shop.engine.accounts.create_token(shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_prices_and_quotes_over_http(shop: Shop) -> None:
    admin, gd, zj = [await _headers(shop, w) for w in ("admin", "gd", "zj")]
    async with TestClient(TestServer(make_app(shop.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        status, retail = await call("POST", "/prices/lists", admin, {"name": "retail"})
        assert status == 201 and retail["currency"] == "CNY"
        status, _ = await call("POST", "/prices/lists", gd, {"name": "mine"})
        assert status == 403
        row = {"list_id": retail["id"], "gtin": TEA, "price": "128.00"}
        status, saved = await call("POST", "/prices/rows", admin, row)
        assert status == 201 and saved["price"] == 12800
        status, body = await call("POST", "/prices/rows", admin, {**row, "price": "99"})
        assert status == 409 and body["error"]["code"] == "price_row_tie"
        tier = {**row, "min_qty": 10, "price": "118.5"}
        assert (await call("POST", "/prices/rows", admin, tier))[0] == 201
        wine = {"list_id": retail["id"], "gtin": WINE, "price": 5000, "region": "440000"}
        status, w = await call("POST", "/prices/rows", admin, wine)
        assert status == 201 and w["region"] == "CN-GD"
        for bad in ({**row, "price": "1.234"}, {**row, "price": "-1"}, {**row, "min_qty": 0},
                    {**row, "rounding": "end_7"}, {**row, "region": "nowhere"},
                    {"list_id": 999, "price": "1"}, {**row, "gtin": "x" * 65}, [1, 2], "x",
                    {**row, "valid_from": "2030-01-01", "valid_until": "2029-01-01"}):  # fmt: skip
            status, body = await call("POST", "/prices/rows", admin, bad)
            assert 400 <= status < 500 and "error" in body, bad
            assert "sql" not in str(body).lower() and "traceback" not in str(body).lower()
        status, rows = await call("GET", "/prices/rows", admin)
        assert [r["price"] for r in rows["rows"]] == [12800, 11850, 5000]
        status, p = await call("POST", "/promotions", admin,
                               {"name": "满200减20", "benefit": "amount_off", "amount": "20",
                                "min_amount": "200"})  # fmt: skip
        assert status == 201 and (p["amount"], p["min_amount"]) == (2000, 20000)
        assert (p["suggested_only"], p["suggested_k"]) == (False, 10)
        mine = {"name": "为您推荐", "benefit": "percent_off", "percent": "5",
                "suggested_only": True, "suggested_k": 3}  # fmt: skip
        status, sp = await call("POST", "/promotions", admin, mine)
        assert status == 201 and (sp["suggested_only"], sp["suggested_k"]) == (True, 3)
        status, got = await call("GET", f"/promotions/{sp['id']}", admin)
        assert status == 200 and (got["suggested_only"], got["suggested_k"]) == (True, 3)
        for k in (0, 51, "x"):
            status, body = await call("POST", "/promotions", admin, {**mine, "suggested_k": k})
            assert status == 400 and "error" in body
        assert len((await call("GET", "/promotions", admin))[1]["promotions"]) == 2
        assert (await call("DELETE", f"/promotions/{sp['id']}", admin))[0] == 200
        # planning from suggestions: no analytics plugin here, so none (and it says so)
        status, plan = await call("GET", "/promotions/suggested?k=5", admin)
        assert status == 200 and plan == {"k": 5, "available": False, "products": []}
        assert (await call("GET", "/promotions/suggested", gd))[0] == 403
        assert (await call("GET", "/promotions/suggested?k=51", admin))[0] == 400
        lines = [{"gtin": TEA, "quantity": 2}, {"gtin": WINE, "quantity": 1}]
        status, q = await call("POST", "/quote", gd, {"lines": lines, "region": "440100"})
        assert status == 200
        # 2 x 128 + 50 = 306 -> 满 200 减 20 split 256 : 50 (rounded down, rest on the last)
        assert (q["subtotal"], q["discount"], q["total"]) == (30600, 2000, 28600)
        first = 2000 * 25600 // 30600
        assert [ln["line_total"] for ln in q["lines"]] == [25600 - first, 5000 - (2000 - first)]
        assert q["lines"][0]["price"]["row_id"] == saved["id"]
        assert "product" in q["lines"][0]["price"]["reason"]
        # outside Guangdong the wine row does not apply
        status, body = await call("POST", "/quote", gd, {"lines": lines, "region": "CN-ZJ"})
        assert status == 404 and body["error"]["code"] == "price_not_found"
        status, q = await call("POST", "/quote", gd, {"dealer": "GZ-R1", "lines": lines[:1]})
        assert status == 200 and q["lines"][0]["unit_price"] == 12800
        for dealer in ("GD01", "GZ-R1", str(shop.orgs["GD01"])):
            status, body = await call("POST", "/quote", zj, {"dealer": dealer, "lines": lines})
            assert 400 <= status < 500 and "total" not in body
        status, _ = await call("POST", "/quote", zj, {"lines": [{"gtin": TEA, "quantity": 0}]})
        assert status == 400
        assert (await call("POST", f"/promotions/{p['id']}/disable", admin))[1]["active"] is False
        assert (await call("GET", "/promotions", gd))[0] == 403
        status, _ = await call("DELETE", f"/promotions/{p['id']}", admin)
        assert status == 200
        assert (await call("GET", f"/promotions/{p['id']}", admin))[0] == 404
        assert (await call("DELETE", f"/prices/rows/{saved['id']}", zj))[0] == 403
        assert (await call("DELETE", f"/prices/rows/{saved['id']}", admin))[0] == 200
