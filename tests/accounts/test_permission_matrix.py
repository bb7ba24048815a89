"""Every role against every protected action.

``EXPECTED`` is written out here independently of ``permissions.MATRIX`` on purpose: a
change to the security model must change both. Two layers are checked:

1. the service-level check (``require``) for every action, with targets in the actor's
   own brand / subtree, so a refusal can only come from the role;
2. the JSON API, over real HTTP on loopback against both ledger backends, for every
   action an endpoint exposes today: denied means 403 ``forbidden``, allowed means
   anything but 401/403.

The actions are the registry's after the bundled plugins have loaded, so an action a
plugin registers (``territory.grant``) needs its row here too.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from veriseal.accounts.models import SYSTEM, OrgKind, Principal, Role
from veriseal.accounts.permissions import Action, actions, require
from veriseal.catalog.batches import BatchRequest
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.catalog.products import make_product
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal.extend.manager import BUNDLED, load
from veriseal.models import AlertKind, NewAlert
from veriseal.server import make_app
from veriseal.server.app import Limits

load(BUNDLED)  # the plugins' actions join the registry (as when an engine opens)
ALL_ACTIONS = actions()
ALL = "P B F D R I C"
EXPECTED: dict[Action, str] = {
    Action.USERS_MANAGE: "P B",
    Action.USERS_VIEW: "P B D",
    Action.ORGS_MANAGE: "P B D",
    Action.ORGS_VIEW: "P B D R",
    Action.AUDIT_READ: "P B",
    Action.KYC_SUBMIT: ALL,
    Action.KYC_REVIEW: "P B",
    Action.TOKENS_OWN: ALL,
    Action.PROFILE_OWN: ALL,
    Action.CATALOGUE_WRITE: "P B",
    Action.CATALOGUE_READ: "P B D R",
    Action.BATCHES_WRITE: "P B",
    Action.KEYS_MANAGE: "P B",
    Action.LINE_OPERATE: "P B F",
    Action.SCANS_RECORD: "P B F D R I",
    Action.SCANS_READ: "P B I",
    Action.ALERTS_READ: "P B I",
    Action.ALERTS_MANAGE: "P B",
    Action.NOTIFY_BROADCAST: "P B",
    Action.MESSAGES_OWN: ALL,
    Action.SCANS_OWN: ALL,
    Action.REPORTS_FILE: ALL,
    Action("territory.grant"): "P B",  # the territories plugin's
    # the commerce plugin's
    Action("prices.manage"): "P B",
    Action("prices.view"): "P B D R",
    Action("orders.place"): "D R",
    Action("orders.review"): "P B",
    Action("orders.fulfil"): "P B F",
    Action("payments.confirm"): "P B",
    # the inventory plugin's
    Action("stock.view"): "P B F D R",
    Action("stock.move"): "P B F D R",
    Action("stock.manage"): "P B D R",
    Action("stock.count"): "P B F D R",
    Action("stock.approve"): "P B D",
    Action("stock.inspect"): "P B F",
    # the logistics plugin's
    Action("logistics.view"): "P B F D R",
    Action("logistics.manage"): "P B F D",
    Action("logistics.configure"): "P B",
    # the analytics plugin's
    Action("analytics.view"): "P B",
    Action("analytics.export"): "P B",
    Action("analytics.manage"): "P B",
    Action("analytics.suggest"): "P B D R",
}
LETTER = {
    "P": Role.PLATFORM_ADMIN, "B": Role.BRAND_ADMIN, "F": Role.FACTORY_OPERATOR,
    "D": Role.DISTRIBUTOR, "R": Role.RETAILER, "I": Role.INSPECTOR, "C": Role.CONSUMER,
}  # fmt: skip

#: Actions no HTTP endpoint exposes yet, and why (the service-level check covers them).
NOT_ON_THE_API = {
    Action.BATCHES_WRITE: "batches are managed with the CLI (local operator) so far",
    Action.KEYS_MANAGE: "keys are managed with the CLI (local operator) so far",
    # on the API (POST /api/v1/territories/grants) but needs an imported, verified dealer:
    # tests/territories/test_api_cli.py drives roles through it over HTTP
    Action("territory.grant"): "covered by the territories plugin's own HTTP tests",
    # the commerce plugin's routes need its price lists, verified dealers and orders:
    # tests/commerce/test_pricing_api.py, test_orders_api.py and payments/test_api.py
    # drive roles through them over HTTP
    Action("prices.manage"): "covered by tests/commerce/test_pricing_api.py",
    Action("prices.view"): "covered by tests/commerce/test_pricing_api.py",
    Action("orders.place"): "covered by tests/commerce/test_orders_api.py",
    Action("orders.review"): "covered by tests/commerce/test_orders_api.py",
    Action("orders.fulfil"): "covered by tests/commerce/test_orders_api.py",
    Action("payments.confirm"): "covered by tests/commerce/payments/test_api.py",
    # the inventory plugin's routes act on warehouses in the caller's scope:
    # tests/inventory/test_role_matrix.py drives every role through them over HTTP
    Action("stock.view"): "covered by tests/inventory/test_role_matrix.py",
    Action("stock.move"): "covered by tests/inventory/test_role_matrix.py",
    Action("stock.manage"): "covered by tests/inventory/test_role_matrix.py",
    Action("stock.count"): "covered by tests/inventory/test_role_matrix.py",
    Action("stock.approve"): "covered by tests/inventory/test_role_matrix.py",
    Action("stock.inspect"): "covered by tests/inventory/test_role_matrix.py",
    # the logistics plugin's routes act on waybills in the caller's scope:
    # tests/logistics/test_role_matrix.py drives every role through them over HTTP
    Action("logistics.view"): "covered by tests/logistics/test_role_matrix.py",
    Action("logistics.manage"): "covered by tests/logistics/test_role_matrix.py",
    Action("logistics.configure"): "covered by tests/logistics/test_role_matrix.py",
    # the analytics plugin's routes: tests/analytics/test_role_matrix.py drives every role
    # through them over HTTP
    Action("analytics.view"): "covered by tests/analytics/test_role_matrix.py",
    Action("analytics.manage"): "covered by tests/analytics/test_role_matrix.py",
    Action("analytics.suggest"): "covered by tests/analytics/test_role_matrix.py",
    Action("analytics.export"): "covered by tests/analytics/test_role_matrix.py",
}


def test_expectations_cover_every_action() -> None:
    assert set(EXPECTED) == set(ALL_ACTIONS)


@dataclass
class World:
    engine: Engine
    principals: dict[str, Principal]
    tokens: dict[str, str]
    east_org: int
    shop_org: int
    shop_user: int
    brand_slug: str
    batch_id: int
    alert_id: int


async def _world(engine: Engine) -> World:
    brand = await engine.brands.create("acme", "Acme", "id.acme.example")
    accounts = engine.accounts
    root = await accounts.brand_org(brand)
    east = await accounts.create_org(SYSTEM, root.id, OrgKind.DISTRIBUTOR, "East")
    shop = await accounts.create_org(SYSTEM, east.id, OrgKind.RETAILER, "Shop")
    orgs = {"P": None, "B": root.id, "F": root.id, "D": east.id, "R": shop.id, "I": root.id,
            "C": None}  # fmt: skip
    principals, tokens = {}, {}
    for letter, role in LETTER.items():
        user = await accounts.create_user(
            SYSTEM,
            contact=f"{letter.lower()}@acme.example",
            display_name=letter,
            role=role,
            org_id=orgs[letter],
        )
        principals[letter] = await accounts.principal(user)
        tokens[letter], _ = await accounts.create_token(SYSTEM, "t", ["*"], for_user=user.id)
    await engine.catalogue.add(make_product(brand, "09506000134352", "Tea", shelf_life_days=365))
    batch = await engine.batches.create(brand, BatchRequest("09506000134352", "L1", 10))
    alert = await engine.ledger.append_alert(
        NewAlert(dt.datetime.now(dt.UTC), brand.id, AlertKind.CLONE_COUNT, "S", (), "{}")
    )
    return World(
        engine,
        principals,
        tokens,
        east.id,
        shop.id,
        principals["R"].user_id or 0,
        brand.slug,
        batch.id,
        alert,
    )


@pytest.fixture
async def world(ledger_url: str, tmp_path: Path) -> AsyncIterator[World]:
    key = tmp_path / "k.key"
    create_key_file(key)
    engine = await Engine.open(Config(None, ledger_url, KeySource(key_file=key)))
    try:
        yield await _world(engine)
    finally:
        await engine.close()


@pytest.mark.parametrize("action", ALL_ACTIONS)
async def test_service_level(world: World, action: Action) -> None:
    east = await world.engine.accounts.store.get_org(world.east_org)
    for letter, principal in world.principals.items():
        # the target sits in the actor's own reach: the brand's dealer subtree for staff
        # and dealers, the actor's own record for everyone
        target = east if principal.org is not None and principal.role is not Role.RETAILER else None
        allowed = letter in EXPECTED[action].split()
        try:
            require(principal, action, org=target)
            got = True
        except Exception as exc:
            assert type(exc).__name__ == "Forbidden", exc
            got = False
        assert got == allowed, f"{letter} {action}: expected {'allow' if allowed else 'deny'}"


def _jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (9, 9, 9)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


Call = Callable[[aiohttp.ClientSession, str, World], Awaitable[aiohttp.ClientResponse]]


def _calls() -> dict[Action, Call]:
    def get(path: Callable[[World], str]) -> Call:
        async def call(s: aiohttp.ClientSession, base: str, w: World) -> aiohttp.ClientResponse:
            return await s.get(base + path(w))

        return call

    def send(method: str, path: Callable[[World], str], body: Callable[[World], Any]) -> Call:
        async def call(s: aiohttp.ClientSession, base: str, w: World) -> aiohttp.ClientResponse:
            return await s.request(method, base + path(w), json=body(w))

        return call

    async def report(s: aiohttp.ClientSession, base: str, w: World) -> aiohttp.ClientResponse:
        form = aiohttp.FormData()
        form.add_field("code", "https://id.acme.example/01/09506000134352/21/FAKE1")
        form.add_field("note", "标签模糊")
        return await s.post(base + "/api/v1/reports", data=form)

    return {
        Action.USERS_MANAGE: send(
            "POST", lambda w: f"/api/v1/users/{w.shop_user}/status", lambda w: {"status": "active"}
        ),
        Action.USERS_VIEW: get(lambda w: f"/api/v1/users?org={w.shop_org}"),
        Action.ORGS_MANAGE: send(
            "POST",
            lambda w: "/api/v1/orgs",
            lambda w: {"parent_id": w.shop_org, "kind": "retailer", "name": "Kiosk"},
        ),
        Action.ORGS_VIEW: get(lambda w: f"/api/v1/orgs/{w.shop_org}/tree"),
        Action.AUDIT_READ: get(lambda w: "/api/v1/audit"),
        Action.KYC_SUBMIT: send(
            "POST",
            lambda w: "/api/v1/kyc",
            lambda w: {
                "kind": "person",
                "legal_name": "张三",
                "number": "11010519491231002X",
                "document_base64": _jpeg(),
            },
        ),
        Action.KYC_REVIEW: get(lambda w: "/api/v1/kyc/pending"),
        Action.TOKENS_OWN: send("POST", lambda w: "/api/v1/tokens", lambda w: {"name": "mine"}),
        Action.PROFILE_OWN: send(
            "PATCH", lambda w: "/api/v1/me", lambda w: {"display_name": "New name"}
        ),
        Action.SCANS_RECORD: send(
            "POST",
            lambda w: "/api/v1/scans",
            lambda w: {"scans": [{"code": "X", "client_scan_id": "c1"}]},
        ),
        Action.SCANS_READ: get(lambda w: f"/api/v1/scans?brand={w.brand_slug}"),
        Action.ALERTS_READ: get(lambda w: f"/api/v1/alerts?brand={w.brand_slug}"),
        # the first allowed role moves the alert; the next gets 409 (past the check)
        Action.ALERTS_MANAGE: send(
            "POST",
            lambda w: f"/api/v1/alerts/{w.alert_id}/transition",
            lambda w: {"to": "investigating"},
        ),
        Action.MESSAGES_OWN: get(lambda w: "/api/v1/messages?q=%E7%AA%9C%E8%B4%A7"),
        Action.SCANS_OWN: get(lambda w: "/api/v1/me/scans"),
        Action.REPORTS_FILE: report,
        Action.NOTIFY_BROADCAST: send(
            "POST",
            lambda w: "/api/v1/notifications",
            lambda w: {"org_id": w.shop_org, "type": "system_notice", "title": "T", "body": "B"},
        ),
        Action.CATALOGUE_READ: get(lambda w: f"/api/v1/products?brand={w.brand_slug}"),
        # the first allowed role creates it; the next gets 409 name taken (past the check)
        Action.CATALOGUE_WRITE: send(
            "POST",
            lambda w: "/api/v1/categories",
            lambda w: {"brand": w.brand_slug, "name": "茶"},
        ),
        Action.LINE_OPERATE: send(
            "POST",
            lambda w: f"/api/v1/batches/{w.batch_id}/activate",
            lambda w: {"from": 0, "to": 1},
        ),
    }


def test_every_action_is_on_the_api_or_says_why_not() -> None:
    exposed = set(_calls())
    assert exposed | set(NOT_ON_THE_API) == set(ALL_ACTIONS)
    assert not exposed & set(NOT_ON_THE_API)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_http_matrix(world: World) -> None:
    runner = web.AppRunner(make_app(world.engine, Limits(per_minute=0)))
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    problems = []
    try:
        for action, call in _calls().items():
            for letter, token in world.tokens.items():
                headers = {"Authorization": f"Bearer {token}"}
                async with aiohttp.ClientSession(headers=headers) as s:
                    resp = await call(s, base, world)
                    body = await resp.json()
                allowed = letter in EXPECTED[action].split()
                if allowed and resp.status in (401, 403):
                    problems.append(f"{letter} {action}: denied {resp.status} {body}")
                if not allowed and (resp.status != 403 or body["error"]["code"] != "forbidden"):
                    problems.append(f"{letter} {action}: not denied: {resp.status} {body}")
        async with aiohttp.ClientSession() as s:  # and without a token: 401, every time
            for call in _calls().values():
                resp = await call(s, base, world)
                assert resp.status == 401, await resp.text()
    finally:
        await runner.cleanup()
    assert problems == []
