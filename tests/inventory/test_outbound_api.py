"""Outbound sheets over real loopback HTTP with API tokens, on both backends: the brand
creates, reads the picking list, issues and downloads the PDF (decoded by a real
barcode reader); the consignee dealer checks in by the scanned text, twice; a shortage
is a 409 that writes nothing; bad input is a 4xx; other dealers get 403."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import TEA, WINE, World
from tests.printing.readback import pdf_pages, zxing
from veriseal.server.app import Limits, make_app
from veriseal_inventory.models import StockLine
from veriseal_inventory.stock_store import MovementQuery

BASE = "/api/v1/inventory/outbound"


async def _headers(w: World, who: str) -> dict[str, str]:
    text, _ = await w.engine.accounts.create_token(w.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_outbound_over_http(world: World) -> None:
    w = world
    admin_p = w.shop.people["admin"]
    await w.inv.stock.receive(admin_p, w.main, [StockLine(TEA, 50, "L1"), StockLine(WINE, 5)])
    admin, gd, zj = [await _headers(w, x) for x in ("admin", "gd", "zj")]
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        new = {"warehouse": "MAIN", "consignee": {"org_id": w.shop.orgs["GD01"]},
               "lines": [{"gtin": TEA, "quantity": 20, "codes": "batch 1: 1-20"},
                         {"gtin": WINE, "quantity": 5}], "note": "易碎 fragile"}  # fmt: skip
        status, sheet = await call("POST", "", admin, new)
        assert status == 201 and sheet["status"] == "picking", sheet
        no = sheet["number"]
        for bad in ({}, {**new, "lines": []}, {**new, "lines": [{"gtin": TEA, "quantity": 0}]},
                    {**new, "consignee": {}}, {**new, "warehouse": "NOPE"},
                    {**new, "consignee": {"name": "a\x00b"}}, [1], "x",
                    {**new, "lines": [{"gtin": "00000000000000", "quantity": 1}]}):  # fmt: skip
            status, body = await call("POST", "", admin, bad)
            assert 400 <= status < 500 and body["error"]["code"], bad
        status, shown = await call("GET", f"/{no}", admin)
        assert status == 200 and shown["picking"]["complete"] is True
        assert [(p["location"], p["lot"], p["quantity"]) for p in shown["picking"]["picks"]] == [
            ("main", "L1", 20), ("main", "", 5)]  # fmt: skip
        status, body = await call("GET", f"/{no}/pdf", admin)
        assert status == 409 and body["error"]["code"] == "outbound_state"
        for who in (gd, zj):  # dealers do not ship from the brand's warehouse
            status, body = await call("POST", f"/{no}/issue", who, {})
            assert status == 403
        status, issued = await call("POST", f"/{no}/issue", admin, {"handler": "老陈"})
        assert status == 200 and issued["status"] == "issued" and issued["handler"] == "老陈"
        r = await c.get(f"{BASE}/{no}/pdf", headers=gd)  # the consignee may read it
        assert r.status == 200 and r.content_type == "application/pdf"
        data = await r.read()
        assert [b.text for b in zxing(pdf_pages(data, dpi=200)[0])] == [f"VSOUT:{no}"]
        status, body = await call("GET", f"/{no}", zj)
        assert status == 403 and no not in str(body)
        status, body = await call("POST", f"/{no}/receive", zj)
        assert status == 403
        status, got = await call("POST", f"/VSOUT:{no}/receive", gd)
        assert status == 200 and got["received_at"]
        status, again = await call("POST", f"/{no}/receive", gd)
        assert status == 200 and again["received_at"] == got["received_at"]
        status, listed = await call("GET", "?status=issued", gd)
        assert [s["number"] for s in listed["sheets"]] == [no]
        status, listed = await call("GET", "", zj)
        assert status == 200 and listed["sheets"] == []
        # a shortage: 409 and nothing written
        short = {**new, "lines": [{"gtin": TEA, "quantity": 31}]}  # 30 left
        status, sheet2 = await call("POST", "", admin, short)
        status, body = await call("POST", f"/{sheet2['number']}/issue", admin, {})
        assert status == 409 and body["error"]["code"] == "stock_insufficient"
        found = await w.inv.stock.movements(
            admin_p, w.shop.brand, MovementQuery(None, None, sheet2["number"], None, 10)
        )
        assert found == []
        status, body = await call("POST", f"/{sheet2['number']}/cancel", admin, {"reason": "缺货"})
        assert status == 200 and body["status"] == "cancelled"
        status, body = await call("GET", "/OUT20000101-9999", admin)
        assert status == 404 and body["error"]["code"] == "outbound_not_found"
        status, body = await call("GET", "/bad%20number", admin)
        assert status == 400
