"""What the inventory console tests share: the world's engine served by the real console
with a password user per named role, and a phone-width sweep of pages in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiohttp import web
from playwright.async_api import async_playwright

from tests.console.browser import PHONE, axe, describe, launch, page_errors, serious
from tests.console.conftest import ConsoleLive, free_port
from veriseal.accounts.models import SYSTEM, Role
from veriseal.console.site import make_site
from veriseal.engine import Engine
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner

PW = "correct horse battery staple 42"


@asynccontextmanager
async def serve(engine: Engine, people: dict[str, tuple[Role, int]], domain: str
                ) -> AsyncIterator[ConsoleLive]:  # fmt: skip
    """``engine`` behind the console on a free loopback port; a user ``<name>@<domain>``
    with password :data:`PW` for each of ``people`` (name -> (role, org id))."""
    users = {}
    for name, (role, org) in people.items():
        login = f"{name}@{domain}"
        await engine.accounts.create_user(SYSTEM, contact=login, display_name=name,
                                          role=role, org_id=org, password=PW)  # fmt: skip
        users[name] = (login, PW)
    port = free_port()
    runner = ApiRunner(make_site(engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    served = ConsoleLive(f"http://127.0.0.1:{port}", engine, [], users, {})
    try:
        yield served
    finally:
        for c in served._clients:
            await c.close()
        await runner.cleanup()


async def phone_sweep(live: ConsoleLive, user: str, paths: Sequence[str],
                      then: str | None = None) -> list[str]:  # fmt: skip
    """Open each of ``paths`` as ``user`` in Chromium at a phone's viewport: what axe
    finds serious or critical, what is wider than the phone, and any script error or
    CSP violation (each page must answer 200). ``then``: a selector the last page must
    come to show (what its script adds)."""
    failures: list[str] = []
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            context = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            page = await context.new_page()
            errors = page_errors(page)
            login, password = live.users[user]
            await page.goto(live.base + "/console/signin")
            await page.fill("#identifier", login)
            await page.fill("#password", password)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/**")
            for path in paths:
                response = await page.goto(live.base + path)
                assert response is not None and response.status == 200, path
                bad = serious(await axe(page))
                if bad:
                    failures.append(f"{path}: {describe(bad)}")
                wide = await page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                if wide > 1:
                    failures.append(f"{path}: {wide}px wider than the phone")
            if then is not None:
                await page.wait_for_selector(then)
            failures += [f"{user}: {e}" for e in errors]
            await context.close()
        finally:
            await browser.close()
    return failures
