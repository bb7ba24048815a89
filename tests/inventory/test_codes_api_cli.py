"""Code-tracked stock over real loopback HTTP with API tokens (both backends), and the
``veriseal stock receive-codes|issue-codes|where|code-alerts|close-alert`` commands on a
fresh ledger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from tests.inventory.codes_world import pack
from tests.inventory.conftest import TEA, World
from veriseal.server.app import Limits, make_app
from veriseal_cli.main import cli

BASE = "/api/v1/inventory"


async def _headers(w: World, who: str) -> dict[str, str]:
    text, _ = await w.engine.accounts.create_token(w.shop.people[who], "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_codes_over_http(world: World) -> None:
    w = world
    admin, gd, zj = [await _headers(w, p) for p in ("admin", "gd", "zj")]
    batch = w.shop.batches[TEA].id
    case = await pack(w, 1, 0, 24)
    gd_home = await w.warehouse_of("GD01")
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        first = {"codes": [case], "document": "GRN-1", "client_id": "a1"}
        status, done = await call("POST", "/warehouses/MAIN/receive-codes", admin, first)
        assert status == 201 and (done["units"], done["ranges"]) == (24, f"{batch}:0-23")
        status, again = await call("POST", "/warehouses/MAIN/receive-codes", admin, first)
        assert status == 201 and again["replayed"] and again["movements"] == done["movements"]
        bads: list[Any] = [
            {},
            {"codes": []},
            {"codes": ["x" * 5000]},
            {"codes": "abc"},
            {"codes": ["not a code"]},
            {"codes": [case], "document": "d" * 65},
        ]
        for bad in bads:
            status, body = await call("POST", "/warehouses/MAIN/receive-codes", admin, bad)
            assert 400 <= status < 500 and body["error"]["code"], bad
        # a dealer may not receive into the brand's warehouse, nor into another dealer's
        status, _ = await call("POST", "/warehouses/MAIN/receive-codes", gd, {"codes": [case]})
        assert status == 403
        # GD01 scans in an item of the case: 409, and the alert is there afterwards
        item = w.shop.codes(TEA, 3, 1)
        status, body = await call("POST", f"/warehouses/{gd_home.code}/receive-codes", gd,
                                  {"codes": item, "document": "GD-7"})  # fmt: skip
        assert status == 409 and body["error"]["code"] == "stock_duplicate_code"
        status, listed = await call("GET", "/code-alerts?status=open", gd)
        assert status == 200 and [a["units"] for a in listed["alerts"]] == [f"{batch}:3"]
        status, listed = await call("GET", "/code-alerts", zj)
        assert status == 200 and listed["alerts"] == []
        status, found = await call("GET", f"/codes/where?code={item[0]}", admin)
        assert status == 200 and [h["warehouse"] for h in found["held"]] == ["MAIN"]
        status, found = await call("GET", f"/codes/where?code={item[0]}", gd)
        assert status == 200 and [h["warehouse"] for h in found["held"]] == [None]  # not its
        status, body = await call("POST", f"/warehouses/{gd_home.code}/issue-codes", gd,
                                  {"codes": item})  # fmt: skip
        assert status == 409 and body["error"]["code"] == "stock_not_here"
        status, out = await call("POST", "/warehouses/MAIN/issue-codes", admin,
                                 {"codes": item, "document": "OUT-1"})  # fmt: skip
        assert status == 201 and out["units"] == 1
        alert_id = listed_id = (await call("GET", "/code-alerts", admin))[1]["alerts"][0]["id"]
        status, _ = await call("POST", f"/code-alerts/{alert_id}/close", zj, {"note": "x"})
        assert status == 403
        status, closed = await call("POST", f"/code-alerts/{listed_id}/close", gd,
                                    {"note": "scanned by mistake"})  # fmt: skip
        assert status == 200 and closed["status"] == "closed"
        status, _ = await call("POST", "/code-alerts/999999/close", admin, {"note": "x"})
        assert status == 404


def test_codes_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke

    def ok(*args: str) -> str:
        result = run(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    ok("init", "--brand", "acme", "--name", "Acme Tea", "--resolver", "id.acme.example")
    ok("product", "add", "--gtin", TEA, "--name", "Green tea", "--category", "Beverages/Tea")
    ok("batch", "create", "--product", TEA, "--lot", "L1", "--size", "100")
    ok("batch", "codes", "1", "--format", "uri", "--to", "9", "-o", "codes.txt")
    codes = (tmp_path / "codes.txt").read_text().split()
    ok("warehouses", "create", "MAIN", "Main warehouse")  # the brand's first: its default
    ok("warehouses", "create", "W2", "Second warehouse")
    got = ok("stock", "receive-codes", "MAIN", "--file", "codes.txt", "--document", "GRN-1")
    assert "10 unit(s)" in got and "1:0-9" in got
    dup = run(cli, ["stock", "receive-codes", "W2", codes[4]])
    assert dup.exit_code != 0 and "[stock_duplicate_code]" in dup.output and "MAIN" in dup.output
    assert "MAIN/main" in ok("stock", "where", codes[4])
    alerts = json.loads(ok("stock", "code-alerts", "--json"))
    assert [(a["kind"], a["units"]) for a in alerts] == [("duplicate_code", "1:4")]
    assert "closed" in ok("stock", "close-alert", str(alerts[0]["id"]), "test scan")
    not_here = run(cli, ["stock", "issue-codes", "W2", codes[0]])
    assert not_here.exit_code != 0 and "[stock_not_here]" in not_here.output
    assert "2 unit(s)" in ok("stock", "issue-codes", "MAIN", codes[0], codes[1])
    assert "not in stock" in ok("stock", "where", codes[0])
    assert "sellable" in ok("stock", "levels") and "\t8\t" in ok("stock", "levels")


async def test_a_warehouse_named_by_other_digits_is_not_found(world: World) -> None:
    """ "²" passes str.isdigit() but is no id: a 404, never a 500 (found by the API fuzz)."""
    admin = await _headers(world, "admin")
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        for ref in ("%C2%B2", "%D9%A1"):  # superscript two, Arabic-Indic one
            r = await c.post(f"{BASE}/warehouses/{ref}/issue-codes", headers=admin,
                             json={"codes": ["x"]})  # fmt: skip
            assert r.status == 404 and (await r.json())["error"]["code"] == "warehouse_not_found"
