"""The catalogue's console pages over real HTTP, and the product page in Chromium at a
phone's width: a brand admin builds the tree and edits a product through the forms
(coded refusals shown as error pages, nothing changed); a retailer browses and searches
in Chinese and sees no forms; a distributor of the brand sees the same catalogue."""

from __future__ import annotations

import io
import re

import aiohttp
from PIL import Image
from playwright.async_api import async_playwright

from .browser import PHONE, axe, describe, launch, page_errors, serious, shot
from .conftest import ConsoleLive


def _ids(html: str) -> dict[str, int]:
    """category path -> id, from the tree page."""
    found = re.findall(r'data-category="(\d+)" data-depth="\d+">\s*<strong>([^<]+)</strong>', html)
    return {path: int(cid) for cid, path in found}


async def test_admin_edits_retailer_browses(console: ConsoleLive) -> None:
    admin = await console.client("brand_admin")
    status, html = await admin.post(
        "/console/categories/new", {"name": "绿茶", "name_en": "Green tea"}
    )
    assert status == 200, html[:500]
    status, html = await admin.post("/console/categories/new", {"name": "礼盒"})
    ids = _ids(html)
    green, gift = ids["绿茶"], ids["礼盒"]
    status, html = await admin.post(
        f"/console/categories/{gift}", {"op": "move", "parent_id": str(green)}
    )
    assert "绿茶 / 礼盒" in _ids(html)
    before = _ids(html)
    status, html = await admin.post(
        f"/console/categories/{green}", {"op": "move", "parent_id": str(gift)}
    )
    assert status == 400 and "category_cycle" in html
    status, html = await admin.post(f"/console/categories/{green}", {"op": "delete"})
    assert status == 409 and "category_not_empty" in html
    status, html = await admin.get("/console/categories")
    assert _ids(html) == before  # the refusals changed nothing

    gtin = (await console.engine.catalogue.list(await console.engine.brand(None)))[0].gtin
    base = f"/console/catalogue/{gtin}"
    status, html = await admin.post(f"{base}/category", {"category_id": str(gift)})
    assert status == 200 and "绿茶 / 礼盒" in html
    status, html = await admin.post(f"{base}/specs", {"specs": "净含量=250克\n产地=西湖"})
    assert "产地: 西湖" in html
    status, html = await admin.post(f"{base}/units", {"case": "12", "pallet": ""})
    assert status == 200 and "= 12" in html
    status, html = await admin.post(f"{base}/units", {"case": "1"})
    assert status == 400 and "product_detail_invalid" in html
    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (0, 120, 0)).save(picture, "JPEG")
    form = aiohttp.FormData()
    form.add_field("_csrf", admin.csrf)
    form.add_field("photo", picture.getvalue(), filename="p.jpg", content_type="image/jpeg")
    async with admin.session.post(console.base + f"{base}/photo", data=form) as r:
        html = await r.text()
    assert r.status == 200 and "/api/v1/product-images/" in html

    shop = await console.client("retailer")
    status, html = await shop.get("/console/catalogue?q=西湖")
    assert status == 200 and f'data-gtin="{gtin}"' in html
    status, html = await shop.get(f"/console/catalogue?category={green}")
    assert f'data-gtin="{gtin}"' in html  # a sub-category's product
    status, html = await shop.get(base)
    assert status == 200 and "产地: 西湖" in html and 'id="set-specs"' not in html
    status, html = await shop.post(f"{base}/specs", {"specs": "x=y"})
    assert status == 403
    dealer = await console.client("distributor2")
    status, html = await dealer.get("/console/catalogue?q=西湖")
    assert status == 200 and f'data-gtin="{gtin}"' in html


async def test_product_page_at_phone_width(console: ConsoleLive) -> None:
    gtin = (await console.engine.catalogue.list(await console.engine.brand(None)))[0].gtin
    failures: list[str] = []
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for role in ("brand_admin", "retailer"):
                context = await browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
                page = await context.new_page()
                errors = page_errors(page)
                login, password = console.users[role]
                await page.goto(console.base + "/console/signin")
                await page.fill("#identifier", login)
                await page.fill("#password", password)
                await page.click("form[action='/console/signin'] button[type=submit]")
                await page.wait_for_url("**/console/**")
                for path in (f"/console/catalogue/{gtin}", "/console/categories"):
                    await page.goto(console.base + path)
                    await shot(page, f"{role}{path.replace('/', '-')}")
                    bad = serious(await axe(page))
                    if bad:
                        failures.append(f"{role} {path}: {describe(bad)}")
                    wide = await page.evaluate(
                        "() => document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if wide > 1:
                        failures.append(f"{role} {path}: {wide}px wider than the phone")
                failures += [f"{role}: {e}" for e in errors]
                await context.close()
        finally:
            await browser.close()
    assert not failures, "\n".join(failures)
