"""Every role against the outbound sheet routes over real HTTP, on both backends, with
the role matrix's own rows (tests/inventory/test_role_matrix.py's EXPECTED): a role
without the action gets 403 ``forbidden``; a role with it gets past the gate (here an
empty list, a 404 for a sheet that does not exist, or a created sheet)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.commerce.test_role_matrix import LETTERS, _callers
from tests.inventory.conftest import TEA, World
from tests.inventory.test_role_matrix import EXPECTED
from veriseal.server.app import Limits, make_app

BASE = "/api/v1/inventory/outbound"


async def test_every_role_against_the_outbound_routes(world: World) -> None:
    people = await _callers(world.shop)
    assert set(LETTERS) == set(people)
    own = {"D": (await world.warehouse_of("GD01")).code,
           "R": (await world.warehouse_of("GZ-R1")).code}  # fmt: skip
    wrong: list[str] = []
    async with TestClient(TestServer(make_app(world.engine, Limits(per_minute=0)))) as c:
        for letter, who in people.items():
            token, _ = await world.engine.accounts.create_token(who, "t", ["*"])
            headers = {"Authorization": f"Bearer {token}"}
            body = {"warehouse": own.get(letter, "MAIN"), "consignee": {"name": "某酒店"},
                    "lines": [{"gtin": TEA, "quantity": 1}]}  # fmt: skip
            routes: list[tuple[str, str, str, Any]] = [
                ("stock.view", "GET", "", None),
                ("stock.view", "GET", "/OUT20000101-0001", None),
                ("stock.move", "POST", "", body),
                ("stock.move", "POST", "/OUT20000101-0001/issue", {}),
                ("stock.move", "POST", "/OUT20000101-0001/receive", None),
            ]
            for action, method, path, payload in routes:
                r = await c.request(method, f"{BASE}{path}?brand=acme", headers=headers,
                                    json=payload)  # fmt: skip
                got = await r.json()
                denied = r.status == 403 and got["error"]["code"] == "forbidden"
                if denied == (letter in EXPECTED[action].split()) or r.status >= 500:
                    wrong.append(f"{letter} {method} {path}: {r.status} {got}")
    assert wrong == [], "\n".join(wrong)
