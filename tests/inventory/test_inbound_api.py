"""Inbound receipts over real loopback HTTP with API tokens, on both backends: receive
into quarantine, read the plan, decide, release; bad input of any shape is a 4xx with a
code that changes nothing; every role against every inbound endpoint.

Expected plans are typed from the published level II table (see test_sampling.py):
lot 281-500 is H (n 50), at AQL 1.0 Ac 1 / Re 2; at AQL 0.65 an arrow down to J
(n 80), Ac 1 / Re 2."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import TEA, WINE, World
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.server.app import Limits, make_app
from veriseal_inventory.models import StockLine

BASE = "/api/v1/inventory"
#: this test's own copy of who holds each action (independent of permissions.py)
EXPECTED = {
    "stock.view": "P B F D R",
    "stock.move": "P B F D R",
    "stock.manage": "P B D R",
    "stock.inspect": "P B F",
}
LETTERS = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip


async def _headers(p: Principal, w: World) -> dict[str, str]:
    text, _ = await w.engine.accounts.create_token(p, "t", ["*"])
    return {"Authorization": f"Bearer {text}"}


async def test_inbound_over_http(world: World) -> None:
    w = world
    admin, operator, gd = [await _headers(w.shop.people[x], w) for x in ("admin", "operator", "gd")]
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:

        async def call(method: str, path: str, h: dict[str, str], body: Any = None) -> Any:
            r = await c.request(method, BASE + path, headers=h, json=body)
            return r.status, await r.json()

        status, s = await call("PUT", f"/inspection-settings/{TEA}", admin,
                               {"required": True, "aql": "1.0"})  # fmt: skip
        assert status == 200 and (s["required"], s["aql"], s["level"]) == (True, "1.0", "II")
        status, body = await call("PUT", f"/inspection-settings/{TEA}", gd, {"required": False})
        assert status == 403
        new: dict[str, Any] = {"warehouse": "MAIN", "supplier": "茶厂",
               "lines": [{"gtin": TEA, "quantity": 400, "lot": "L9"},
                         {"gtin": WINE, "quantity": 6}]}  # fmt: skip
        bad: Any
        for bad in ({}, {**new, "lines": []}, {**new, "lines": [{"gtin": TEA, "quantity": 0}]},
                    {**new, "lines": [{"gtin": "123", "quantity": 1}]},
                    {**new, "warehouse": "NOPE"}, {**new, "warehouse": "³²7"},
                    {**new, "supplier": "x" * 201},
                    {**new, "lines": [{"gtin": "09506000134376", "quantity": 1}]},
                    [1, 2], "x"):  # fmt: skip
            status, body = await call("POST", "/inbound", admin, bad)
            assert 400 <= status < 500 and body["error"]["code"], bad
        status, body = await call("GET", "/inbound", admin)
        assert status == 200 and body["receipts"] == []

        status, r = await call("POST", "/inbound", admin, new)
        assert status == 201 and r["status"] == "open"
        no = r["receipt_no"]
        assert [x["status"] for x in r["lines"]] == ["awaiting", "awaiting"]
        status, p = await call("GET", f"/inbound/{no}/lines/1/plan", admin)
        assert status == 200 and (p["code_letter"], p["sample_size"], p["accept"],
                                  p["reject"]) == ("H", 50, 1, 2)  # fmt: skip
        status, p = await call("GET", f"/inbound/{no}/lines/1/plan?aql=0.65", admin)
        assert (p["table_letter"], p["code_letter"], p["sample_size"]) == ("H", "J", 80)
        status, body = await call("GET", f"/inbound/{no}/lines/1/plan?aql=0.3", admin)
        assert status == 400
        status, body = await call("GET", f"/inbound/{no}/lines/9/plan", admin)
        assert status == 404 and body["error"]["code"] == "inbound_not_found"
        # WINE needs no inspection: released on its own
        status, r = await call("POST", f"/inbound/{no}/release", admin, {})
        assert status == 200 and [x["status"] for x in r["lines"]] == ["awaiting", "released"]
        status, body = await call("POST", f"/inbound/{no}/release", admin, {})
        assert status == 409 and body["error"]["code"] == "inbound_state"
        # decisions: refused ones change nothing
        path = f"/inbound/{no}/lines/1/inspection"
        for bad, code in (({"decision": "accept_all", "defects": 2}, "inbound_invalid"),
                          ({"decision": "reject_all", "defects": 2}, "inbound_invalid"),
                          ({"decision": "accept_part", "defects": 2, "accepted": 1,
                            "rejected": 1, "reason": "r"}, "inbound_invalid"),
                          ({"decision": "maybe", "defects": 0}, None),
                          ({"decision": "accept_all", "defects": -1}, None),
                          ({"decision": "accept_all", "defects": 51}, "inbound_invalid"),
                          ):  # fmt: skip
            status, body = await call("POST", path, operator, bad)
            assert 400 <= status < 500, bad
            assert code is None or body["error"]["code"] == code, (bad, body)
        status, body = await call("POST", path, gd, {"decision": "accept_all", "defects": 0})
        assert status == 403
        status, r = await call("GET", f"/inbound/{no}", admin)
        assert r["lines"][0]["inspection"] is None
        status, r = await call("POST", path, operator,
                               {"decision": "accept_part", "defects": 3, "accepted": 380,
                                "rejected": 20, "reason": "受潮 damp"})  # fmt: skip
        assert status == 200 and r["status"] == "done"
        x = r["lines"][0]["inspection"]
        got = [x[k] for k in ("decision", "sample_size", "accept", "reject", "outcome",
                              "accepted", "rejected")]  # fmt: skip
        assert got == ["accept_part", 50, 1, 2, "reject", 380, 20]
        status, body = await call("POST", path, operator, {"decision": "accept_all", "defects": 0})
        assert status == 409 and body["error"]["code"] == "inbound_state"
        status, levels = await call("GET", f"/stock?gtin={TEA}&warehouse=MAIN", admin)
        lv = levels["levels"][0]
        assert (lv["sellable"], lv["quarantine"], lv["rejected"]) == (380, 0, 20)
        status, body = await call("GET", "/inbound?status=done", gd)
        assert status == 200 and body["receipts"] == []  # MAIN is not the dealer's
        status, body = await call("GET", "/inbound?status=done", admin)
        assert [r["receipt_no"] for r in body["receipts"]] == [no]
        status, body = await call("GET", "/inspection-settings", admin)
        assert [s["gtin"] for s in body["settings"]] == [TEA]


async def _callers(w: World) -> dict[str, Principal]:
    root = (await w.engine.accounts.brand_org(w.shop.brand)).id
    people = {"B": w.shop.people["admin"], "F": w.shop.people["operator"],
              "D": w.shop.people["gd"], "R": w.shop.people["shop"]}  # fmt: skip
    for n, (letter, org) in enumerate((("P", None), ("I", root), ("C", None)), 30):
        user = await w.engine.accounts.create_user(
            SYSTEM, contact=f"1373333{n:04d}", display_name=letter, role=LETTERS[letter],
            org_id=org,
        )  # fmt: skip
        people[letter] = await w.engine.accounts.principal(user)
    return people


async def test_every_role_against_every_inbound_endpoint(world: World) -> None:
    """Each caller acts on a receipt of a warehouse in its own scope (dealers: their
    own), so a refusal can only come from the role: denied is 403 ``forbidden``."""
    w = world
    people = await _callers(w)
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            h = await _headers(who, w)
            q = "?brand=acme" if letter == "P" else ""
            own = {"D": "GD01", "R": "GZ-R1"}.get(letter)
            wh = (await w.warehouse_of(own)).code if own else "MAIN"
            made = await w.inv.inbound.receive(SYSTEM, w.shop.brand, wh, [StockLine(TEA, 2)])
            no = made.receipt.receipt_no
            routes: dict[str, list[tuple[str, str, Any]]] = {
                "stock.view": [("GET", f"/inbound{q}", None), ("GET", f"/inbound/{no}{q}", None),
                               ("GET", f"/inbound/{no}/lines/1/plan{q}", None),
                               ("GET", f"/inspection-settings{q}", None)],
                "stock.move": [("POST", f"/inbound{q}", {"warehouse": wh, "lines": [
                                   {"gtin": TEA, "quantity": 1}]}),
                               ("POST", f"/inbound/{no}/release{q}", {})],
                "stock.inspect": [("POST", f"/inbound/{no}/lines/1/inspection{q}",
                                   {"decision": "accept_all", "defects": 0})],
                "stock.manage": [("PUT", f"/inspection-settings/{WINE}{q}",
                                  {"required": False})],
            }  # fmt: skip
            for action, calls in routes.items():
                for method, path, body in calls:
                    r = await c.request(method, BASE + path, headers=h, json=body)
                    allowed = letter in EXPECTED[action].split()
                    if action == "stock.manage" and letter in "DR":
                        allowed = False  # product settings: brand staff only (the org)
                    if allowed:
                        assert r.status not in (401, 403), (letter, method, path, r.status)
                    else:
                        assert r.status == 403, (letter, method, path, r.status)
