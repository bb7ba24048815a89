"""Passkeys in the console, in Chromium with a virtual authenticator (the DevTools
protocol's WebAuthn domain: a platform authenticator with user verification, as a
phone's fingerprint reader): add one on the account page, sign out, sign in with it.

WebAuthn refuses IP addresses as relying-party ids, so the browser reaches the server as
``localhost`` (a secure context, like 127.0.0.1)."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import async_playwright

from .browser import PHONE, launch, page_errors, shot
from .conftest import ConsoleLive


async def test_add_a_passkey_then_sign_in_with_it(console: ConsoleLive) -> None:
    base = console.base.replace("127.0.0.1", "localhost")
    login, password = console.users["distributor"]
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            context = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            page = await context.new_page()
            errors = page_errors(page)
            cdp = await context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable")
            await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                "hasUserVerification": True, "isUserVerified": True}})  # fmt: skip
            await page.goto(base + "/console/signin")
            await page.fill("#identifier", login)
            await page.fill("#password", password)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/")
            await page.goto(base + "/console/account")
            await page.click("#passkey-register")
            await page.wait_for_function(
                "() => document.getElementById('passkey-status').textContent.includes('已添加')"
            )
            await shot(page, "passkey-added")
            await page.click("header form[action='/console/signout'] button")
            await page.wait_for_url("**/console/signin**")
            await page.click("#passkey-signin")
            await page.wait_for_url("**/console/")
            assert "Distributor" in await page.inner_text("header")
            await shot(page, "passkey-signed-in")
            assert not errors, errors
        finally:
            await browser.close()
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    attempts = await console.engine.accounts.store.recent_attempts(
        console.user_ids["distributor"], since
    )
    assert [a.method for a in attempts if a.success][:2] == ["passkey", "password"]
