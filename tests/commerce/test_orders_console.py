"""The order pages on a real console server over loopback HTTP, on both backends (the
``shop`` world): a dealer previews a basket (the preview's total is the pricing API's
quote total for the same basket, and the sum worked out here from the price list),
saves a draft and submits it; a territory refusal names the product and the region; a
sibling dealer cannot open the order nor see it listed; the brand rejects with a
reason that the dealer then reads in the timeline, approves a paid order and ships it
by posting typed codes (too many units refused, nothing shipped); a post without the
CSRF token changes nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import async_playwright

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import PROMO_OFF, UNIT, draft, priced
from tests.console.browser import PHONE, axe, describe, launch, page_errors, serious
from tests.console.conftest import ConsoleLive, free_port
from veriseal.accounts.models import SYSTEM, Role
from veriseal.console.site import make_site
from veriseal.server.app import Limits, make_app
from veriseal.server.runner import ApiRunner
from veriseal_commerce.payable import summarize

PW = "correct horse battery staple 42"
ORDER_NO = re.compile(r"SO\d{8}-[0-9A-F]{8}")
NEW = "/console/commerce/orders/new"


@pytest.fixture
async def live(shop: Shop) -> AsyncIterator[ConsoleLive]:
    """The shop's engine served by the console, with a password user per role."""
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "operator": (Role.FACTORY_OPERATOR, root),
              "gd": (Role.DISTRIBUTOR, shop.orgs["GD01"]),
              "zj": (Role.DISTRIBUTOR, shop.orgs["ZJ01"]),
              "shop": (Role.RETAILER, shop.orgs["GZ-R1"])}  # fmt: skip
    users = {}
    for name, (role, org) in people.items():
        login = f"{name}@orders.example"
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


def _form(tea: int, wine: int, region: str = "440100", do: str = "save") -> dict[str, str]:
    return {f"q_{TEA}": str(tea) if tea else "", f"q_{WINE}": str(wine) if wine else "",
            "region": region, "address": "广州市天河路1号", "do": do}  # fmt: skip


def _axis(page: str, axis: str) -> str:
    found = re.search(rf'data-axis="{axis}" data-value="([a-z_]+)"', page)
    assert found, page[:3000]
    return found.group(1)


async def _api_quote_total(shop: Shop, basket: list[tuple[str, int]]) -> int:
    token, _ = await shop.engine.accounts.create_token(shop.people["gd"], "t", ["*"])
    runner = ApiRunner(make_app(shop.engine, Limits(per_minute=0)))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as s:
            body = {"lines": [{"gtin": g, "quantity": q} for g, q in basket],
                    "region": "440100"}  # fmt: skip
            async with s.post(f"http://127.0.0.1:{port}/api/v1/commerce/quote", json=body,
                              headers={"Authorization": f"Bearer {token}"}) as r:  # fmt: skip
                assert r.status == 200
                return int((await r.json())["total"])
    finally:
        await runner.cleanup()


def _money(minor: int) -> str:
    return f"{minor // 100:,}.{minor % 100:02d}"


async def _pay(shop: Shop, order_no: str) -> None:
    order = await shop.c.orders.load(shop.people["gd"], order_no)
    async with shop.ctx.db.write() as tx:
        for listener in shop.c.payment_listeners:
            await listener(tx, order.id, summarize(order.total, order.total, 0, order.currency))


