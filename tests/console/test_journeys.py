"""The issue's journeys in a real browser (Debian Chromium) at a phone's viewport, with a
desktop look at each main page: screenshots of every step under the test's folder and
axe-core on every page (no serious or critical violation).

- a consumer signs up with a code that travels by e-mail (a real SMTP server), scans a
  code by typing it, and reads it back in their history;
- a dealer signs in, ships a case by typing its code, and sees the holding move;
- a brand admin confirms a diversion alert with a penalty, and the dealer sees it.
"""

from __future__ import annotations

import re

from playwright.async_api import Page, async_playwright

from tests.notifications.conftest import SmtpBox, smtp_server  # noqa: F401 - a fixture
from tests.territories.test_console_pages import adopt, case_of, holders, services
from veriseal.accounts.models import SYSTEM
from veriseal.notifications import DeliveryWorker
from veriseal.notifications.settings import NotifySettings

from .browser import DESKTOP, PHONE, axe, describe, launch, page_errors, serious, shot
from .conftest import ConsoleLive


async def _checked(page: Page, name: str) -> None:
    """A screenshot, and axe with nothing serious or critical."""
    await shot(page, name)
    bad = serious(await axe(page))
    assert not bad, f"{name}: {describe(bad)}"


async def _sign_in(page: Page, console: ConsoleLive, role: str) -> None:
    login, password = console.users[role]
    await page.goto(console.base + "/console/signin")
    await page.fill("#identifier", login)
    await page.fill("#password", password)
    await page.click("form[action='/console/signin'] button[type=submit]")
    await page.wait_for_url("**/console/**")


