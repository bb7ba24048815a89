"""The logistics pages in Chromium at a phone's width (tests/console/browser.py): axe
finds nothing serious or critical, nothing is wider than the phone, no script error or
CSP violation; the waybill's page draws its map with a numbered dot per checkpoint, the
one off the route marked, inside the phone's width. Screenshots under the test's
folder (or $VERISEAL_SCREENSHOTS)."""

from __future__ import annotations

from playwright.async_api import Page, async_playwright

from tests.console import conftest as shell
from tests.console.browser import (
    DESKTOP,
    PHONE,
    axe,
    describe,
    launch,
    page_errors,
    serious,
    shot,
)
from tests.console.conftest import ConsoleLive
from tests.logistics.console_world import BASE, waybill
from veriseal_logistics.service import of

console = shell.console  # the console shell's fixture, used here by its name


async def _sign_in(page: Page, live: ConsoleLive, role: str) -> None:
    login, password = live.users[role]
    await page.goto(live.base + "/console/signin")
    await page.fill("#identifier", login)
    await page.fill("#password", password)
    await page.click("form[action='/console/signin'] button[type=submit]")
    await page.wait_for_url("**/console/**")


async def _check(page: Page, name: str, failures: list[str]) -> None:
    await shot(page, name)
    bad = serious(await axe(page))
    if bad:
        failures.append(f"{name}: {describe(bad)}")
    wide = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if wide > 1:
        failures.append(f"{name}: {wide}px wider than the phone")


async def test_pages_and_the_map_at_phone_width(console: ConsoleLive) -> None:
    w = await waybill(console, "SF5000000001")
    brand = (await console.engine.brands.list())[0]
    await of(console.engine.plugins.context("logistics")).alerts.check(brand.id)
    failures: list[str] = []
    sweep = {
        "brand_admin": [BASE, f"{BASE}/waybills/{w.id}", f"{BASE}/alerts", f"{BASE}/new",
                        f"{BASE}/settings"],
        "distributor": [f"{BASE}/waybills/{w.id}?lang=en", f"{BASE}/alerts?lang=en"],
    }  # fmt: skip
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for role, paths in sweep.items():
                context = await browser.new_context(viewport=PHONE, is_mobile=True,
                                                    locale="zh-CN")  # fmt: skip
                page = await context.new_page()
                errors = page_errors(page)
                await _sign_in(page, console, role)
                for path in paths:
                    response = await page.goto(console.base + path)
                    assert response is not None and response.status == 200, path
                    await _check(page, f"logistics-{role}{path.replace('/', '-')}", failures)
                    if "/waybills/" in path:
                        await _map_is_drawn(page)
                failures += [f"{role}: {e}" for e in errors]
                await context.close()
            # on a desktop the map keeps a readable size beside the sidebar
            context = await browser.new_context(viewport=DESKTOP, locale="en-GB")
            page = await context.new_page()
            errors = page_errors(page)
            await _sign_in(page, console, "brand_admin")
            await page.goto(f"{console.base}{BASE}/waybills/{w.id}?lang=en")
            await _check(page, "logistics-desktop-waybill", failures)
            box = await page.locator("svg.route-map").bounding_box()
            assert box is not None and 300 < box["width"] <= 640
            failures += [f"desktop: {e}" for e in errors]
            await context.close()
        finally:
            await browser.close()
    assert not failures, "\n".join(failures)


async def _map_is_drawn(page: Page) -> None:
    """The map: four dots numbered 1-4 in timeline order, the third (Chengdu) marked off
    the route, each inside the drawing, and the drawing inside the phone's width."""
    svg = page.locator("svg.route-map")
    await svg.wait_for()
    box = await svg.bounding_box()
    assert box is not None and 300 < box["width"] <= PHONE["width"] and box["height"] > 50
    dots = await page.eval_on_selector_all(
        "svg.route-map g.checkpoint",
        """gs => gs.map(g => {
            const c = g.querySelector('circle').getBoundingClientRect();
            const s = g.ownerSVGElement.getBoundingClientRect();
            return {n: g.dataset.n, off: g.dataset.offRoute, text: g.textContent,
                    inside: c.left >= s.left - 1 && c.right <= s.right + 1
                            && c.top >= s.top - 1 && c.bottom <= s.bottom + 1};
        })""",
    )
    assert [(d["n"], d["off"]) for d in dots] == [("1", "0"), ("2", "0"), ("3", "1"), ("4", "0")]
    assert all(d["inside"] for d in dots), dots
    assert await page.locator("svg.route-map path.province").count() >= 3
    assert await page.locator("svg.route-map polyline.route").count() == 1
    # the timeline's numbers are the map's, the off-route one marked there too
    marked = await page.eval_on_selector_all("#timeline li.off-route", "ls => ls.map(l => l.id)")
    assert marked == ["cp-3"]
