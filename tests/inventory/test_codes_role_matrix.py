"""Every role against every code-tracked stock endpoint over real HTTP, on both
backends. ``EXPECTED`` is this test's own copy of which roles hold each action, written
out independently of permissions.py on purpose. Each caller acts on a warehouse of its
own organisation (brand staff: MAIN; a dealer: its default warehouse), so a refusal can
only come from the role: denied is 403 ``forbidden``; allowed is anything else (the
service may still say 4xx about the input)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import World
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/inventory"
EXPECTED = {
    "receive-codes": "P B F D R",  # stock.move
    "issue-codes": "P B F D R",  # stock.move
    "where": "P B F D R",  # stock.view
    "code-alerts": "P B F D R",  # stock.view
    "close": "P B D R",  # stock.manage
}
LETTERS = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip


async def _callers(w: World) -> dict[str, tuple[Principal, str]]:
    """Each role's principal and the code of a warehouse of its own organisation."""
    root = (await w.engine.accounts.brand_org(w.shop.brand)).id
    people = {"B": (w.shop.people["admin"], "MAIN"), "F": (w.shop.people["operator"], "MAIN"),
              "D": (w.shop.people["gd"], (await w.warehouse_of("GD01")).code),
              "R": (w.shop.people["shop"], (await w.warehouse_of("GZ-R1")).code)}  # fmt: skip
    for n, (letter, org) in enumerate((("P", None), ("I", root), ("C", None)), 30):
        user = await w.engine.accounts.create_user(
            SYSTEM, contact=f"1373333{n:04d}", display_name=letter, role=LETTERS[letter],
            org_id=org,
        )  # fmt: skip
        people[letter] = (await w.engine.accounts.principal(user), "MAIN")
    return people


async def test_every_role_against_every_code_endpoint(world: World) -> None:
    w = world
    code = w.shop.codes(next(iter(w.shop.batches)), 1, 1)[0]
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(w.engine, Limits(per_minute=0)))) as c:
        for letter, (who, home) in (await _callers(w)).items():
            routes: dict[str, tuple[str, str, Any]] = {
                "receive-codes": ("POST", f"/warehouses/{home}/receive-codes",
                                  {"codes": ["not a code"]}),
                "issue-codes": ("POST", f"/warehouses/{home}/issue-codes", {"codes": [code]}),
                "where": ("GET", f"/codes/where?code={code}&", None),
                "code-alerts": ("GET", "/code-alerts?", None),
                "close": ("POST", "/code-alerts/999999/close", {"note": "x"}),
            }  # fmt: skip
            assert set(routes) == set(EXPECTED)
            token, _ = await w.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            for name, (method, path, body) in routes.items():
                sep = "&" if "?" in path else "?"
                url = f"{BASE}{path}{'' if path.endswith(('?', '&')) else sep}brand=acme"
                r = await c.request(method, url, headers=headers, json=body)
                got = await r.json()
                denied = r.status == 403 and got["error"]["code"] == "forbidden"
                if denied == (letter in EXPECTED[name].split()) or r.status >= 500:
                    wrong.append(f"{letter} {name}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
