"""The brand console in Chromium at a phone's width and on a desktop: the dashboard's
charts are drawn under the CSP (pie, trend line, province map), and the brand pages pass
axe with nothing serious; screenshots of each."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import Page, async_playwright

from veriseal.models import AlertKind, NewAlert

from .browser import DESKTOP, PHONE, axe, describe, launch, page_errors, serious, shot
from .conftest import ConsoleLive
from .test_brand_pages import _scans


async def _checked(page: Page, name: str) -> None:
    await shot(page, name)
    bad = serious(await axe(page))
    assert not bad, f"{name}: {describe(bad)}"


async def test_brand_pages_in_a_browser(console: ConsoleLive) -> None:
    [scan_id, *_] = await _scans(console, 40)
    brand = await console.engine.brand(None)
    alert_id = await console.engine.ledger.append_alert(NewAlert(
        dt.datetime.now(dt.UTC), brand.id, AlertKind.CLONE_COUNT, "CODE0", (scan_id,),
        '{"count": 21}'))  # fmt: skip
    batch = (await console.engine.batches.list(brand))[0]
    login, password = console.users["brand_admin"]
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for size, tag in ((PHONE, "phone"), (DESKTOP, "desktop")):
                context = await browser.new_context(viewport=size, is_mobile=size is PHONE,
                                                    locale="zh-CN")  # fmt: skip
                page = await context.new_page()
                errors = page_errors(page)
                await page.goto(console.base + "/console/signin")
                await page.fill("#identifier", login)
                await page.fill("#password", password)
                await page.click("form[action='/console/signin'] button[type=submit]")
                await page.wait_for_url("**/console/**")
                await page.goto(console.base + "/console/dashboard")
                for kind in ("pie", "line", "map"):
                    await page.wait_for_selector(f"[data-chart={kind}][data-chart-ready]")
                await _checked(page, f"brand-dashboard-{tag}")
                for path, name in (
                    (f"/console/batches/{batch.id}", "batch"),
                    ("/console/scans?outcome=genuine", "scans"),
                    (f"/console/alerts/{alert_id}", "alert"),
                    ("/console/keys", "keys"),
                ):
                    await page.goto(console.base + path)
                    await _checked(page, f"brand-{name}-{tag}")
                assert errors == [], errors
                await context.close()
        finally:
            await browser.close()
