"""The console shell: sign-in, sessions, CSRF, headers, access, errors, language."""

from __future__ import annotations

import re

from .conftest import ConsoleLive


async def test_sign_in_sets_a_new_http_only_secure_session(console: ConsoleLive) -> None:
    c = await console.anonymous()
    status, html = await c.get("/console/account")
    assert status == 200 and 'action="/console/signin"' in html  # sent to sign in
    planted = "vst_1_planted"
    c.session.cookie_jar.update_cookies({"__Host-vs_session": planted})
    login, pw = console.users["retailer"]
    r = await c.raw("POST", "/console/signin",
                    data={"identifier": login, "password": pw, "_csrf": c.csrf})  # fmt: skip
    assert r.status == 303
    cookie = r.cookies["__Host-vs_session"]
    assert cookie.value != planted and cookie.value.startswith("vst_")
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"


async def test_wrong_password_rerenders_with_401(console: ConsoleLive) -> None:
    c = await console.anonymous()
    await c.get("/console/signin")
    status, html = await c.post("/console/signin", {"identifier": "retailer@demo.example",
                                                    "password": "nope"})  # fmt: skip
    assert status == 401 and 'role="alert"' in html


async def test_post_without_csrf_is_refused_and_changes_nothing(console: ConsoleLive) -> None:
    c = await console.client("consumer")
    status, html = await c.post("/console/account/profile", {"display_name": "Hacked"},
                                csrf=False)  # fmt: skip
    assert status == 403 and 'data-code="csrf_failed"' in html
    user = await console.engine.accounts.store.get_user(console.user_ids["consumer"])
    assert user.display_name == "Consumer"
    status, _ = await c.post("/console/account/profile", {"display_name": "Renamed"})
    assert status == 200
    user = await console.engine.accounts.store.get_user(console.user_ids["consumer"])
    assert user.display_name == "Renamed"


async def test_headers_forbid_inline_script_and_framing(console: ConsoleLive) -> None:
    c = await console.client("brand_admin")
    r = await c.raw("GET", "/console/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


async def test_sign_out_everywhere_ends_every_session(console: ConsoleLive) -> None:
    phone = await console.client("distributor")
    laptop = await console.client("distributor")
    status, _ = await laptop.post("/console/signout/everywhere")
    assert status == 200
    status, html = await phone.get("/console/account")
    assert 'action="/console/signin"' in html


async def test_language_switch_and_locale(console: ConsoleLive) -> None:
    c = await console.client("brand_admin")
    _, html = await c.get("/console/account?lang=en")
    assert "My account" in html and 'lang="en"' in html
    _, html = await c.get("/console/account")  # the choice is remembered
    assert "My account" in html
    _, html = await c.get("/console/account?lang=zh")
    assert "我的账户" in html


async def test_static_files_are_versioned_and_cached(console: ConsoleLive) -> None:
    c = await console.anonymous()
    _, html = await c.get("/console/signin")
    url = re.search(r'href="(/console/static/console\.css\?v=[0-9a-f]+)"', html)
    assert url
    r = await c.raw("GET", url.group(1))
    assert r.status == 200 and "immutable" in r.headers["Cache-Control"]
    r = await c.raw("GET", "/console/static/../site.py")
    assert r.status == 404


async def test_the_menu_leaves_out_a_dealers_view_for_roles_that_see_it_whole(
    console: ConsoleLive,
) -> None:
    admin = await console.client("brand_admin")
    _, html = await admin.get("/console/")
    assert 'href="/console/territories/diversion"' in html
    assert 'href="/console/territories/alerts"' not in html
    dealer = await console.client("distributor")
    _, html = await dealer.get("/console/")
    assert 'href="/console/territories/alerts"' in html
    assert 'href="/console/territories/diversion"' not in html