async def test_consumer_signs_up_scans_and_reads_history(
    console: ConsoleLive,
    smtp_server: tuple[SmtpBox, int],  # noqa: F811
) -> None:
    box, port = smtp_server
    settings = NotifySettings(email={"host": "127.0.0.1", "port": port, "starttls": False,
                                     "sender": "Veriseal <noreply@demo.example>"})  # fmt: skip
    worker = DeliveryWorker(console.engine.ledger,
                            settings.senders(console.engine.notifier.contacts))  # fmt: skip
    code_uri = console.base + "/01/" + console.codes[0].uri.split("/01/", 1)[1]
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            phone = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            page = await phone.new_page()
            errors = page_errors(page)
            await page.goto(console.base + "/console/signup")
            await _checked(page, "consumer-signup")
            await page.fill("#contact", "Mei.Lin@example.com")
            await page.click("form[action='/console/signup'] button[type=submit]")
            await page.wait_for_selector("#code")
            assert (await worker.run_once()).delivered == 1
            text = box.messages[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
            found = re.search(r"\b(\d{6})\b", text)
            assert found is not None
            await page.fill("#code", found.group(1))
            await page.fill("#display_name", "林梅")
            await page.fill("#password", "a long pass phrase for tea")
            await _checked(page, "consumer-signup-code")
            await page.click("form[action='/console/signup/confirm'] button[type=submit]")
            await page.wait_for_url("**/console/")
            assert "林梅" in await page.inner_text("header")
            await _checked(page, "consumer-home")

            await page.goto(console.base + "/console/scan")
            await _checked(page, "consumer-scan")
            await page.fill("input[name=code]", code_uri)
            await page.click("form[data-scanner] button[type=submit]")
            await page.wait_for_selector("[data-outcome]")
            assert await page.get_attribute("[data-outcome]", "data-outcome") == "genuine"
            await _checked(page, "consumer-verdict")

            await page.goto(console.base + "/console/my/scans")
            history = await page.inner_text("main")
            assert "龙井" in history
            await _checked(page, "consumer-my-scans")
            desk = await browser.new_context(viewport=DESKTOP, locale="en-US")
            await desk.add_cookies(await phone.cookies())
            dpage = await desk.new_page()
            await dpage.goto(console.base + "/console/my/scans?lang=en")
            assert "Longjing" in await dpage.inner_text("main")
            await _checked(dpage, "consumer-my-scans-desktop")
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            await browser.close()


async def test_dealer_ships_a_case_by_typing_its_code_and_sees_the_holding(
    console: ConsoleLive,
) -> None:
    await adopt(console)
    t = services(console)
    brand = await console.engine.brand(None)
    case, _ = await case_of(console, 7, 0)
    await t.ship(SYSTEM, brand, "E01", [case])  # the brand's warehouse delivered it
    await t.receive(SYSTEM, brand, [case], at_ref="E01")
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            phone = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            page = await phone.new_page()
            await _sign_in(page, console, "distributor")
            await _checked(page, "dealer-home")
            await page.goto(console.base + "/console/territories/holdings")
            assert _held(await page.content()) == {"E01": 12}
            await _checked(page, "dealer-holdings-before")
            await page.goto(console.base + "/console/territories/ship")
            await _checked(page, "dealer-ship")
            await page.select_option("select[name=to]", "E01-R1")
            await page.fill("input[name=code]", case)
            await page.click("form[data-scanner] button[type=submit]")
            await page.wait_for_selector("#ship-result")
            await _checked(page, "dealer-shipped")
            await page.goto(console.base + "/console/territories/holdings")
            assert _held(await page.content()) == {"E01": 0, "E01-R1": 12} or _held(
                await page.content()
            ) == {"E01-R1": 12}
            await _checked(page, "dealer-holdings-after")
            await page.goto(console.base + "/console/territories/shipments")
            await _checked(page, "dealer-shipments")
            desk = await browser.new_context(viewport=DESKTOP, locale="en-US")
            await desk.add_cookies(await phone.cookies())
            dpage = await desk.new_page()
            await dpage.goto(console.base + "/console/territories/holdings?lang=en")
            await _checked(dpage, "dealer-holdings-desktop")
        finally:
            await browser.close()


async def test_admin_confirms_a_diversion_with_a_penalty_and_the_dealer_sees_it(
    console: ConsoleLive,
) -> None:
    await adopt(console)
    t = services(console)
    brand = await console.engine.brand(None)
    case, _ = await case_of(console, 8, 24)
    await t.ship(SYSTEM, brand, "E01", [case])
    [alert_id] = (await t.receive(SYSTEM, brand, [case], at_ref="S01")).diversion_alerts
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            desk = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
            page = await desk.new_page()
            await _sign_in(page, console, "brand_admin")
            await _checked(page, "admin-home")
            await page.goto(console.base + "/console/territories/diversion")
            await _checked(page, "admin-diversion-list")
            await page.click(f"[data-alert='{alert_id}'] a")
            await page.wait_for_selector("#investigate")
            await _checked(page, "admin-alert")
            await page.fill("#investigate textarea[name=note], #investigate input[name=note]",
                            "已联系华东经销商")  # fmt: skip
            await page.click("#investigate button[type=submit]")
            await page.wait_for_selector("#confirm")
            await page.fill("#confirm [name=note]", "货物流向广州批发商")
            await page.fill("#confirm [name=penalty_amount]", "5000")
            await page.fill("#confirm [name=penalty_reason]", "合同第7条")
            await _checked(page, "admin-alert-confirm")
            await page.click("#confirm button[type=submit]")
            await page.wait_for_selector("#timeline")
            assert await page.locator("#confirm").count() == 0  # decided: no more forms
            assert "合同第7条" in await page.inner_text("#timeline")
            await _checked(page, "admin-alert-confirmed")

            phone = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
            dpage = await phone.new_page()
            await _sign_in(dpage, console, "distributor")
            await dpage.goto(console.base + "/console/territories/alerts")
            await _checked(dpage, "dealer-alerts")
            await dpage.goto(console.base + f"/console/territories/alerts/{alert_id}")
            text = await dpage.inner_text("#penalties")
            assert "合同第7条" in text and "5,000" in text
            await _checked(dpage, "dealer-alert-penalty")
        finally:
            await browser.close()


def _held(page: str) -> dict[str, int]:
    return {k: v for k, v in holders(page).items() if v}
