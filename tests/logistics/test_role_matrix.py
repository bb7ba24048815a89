"""Every role against every logistics action over real HTTP, on both backends.

``EXPECTED`` is this test's own copy of which roles hold each logistics action, written
out independently of permissions.py on purpose (tests/accounts/test_permission_matrix.py
holds the same rows for the service-level check and points here for the HTTP half).
Every caller has a ``*`` token, so a refusal can only come from the role: denied is 403
``forbidden``; allowed is anything else (the service may still say 4xx about the input).
test_api.py checks that a dealer's scope refuses waybills that are not its own."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.test_role_matrix import LETTERS, _callers
from tests.logistics.conftest import World
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/logistics"
EXPECTED = {
    "logistics.view": "P B F D R",
    "logistics.manage": "P B F D",
    "logistics.configure": "P B",
}
WAYBILL = {"carrier": "shunfeng", "tracking_no": "SF5001", "origin": "深圳", "destination": "广州"}
#: the routes each action is tried on
ROUTES: dict[str, list[tuple[str, str, Any]]] = {
    "logistics.view": [
        ("GET", "/waybills", None),
        ("GET", "/alerts", None),
        ("GET", "/performance", None),
    ],
    "logistics.manage": [("POST", "/waybills", WAYBILL)],
    "logistics.configure": [
        ("GET", "/settings", None),
        ("PUT", "/settings", {"stall_default_hours": 30}),
    ],
}


async def test_every_role_against_every_logistics_action(world: World) -> None:
    people = await _callers(world.shop)
    assert set(LETTERS) == set(people)
    assert set(ROUTES) == set(EXPECTED)
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await world.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            for action, routes in ROUTES.items():
                for method, path, body in routes:
                    url = f"{BASE}{path}?brand={world.shop.brand.slug}"
                    r = await c.request(method, url, headers=headers, json=body)
                    got = await r.json()
                    denied = r.status == 403 and got["error"]["code"] == "forbidden"
                    if denied == (letter in EXPECTED[action].split()):
                        wrong.append(f"{letter} {action} {method} {path}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