async def test_dealer_orders_and_brand_reviews(shop: Shop, live: ConsoleLive) -> None:
    await priced(shop)
    gd = await live.client("gd")
    status, page = await gd.get(NEW, params={"add": TEA})
    assert status == 200 and f'name="q_{TEA}"' in page
    assert re.search(rf'name="q_{TEA}"[^>]*value="1"', page)  # "add to order" pre-filled

    # the preview: the engine's total, the API's, and the sum from the price list agree
    status, page = await gd.post(NEW, _form(4, 1, do="preview"))
    expected = 4 * UNIT[TEA] + UNIT[WINE] - PROMO_OFF
    assert expected == await _api_quote_total(shop, [(TEA, 4), (WINE, 1)])
    assert status == 200 and 'id="preview"' in page
    total = re.search(r'class="quote-total".*?</p>', page, re.S)
    assert total and _money(expected) in total.group(0), page[-3000:]
    assert "开业立减" in page  # the discount, by name
    assert ORDER_NO.search(page) is None  # a preview writes nothing
    assert await shop.c.orders.list(shop.people["gd"], shop.brand) == []

    # bad input: a 4xx with a code, nothing saved
    for bad in (_form(0, 0), _form(-1, 1), _form(1, 1, region=""), {**_form(1, 1),
                f"q_{TEA}": "1.5"}):  # fmt: skip
        status, page = await gd.post(NEW, bad)
        assert 400 <= status < 500 and re.search(r"\[[a-z_]+\]", page), bad
    assert await shop.c.orders.list(shop.people["gd"], shop.brand) == []

    # save a draft, then submit (the CSRF-less post is refused and changes nothing)
    status, page = await gd.post(NEW, _form(4, 1))
    found = ORDER_NO.search(page)
    assert status == 200 and found and _axis(page, "status") == "draft"
    no = found.group(0)
    status, _ = await gd.post(f"/console/commerce/orders/{no}/submit", {}, csrf=False)
    assert status == 403
    assert (await shop.c.orders.load(shop.people["gd"], no)).status == "draft"
    status, page = await gd.post(f"/console/commerce/orders/{no}/submit", {})
    assert status == 200 and _axis(page, "status") == "submitted"
    assert 'id="due"' in page and _money(expected) in page
    # a link to the pay page exactly when the console has one (payments' part)
    pay_status, _ = await gd.get(f"/console/commerce/orders/{no}/pay")
    assert ('id="pay-link"' in page) == (pay_status == 200)

    # a sibling dealer sees none of it
    zj = await live.client("zj")
    status, page = await zj.get(f"/console/commerce/orders/{no}")
    assert status in (403, 404) and "data-axis" not in page and "天河路" not in page
    status, page = await zj.get("/console/commerce/orders")
    assert status == 200 and no not in page and "data-order=" not in page

    # a territory refusal names the product and the region; the draft stays a draft
    _, page = await gd.post(NEW, _form(2, 0, region="CN-ZJ"))
    other = ORDER_NO.search(page)
    assert other
    status, page = await gd.post(f"/console/commerce/orders/{other.group(0)}/submit", {})
    assert status in (403, 409) and "order_not_authorized" in page
    assert "CN-ZJ" in page and TEA in page and _axis(page, "status") == "draft"

    # the brand rejects the draft-turned-order with a reason; the dealer reads it
    admin = await live.client("admin")
    _, page = await gd.post(NEW, _form(1, 0))
    third = ORDER_NO.search(page)
    assert third
    await gd.post(f"/console/commerce/orders/{third.group(0)}/submit", {})
    review = f"/console/commerce/review/{third.group(0)}"
    status, page = await admin.post(review, {"action": "reject", "text": ""})
    assert status == 400 and _axis(page, "status") == "submitted"
    status, page = await admin.post(review, {"action": "reject", "text": "超出本月额度"})
    assert status == 200 and _axis(page, "status") == "rejected"
    status, page = await gd.get(f"/console/commerce/orders/{third.group(0)}")
    timeline = re.search(r'id="timeline".*?</section>', page, re.S)
    assert timeline and 'data-to="rejected"' in timeline.group(0)
    assert "超出本月额度" in timeline.group(0)

    # the brand's list filters by status and dealer
    status, page = await admin.get("/console/commerce/review", params={"status": "rejected"})
    assert status == 200 and third.group(0) in page and no not in page
    status, page = await admin.get("/console/commerce/review", params={"dealer": "ZJ01"})
    assert status == 200 and 'data-order="' not in page
    status, page = await admin.get("/console/commerce/order-stats")
    assert status == 200 and 'id="by-status"' in page and 'data-key="rejected"' in page

    # paid, approved, shipped by typed codes: too many is refused, nothing shipped
    await _pay(shop, no)
    status, page = await admin.post(f"/console/commerce/review/{no}", {"action": "approve"})
    assert status == 200 and _axis(page, "status") == "approved" and 'id="fulfil-link"' in page
    fulfil = f"/console/commerce/review/{no}/fulfil"
    status, page = await admin.get(fulfil)
    assert status == 200 and f'data-gtin="{TEA}" data-left="4"' in page
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    teas, wine = shop.codes(TEA, 0, 5), shop.codes(WINE, 0, 1)
    status, page = await admin.post(fulfil, {"codes": "\n".join(teas + wine)})
    assert status == 400 and "fulfil_too_many" in page
    assert f'data-gtin="{TEA}" data-left="4"' in page
    status, page = await admin.post(fulfil, {"codes": "\n".join(teas[:4]), "code": wine[0],
                                             "client_id": client_id.group(1)})  # fmt: skip
    assert status == 200 and _axis(page, "status") == "fulfilled"
    assert f'data-gtin="{TEA}" data-left="0"' in page
    order = await shop.c.orders.load(shop.people["admin"], no)
    assert {ln.gtin: ln.shipped for ln in order.lines} == {TEA: 4, WINE: 1}


