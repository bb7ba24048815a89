"""Every role against every safety-stock / replenishment route over real HTTP, on both
backends. ``EXPECTED`` is this test's own copy of which roles hold the action of each
route, written out independently of permissions.py on purpose. Each caller acts on a
warehouse in its own scope (a dealer: its own; others: the brand's), with a ``*`` token,
so a refusal can only come from the role: denied is 403 ``forbidden``; allowed is
anything else."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.inventory.conftest import TEA, World
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/inventory/stock"
VIEW, MANAGE = "P B F D R", "P B D R"
#: (method, path, body) -> the roles allowed; {w} is the caller's warehouse
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/settings?warehouse={w}"): VIEW,
    ("PUT", "/settings"): MANAGE,
    ("DELETE", f"/settings?gtin={TEA}&warehouse={{w}}"): MANAGE,
    ("GET", "/alerts?warehouse={w}"): VIEW,
    ("GET", "/overview?warehouse={w}"): VIEW,
    ("GET", "/replenishment?warehouse={w}&all=true"): VIEW,
}
LETTERS = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip


async def _callers(world: World) -> dict[str, Principal]:
    engine, shop = world.engine, world.shop
    root = (await engine.accounts.brand_org(shop.brand)).id
    people = {"B": shop.people["admin"], "F": shop.people["operator"],
              "D": shop.people["gd"], "R": shop.people["shop"]}  # fmt: skip
    for n, (letter, org) in enumerate((("P", None), ("I", root), ("C", None)), 30):
        user = await engine.accounts.create_user(
            SYSTEM, contact=f"1373333{n:04d}", display_name=letter, role=LETTERS[letter],
            org_id=org,
        )  # fmt: skip
        people[letter] = await engine.accounts.principal(user)
    return people


async def test_every_role_against_every_alerts_route(world: World) -> None:
    people = await _callers(world)
    own = {"D": (await world.warehouse_of("GD01")).code,
           "R": (await world.warehouse_of("GZ-R1")).code}  # fmt: skip
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await world.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            w = own.get(letter, world.main.code)
            for (method, path), allowed in EXPECTED.items():
                body: Any = None
                if method == "PUT":
                    body = {"gtin": TEA, "warehouse": w, "safety_stock": 1}
                sep = "&" if "?" in path else "?"
                url = f"{BASE}{path.format(w=w)}{sep}brand=acme"
                r = await c.request(method, url, headers=headers, json=body)
                got = await r.json()
                denied = r.status == 403 and got["error"]["code"] == "forbidden"
                if denied == (letter in allowed.split()) or r.status >= 500:
                    wrong.append(f"{letter} {method} {path}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
