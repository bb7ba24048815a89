"""The sales dashboard on a real console server over loopback HTTP, on both backends
(the analytics world): the KPIs are commerce's own order totals, the drill-down goes
province -> city -> dealer, a ranking exports as CSV (``analytics.export``), a bad
period is a 400 with its code and nothing else; in Chromium at a phone's width the
charts draw and axe finds nothing serious; a dealer's catalogue page shows its
suggestions."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from tests.console.browser import PHONE, axe, describe, launch, page_errors, serious, shot
from tests.console.conftest import ConsoleLive, free_port
from veriseal.accounts.models import SYSTEM, Role
from veriseal.console.site import make_site
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner
from veriseal_analytics.exports import jobs
from veriseal_analytics.saved import saved_reports

PW = "correct horse battery staple 42"
#: charts.js marks each chart drawn, or failed with its reason
DRAWN = "el => el.hasAttribute('data-chart-ready') || el.hasAttribute('data-chart-error')"


@pytest.fixture
async def live(world: World) -> AsyncIterator[ConsoleLive]:
    shop = world.shop
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "gd": (Role.DISTRIBUTOR, shop.orgs["GD01"])}
    users = {}
    for name, (role, org) in people.items():
        login = f"{name}@analytics.example"
        await shop.engine.accounts.create_user(SYSTEM, contact=login, display_name=name,
                                               role=role, org_id=org, password=PW)  # fmt: skip
        users[name] = (login, PW)
    port = free_port()
    runner = ApiRunner(make_site(shop.engine, Limits(per_minute=0)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    served = ConsoleLive(f"http://127.0.0.1:{port}", shop.engine, [], users, {})
    try:
        yield served
    finally:
        for c in served._clients:
            await c.close()
        await runner.cleanup()


async def _sold(world: World) -> int:
    one = await world.paid("gd", "440300", [(TEA, 12), (WINE, 2)])
    two = await world.paid("shop", "440100", [(TEA, 5)])
    await world.shop.drain()
    return one.total + two.total


async def test_the_dashboard_drills_down_and_exports(world: World, live: ConsoleLive) -> None:
    total = await _sold(world)
    admin = await live.client("admin")
    status, html = await admin.get("/console/analytics?period=7d&compare=none")
    assert status == 200, html[:500]
    assert f"¥{total / 100:,.2f}" in html
    for chart in ("chart-trend", "chart-product", "chart-map"):
        assert f'data-source="{chart}"' in html, chart
    assert 'data-key="CN-GD"' in html and "within=CN-GD" in html
    status, html = await admin.get("/console/analytics?period=7d&within=CN-GD")
    assert status == 200 and 'data-key="440100"' in html and 'data-key="440300"' in html
    status, html = await admin.get("/console/analytics?period=7d&within=440100")
    assert f'data-key="440100|{world.shop.orgs["GZ-R1"]}"' in html
    status, body = await admin.get("/console/analytics?period=7d&by=product&export=csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    by_gtin = {r[0]: r for r in rows[1:]}
    assert set(by_gtin) == {TEA, WINE}
    assert int(by_gtin[TEA][3]) == 17  # units column
    status, html = await admin.get("/console/analytics?period=forever")
    assert status == 400 and "[invalid_input]" in html


async def test_a_dealer_cannot_open_it_but_sees_its_suggestions(
    world: World, live: ConsoleLive
) -> None:
    await _sold(world)
    gd = await live.client("gd")
    status, _ = await gd.get("/console/analytics")
    assert status == 403
    status, html = await gd.get("/console/commerce/catalogue")
    assert status == 200 and 'id="suggested"' in html
    assert f'data-gtin="{TEA}"' in html.split('id="suggested"')[1].split("</section>")[0]


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
async def test_the_dashboard_in_the_browser(world: World, live: ConsoleLive) -> None:
    await _sold(world)
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            page = await (await browser.new_context(viewport=PHONE, is_mobile=True,
                                                    locale="zh-CN")).new_page()  # fmt: skip
            errors = page_errors(page)
            login, password = live.users["admin"]
            await page.goto(f"{live.base}/console/signin?lang=zh")
            await page.fill("#identifier", login)
            await page.fill("#password", password)
            await page.click("form[action='/console/signin'] button[type=submit]")
            await page.wait_for_url("**/console/**")
            await page.goto(f"{live.base}/console/analytics?period=7d")
            for chart in ("chart-trend", "chart-product", "chart-map"):
                div = page.locator(f'div[data-source="{chart}"]')
                await div.wait_for(state="attached")
                await page.wait_for_function(DRAWN, arg=await div.element_handle(), timeout=20_000)
                assert await div.get_attribute("data-chart-error") is None, chart
            bad = serious(await axe(page))
            assert bad == [], describe(bad)
            wide = "() => document.documentElement.scrollWidth - window.innerWidth"
            assert await page.evaluate(wide) <= 1
            await shot(page, "analytics-sales")
            assert errors == [], "\n".join(errors)
        finally:
            await browser.close()


async def test_a_report_built_in_the_console_exports_in_the_background(
    world: World, live: ConsoleLive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    await _sold(world)
    admin = await live.client("admin")
    ask = "dim1=province&dim2=product&m_units=1&m_revenue=1&period=7d&compare=none"
    status, html = await admin.get(f"/console/analytics/reports?{ask}")
    assert status == 200, html[:500]
    result = html.split('id="result"')[1].split("</section>")[0]
    assert "CN-GD" in result and TEA in result and result.count("<tr>") == 1 + 2
    form = {"dim1": "province", "dim2": "product", "m_units": "1", "period": "7d",
            "compare": "none", "format": "csv"}  # fmt: skip
    status, html = await admin.post("/console/analytics/reports/exports", form)
    assert status == 200 and "export-" in html
    await jobs(world.ctx).wait()
    status, html = await admin.get("/console/analytics/reports")
    job = re.search(r'id="export-(\d+)" data-status="done"', html)
    assert job, html[:3000]
    r = await admin.raw("GET", f"/console/analytics/reports/exports/{job.group(1)}")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    # a bad definition is refused with its code, on the page, and starts nothing
    status, html = await admin.get("/console/analytics/reports?dim1=nonsense")
    assert (status == 400 and "[invalid_input]" in html) or "[analytics_report_invalid]" in html
    gd = await live.client("gd")
    assert (await gd.get("/console/analytics/reports"))[0] == 403
    assert (await gd.raw("GET", f"/console/analytics/reports/exports/{job.group(1)}")).status == 403


async def test_a_report_is_saved_scheduled_and_reopened_from_the_console(
    world: World, live: ConsoleLive
) -> None:
    await _sold(world)
    admin = await live.client("admin")
    form = {"dim1": "province", "m_units": "1", "period": "30d", "compare": "none",
            "name": "各省销量", "schedule": "weekly", "format": "pdf",
            "share": "brand_admin"}  # fmt: skip
    status, html = await admin.post("/console/analytics/reports/saved", form)
    assert status == 200 and "各省销量" in html, html[:2000]
    [saved] = await saved_reports(world.ctx).listing(SYSTEM, world.shop.brand)
    assert (saved.schedule, saved.format, saved.share_roles) == ("weekly", "pdf", ("brand_admin",))
    assert saved.spec.dimensions == ("province",) and saved.spec.measures == ("units",)
    # its link reopens the builder on the same definition, with the same rows
    link = re.search(rf'id="saved-{saved.id}"><a href="([^"]+)"', html)
    assert link, html[:3000]
    status, page = await admin.get(link.group(1).replace("&amp;", "&"))
    assert status == 200 and "CN-GD" in page.split('id="result"')[1]
    # the same name again is refused with its code and saves nothing
    status, html = await admin.post("/console/analytics/reports/saved", form)
    assert "[analytics_saved_exists]" in html
    assert len(await saved_reports(world.ctx).listing(SYSTEM, world.shop.brand)) == 1
    # a dealer cannot save one
    gd = await live.client("gd")
    assert (await gd.post("/console/analytics/reports/saved", form))[0] == 403
    status, html = await admin.post(f"/console/analytics/reports/saved/{saved.id}/delete", {})
    assert status == 200 and await saved_reports(world.ctx).listing(
        SYSTEM, world.shop.brand) == []  # fmt: skip
