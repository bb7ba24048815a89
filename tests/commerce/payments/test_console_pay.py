"""The dealer's pay page in the console over real HTTP (both backends): a WeChat Pay
QR drawn for the order, the sandbox plays the buyer, "I have paid" asks the provider
and the order awaits review; a transfer's receipt uploaded for finance; a sibling
dealer cannot open the page."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from tests.commerce.orders_world import priced, submitted
from tests.commerce.payments.conftest import PayWorld
from tests.commerce.payments.test_ledger import RECEIPT
from tests.console.conftest import PW, ConsoleClient
from veriseal.accounts.models import SYSTEM, Role
from veriseal.console.site import make_site
from veriseal.server.app import Limits
from veriseal.server.runner import ApiRunner


async def _signed_in(pay: PayWorld, base: str, org: str, n: int) -> ConsoleClient:
    login = f"payer{n}@acme.example"
    await pay.shop.engine.accounts.create_user(
        SYSTEM, contact=login, display_name=login, role=Role.DISTRIBUTOR,
        org_id=pay.shop.orgs[org], password=PW,
    )  # fmt: skip
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    c = ConsoleClient(base, aiohttp.ClientSession(cookie_jar=jar))
    await c.get("/console/signin")
    status, page = await c.post("/console/signin", {"identifier": login, "password": PW})
    assert status == 200 and "/console/signout" in page
    return c


async def test_dealer_pays_by_qr_and_by_transfer(pay: PayWorld) -> None:
    runner = ApiRunner(make_site(pay.shop.engine, Limits(per_minute=0)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    gd = await _signed_in(pay, base, "GD01", 1)
    zj = await _signed_in(pay, base, "ZJ01", 2)
    try:
        await priced(pay.shop)
        order = await submitted(pay.shop)
        page_url = f"/console/commerce/orders/{order.order_no}/pay"
        status, page = await gd.get(page_url)
        assert status == 200 and 'value="wechatpay"' in page and 'id="pay-qr"' not in page
        assert (await zj.get(page_url))[0] == 403
        status, page = await gd.post(page_url + "/online", {"provider": "wechatpay"})
        assert status == 200 and 'id="pay-qr"' in page, page[-2000:]
        r = await gd.raw("GET", page_url + "/qr.svg")
        assert r.status == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
        assert (await zj.raw("GET", page_url + "/qr.svg")).status == 403
        events = await pay.events(order.id)
        code = next(e for e in events if e.kind == "code_issued")
        no = (await pay.shop.c.payments.get(pay.shop.people["admin"], code.payment_id))[0]
        await pay.buyer_pays("wechatpay", no.out_trade_no, notify=False)
        status, page = await gd.post(page_url + "/check", {})
        assert status == 200 and 'id="pay-qr"' not in page
        view = await pay.shop.c.orders.view(pay.shop.people["gd"], order.order_no)
        assert view.order.status == "awaiting_review"
        # a second order paid by transfer: the receipt goes to finance
        other = await submitted(pay.shop)
        form = aiohttp.FormData()
        form.add_field("_csrf", gd.csrf)
        form.add_field("receipt", RECEIPT.data, filename="回单.png", content_type="image/png")
        url = f"{base}/console/commerce/orders/{other.order_no}/pay/transfer"
        async with gd.session.post(url, data=form) as resp:
            assert resp.status == 200, await resp.text()
        waiting = await pay.shop.c.payments.transfers(pay.shop.people["admin"],
                                                      pay.shop.brand.id)  # fmt: skip
        assert [p.order_no for p in waiting] == [other.order_no]
        form = aiohttp.FormData()
        form.add_field("_csrf", gd.csrf)
        form.add_field("receipt", b"<html>", filename="x.html", content_type="text/html")
        async with gd.session.post(url, data=form) as resp:
            assert resp.status == 400 and 'role="alert"' in await resp.text()
    finally:
        await gd.close()
        await zj.close()
        await runner.cleanup()