async def test_a_distributor_reads_its_retailers_order_without_acting(
    shop: Shop, live: ConsoleLive
) -> None:
    await priced(shop)
    order = await draft(shop, who="shop")
    path = f"/console/commerce/orders/{order.order_no}"
    retailer, gd = await live.client("shop"), await live.client("gd")
    status, page = await retailer.get(path)
    assert status == 200 and f'action="{path}/submit"' in page
    status, page = await gd.get(path)
    assert status == 200 and _axis(page, "status") == "draft"
    assert f'action="{path}/submit"' not in page and f'action="{path}/messages"' not in page
    status, page = await gd.post(f"{path}/submit", {})
    assert status == 403 and _axis(page, "status") == "draft"
    status, page = await gd.get("/console/commerce/orders")
    assert status == 200 and f'data-order="{order.order_no}"' in page
    zj = await live.client("zj")
    status, page = await zj.get("/console/commerce/orders")
    assert status == 200 and order.order_no not in page


async def test_order_pages_at_phone_width(shop: Shop, live: ConsoleLive) -> None:
    """The new-order form (with a preview), a dealer's order page, the brand's review,
    fulfil and statistics pages in Chromium at 412 px: axe finds nothing serious, no CSP
    violation or script error, nothing wider than the phone."""
    await priced(shop)
    order = await draft(shop)
    order = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    await _pay(shop, order.order_no)
    await shop.c.orders.approve(shop.people["admin"], order.order_no)
    pages = {"gd": [NEW, f"/console/commerce/orders/{order.order_no}"],
             "admin": [f"/console/commerce/review/{order.order_no}",
                       f"/console/commerce/review/{order.order_no}/fulfil",
                       "/console/commerce/order-stats"]}  # fmt: skip
    failures: list[str] = []
    async with async_playwright() as pw:
        browser = await launch(pw)
        try:
            for who, paths in pages.items():
                context = await browser.new_context(viewport=PHONE, is_mobile=True,
                                                    locale="zh-CN")  # fmt: skip
                page = await context.new_page()
                errors = page_errors(page)
                login, password = live.users[who]
                await page.goto(live.base + "/console/signin")
                await page.fill("#identifier", login)
                await page.fill("#password", password)
                await page.click("form[action='/console/signin'] button[type=submit]")
                await page.wait_for_url("**/console/**")
                for path in paths:
                    response = await page.goto(live.base + path)
                    assert response is not None and response.status == 200, path
                    if path == NEW:  # the preview too
                        await page.fill(f"#q-{TEA}", "3")
                        await page.fill("#o-region", "440100")
                        await page.click("button[value=preview]")
                        await page.wait_for_selector("#preview")
                    bad = serious(await axe(page))
                    if bad:
                        failures.append(f"{path}: {describe(bad)}")
                    wide = await page.evaluate(
                        "() => document.documentElement.scrollWidth - window.innerWidth"
                    )
                    if wide > 1:
                        failures.append(f"{path}: {wide}px wider than the phone")
                failures += [f"{who}: {e}" for e in errors]
                await context.close()
        finally:
            await browser.close()
    assert not failures, "\n".join(failures)
