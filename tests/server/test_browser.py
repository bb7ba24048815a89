"""The verdict page in a real headless browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from .conftest import Live

SHOTS = Path(os.environ.get("VERISEAL_SCREENSHOTS", "/tmp"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags this machine's closed network needs (no background calls home), see env docs.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is required: scripts/bootstrap installs it (apt-get install chromium)"
        )
    return CHROMIUM


async def test_phone_reads_the_verdict_in_both_languages(
    live: Live, chromium: str, tmp_path: Path
) -> None:
    genuine = live.local(live.codes[0].uri)
    pin_code = next(c for c in live.codes if c.pin)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            phone = await browser.new_context(
                locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
            )
            page = await phone.new_page()
            await page.goto(genuine)
            await page.wait_for_url("**noloc=1**")  # declined (headless): checked without it
            verdict = page.locator("#verdict")
            assert await verdict.get_attribute("data-outcome") == "genuine"
            assert "正品" in await verdict.inner_text()
            assert "龙井" in await page.locator("dl").inner_text()
            await page.screenshot(path=str(SHOTS / "verdict-zh.png"))
            await page.goto(genuine)  # the second look warns that it was verified before
            assert "此前已被查询" in await page.locator("#history").inner_text()
            await page.click("nav a")  # the language switch
            assert "Genuine" in await page.locator("#verdict").inner_text()

            await page.goto(live.local(pin_code.uri))
            assert await page.locator("#verdict").get_attribute("data-outcome") == "pin_required"
            assert pin_code.pin is not None
            await page.fill("input[name=pin]", pin_code.pin)
            await page.click("button[type=submit]")
            assert await page.locator("#verdict").get_attribute("data-outcome") == "genuine"
            assert "17=" in page.url  # the form kept the rest of the printed link
            assert (
                await page.locator("#history").count() == 0
            )  # asking for the PIN is no verification
            await page.screenshot(path=str(SHOTS / "verdict-pin-zh.png"))

            # This phone shares its location: the scan is recorded with it.
            sharing = await browser.new_context(
                locale="en-US",
                permissions=["geolocation"],
                geolocation={"latitude": 30.2741, "longitude": 120.1551, "accuracy": 25},
            )
            page = await sharing.new_page()
            await page.goto(live.local(live.codes[2].uri))
            await page.wait_for_url("**lat=**")
            assert await page.locator("#verdict").get_attribute("data-outcome") == "genuine"
            brand = await live.engine.brands.get("demo")
            last = (await live.engine.ledger.list_scans(brand.id))[-1].scan
            assert last.location is not None
            assert (round(last.location.lat, 4), round(last.location.lon, 4)) == (30.2741, 120.1551)
            assert last.location.accuracy_m == 25.0
        finally:
            await browser.close()
