"""Every console page each role may open, in Chromium at a phone's viewport: axe-core
finds nothing serious or critical, the page raises no CSP violation or script error, and
nothing is wider than the phone. A screenshot of each under the test's folder.

The pages are the views without path parameters (those with one are opened by the
journeys and the pages' own tests, with real ids); which role may open which comes from
the console's access matrix (tests/console/test_access_matrix.py's EXPECTED).
"""

from __future__ import annotations

from playwright.async_api import async_playwright

from veriseal.accounts.permissions import MATRIX, Action

from .browser import PHONE, axe, describe, launch, page_errors, serious, shot
from .conftest import USERS, ConsoleLive
from .test_access_matrix import EXPECTED, PUBLIC, SIGNED_IN

#: one role per kind of reader: what they see covers every page
READERS = ("consumer", "retailer", "distributor", "inspector", "factory_operator",
           "brand_admin", "platform_admin")  # fmt: skip


def _pages_for(role_name: str) -> list[str]:
    role = USERS[role_name][0]
    out = []
    for key, want in EXPECTED.items():
        method, path = key.split(" ", 1)
        if method != "GET" or "{" in path or path.endswith((".js", ".json")):
            continue
        if want in (PUBLIC, SIGNED_IN) or role in MATRIX[Action(want)]:
            out.append(path)
    return sorted(out)


async def test_every_page_passes_axe_at_phone_width(console: ConsoleLive) -> None:
    failures: list[str] = []
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for role_name in READERS:
                context = await browser.new_context(viewport=PHONE, is_mobile=True,
                                                    locale="zh-CN")  # fmt: skip
                page = await context.new_page()
                errors = page_errors(page)
                login, password = console.users[role_name]
                await page.goto(console.base + "/console/signin")
                await page.fill("#identifier", login)
                await page.fill("#password", password)
                await page.click("form[action='/console/signin'] button[type=submit]")
                await page.wait_for_url("**/console/**")
                for path in _pages_for(role_name):
                    response = await page.goto(console.base + path)
                    assert response is not None
                    if "text/html" not in (response.headers.get("content-type") or ""):
                        continue
                    name = f"{role_name}{path.replace('/', '-')}"
                    await shot(page, name)
                    bad = serious(await axe(page))
                    if bad:
                        failures.append(f"{name}: {describe(bad)}")
                    wide = await page.evaluate(
                        "() => document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if wide > 1:
                        failures.append(f"{name}: {wide}px wider than the phone")
                failures += [f"{role_name}: {e}" for e in errors]
                await context.close()
        finally:
            await browser.close()
    assert not failures, "\n".join(failures)
