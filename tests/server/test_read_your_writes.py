"""Read-your-writes over HTTP: what a POST acknowledged, the client's next GET sees.

Concurrent clients create users (and tokens for them) on a real server over each
backend and read every one back at once; not one may be answered 404 or 500.
"""

from __future__ import annotations

import asyncio

from .conftest import Api

CYCLES = 100
CLIENTS = 4


async def test_created_users_and_tokens_are_read_back(api: Api) -> None:
    root = await api.engine.accounts.brand_org(await api.engine.brand(None))
    token = api.brand_admin_token
    misses: list[str] = []

    async def cycle(n: int) -> None:
        body = {"contact": f"inspector{n}@demo.example", "display_name": f"Inspector {n}",
                "role": "inspector", "org_id": root.id}  # fmt: skip
        status, user = await api.call("POST", "/api/v1/users", token, json=body)
        if status != 201:
            misses.append(f"create {n}: {status} {user}")
            return
        status, got = await api.call("GET", f"/api/v1/users/{user['id']}", token)
        if status != 200 or got["id"] != user["id"]:
            misses.append(f"read {n}: {status} {got}")
        status, made = await api.call(
            "POST", "/api/v1/tokens", token, json={"name": "t", "user_id": user["id"]}
        )
        if status != 201:
            misses.append(f"token {n}: {status} {made}")

    async def client(first: int) -> None:
        for n in range(first, CYCLES, CLIENTS):
            await cycle(n)

    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    assert misses == [], f"{len(misses)} of {CYCLES} cycles missed: {misses[:5]}"
