"""Every console view against every role, over real HTTP: the console's permission
matrix, CSRF on every POST, and the page rules the CSP relies on.

``EXPECTED`` is this test's own copy of who may open each view (an action name, or
``public`` / ``signed-in``), written out independently of the view declarations on
purpose: a new view without a row here fails the first test, and changing a view's
access must change both. Which roles hold an action is the permission matrix's
business (tests/accounts/test_permission_matrix.py keeps its own copy of that).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from veriseal.accounts.models import Role
from veriseal.accounts.permissions import MATRIX, Action
from veriseal.console.site import CONSOLE, Console

from .conftest import USERS, ConsoleLive

PUBLIC, SIGNED_IN = "public", "signed-in"
EXPECTED: dict[str, str] = {
    "GET /console/signin": PUBLIC,
    "POST /console/signin": PUBLIC,
    "POST /console/signin/passkey/begin": PUBLIC,
    "POST /console/signin/passkey/finish": PUBLIC,
    "GET /console/signup": PUBLIC,
    "POST /console/signup": PUBLIC,
    "POST /console/signup/confirm": PUBLIC,
    "POST /console/signout": SIGNED_IN,
    "POST /console/signout/everywhere": SIGNED_IN,
    "GET /console/": SIGNED_IN,
    "GET /console/account": "profile.own",
    "POST /console/account/profile": "profile.own",
    "POST /console/account/password": "profile.own",
    "POST /console/account/passkey/begin": "profile.own",
    "POST /console/account/passkey/finish": "profile.own",
    # a consumer's pages (console/views/consumer.py)
    "GET /console/scan": "scans.own",
    "POST /console/scan": "scans.own",
    "GET /console/my/scans": "scans.own",
    "GET /console/product/{gtin}": "scans.own",
    "GET /console/report": "reports.file",
    "POST /console/report": "reports.file",
    "GET /console/reports/{id}": SIGNED_IN,  # the reporter or the brand: the service decides
    "GET /console/reports/{id}/photo/{n}": SIGNED_IN,
    "GET /console/messages": "messages.own",
    "POST /console/messages/read": "messages.own",
    "GET /console/messages/settings": "messages.own",
    "POST /console/messages/settings": "messages.own",
    # third-party sign-in (views/external.py)
    "GET /console/signin/ext/{provider}": PUBLIC,
    "GET /console/signin/ext/{provider}/callback": PUBLIC,
    "POST /console/account/ext/{provider}/link": "profile.own",
    "POST /console/account/ext/{provider}/unlink": "profile.own",
    # people (views/people/)
    "GET /console/users": "users.view",
    "GET /console/users/new": "orgs.manage",
    "POST /console/users/new": "orgs.manage",
    r"GET /console/users/{id:\d+}": "users.view",
    r"POST /console/users/{id:\d+}/role": "users.manage",
    r"POST /console/users/{id:\d+}/status": "users.manage",
    "GET /console/orgs": "orgs.view",
    "POST /console/orgs": "orgs.manage",
    "GET /console/kyc": "kyc.review",
    r"GET /console/kyc/{id:\d+}": "kyc.review",
    r"GET /console/kyc/{id:\d+}/document/{n:\d+}": "kyc.review",
    r"POST /console/kyc/{id:\d+}/review": "kyc.review",
    "GET /console/broadcast": "notify.broadcast",
    "POST /console/broadcast": "notify.broadcast",
    "GET /console/audit": "audit.read",
    # web push (views/push.py)
    "GET /console/sw.js": PUBLIC,
    "POST /console/me/push": "messages.own",
    "POST /console/me/push/remove": "messages.own",
    # the commerce plugin's prices (plugins/veriseal_commerce/console_pages.py)
    "GET /console/commerce/catalogue": "prices.view",
    r"GET /console/commerce/catalogue/{gtin:\d+}": "prices.view",
    "GET /console/commerce/prices": "prices.manage",
    "POST /console/commerce/prices/lists": "prices.manage",
    "POST /console/commerce/prices/rows": "prices.manage",
    r"POST /console/commerce/prices/rows/{id:\d+}/delete": "prices.manage",
    "GET /console/commerce/promotions": "prices.manage",
    "POST /console/commerce/promotions": "prices.manage",
    r"POST /console/commerce/promotions/{id:\d+}": "prices.manage",
    "GET /console/commerce/quote": "prices.manage",
    # the commerce plugin's orders (console_orders.py, console_review.py)
    "GET /console/commerce/orders/new": "orders.place",
    "POST /console/commerce/orders/new": "orders.place",
    "GET /console/commerce/orders": "orders.place",
    "GET /console/commerce/orders/{no:[A-Za-z0-9-]+}": "orders.place",
    "POST /console/commerce/orders/{no:[A-Za-z0-9-]+}/submit": "orders.place",
    "POST /console/commerce/orders/{no:[A-Za-z0-9-]+}/cancel": "orders.place",
    "POST /console/commerce/orders/{no:[A-Za-z0-9-]+}/messages": "orders.place",
    "GET /console/commerce/review": "orders.review",
    "GET /console/commerce/review/{no:[A-Za-z0-9-]+}": "orders.review",
    "POST /console/commerce/review/{no:[A-Za-z0-9-]+}": "orders.review",
    "GET /console/commerce/review/{no:[A-Za-z0-9-]+}/fulfil": "orders.fulfil",
    "POST /console/commerce/review/{no:[A-Za-z0-9-]+}/fulfil": "orders.fulfil",
    "GET /console/commerce/order-stats": "orders.review",
    # the commerce plugin's returns and exchanges (console_returns.py, console_returns_review.py)
    "GET /console/commerce/returns": "orders.place",
    "GET /console/commerce/returns/new": "orders.place",
    "POST /console/commerce/returns/new": "orders.place",
    "GET /console/commerce/returns/{no:[A-Za-z0-9-]+}": "orders.place",
    "POST /console/commerce/returns/{no:[A-Za-z0-9-]+}/cancel": "orders.place",
    "POST /console/commerce/returns/{no:[A-Za-z0-9-]+}/messages": "orders.place",
    "POST /console/commerce/returns/{no:[A-Za-z0-9-]+}/photos": "orders.place",
    # the dealer's org or the brand: the service decides (a photo of a request one reads)
    r"GET /console/commerce/returns/{no:[A-Za-z0-9-]+}/photos/{id:\d+}": SIGNED_IN,
    "GET /console/commerce/return-review": "orders.review",
    "GET /console/commerce/return-review/{no:[A-Za-z0-9-]+}": "orders.review",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}": "orders.review",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}/receive": "orders.fulfil",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}/inspect": "orders.fulfil",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}/scrap": "orders.review",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}/send-back": "orders.fulfil",
    "POST /console/commerce/return-review/{no:[A-Za-z0-9-]+}/resolve": "orders.review",
    "GET /console/commerce/return-alerts": "orders.review",
    "GET /console/commerce/return-stats": "orders.review",
    # the inventory plugin's stocktakes (plugins/veriseal_inventory/console_stocktake.py)
    "GET /console/inventory/stocktakes": "stock.count",
    "POST /console/inventory/stocktakes": "stock.count",
    r"GET /console/inventory/stocktakes/{id:\d+}": "stock.count",
    r"POST /console/inventory/stocktakes/{id:\d+}/count": "stock.count",
    r"POST /console/inventory/stocktakes/{id:\d+}/scan": "stock.count",
    r"POST /console/inventory/stocktakes/{id:\d+}/submit": "stock.count",
    r"POST /console/inventory/stocktakes/{id:\d+}/end": "stock.count",
    r"GET /console/inventory/stocktakes/{id:\d+}/report": "stock.count",
    r"POST /console/inventory/stocktakes/{id:\d+}/decide": "stock.approve",
    # the territories plugin (plugins/veriseal_territories/console_pages.py)
    "GET /console/territories/org": "orgs.view",
    "POST /console/territories/org/add": "orgs.manage",
    "POST /console/territories/org/adopt": "orgs.manage",
    "POST /console/territories/org/status": "orgs.manage",
    "GET /console/territories/grants": "orgs.view",
    "GET /console/territories/grants/new": "territory.grant",
    "POST /console/territories/grants/new": "territory.grant",
    r"POST /console/territories/grants/{id:\d+}": "territory.grant",
    "GET /console/territories/holdings": "orgs.view",
    "GET /console/territories/shipments": "orgs.view",
    "GET /console/territories/ship": "scans.record",
    "POST /console/territories/ship": "scans.record",
    "GET /console/territories/receive": "scans.record",
    "POST /console/territories/receive": "scans.record",
    "GET /console/territories/alerts": "orgs.view",
    r"GET /console/territories/alerts/{id:\d+}": "orgs.view",
    "GET /console/territories/diversion": "alerts.read",
    r"GET /console/territories/diversion/{id:\d+}": "alerts.read",
    r"POST /console/territories/diversion/{id:\d+}/transition": "territory.grant",
    "GET /console/territories/policy": "territory.grant",
    "POST /console/territories/policy": "territory.grant",
    # the inventory plugin's inbound receipts (plugins/veriseal_inventory/console_pages.py)
    "GET /console/inventory/inbound": "stock.view",
    "POST /console/inventory/inbound": "stock.move",
    "GET /console/inventory/inbound/{no:[A-Za-z0-9-]+}": "stock.view",
    "POST /console/inventory/inbound/{no:[A-Za-z0-9-]+}/inspect": "stock.inspect",
    "POST /console/inventory/inbound/{no:[A-Za-z0-9-]+}/release": "stock.move",
    # the inventory plugin's outbound sheets (plugins/veriseal_inventory/console_outbound.py)
    "GET /console/inventory/outbound": "stock.view",
    "POST /console/inventory/outbound": "stock.move",
    "GET /console/inventory/outbound/{no:[A-Za-z0-9-]+}": "stock.view",
    "POST /console/inventory/outbound/{no:[A-Za-z0-9-]+}/issue": "stock.move",
    "POST /console/inventory/outbound/{no:[A-Za-z0-9-]+}/cancel": "stock.move",
    "GET /console/inventory/outbound/{no:[A-Za-z0-9-]+}/pdf": "stock.view",
    "GET /console/inventory/receive": "stock.move",
    "POST /console/inventory/receive": "stock.move",
    # brand console (veriseal.brandops)
    "GET /console/dashboard": "scans.read",
    "GET /console/batches": "line.operate",
    "POST /console/batches": "batches.write",
    r"GET /console/batches/{id:\d+}": "line.operate",
    r"POST /console/batches/{id:\d+}/activate": "line.operate",
    r"POST /console/batches/{id:\d+}/print": "line.operate",
    r"GET /console/batches/{id:\d+}/print/{run:\d+}/download": "line.operate",
    "GET /console/scans": "scans.read",
    "GET /console/alerts": "alerts.read",
    r"GET /console/alerts/{id:\d+}": "alerts.read",
    r"POST /console/alerts/{id:\d+}/transition": "alerts.manage",
    "GET /console/keys": "keys.manage",
    # the inventory plugin's stock (plugins/veriseal_inventory/console_pages.py)
    "GET /console/inventory/stock": "stock.view",
    "GET /console/inventory/warehouses": "stock.view",
    "POST /console/inventory/warehouses": "stock.manage",
    r"GET /console/inventory/warehouses/{id:\d+}": "stock.view",
    "GET /console/inventory/movements": "stock.view",
    "GET /console/inventory/move": "stock.move",
    "POST /console/inventory/move": "stock.move",
    # the commerce plugin's payments (plugins/veriseal_commerce/console_pages.py)
    "GET /console/commerce/payments": "payments.confirm",
    "GET /console/commerce/payments/transfers": "payments.confirm",
    r"GET /console/commerce/payments/{id:\d+}": "payments.confirm",
    r"POST /console/commerce/payments/{id:\d+}/confirm": "payments.confirm",
    r"POST /console/commerce/payments/{id:\d+}/reject": "payments.confirm",
    r"POST /console/commerce/payments/{id:\d+}/refunds": "payments.confirm",
    r"GET /console/commerce/payments/receipts/{id:\d+}": "payments.confirm",
    # the inventory plugin's safety stock and replenishment (console_alerts.py)
    "GET /console/inventory/safety-stock": "stock.view",
    "POST /console/inventory/safety-stock": "stock.manage",
    "GET /console/inventory/replenish": "stock.view",
    "GET /console/commerce/orders/{no}/pay": "orders.place",
    "GET /console/commerce/orders/{no}/pay/qr.svg": "orders.place",
    "POST /console/commerce/orders/{no}/pay/online": "orders.place",
    "POST /console/commerce/orders/{no}/pay/transfer": "orders.place",
    "POST /console/commerce/orders/{no}/pay/check": "orders.place",
    # the catalogue (console/views/catalogue.py)
    "GET /console/catalogue": "catalogue.read",
    r"GET /console/catalogue/{gtin:\d+}": "catalogue.read",
    r"POST /console/catalogue/{gtin:\d+}/category": "catalogue.write",
    r"POST /console/catalogue/{gtin:\d+}/specs": "catalogue.write",
    r"POST /console/catalogue/{gtin:\d+}/units": "catalogue.write",
    r"POST /console/catalogue/{gtin:\d+}/photo": "catalogue.write",
    r"POST /console/catalogue/{gtin:\d+}/photo-delete": "catalogue.write",
    "GET /console/categories": "catalogue.read",
    "POST /console/categories/new": "catalogue.write",
    r"POST /console/categories/{id:\d+}": "catalogue.write",
    # the inventory plugin's code-tracked stock (plugins/veriseal_inventory/console_codes.py)
    "GET /console/inventory/scan": "stock.move",
    "POST /console/inventory/scan": "stock.move",
    "GET /console/inventory/where": "stock.view",
    "GET /console/inventory/code-alerts": "stock.view",
    r"POST /console/inventory/code-alerts/{id:\d+}/close": "stock.manage",
    # the logistics plugin (plugins/veriseal_logistics/console_pages.py)
    "GET /console/logistics": "logistics.view",
    "GET /console/logistics/new": "logistics.manage",
    "POST /console/logistics/new": "logistics.manage",
    r"GET /console/logistics/waybills/{id:\d+}": "logistics.view",
    "GET /console/logistics/alerts": "logistics.view",
    r"POST /console/logistics/alerts/{id:\d+}/close": "logistics.manage",
    "GET /console/logistics/settings": "logistics.configure",
    "POST /console/logistics/settings": "logistics.configure",
    "POST /console/logistics/settings/secrets": "logistics.configure",
    # the analytics plugin (plugins/veriseal_analytics/console_pages.py)
    "GET /console/analytics": "analytics.view",
    "GET /console/analytics/scans": "analytics.view",
    "GET /console/analytics/stock": "analytics.view",
    "GET /console/analytics/behaviour": "analytics.view",
    "GET /console/analytics/reports": "analytics.view",
    "POST /console/analytics/reports/exports": "analytics.export",
    "POST /console/analytics/reports/saved": "analytics.view",
    r"POST /console/analytics/reports/saved/{id:\d+}/delete": "analytics.view",
    r"GET /console/analytics/reports/exports/{id:\d+}": "analytics.export",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(:[^}]*)?\}")


def _concrete(path: str, value: int = 1) -> str:
    """A view path with every placeholder filled with ``value`` (the access and CSRF
    checks run before the handler reads any of them)."""
    return _PLACEHOLDER.sub(str(value), path)


#: Views whose placeholder is a user: each role opens its own record there (somebody
#: else's may be out of the reader's reach: the service's 403, not the console's).
_OWN_RECORD = re.compile(r"/console/users/\{id")


def _app_console(console: ConsoleLive) -> Console:
    assert console.app is not None
    return console.app[CONSOLE]


async def test_every_view_has_an_expected_access(console: ConsoleLive) -> None:
    declared = {f"{v.method} {v.path}": v for _, v in _app_console(console).views}
    assert set(declared) == set(EXPECTED), (
        sorted(set(declared) - set(EXPECTED)),
        sorted(set(EXPECTED) - set(declared)),
    )
    for key, view in declared.items():
        want = EXPECTED[key]
        if want == PUBLIC:
            assert view.public, key
        elif want == SIGNED_IN:
            assert not view.public and view.action is None, key
        else:
            assert view.action == Action(want), key


async def test_each_role_opens_exactly_the_pages_its_role_holds(console: ConsoleLive) -> None:
    for role_name, (role, _org) in USERS.items():
        client = await console.client(role_name)
        for key, want in EXPECTED.items():
            method, path = key.split(" ", 1)
            if method != "GET" or want in (PUBLIC,):
                continue
            own = console.user_ids[role_name] if _OWN_RECORD.match(path) else 1
            r = await client.raw("GET", _concrete(path, own))
            allowed = want == SIGNED_IN or role in MATRIX[Action(want)]
            if allowed:
                assert r.status != 403 and r.status < 500, (role_name, key, r.status)
            else:
                assert r.status == 403, (role_name, key, r.status)


async def test_not_signed_in_goes_to_sign_in(console: ConsoleLive) -> None:
    anon = await console.anonymous()
    for key, want in EXPECTED.items():
        method, path = key.split(" ", 1)
        if want == PUBLIC:
            continue
        r = await anon.raw(method, _concrete(path), data={})
        assert r.status == 303 and r.headers["Location"].startswith("/console/signin"), key


async def test_every_post_without_its_csrf_token_is_refused(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    anon = await console.anonymous()
    await anon.get("/console/signin")
    before = await _fingerprint(console)
    for key, want in EXPECTED.items():
        method, path = key.split(" ", 1)
        if method != "POST":
            continue
        client = anon if want == PUBLIC else admin
        for data in ({}, {"_csrf": "forged"}, {"_csrf": ""}):
            r = await client.raw("POST", _concrete(path), data=data)
            assert r.status == 403, (key, data, r.status)
        # a token of another session is no better
        other = anon if client is admin else admin
        r = await client.raw("POST", _concrete(path), data={"_csrf": other.csrf})
        assert r.status == 403, key
    assert await _fingerprint(console) == before


async def _fingerprint(console: ConsoleLive) -> dict[str, int]:
    """Row counts of every table: a refused request changes none."""
    async with console.engine.ledger.read() as tx:
        names = [
            r["name"]
            for r in await tx.fetch(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name NOT LIKE '%_fts%'"
            )
        ]
        counts = {}
        for name in names:
            row = await tx.fetchrow(f'SELECT count(*) AS n FROM "{name}"')
            counts[name] = int(row["n"]) if row else 0
    counts.pop("login_attempts", None)  # signing the test clients in is not the point here
    return counts


class _PageRules(HTMLParser):
    """Finds what the CSP would block: inline scripts, style attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        kinds = dict(attrs)
        if tag == "script" and "src" not in names and kinds.get("type") != "application/json":
            self.problems.append("inline <script>")
        if "style" in names:
            self.problems.append(f"style= on <{tag}>")
        self.problems += [f"{k}= on <{tag}>" for k in names if k.startswith("on")]
        if tag == "style":
            self.problems.append("<style> element")


async def test_pages_need_no_unsafe_inline(console: ConsoleLive) -> None:
    for role_name, (role, _org) in USERS.items():
        client = await console.client(role_name)
        for key, want in EXPECTED.items():
            method, path = key.split(" ", 1)
            if method != "GET" or "{" in path:
                continue
            if want not in (PUBLIC, SIGNED_IN) and role not in MATRIX[Action(want)]:
                continue
            r = await client.raw("GET", path)
            assert "script-src 'self'" in r.headers["Content-Security-Policy"], key
            if "text/html" not in r.headers.get("Content-Type", ""):
                continue
            rules = _PageRules()
            rules.feed(await r.text())
            assert not rules.problems, (role_name, key, rules.problems)


async def test_roles_cover_every_role() -> None:
    assert {role for role, _ in USERS.values()} == set(Role)
