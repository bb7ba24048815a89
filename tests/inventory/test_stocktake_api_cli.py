"""Stocktakes over real loopback HTTP with API tokens (both backends) and through the
CLI: the full flow, maker-checker refusal (403 stocktake_same_person), a blind count's
answers without expected quantities, bad input of any shape a 4xx that changes
nothing, and each route's access gate by role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.inventory.conftest import TEA, WINE, World
from tests.inventory.test_stocktake import on_hand, person, stocked
from veriseal import Role
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli

BASE = "/api/v1/inventory/stocktakes"


async def _headers(world: World, who: Any) -> dict[str, str]:
    principal = world.shop.people[who] if isinstance(who, str) else who
    text, _ = await world.engine.accounts.create_token(principal, "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_stocktakes_over_http(world: World) -> None:
    w = await stocked(world)
    other = await person(world, Role.BRAND_ADMIN)
    op, admin, boss, zj, shop = [
        await _headers(world, x) for x in ("operator", "admin", other, "zj", "shop")]  # fmt: skip
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        bad_opens: tuple[Any, ...] = (
            {}, {"warehouse": ""}, {"warehouse": "MAIN", "mode": "guess"},
            {"warehouse": "MAIN", "gtins": ["123"]}, [1], "x",
            {"warehouse": "MAIN", "locations": ["nowhere"]})  # fmt: skip
        for bad in bad_opens:
            status, body = await call("POST", "", op, bad)
            assert 400 <= status < 500 and body["error"]["code"], bad
        status, body = await call("POST", "", zj, {"warehouse": "MAIN"})
        assert status == 403  # another organisation's warehouse
        status, made = await call("POST", "", op, {"warehouse": "MAIN", "blind": True})
        assert status == 201 and made["stocktake"]["status"] == "open" and made["blind"]
        sid = made["stocktake"]["id"]
        status, body = await call("POST", "", op, {"warehouse": "MAIN"})
        assert status == 409 and body["error"]["code"] == "stocktake_active"
        bad_lines: tuple[Any, ...] = (
            {"lines": [{"gtin": TEA, "quantity": -1}]}, {"lines": "x"},
            {"lines": [{"gtin": "09506000134352x", "quantity": 1}]},
            {"lines": [{"gtin": "00000000000000", "quantity": 1}]})  # fmt: skip
        for bad in bad_lines:
            status, body = await call("POST", f"/{sid}/count", op, bad)
            assert 400 <= status < 500, bad
        seven = {"lines": [{"gtin": TEA, "quantity": 7, "lot": "L1"}]}
        status, body = await call("POST", f"/{sid}/count", op, seven)
        assert status == 200 and body["stocktake"]["status"] == "counting"
        tea = next(x for x in body["lines"] if x["gtin"] == TEA)
        assert tea["counted"] == 7 and "expected_now" not in tea and "difference" not in tea
        status, body = await call("POST", f"/{sid}/scan", op,
                                  {"codes": world.shop.codes(WINE, 0, 3)})  # fmt: skip
        assert status == 200 and (body["added"], body["repeated"]) == (3, 0)
        status, body = await call("POST", f"/{sid}/scan", op, {"codes": ["junk"]})
        assert status == 400 and body["error"]["code"] == "item_unknown"
        status, body = await call("POST", f"/{sid}/submit", op, {"reason": ""})
        assert status == 400
        status, body = await call("POST", f"/{sid}/submit", op,
                                  {"reason": "季度盘点", "unit_costs": {TEA: 120}})  # fmt: skip
        assert status == 200 and body["stocktake"]["status"] == "submitted"
        status, body = await call("POST", f"/{sid}/approve", op, {})
        assert status == 403  # a factory operator holds no stock.approve
        status, body = await call("POST", f"/{sid}/approve", shop, {})
        assert status == 403
        status, view = await call("GET", f"/{sid}", admin)
        tea = next(x for x in view["lines"] if x["gtin"] == TEA)
        assert (tea["difference"], tea["value"]) == (-3, -360)  # approvers see the variance
        assert view["summary"]["loss_value"] == 360
        assert await on_hand(world, w) == {(TEA, "L1"): 10, (WINE, ""): 5}
        status, body = await call("POST", f"/{sid}/approve", boss, {"note": "ok"})
        assert status == 200 and body["stocktake"]["movements"] == 2
        assert await on_hand(world, w) == {(TEA, "L1"): 7, (WINE, ""): 5, (WINE, "L1"): 3}
        status, body = await call("POST", f"/{sid}/approve", boss, {})
        assert status == 409 and body["error"]["code"] == "stocktake_transition"
        status, listed = await call("GET", "?status=approved", admin)
        assert [s["id"] for s in listed["stocktakes"]] == [sid]
        status, body = await call("GET", "/999999", admin)
        assert status == 404 and body["error"]["code"] == "stocktake_not_found"
        # maker-checker: the admin who proposes cannot decide
        _, second = await call("POST", "", admin, {"warehouse": "MAIN"})
        sid2 = second["stocktake"]["id"]
        await call("POST", f"/{sid2}/count", admin, {"lines": []})
        await call("POST", f"/{sid2}/submit", admin, {"reason": "recount"})
        for verb, body in (("approve", {}), ("reject", {"reason": "no"})):
            status, got = await call("POST", f"/{sid2}/{verb}", admin, body)
            assert status == 403 and got["error"]["code"] == "stocktake_same_person"
        status, got = await call("POST", f"/{sid2}/reject", boss, {"reason": "数错了"})
        assert status == 200 and got["stocktake"]["status"] == "rejected"
        status, got = await call("POST", f"/{sid2}/close", admin)
        assert status == 200 and got["status"] == "closed"


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    root = json.loads(ok("users", "orgs", "root"))["id"]
    boss = json.loads(ok("users", "add", "boss@acme.example", "--name", "Boss", "--role",
                         "brand_admin", "--org", str(root)))["id"]  # fmt: skip
    ok("warehouses", "create", "WH1", "一号仓")
    ok("stock", "receive", "WH1", f"{TEA}:10:L1")
    sid = ok("stocktake", "open", "WH1", "--blind").split("\t")[0]
    assert "counted 9" in ok("stocktake", "count", sid, f"{TEA}:9:L1")
    shown = ok("stocktake", "show", sid)
    assert "blind" in shown and "expected" not in shown.split("\n", 2)[2]
    bad = run(cli, ["stocktake", "submit", sid, "--reason", " "])
    assert bad.exit_code != 0 and "[stocktake_invalid]" in bad.output
    ok("stocktake", "submit", sid, "--reason", "破损 broken", "--cost", f"{TEA}:250")
    same = run(cli, ["stocktake", "approve", sid])
    assert same.exit_code != 0 and "[stocktake_same_person]" in same.output
    assert "1 adjustment(s)" in ok("stocktake", "approve", sid, "--user", str(boss))
    body = json.loads(ok("stocktake", "show", sid, "--json"))
    assert body["stocktake"]["status"] == "approved" and body["summary"]["loss_value"] == 250
    assert f"\t{TEA}\tL1\t9\t0" in ok("stock", "balances", "WH1")
    assert sid in ok("stocktake", "list", "--status", "approved")
