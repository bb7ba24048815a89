"""Saved report definitions over real HTTP, on both backends: personal until shared
(with a user or a role), run like the definition they hold, edited by their owner or a
manager who sees them; bad input is a 400/409 with its code that stores nothing; another
brand's or a hidden report is not found; a dealer is refused."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from veriseal import SYSTEM_PRINCIPAL, Principal, Role
from veriseal.server.app import Limits, make_app

SPEC = {"dimensions": ["province"], "measures": ["revenue", "units"], "period": "7d"}
BASE = "/api/v1/analytics/reports/saved"


async def staff(world: World, name: str, email: str) -> Principal:
    """Another brand admin of the shop's brand, reachable by e-mail."""
    e = world.shop.engine
    root = (await e.accounts.brand_org(world.shop.brand)).id
    user = await e.accounts.create_user(
        SYSTEM_PRINCIPAL, contact=email, display_name=name, role=Role.BRAND_ADMIN, org_id=root
    )
    world.shop.people[name] = await e.accounts.principal(user)
    return world.shop.people[name]


async def bearer(world: World, who: str, scopes: tuple[str, ...] = ("*",)) -> dict[str, str]:
    token, _ = await world.shop.engine.accounts.create_token(
        world.shop.people[who], "t", list(scopes)
    )
    return {"Authorization": f"Bearer {token}"}


async def count(world: World) -> tuple[int, int, int]:
    async with world.ctx.db.read() as tx:
        got = []
        for t in ("analytics_saved", "analytics_saved_shares", "analytics_saved_recipients"):
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {t}")
            got.append(int(row["n"]) if row else -1)
    return got[0], got[1], got[2]


async def test_saved_reports_are_personal_until_shared(world: World) -> None:
    await world.paid("gd", "440300", [(TEA, 4)])
    await world.paid("zj", "330100", [(WINE, 3)])
    await world.shop.drain()
    li = await staff(world, "li", "li@acme.example")
    await staff(world, "wang", "wang@acme.example")
    admin, li_h, wang_h = [await bearer(world, w) for w in ("admin", "li", "wang")]
    async with TestClient(TestServer(make_app(world.shop.engine, Limits(per_minute=0)))) as c:
        r = await c.post(BASE, headers=admin, json={"name": "华南周报", "spec": SPEC})
        assert r.status == 201, await r.text()
        saved: dict[str, Any] = await r.json()
        rid = saved["id"]
        assert saved["owner_id"] == world.shop.people["admin"].user_id
        assert saved["schedule"] == "" and saved["next_run_at"] is None
        # personal: li sees nothing of it, not even that it exists
        assert (await (await c.get(BASE, headers=li_h)).json())["reports"] == []
        r = await c.get(f"{BASE}/{rid}", headers=li_h)
        assert r.status == 404 and (await r.json())["error"]["code"] == "analytics_saved_not_found"
        assert (await c.post(f"{BASE}/{rid}/run", headers=li_h)).status == 404
        # shared with li: li sees and runs it, with the figures of the plain report
        r = await c.put(
            f"{BASE}/{rid}",
            headers=admin,
            json={"name": "华南周报", "spec": SPEC, "share_users": [li.user_id]},
        )
        assert r.status == 200, await r.text()
        assert [x["id"] for x in (await (await c.get(BASE, headers=li_h)).json())["reports"]] == [
            rid
        ]
        ran = await (await c.post(f"{BASE}/{rid}/run", headers=li_h)).json()
        plain = await (
            await c.post("/api/v1/analytics/reports/run", headers=admin, json={"spec": SPEC})
        ).json()
        assert ran["rows"] == plain["rows"] and {x["province"] for x in ran["rows"]} == {
            "CN-GD",
            "CN-ZJ",
        }
        assert (await c.get(f"{BASE}/{rid}", headers=wang_h)).status == 404
        # shared with the role: every brand admin sees it
        r = await c.put(
            f"{BASE}/{rid}",
            headers=admin,
            json={"name": "华南周报", "spec": SPEC, "share_roles": ["brand_admin"]},
        )
        assert r.status == 200
        assert (await c.get(f"{BASE}/{rid}", headers=wang_h)).status == 200
        assert (await c.get(f"{BASE}/{rid}", headers=li_h)).status == 200  # by role now
        # a token that holds analytics.view but not analytics.manage: sees, cannot edit
        view_only = await bearer(world, "wang", ("analytics.view",))
        r = await c.put(f"{BASE}/{rid}", headers=view_only, json={"name": "x", "spec": SPEC})
        assert r.status == 403
        # a manager who sees it edits it; the owner stays
        r = await c.put(
            f"{BASE}/{rid}",
            headers=wang_h,
            json={"name": "华南周报 v2", "spec": SPEC, "share_roles": ["brand_admin"]},
        )
        assert (
            r.status == 200 and (await r.json())["owner_id"] == world.shop.people["admin"].user_id
        )
        # a dealer is refused outright
        assert (await c.get(BASE, headers=await bearer(world, "gd"))).status == 403
        # delete: gone for everyone
        assert (await c.delete(f"{BASE}/{rid}", headers=admin)).status == 200
        assert (await c.get(f"{BASE}/{rid}", headers=wang_h)).status == 404
    assert await count(world) == (0, 0, 0)


async def test_bad_saves_are_refused_and_store_nothing(world: World) -> None:
    li = await staff(world, "li", "li@acme.example")
    admin = await bearer(world, "admin")
    gd = world.shop.people["gd"]
    async with TestClient(TestServer(make_app(world.shop.engine, Limits(per_minute=0)))) as c:
        r = await c.post(BASE, headers=admin, json={"name": "Monthly", "spec": SPEC})
        assert r.status == 201
        before = await count(world)
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"name": "Monthly", "spec": SPEC}, 409, "analytics_saved_exists"),
            ({"name": "", "spec": SPEC}, 400, "invalid_input"),
            ({"name": "x" * 81, "spec": SPEC}, 400, "invalid_input"),
            (
                {"name": "a", "spec": {**SPEC, "measures": ["profit"]}},
                400,
                "analytics_report_invalid",
            ),
            ({"name": "a", "spec": {**SPEC, "period": "forever"}}, 400, "analytics_period_invalid"),
            ({"name": "a", "spec": SPEC, "share_roles": ["ceo"]}, 400, "analytics_report_invalid"),
            (
                {"name": "a", "spec": SPEC, "share_users": [gd.user_id]},
                400,
                "analytics_report_invalid",
            ),  # a dealer cannot see analytics
            ({"name": "a", "spec": SPEC, "share_users": [987654]}, 400, "analytics_report_invalid"),
            (
                {"name": "a", "spec": SPEC, "schedule": "weekly", "recipients": [li.user_id]},
                400,
                "analytics_report_invalid",
            ),  # not shared with li
            ({"name": "a", "spec": SPEC, "schedule": "hourly"}, 400, "invalid_input"),
            ({"name": "a", "spec": SPEC, "format": "docx"}, 400, "invalid_input"),
            ({"name": "a", "spec": SPEC, "owner_id": 1}, 400, "invalid_input"),
            ({"name": "a", "spec": SPEC, "share_users": ["1 OR 1=1"]}, 400, "invalid_input"),
        ]
        for body, status, code in cases:
            r = await c.post(BASE, headers=admin, json=body)
            got = await r.json()
            assert (r.status, got["error"]["code"]) == (status, code), (body, got)
            assert "Traceback" not in str(got) and "sqlite" not in str(got).lower()
        r = await c.post(BASE, headers=admin, data=b"\xff{not json")
        assert r.status == 400
        assert await count(world) == before
