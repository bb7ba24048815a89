"""Third-party sign-in through the console, against a real OpenID provider
(node-oidc-provider on loopback): the sign-in page's button, the provider's login, the
callback and the session cookie; the account page's linked accounts (link, unlink)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web

from tests.accounts.oidc_live import CLIENT, OidcServer, TamperProxy, browser_login, start_provider
from tests.console.conftest import ConsoleClient, ConsoleLive, free_port, seed_people
from veriseal import demo
from veriseal.accounts.models import SYSTEM, Role
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config, sqlite_url
from veriseal.console.site import make_site
from veriseal.engine import Engine
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner

PORT = free_port()
CALLBACK = f"http://127.0.0.1:{PORT}/console/signin/ext/corp/callback"


@pytest.fixture(scope="module")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    yield from start_provider(tmp_path_factory.mktemp("oidc"), [CALLBACK])


@pytest.fixture
async def live(tmp_path: Path, oidc: OidcServer) -> AsyncIterator[ConsoleLive]:
    key = tmp_path / "k.key"
    create_key_file(key)
    corp = {"kind": "oidc", "issuer": oidc.issuer, "client_id": CLIENT["client_id"],
            "client_secret": CLIENT["client_secret"], "title_en": "Corp SSO",
            "title_zh": "企业账号"}  # fmt: skip
    cfg = Config(None, sqlite_url(tmp_path / "c.sqlite3"), KeySource(key_file=key),
                 tables={"auth": {"providers": {"corp": corp}}})  # fmt: skip
    engine = await Engine.open(cfg)
    codes = await demo.seed(engine, f"127.0.0.1:{PORT}")
    users, orgs, ids = await seed_people(engine)
    runner = ApiRunner(make_site(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", PORT).start()
    live = ConsoleLive(f"http://127.0.0.1:{PORT}", engine, codes, users, orgs, ids)
    try:
        async with TamperProxy(oidc):
            yield live
    finally:
        for c in live._clients:
            await c.close()
        await runner.cleanup()
        await engine.close()


async def _to_provider(c: ConsoleClient, method: str, path: str, **kw: object) -> str:
    """The provider URL a console page sends the browser to (and the binding cookie it
    sets stays in ``c``'s jar)."""
    resp = await c.raw(method, path, **kw)
    assert resp.status == 303, resp.status
    location = resp.headers["Location"]
    assert location.startswith("http://127.0.0.1:") and "/auth?" in location, location
    return location


async def _provider_login(url: str, login: str) -> str:
    """The callback URL the provider redirects the browser to after ``login`` signs in
    (with ``lang=en``: the console's pages in English from there on)."""
    back = await browser_login(url, login, CALLBACK)
    return "/console/signin/ext/corp/callback?" + urlencode({**back, "lang": "en"})


async def test_sign_in_with_the_provider_from_the_sign_in_page(live: ConsoleLive) -> None:
    c = await live.anonymous()
    status, page = await c.get("/console/signin?next=/console/account&lang=en")
    assert status == 200
    button = re.search(r'href="(/console/signin/ext/corp[^"]*)"[^>]*>([^<]+)<', page)
    assert button is not None and button.group(2) == "Sign in with Corp SSO"
    assert button.group(1) == "/console/signin/ext/corp?next=/console/account"
    callback = await _provider_login(await _to_provider(c, "GET", button.group(1)), "alice")

    status, page = await c.get(callback)  # -> the session cookie, then /console/account
    assert status == 200 and "/console/signout" in page and "Alice Li" in page
    assert 'id="linked-accounts"' in page and "alice@corp.example" in page
    user = next(u for u in await live.engine.accounts.list_users(SYSTEM)
                if u.email == "alice@corp.example")  # fmt: skip
    assert user.role is Role.CONSUMER

    # the callback URL answers once, and only in the browser that started the request
    again = await live.anonymous()
    status, page = await again.get(callback)
    assert status == 400 and "/console/signout" not in page
    assert "This sign-in link is used or expired" in page
    status, page = await c.get("/console/signin/ext/corp?next=/console/")
    assert status == 200 and "/console/signout" in page  # signed in already: no new request


async def test_a_callback_in_another_browser_signs_nobody_in(live: ConsoleLive) -> None:
    victim, attacker = await live.anonymous(), await live.anonymous()
    await victim.get("/console/signin")
    # the attacker starts a sign-in with its own account and hands the callback on
    callback = await _provider_login(
        await _to_provider(attacker, "GET", "/console/signin/ext/corp"), "bob"
    )
    status, page = await victim.get(callback)
    assert status == 400 and "/console/signout" not in page
    assert [u for u in await live.engine.accounts.list_users(SYSTEM)
            if u.email == "bob@corp.example"] == []  # fmt: skip


async def test_link_and_unlink_from_the_account_page(live: ConsoleLive) -> None:
    c = await live.client("consumer")
    status, page = await c.get("/console/account")
    assert status == 200 and 'action="/console/account/ext/corp/link"' in page
    url = await _to_provider(c, "POST", "/console/account/ext/corp/link", data={"_csrf": c.csrf})
    status, page = await c.get(await _provider_login(url, "carol"))
    assert status == 200 and "Corp SSO linked." in page
    assert 'action="/console/account/ext/corp/unlink"' in page

    # carol's identity now signs in to this account
    other = await live.anonymous()
    status, page = await other.get(await _provider_login(
        await _to_provider(other, "GET", "/console/signin/ext/corp"), "carol"))  # fmt: skip
    assert status == 200 and "Consumer" in page and "/console/signout" in page

    # it cannot be linked to a second account
    admin = await live.client("brand_admin")
    await admin.get("/console/account")
    url = await _to_provider(
        admin, "POST", "/console/account/ext/corp/link", data={"_csrf": admin.csrf}
    )
    status, page = await admin.get(await _provider_login(url, "carol"))
    assert status == 200 and "This outside account is linked to another account" in page

    # without a CSRF token nothing happens; with it, the identity goes
    status, _ = await c.post("/console/account/ext/corp/unlink", csrf=False)
    assert status == 403
    status, page = await c.post("/console/account/ext/corp/unlink")
    assert status == 200 and "Unlinked." in page
    assert 'action="/console/account/ext/corp/link"' in page


async def test_the_only_way_in_is_not_unlinked(live: ConsoleLive) -> None:
    """carol's provider gives no verified e-mail: her account has no contact and no
    password, and unlinking would lock her out."""
    c = await live.anonymous()
    status, page = await c.get(await _provider_login(
        await _to_provider(c, "GET", "/console/signin/ext/corp"), "carol"))  # fmt: skip
    assert status == 200 and "/console/signout" in page
    status, page = await c.get("/console/account")
    assert status == 200 and "None" not in page  # an account without e-mail or phone
    status, page = await c.post("/console/account/ext/corp/unlink")
    assert status == 409 and "your only way to sign in" in page
