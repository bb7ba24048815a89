"""Every token scope against every JSON route, over real HTTP.

``EXPECTED`` is this test's own copy of which scope each route needs, written out
independently of the route declarations on purpose: changing a route's access rule
must change both. The served routes are read from the running app, so a new route
without a row here fails the first test.

The HTTP half gives a brand admin (whose role holds most actions) one token per scope
and calls every route with each: a token whose scope is not the route's gets 403
``out_of_scope`` before anything is read or changed; the right scope gets past the gate
(whatever the service then says). Credential routes refuse every scoped token, so a
handheld's ``scans.record`` token can never register a passkey or mint a ``*`` token.
"""

from __future__ import annotations

import re

import pytest
from aiohttp import web

from veriseal import hookimpl
from veriseal.accounts.models import SYSTEM
from veriseal.accounts.permissions import CREDENTIAL_ACTIONS, actions
from veriseal.extend.manager import PluginInvalid
from veriseal.server import make_app
from veriseal.server.app import Limits
from veriseal.server.endpoints import ENDPOINTS, Endpoint

from .conftest import Api

PUBLIC, CALLER, FULL = "public", "caller", "credentials"
EXPECTED: dict[str, str] = {
    # accounts
    "POST /api/v1/auth/register": PUBLIC,
    "POST /api/v1/auth/register/confirm": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC,
    "POST /api/v1/auth/reset": PUBLIC,
    "POST /api/v1/auth/reset/confirm": PUBLIC,
    "POST /api/v1/auth/logout": CALLER,
    "POST /api/v1/auth/passkey/begin": PUBLIC,
    "POST /api/v1/auth/passkey/finish": PUBLIC,
    "POST /api/v1/passkeys/register/begin": FULL,
    "POST /api/v1/passkeys/register/finish": FULL,
    "GET /api/v1/me": CALLER,
    "PATCH /api/v1/me": "profile.own",
    "POST /api/v1/me/password": FULL,
    "PUT /api/v1/me/avatar": "profile.own",
    "GET /api/v1/users/{user}/avatar": "users.view",
    "GET /api/v1/tokens": FULL,
    "POST /api/v1/tokens": FULL,
    "DELETE /api/v1/tokens/{token}": FULL,
    "GET /api/v1/users": "users.view",
    "POST /api/v1/users": "users.manage",
    "GET /api/v1/users/{user}": "users.view",
    "POST /api/v1/users/{user}/status": "users.manage",
    "POST /api/v1/users/{user}/role": "users.manage",
    "POST /api/v1/orgs": "orgs.manage",
    "GET /api/v1/orgs/{org}/tree": "orgs.view",
    "PATCH /api/v1/orgs/{org}": "orgs.manage",
    "POST /api/v1/kyc": "kyc.submit",
    "GET /api/v1/kyc/pending": "kyc.review",
    "GET /api/v1/kyc/{sub}": "kyc.review",
    "POST /api/v1/kyc/{sub}/review": "kyc.review",
    "GET /api/v1/kyc/{sub}/document": "kyc.review",
    "GET /api/v1/audit": "audit.read",
    # factory line
    "POST /api/v1/batches/{batch}/activate": "line.operate",
    "POST /api/v1/batches/{batch}/decommission": "line.operate",
    "POST /api/v1/pack": "line.operate",
    "POST /api/v1/unpack": "line.operate",
    # scans and alerts
    "POST /api/v1/scans": "scans.record",
    "GET /api/v1/scans": "scans.read",
    "GET /api/v1/alerts": "alerts.read",
    # brand console
    "GET /api/v1/dashboard": "scans.read",
    "GET /api/v1/batches": "line.operate",
    "GET /api/v1/alerts/{id}": "alerts.read",
    "POST /api/v1/alerts/{id}/transition": "alerts.manage",
    # catalogue
    "GET /api/v1/categories": "catalogue.read",
    "POST /api/v1/categories": "catalogue.write",
    "PATCH /api/v1/categories/{id}": "catalogue.write",
    "POST /api/v1/categories/{id}/move": "catalogue.write",
    "POST /api/v1/categories/{id}/reorder": "catalogue.write",
    "DELETE /api/v1/categories/{id}": "catalogue.write",
    "GET /api/v1/products": "catalogue.read",
    "GET /api/v1/products/{gtin}": "catalogue.read",
    "PUT /api/v1/products/{gtin}/category": "catalogue.write",
    "PUT /api/v1/products/{gtin}/specs": "catalogue.write",
    "PUT /api/v1/products/{gtin}/units": "catalogue.write",
    "POST /api/v1/products/{gtin}/images": "catalogue.write",
    "DELETE /api/v1/products/{gtin}/images/{image}": "catalogue.write",
    "GET /api/v1/product-images/{image}": PUBLIC,
    # messages
    "GET /api/v1/messages": "messages.own",
    "POST /api/v1/messages/read": "messages.own",
    "GET /api/v1/me/preferences": "messages.own",
    "PUT /api/v1/me/preferences/{type}": "messages.own",
    "POST /api/v1/notifications": "notify.broadcast",
    # web push
    "GET /api/v1/push/vapid-key": PUBLIC,
    "POST /api/v1/me/push-subscriptions": "messages.own",
    "GET /api/v1/me/push-subscriptions": "messages.own",
    "DELETE /api/v1/me/push-subscriptions/{id}": "messages.own",
    # a consumer's own scans and suspected-fake reports
    "GET /api/v1/me/scans": "scans.own",
    "POST /api/v1/reports": "reports.file",
    "GET /api/v1/reports/{id}": CALLER,  # the reporter or the brand: the service decides
    "GET /api/v1/reports/{id}/photos/{n}": CALLER,
    # inventory plugin (plugins/veriseal_inventory/api_*.py)
    "GET /api/v1/inventory/warehouses": "stock.view",
    "POST /api/v1/inventory/warehouses": "stock.manage",
    "GET /api/v1/inventory/warehouses/{warehouse}/locations": "stock.view",
    "POST /api/v1/inventory/warehouses/{warehouse}/locations": "stock.manage",
    "GET /api/v1/inventory/stock": "stock.view",
    "GET /api/v1/inventory/warehouses/{warehouse}/balances": "stock.view",
    "GET /api/v1/inventory/movements": "stock.view",
    "POST /api/v1/inventory/warehouses/{warehouse}/receive": "stock.move",
    "POST /api/v1/inventory/warehouses/{warehouse}/issue": "stock.move",
    "POST /api/v1/inventory/warehouses/{warehouse}/transfer": "stock.move",
    "POST /api/v1/inventory/warehouses/{warehouse}/receive-codes": "stock.move",
    "POST /api/v1/inventory/warehouses/{warehouse}/issue-codes": "stock.move",
    "GET /api/v1/inventory/codes/where": "stock.view",
    "GET /api/v1/inventory/code-alerts": "stock.view",
    "POST /api/v1/inventory/code-alerts/{id}/close": "stock.manage",
    "GET /api/v1/inventory/stocktakes": "stock.count",
    "POST /api/v1/inventory/stocktakes": "stock.count",
    "GET /api/v1/inventory/stocktakes/{id}": "stock.count",
    "POST /api/v1/inventory/stocktakes/{id}/count": "stock.count",
    "POST /api/v1/inventory/stocktakes/{id}/scan": "stock.count",
    "POST /api/v1/inventory/stocktakes/{id}/submit": "stock.count",
    "POST /api/v1/inventory/stocktakes/{id}/approve": "stock.approve",
    "POST /api/v1/inventory/stocktakes/{id}/reject": "stock.approve",
    "POST /api/v1/inventory/stocktakes/{id}/cancel": "stock.count",
    "POST /api/v1/inventory/stocktakes/{id}/close": "stock.count",
    "GET /api/v1/inventory/inbound": "stock.view",
    "POST /api/v1/inventory/inbound": "stock.move",
    "GET /api/v1/inventory/inbound/{receipt}": "stock.view",
    "GET /api/v1/inventory/inbound/{receipt}/lines/{line}/plan": "stock.view",
    "POST /api/v1/inventory/inbound/{receipt}/lines/{line}/inspection": "stock.inspect",
    "POST /api/v1/inventory/inbound/{receipt}/release": "stock.move",
    "GET /api/v1/inventory/inspection-settings": "stock.view",
    "PUT /api/v1/inventory/inspection-settings/{gtin}": "stock.manage",
    "GET /api/v1/inventory/outbound": "stock.view",
    "POST /api/v1/inventory/outbound": "stock.move",
    "GET /api/v1/inventory/outbound/{no}": "stock.view",
    "POST /api/v1/inventory/outbound/{no}/issue": "stock.move",
    "POST /api/v1/inventory/outbound/{no}/cancel": "stock.move",
    "GET /api/v1/inventory/outbound/{no}/pdf": "stock.view",
    "POST /api/v1/inventory/outbound/{no}/receive": "stock.move",
    "GET /api/v1/inventory/stock/settings": "stock.view",
    "PUT /api/v1/inventory/stock/settings": "stock.manage",
    "DELETE /api/v1/inventory/stock/settings": "stock.manage",
    "GET /api/v1/inventory/stock/alerts": "stock.view",
    "GET /api/v1/inventory/stock/overview": "stock.view",
    "GET /api/v1/inventory/stock/replenishment": "stock.view",
    # commerce plugin: prices and promotions
    "GET /api/v1/commerce/prices/lists": "prices.manage",
    "POST /api/v1/commerce/prices/lists": "prices.manage",
    "GET /api/v1/commerce/prices/rows": "prices.manage",
    "POST /api/v1/commerce/prices/rows": "prices.manage",
    "PUT /api/v1/commerce/prices/rows/{id}": "prices.manage",
    "DELETE /api/v1/commerce/prices/rows/{id}": "prices.manage",
    "GET /api/v1/commerce/promotions": "prices.manage",
    "POST /api/v1/commerce/promotions": "prices.manage",
    "GET /api/v1/commerce/promotions/suggested": "prices.manage",
    "GET /api/v1/commerce/promotions/{id}": "prices.manage",
    "POST /api/v1/commerce/promotions/{id}/disable": "prices.manage",
    "POST /api/v1/commerce/promotions/{id}/enable": "prices.manage",
    "DELETE /api/v1/commerce/promotions/{id}": "prices.manage",
    "POST /api/v1/commerce/quote": "prices.view",
    # commerce plugin: orders
    "POST /api/v1/commerce/orders": "orders.place",
    "GET /api/v1/commerce/orders": "orders.place",
    "GET /api/v1/commerce/order-stats": "orders.review",
    "GET /api/v1/commerce/orders/{order_no}": "orders.place",
    "POST /api/v1/commerce/orders/{order_no}/submit": "orders.place",
    "POST /api/v1/commerce/orders/{order_no}/cancel": "orders.place",
    "POST /api/v1/commerce/orders/{order_no}/messages": "orders.place",
    "POST /api/v1/commerce/orders/{order_no}/approve": "orders.review",
    "POST /api/v1/commerce/orders/{order_no}/reject": "orders.review",
    "POST /api/v1/commerce/orders/{order_no}/fulfil": "orders.fulfil",
    # territories plugin
    "GET /api/v1/territories/regions/locate": PUBLIC,
    "GET /api/v1/territories/regions/{code}": PUBLIC,
    "GET /api/v1/territories/dealers": "orgs.view",
    "POST /api/v1/territories/dealers/import": "orgs.manage",
    "GET /api/v1/territories/grants": "orgs.view",
    "POST /api/v1/territories/grants": "territory.grant",
    "POST /api/v1/territories/grants/{id}/{action}": "territory.grant",
    "GET /api/v1/territories/authorize": "orgs.view",
    "POST /api/v1/territories/authorize": "orgs.view",
    "POST /api/v1/territories/shipments": "scans.record",
    "GET /api/v1/territories/shipments/policy": "territory.grant",
    "POST /api/v1/territories/shipments/policy": "territory.grant",
    "POST /api/v1/territories/receipts": "scans.record",
    "POST /api/v1/territories/takebacks": "scans.record",
    "POST /api/v1/territories/sync": "scans.record",
    "GET /api/v1/territories/holder": "scans.read",
    "GET /api/v1/territories/diversion/alerts": "alerts.read",
    "GET /api/v1/territories/diversion/alerts/{id}": "alerts.read",
    "POST /api/v1/territories/diversion/alerts/{id}/transition": "territory.grant",
    "GET /api/v1/territories/diversion/scan": "alerts.read",
    # commerce plugin: payments (notify is authenticated by the provider's signature)
    "POST /api/v1/commerce/payments/notify/{provider}": PUBLIC,
    "POST /api/v1/commerce/orders/{no}/payments": "orders.place",
    "GET /api/v1/commerce/orders/{no}/payments": "orders.place",
    "GET /api/v1/commerce/payments": "payments.confirm",
    "GET /api/v1/commerce/payments/transfers": "payments.confirm",
    "GET /api/v1/commerce/payments/{id}": "payments.confirm",
    "POST /api/v1/commerce/payments/{id}/confirm": "payments.confirm",
    "POST /api/v1/commerce/payments/{id}/reject": "payments.confirm",
    "POST /api/v1/commerce/payments/{id}/refunds": "payments.confirm",
    "GET /api/v1/commerce/payments/receipts/{id}": "payments.confirm",
    "POST /api/v1/commerce/payments/{id}/check": "orders.place",
    "GET /api/v1/commerce/payments/mine/receipts/{id}": "orders.place",
    # commerce plugin: returns and exchanges
    "GET /api/v1/commerce/returns/settings": "orders.place",
    "PUT /api/v1/commerce/returns/settings": "orders.review",
    "GET /api/v1/commerce/returns/alerts": "orders.review",
    "GET /api/v1/commerce/returns/stats": "orders.place",
    "GET /api/v1/commerce/returns": "orders.place",
    "POST /api/v1/commerce/returns": "orders.place",
    "GET /api/v1/commerce/returns/{return_no}": "orders.place",
    "POST /api/v1/commerce/returns/{return_no}/cancel": "orders.place",
    "POST /api/v1/commerce/returns/{return_no}/answer": "orders.place",
    "POST /api/v1/commerce/returns/{return_no}/messages": "orders.place",
    "POST /api/v1/commerce/returns/{return_no}/photos": "orders.place",
    "GET /api/v1/commerce/returns/{return_no}/photos/{id}": "orders.place",
    "POST /api/v1/commerce/returns/{return_no}/approve": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/reject": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/ask": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/receive": "orders.fulfil",
    "POST /api/v1/commerce/returns/{return_no}/inspect": "orders.fulfil",
    "POST /api/v1/commerce/returns/{return_no}/scrap": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/send-back": "orders.fulfil",
    "POST /api/v1/commerce/returns/{return_no}/refund": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/exchange": "orders.review",
    "POST /api/v1/commerce/returns/{return_no}/settle": "orders.review",
    # logistics plugin (plugins/veriseal_logistics/api_*.py); the receivers are public,
    # authenticated by the carrier's signature (the brand's salt / webhook secret)
    "POST /api/v1/logistics/push/kuaidi100/{brand}": PUBLIC,
    "POST /api/v1/logistics/webhook/{brand}": PUBLIC,
    "POST /api/v1/logistics/events/import": "logistics.manage",
    "POST /api/v1/logistics/waybills": "logistics.manage",
    "GET /api/v1/logistics/waybills": "logistics.view",
    "GET /api/v1/logistics/waybills/{id}": "logistics.view",
    "GET /api/v1/logistics/waybills/{id}/timeline": "logistics.view",
    "GET /api/v1/logistics/alerts": "logistics.view",
    "POST /api/v1/logistics/alerts/{id}/close": "logistics.manage",
    "GET /api/v1/logistics/performance": "logistics.view",
    "GET /api/v1/logistics/settings": "logistics.configure",
    "PUT /api/v1/logistics/settings": "logistics.configure",
    "PUT /api/v1/logistics/settings/secrets": "logistics.configure",
    # analytics plugin (plugins/veriseal_analytics/api_*.py)
    "GET /api/v1/analytics/sales": "analytics.view",
    "GET /api/v1/analytics/sales/top": "analytics.view",
    "GET /api/v1/analytics/sales/trend": "analytics.view",
    "GET /api/v1/analytics/suggestions": "analytics.suggest",
    "GET /api/v1/analytics/suggestions/evaluation": "analytics.view",
    "POST /api/v1/analytics/rollups/rebuild": "analytics.manage",
    "POST /api/v1/analytics/reports/run": "analytics.view",
    "GET /api/v1/analytics/reports/saved": "analytics.view",
    "POST /api/v1/analytics/reports/saved": "analytics.view",
    "GET /api/v1/analytics/reports/saved/{id}": "analytics.view",
    "PUT /api/v1/analytics/reports/saved/{id}": "analytics.view",
    "DELETE /api/v1/analytics/reports/saved/{id}": "analytics.view",
    "POST /api/v1/analytics/reports/saved/{id}/run": "analytics.view",
    "POST /api/v1/analytics/exports": "analytics.export",
    "GET /api/v1/analytics/exports": "analytics.export",
    "GET /api/v1/analytics/exports/{id}": "analytics.export",
    "GET /api/v1/analytics/exports/{id}/file": "analytics.export",
    "GET /api/v1/analytics/scans": "analytics.view",
    "GET /api/v1/analytics/scans/top": "analytics.view",
    "GET /api/v1/analytics/scans/trend": "analytics.view",
    "GET /api/v1/analytics/scans/delay": "analytics.view",
    "POST /api/v1/analytics/scans/rebuild": "analytics.manage",
    "GET /api/v1/analytics/stock": "analytics.view",
    "GET /api/v1/analytics/stock/top": "analytics.view",
    "GET /api/v1/analytics/stock/trend": "analytics.view",
    "POST /api/v1/analytics/stock/rebuild": "analytics.manage",
    "POST /api/v1/analytics/market/import": "analytics.manage",
    "GET /api/v1/analytics/market": "analytics.view",
    "GET /api/v1/analytics/trends": "analytics.view",
    "GET /api/v1/analytics/dealers/behaviour": "analytics.view",
    "GET /api/v1/analytics/dealers/segments": "analytics.view",
    "GET /api/v1/analytics/consumers/behaviour": "analytics.view",
}


