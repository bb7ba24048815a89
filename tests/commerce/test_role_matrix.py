"""Every role against every commerce action over real HTTP, on both backends.

``EXPECTED`` is this test's own copy of which roles hold each commerce action, written
out independently of permissions.py on purpose (tests/accounts/test_permission_matrix.py
holds the same rows for the service-level check and points here for the HTTP half).
Every caller has a ``*`` token, so a refusal can only come from the role: denied is 403
``forbidden``; allowed is anything else (the service may still say 4xx about the input).
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.conftest import TEA, Shop
from tests.commerce.orders_world import priced
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal.server.app import Limits, make_app
from veriseal_commerce.orders import OrderRequest

BASE = "/api/v1/commerce"
EXPECTED = {
    "prices.manage": "P B",
    "prices.view": "P B D R",
    "orders.place": "D R",
    "orders.review": "P B",
    "orders.fulfil": "P B F",
    "payments.confirm": "P B",
}
LETTERS = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip
ORDER = {"lines": [{"gtin": TEA, "quantity": 1}], "region": "440100", "address": "广州市1号"}


async def _callers(shop: Shop) -> dict[str, Principal]:
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    people = {"B": shop.people["admin"], "F": shop.people["operator"],
              "D": shop.people["gd"], "R": shop.people["shop"]}  # fmt: skip
    for n, (letter, org) in enumerate((("P", None), ("I", root), ("C", None)), 20):
        user = await shop.engine.accounts.create_user(
            SYSTEM, contact=f"1372222{n:04d}", display_name=letter, role=LETTERS[letter],
            org_id=org,
        )  # fmt: skip
        people[letter] = await shop.engine.accounts.principal(user)
    return people


async def test_every_role_against_every_commerce_action(shop: Shop) -> None:
    await priced(shop)
    people = await _callers(shop)
    request = OrderRequest([(TEA, 1)], "440100", "广州市1号")
    draft = (await shop.c.orders.create(shop.people["gd"], shop.brand, request)).order_no
    routes: dict[str, tuple[str, str, Any]] = {
        "prices.manage": ("GET", "/prices/lists", None),
        "prices.view": ("POST", "/quote", {"lines": ORDER["lines"], "region": "440100"}),
        "orders.place": ("POST", "/orders", ORDER),
        "orders.review": ("POST", f"/orders/{draft}/approve", {}),
        "orders.fulfil": ("POST", f"/orders/{draft}/fulfil", {"codes": ["X"]}),
        "payments.confirm": ("GET", "/payments/transfers", None),
    }
    assert set(routes) == set(EXPECTED)
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(shop.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await shop.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            for action, (method, path, body) in routes.items():
                r = await c.request(method, f"{BASE}{path}?brand=acme", headers=headers,
                                    json=body)  # fmt: skip
                got = await r.json()
                denied = r.status == 403 and got["error"]["code"] == "forbidden"
                if denied == (letter in EXPECTED[action].split()):
                    wrong.append(f"{letter} {action}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
