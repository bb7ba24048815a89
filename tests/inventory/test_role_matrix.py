"""Every role against every inventory action over real HTTP, on both backends.

``EXPECTED`` is this test's own copy of which roles hold each inventory action, written
out independently of permissions.py on purpose (tests/accounts/test_permission_matrix.py
holds the same rows for the service-level check and points here for the HTTP half).
Every caller has a ``*`` token, so a refusal can only come from the role: denied is 403
``forbidden``; allowed is anything else (the service may still say 4xx about the input).
A dealer's calls act on its own organisation's warehouse (its scope), everyone else's on
the brand's; test_api.py checks that a dealer's scope refuses the others'."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.test_role_matrix import LETTERS, _callers
from tests.inventory.conftest import TEA, World
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/inventory"
EXPECTED = {
    "stock.view": "P B F D R",
    "stock.move": "P B F D R",
    "stock.manage": "P B D R",
    "stock.count": "P B F D R",
    "stock.approve": "P B D",
    "stock.inspect": "P B F",
}
#: the routes each action is tried on (the areas' own tests add theirs here)
ROUTES: dict[str, tuple[str, str, Any]] = {
    "stock.view": ("GET", "/stock", None),
    "stock.move": ("POST", "/warehouses/{w}/receive", {"lines": [{"gtin": TEA, "quantity": 1}]}),
    "stock.manage": ("POST", "/warehouses", {"code": "W2", "name": "二号仓"}),
}


async def test_every_role_against_every_inventory_action(world: World) -> None:
    people = await _callers(world.shop)
    assert set(LETTERS) == set(people)
    missing = set(EXPECTED) - set(ROUTES)
    assert missing <= {"stock.count", "stock.approve", "stock.inspect"}, missing
    own = {"D": (await world.warehouse_of("GD01")).code,
           "R": (await world.warehouse_of("GZ-R1")).code}  # fmt: skip
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await world.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            for action, (method, path, body) in ROUTES.items():
                url = BASE + path.format(w=own.get(letter, "MAIN")) + "?brand=acme"
                r = await c.request(method, url, headers=headers, json=body)
                got = await r.json()
                denied = r.status == 403 and got["error"]["code"] == "forbidden"
                if denied == (letter in EXPECTED[action].split()):
                    wrong.append(f"{letter} {action}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