_PATTERN = re.compile(r"{(\w+):[^}]*}")


def _key(e: Endpoint) -> str:
    return e.method + " " + _PATTERN.sub(r"{\1}", e.path)


def _served(api: Api) -> list[Endpoint]:
    return list(make_app(api.engine, Limits(per_minute=0))[ENDPOINTS])


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_every_served_route_has_an_expected_scope(api: Api) -> None:
    served = {_key(e): str(e.access) for e in _served(api)}
    assert set(served) == set(EXPECTED), "routes added or removed: update EXPECTED"
    assert served == EXPECTED


def _concrete(path: str) -> str:
    """A callable path: ids 1, other parameters a plausible word."""
    path = _PATTERN.sub(r"{\1}", path)
    path = path.replace("{action}", "revoke").replace("{type}", "system_notice")
    return re.sub(r"{\w+}", "1", path)


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_each_scope_opens_exactly_its_routes(api: Api) -> None:
    brand = await api.engine.brand(None)
    root = await api.engine.accounts.brand_org(brand)
    admin = next(u for u in await api.engine.accounts.list_users(SYSTEM, root.id))
    grantable = [a for a in actions() if a not in CREDENTIAL_ACTIONS]
    tokens = {
        str(a): (await api.engine.accounts.create_token(SYSTEM, str(a), [str(a)], None, admin.id))[
            0
        ]
        for a in grantable
    }
    wrong: list[str] = []
    for e in _served(api):
        need = EXPECTED[_key(e)]
        if need == PUBLIC or _key(e) == "POST /api/v1/auth/logout":
            continue  # logout would revoke the token under test: checked below
        for scope, token in tokens.items():
            status, body = await api.call(e.method, _concrete(e.path), token, json={})
            code = body["error"]["code"] if isinstance(body, dict) and "error" in body else None
            refused = status == 403 and code == "out_of_scope"
            should_refuse = need == FULL or need not in (CALLER, scope)
            if refused != should_refuse:
                wrong.append(f"{_key(e)} with [{scope}]: {status} {code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_a_handheld_token_cannot_escalate(api: Api) -> None:
    """The attack that was possible: a scans.record token registering a passkey (whose
    sign-in has every scope), creating a '*' token, or listing tokens."""
    status, created = await api.call(
        "POST", "/api/v1/tokens", api.brand_admin_token,
        json={"name": "handheld", "scopes": ["scans.record"]},
    )  # fmt: skip
    assert status == 201
    handheld = created["token"]
    for method, path, body in (
        ("POST", "/api/v1/passkeys/register/begin", {}),
        ("POST", "/api/v1/passkeys/register/finish", {"credential": {"id": "x"}}),
        ("POST", "/api/v1/tokens", {"name": "root", "scopes": ["*"]}),
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/me/password", {"old_password": "x", "new_password": "y" * 12}),
        ("GET", "/api/v1/audit", None),
        ("GET", "/api/v1/users", None),
    ):
        status, answer = await api.call(method, path, handheld, json=body)
        assert (status, answer["error"]["code"]) == (403, "out_of_scope"), (path, answer)
    # a scoped token may still sign itself out
    status, _ = await api.call("POST", "/api/v1/auth/logout", handheld)
    assert status == 200
    status, _ = await api.call("GET", "/api/v1/me", handheld)
    assert status == 401
    # and a token can no longer be given the credential scope itself
    status, answer = await api.call(
        "POST", "/api/v1/tokens", api.brand_admin_token,
        json={"name": "tokens", "scopes": ["tokens.own"]},
    )  # fmt: skip
    assert (status, answer["error"]["code"]) == (400, "invalid_input")


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_an_undeclared_api_route_is_refused(api: Api) -> None:
    """A plugin adding an /api/ route straight to the router (no access rule, no typed
    input, not in the document) stops the app from being built."""

    class Sloppy:
        @staticmethod
        @hookimpl
        def register_routes(app: web.Application) -> None:
            async def handler(_request: web.Request) -> web.Response:
                return web.json_response({})

            app.router.add_get("/api/v1/sloppy", handler)

    api.engine.plugins.pm.register(Sloppy(), "sloppy")
    try:
        with pytest.raises(PluginInvalid, match="/api/v1/sloppy"):
            make_app(api.engine, Limits(per_minute=0))
    finally:
        api.engine.plugins.pm.unregister(name="sloppy")
