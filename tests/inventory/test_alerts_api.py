"""Settings, alerts, the stock overview and replenishment over real loopback HTTP with
API tokens, on both backends: brand staff set the default, a dealer its own warehouse
only (another dealer's is 403), the overview shows thresholds and state, bad input of
any shape is a 4xx that changes nothing, and no driver text reaches the client."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import TEA, World
from veriseal.server.app import Limits, make_app
from veriseal_inventory.models import StockLine

BASE = "/api/v1/inventory/stock"


async def _headers(world: World, who: str) -> dict[str, str]:
    text, _ = await world.engine.accounts.create_token(world.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_settings_alerts_and_replenishment_over_http(world: World) -> None:
    admin, gd, zj = [await _headers(world, w) for w in ("admin", "gd", "zj")]
    gd_wh = await world.warehouse_of("GD01")
    await world.inv.stock.receive(world.shop.people["admin"], world.main, [StockLine(TEA, 8)])
    await world.inv.stock.receive(world.shop.people["admin"], gd_wh, [StockLine(TEA, 8)])
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        default = {"gtin": TEA, "safety_stock": 10, "reorder_point": 12, "reorder_qty": 20}
        status, saved = await call("PUT", "/settings", admin, default)
        assert status == 200 and (saved["warehouse_id"], saved["safety_stock"]) == (None, 10)
        status, body = await call("PUT", "/settings", gd, default)  # the brand's default
        assert status == 403 and body["error"]["code"] == "forbidden"
        mine = {**default, "warehouse": gd_wh.code, "safety_stock": 5, "reorder_point": 8}
        assert (await call("PUT", "/settings", gd, mine))[0] == 200
        status, body = await call("PUT", "/settings", zj, mine)  # another dealer's
        assert status == 403 and body["error"]["code"] == "forbidden"
        status, body = await call("GET", "/overview", admin)
        states = {(r["warehouse_id"], r["state"], r["setting"]["safety_stock"])
                  for r in body["stock"]}  # fmt: skip
        assert states == {(world.main.id, "low", 10), (gd_wh.id, "reorder", 5)}
        status, body = await call("GET", "/alerts?open=true", admin)
        assert [(a["warehouse_id"], a["opened_level"]) for a in body["alerts"]] == [
            (world.main.id, 8)]  # fmt: skip
        assert (await call("GET", "/alerts", zj))[1]["alerts"] == []  # not ZJ01's
        status, body = await call("GET", "/replenishment?lang=zh", admin)
        # no sales: target = max(10 + 0, 12) = 12; position 8; max(4, 20) = 20 at MAIN;
        # GD01: target max(5 + 0, 8) = 8, position 8: nothing (listed with ?all=true)
        assert status == 200
        got = [(s["warehouse"], s["quantity"], s["target"]) for s in body["suggestions"]]
        assert got == [(world.main.code, 20, 12)]
        assert body["suggestions"][0]["explanation"][0].startswith("销售速度")
        status, body = await call("GET", "/replenishment?all=true", gd)
        assert [(s["warehouse"], s["quantity"]) for s in body["suggestions"]] == [(gd_wh.code, 0)]
        for bad in ({**default, "safety_stock": -1}, {**default, "gtin": "123"},
                    {**default, "pack_size": 0}, {**default, "warehouse": "NOPE"},
                    {**default, "gtin": "00000000000000"}, {**default, "extra": 1},
                    [1], "x", {**default, "lead_time_days": 10**6}):  # fmt: skip
            status, body = await call("PUT", "/settings", admin, bad)
            assert 400 <= status < 500 and "error" in body, bad
            assert "sql" not in str(body).lower() and "traceback" not in str(body).lower()
        for bad_query in ("?days=0", "?basis=guess", "?warehouse=NOPE", "?gtin=1", "?all=maybe",
                          "?warehouse=²", "?warehouse=١"):  # fmt: skip
            status, body = await call("GET", "/replenishment" + bad_query, admin)
            assert 400 <= status < 500 and "error" in body, bad_query
        status, body = await call("GET", "/settings", admin)
        assert [(s["warehouse_id"], s["safety_stock"]) for s in body["settings"]] == [
            (None, 10), (gd_wh.id, 5)]  # fmt: skip
        status, body = await call("DELETE", f"/settings?gtin={TEA}&warehouse={gd_wh.code}", gd)
        assert (status, body) == (200, {"cleared": True})
        status, body = await call("GET", "/alerts?open=true", gd)
        assert [a["opened_level"] for a in body["alerts"]] == [8]  # the default: 8 < 10
