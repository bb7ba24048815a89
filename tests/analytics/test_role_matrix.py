"""Every role against every analytics action over real HTTP, on both backends.

``EXPECTED`` is this test's own copy of which roles hold each analytics action, written
out independently of permissions.py on purpose (tests/accounts/test_permission_matrix.py
holds the same rows for the service-level check and points here for the HTTP half).
Every caller has a ``*`` token, so a refusal can only come from the role: denied is 403
``forbidden``; allowed is anything else. A dealer asking for another organisation's
suggestions is refused too (test_suggest.py), so the dealers ask for their own here."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.analytics.conftest import World
from tests.commerce.test_role_matrix import LETTERS, _callers
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/analytics"
EXPECTED = {
    "analytics.view": "P B",
    "analytics.manage": "P B",
    "analytics.suggest": "P B D R",
    "analytics.export": "P B",
}
#: the routes each action is tried on ("{org}": the caller's own organisation)
ROUTES: dict[str, list[tuple[str, str, Any]]] = {
    "analytics.view": [
        ("GET", "/sales", None),
        ("GET", "/sales/top?by=product", None),
        ("GET", "/sales/trend", None),
        ("GET", "/suggestions/evaluation", None),
        ("POST", "/reports/run", {"spec": {"dimensions": ["product"]}}),
        ("GET", "/reports/saved", None),
        ("POST", "/reports/saved", {"name": "x", "spec": {"dimensions": ["product"]}}),
        ("GET", "/reports/saved/999999", None),
        ("PUT", "/reports/saved/999999", {"name": "x", "spec": {}}),
        ("DELETE", "/reports/saved/999999", None),
        ("POST", "/reports/saved/999999/run", None),
        ("GET", "/scans", None),
        ("GET", "/scans/top?by=hour", None),
        ("GET", "/scans/trend", None),
        ("GET", "/scans/delay", None),
        ("GET", "/stock", None),
        ("GET", "/stock/top?by=warehouse", None),
        ("GET", "/stock/trend", None),
        ("GET", "/market?metric=market_size", None),
        ("GET", "/trends", None),
        ("GET", "/dealers/behaviour", None),
        ("GET", "/dealers/segments", None),
        ("GET", "/consumers/behaviour", None),
    ],
    "analytics.manage": [
        ("POST", "/rollups/rebuild", {"check": True}),
        ("POST", "/scans/rebuild", {"check": True}),
        ("POST", "/stock/rebuild", {"check": True}),
        ("POST", "/market/import", None),
    ],
    "analytics.export": [("GET", "/exports", None), ("GET", "/exports/999999", None)],
    "analytics.suggest": [("GET", "/suggestions?dealer={org}", None)],
}


async def test_every_role_against_every_analytics_action(world: World) -> None:
    people = await _callers(world.shop)
    assert set(LETTERS) == set(people)
    assert set(ROUTES) == set(EXPECTED)
    wrong: list[str] = []
    dealer = world.shop.orgs["GD01"]
    async with TestClient(TestServer(make_app(world.shop.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await world.shop.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            org = who.org.id if who.org is not None and who.org.brand_id else dealer
            for action, routes in ROUTES.items():
                for method, path, body in routes:
                    sep = "&" if "?" in path else "?"
                    url = f"{BASE}{path.format(org=org)}{sep}brand={world.shop.brand.slug}"
                    r = await c.request(method, url, headers=headers, json=body)
                    got = await r.json()
                    denied = r.status == 403 and got["error"]["code"] == "forbidden"
                    if denied == (letter in EXPECTED[action].split()):
                        wrong.append(f"{letter} {action} {method} {path}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
