"""The returns pages on a real console server over loopback HTTP, on both backends (the
returns world: an order delivered by scanning): the dealer opens a request from its
delivered order's page with typed codes and a photo; a fake code is refused with its
coded message, nothing written and the evidence shown on the brand's alerts page; a post
without the CSRF token changes nothing; the brand asks, the dealer answers, the brand
approves the ticked units only; a sibling dealer, the brand's operator and the wrong
side get a 403 (or a 404 that tells nothing); the photo is served no-store to the dealer
and the brand only; the statistics count what was returned; the brand's warehouse and
resolution buttons work end to end (receive by scanning, inspect, scrap, refund), each
shown only where the state machine allows it; the dealer's request page passes axe at a
phone's width in Chromium."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import pytest

from tests.console.conftest import ConsoleClient, ConsoleLive
from tests.inventory.conftest import World
from tests.inventory.console_live import phone_sweep, serve
from tests.returns.conftest import PNG, TEA, WINE, deliver
from veriseal.accounts.models import Role

RETURN_NO = re.compile(r"RT\d{8}[0-9A-F]{8}")
MINE, REVIEW = "/console/commerce/returns", "/console/commerce/return-review"


@pytest.fixture
async def live(world: World) -> AsyncIterator[ConsoleLive]:
    shop = world.shop
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    people = {"admin": (Role.BRAND_ADMIN, root), "operator": (Role.FACTORY_OPERATOR, root),
              "gd": (Role.DISTRIBUTOR, shop.orgs["GD01"]),
              "zj": (Role.DISTRIBUTOR, shop.orgs["ZJ01"]),
              "shop": (Role.RETAILER, shop.orgs["GZ-R1"])}  # fmt: skip
    async with serve(shop.engine, people, "returns.example") as served:
        yield served


async def _counts(world: World) -> tuple[int, int, int, int]:
    async with world.shop.ctx.db.read() as tx:
        out = []
        for table in ("commerce_returns", "commerce_return_units", "commerce_return_alerts",
                      "commerce_return_events"):  # fmt: skip
            row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
            out.append(0 if row is None else int(row["n"]))
    return out[0], out[1], out[2], out[3]


def _status(page: str) -> str:
    found = re.search(r'id="status" data-status="([a-z_]+)"', page)
    assert found, _error(page)
    return found.group(1)


def _error(page: str) -> str:
    """The refusal a page shows (for assertion messages)."""
    found = re.search(r'id="return-error">([^<]*)<', page)
    return found.group(1) if found else ""


def _form(order_no: str, codes: list[str], **kw: str) -> dict[str, object]:
    return {"order": order_no, "kind": "return", "reason": "damaged", "detail": "箱子压坏",
            "codes": "\n".join(codes), **kw}  # fmt: skip


async def test_dealer_requests_and_brand_reviews(world: World, live: ConsoleLive) -> None:
    shop = world.shop
    got = await deliver(world)
    no = got.order.order_no
    gd, admin = await live.client("gd"), await live.client("admin")

    # the delivered order's page leads to the form, which lists the brand's reasons
    status, page = await gd.get(f"/console/commerce/orders/{no}")
    assert status == 200 and f'href="{MINE}/new?order={no}"' in page
    status, page = await gd.get(f"{MINE}/new", params={"order": no})
    assert status == 200 and 'value="near_expiry"' in page and 'data-scanner="multi"' in page
    assert f'name="opened" value="{TEA}"' in page
    status, page = await gd.get(f"{MINE}/new")  # no order named: the delivered ones
    assert status == 200 and f'data-order="{no}"' in page

    # a fake code: refused with its code, the typed codes kept, nothing but the alert
    genuine = got.codes[TEA][0]
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    before = await _counts(world)
    status, page = await gd.post(f"{MINE}/new", _form(no, [genuine, forged]))
    assert status == 400 and "[return_unit_fake]" in page and forged in page
    after = await _counts(world)
    assert after[:2] == before[:2] and after[3] == before[3] and after[2] == before[2] + 1
    # a bad photo refuses the whole form before anything is written
    bad_photo = {**_form(no, [genuine]), "photo": io.BytesIO(b"GIF89a not ok")}
    status, page = await gd.post(f"{MINE}/new", bad_photo)
    assert status == 400 and "[return_invalid]" in page
    # no CSRF token: refused, nothing written
    status, _ = await gd.post(f"{MINE}/new", _form(no, [genuine]), csrf=False)
    assert status == 403
    assert (await _counts(world))[:2] == before[:2]

    # the request, with a photo: its page shows the units, the photo and the timeline
    asked = got.codes[TEA][:3] + got.codes[WINE][:1]
    form = {**_form(no, asked[:3], code=asked[3]), "opened": TEA, "photo": io.BytesIO(PNG)}
    status, page = await gd.post(f"{MINE}/new", form)
    found = RETURN_NO.search(page)
    assert status == 200 and found and _status(page) == "requested", _error(page)
    rno = found.group(0)
    assert all(f'data-code="{c}"' in page for c in asked)
    assert 'data-action="open"' in page and f'action="{MINE}/{rno}/cancel"' in page
    photo = re.search(rf'src="({MINE}/{rno}/photos/\d+)"', page)
    assert photo, page
    status, page = await gd.get(MINE)
    assert status == 200 and f'data-return="{rno}"' in page

    # the photo: no-store, to the dealer and the brand only
    for who in (gd, admin):
        r = await who.raw("GET", photo.group(1))
        assert r.status == 200 and r.headers["Content-Type"] == "image/png"
        assert "no-store" in r.headers["Cache-Control"]
    zj = await live.client("zj")
    r = await zj.raw("GET", photo.group(1))
    assert r.status in (403, 404)
    status, page = await zj.get(f"{MINE}/{rno}")
    assert status in (403, 404) and "data-unit-status=" not in page
    status, page = await zj.get(MINE)
    assert status == 200 and rno not in page

    # the wrong side: dealers never reach the brand's pages, nor the brand the dealer's
    operator = await live.client("operator")
    for who, path in ((gd, REVIEW), (gd, f"{REVIEW}/{rno}"), (gd, "/console/commerce/return-stats"),
                      (operator, REVIEW), (operator, f"{REVIEW}/{rno}"), (admin, MINE),
                      (admin, f"{MINE}/new")):  # fmt: skip
        status, page = await who.get(path)
        assert status == 403 and "data-unit-status=" not in page, path
    status, _ = await gd.post(f"{REVIEW}/{rno}", {"action": "approve_all"})
    assert status == 403

    # the brand's queue filters by status
    status, page = await admin.get(REVIEW, params={"status": "requested"})
    assert status == 200 and f'data-return="{rno}"' in page
    status, page = await admin.get(REVIEW, params={"status": "approved"})
    assert status == 200 and rno not in page

    # reject without a reason: refused with its code, the status unchanged
    events = (await _counts(world))[3]
    status, page = await admin.post(f"{REVIEW}/{rno}", {"action": "reject", "text": ""})
    assert status == 400 and "[return_invalid]" in page and _status(page) == "requested"
    assert (await _counts(world))[3] == events
    # the CSRF-less review changes nothing either
    status, _ = await admin.post(f"{REVIEW}/{rno}", {"action": "approve_all"}, csrf=False)
    assert status == 403

    # ask, answer, approve the ticked units only
    status, page = await admin.post(f"{REVIEW}/{rno}", {"action": "ask", "text": "哪几件破损？"})
    assert status == 200 and _status(page) == "info_requested"
    status, page = await gd.get(f"{MINE}/{rno}")
    assert 'name="action" value="answer"' in page and "哪几件破损？" in page
    status, page = await gd.post(f"{MINE}/{rno}/messages", {"action": "answer",
                                                            "text": "前两件"})  # fmt: skip
    assert status == 200 and _status(page) == "requested"
    ticked = {"action": "approve", "unit": asked[:2], "text": "两件"}
    status, page = await admin.post(f"{REVIEW}/{rno}", ticked)
    assert status == 200 and _status(page) == "approved"
    assert 'id="receive"' in page and 'id="review"' not in page
    request = await shop.c.returns.view(shop.people["admin"], rno)
    assert sorted(u.code for u in request.request.units) == sorted(asked[:2])
    status, page = await gd.get(f"{MINE}/{rno}")
    timeline = re.search(r'id="timeline".*?</section>', page, re.S)
    assert timeline
    assert re.findall(r'data-action="([a-z_]+)"', timeline.group(0)) == [
        "open", "ask", "answer", "approve"]  # fmt: skip

    # the alerts page shows the refused fake code with its evidence; the statistics
    # count the two approved units of 14 delivered
    status, page = await admin.get("/console/commerce/return-alerts")
    assert status == 200 and f'data-kind="fake_code" data-code="{forged}"' in page
    assert no in page
    status, page = await admin.get("/console/commerce/return-stats")
    assert status == 200 and 'id="chart-month"' in page and 'id="chart-product"' in page
    assert re.search(rf'data-key="{TEA}" data-returned="2" data-delivered="12"', page), page


async def test_the_dealer_withdraws_and_photos_wait_for_review(
    world: World, live: ConsoleLive
) -> None:
    got = await deliver(world, lines=((TEA, 2),))
    gd, shop_user = await live.client("gd"), await live.client("shop")
    _, page = await gd.get(f"{MINE}/new", params={"order": got.order.order_no})
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    # the form sent twice (a resent page): one request, its photo once
    seen = set()
    for _ in range(2):
        form = {**_form(got.order.order_no, got.codes[TEA][:1]), "client_id": client_id.group(1),
                "photo": io.BytesIO(PNG)}  # fmt: skip
        status, page = await gd.post(f"{MINE}/new", form)
        found = RETURN_NO.search(page)
        assert status == 200 and found
        seen.add(found.group(0))
    assert len(seen) == 1 and (await _counts(world))[0] == 1
    rno = seen.pop()
    assert len(re.findall(rf'src="{MINE}/{rno}/photos/\d+"', page)) == 1
    # a photo added afterwards
    status, page = await gd.post(f"{MINE}/{rno}/photos", {"photo": io.BytesIO(PNG)})
    assert status == 200 and len(re.findall(rf'src="{MINE}/{rno}/photos/\d+"', page)) == 2
    # a retailer of another org cannot act on it (nor read it)
    status, _ = await shop_user.post(f"{MINE}/{rno}/cancel", {})
    assert status in (403, 404)
    status, page = await gd.post(f"{MINE}/{rno}/cancel", {"reason": "搞错了"})
    assert status == 200 and _status(page) == "cancelled"
    assert 'id="cancel"' not in page
    # withdrawn: no more photos, refused with its code
    status, page = await gd.post(f"{MINE}/{rno}/photos", {"photo": io.BytesIO(PNG)})
    assert status == 400 and "[return_invalid]" in page


async def test_the_request_page_at_phone_width(world: World, live: ConsoleLive) -> None:
    """The dealer's request page (units, photo, timeline, thread) in Chromium at a
    phone's width: nothing serious for axe, no CSP violation, nothing too wide."""
    got = await deliver(world, lines=((TEA, 2),))
    shop = world.shop
    from veriseal_commerce.returns import ReturnAsk  # noqa: PLC0415

    r = await shop.c.returns.open(
        shop.people["gd"], ReturnAsk(got.order.order_no, "exchange", "damaged", got.codes[TEA])
    )
    await shop.c.returns.add_photo(shop.people["gd"], r.return_no, "image/png", "a.png", PNG)
    await shop.c.returns.ask(shop.people["admin"], r.return_no, "请说明 / please explain")
    failures = await phone_sweep(live, "gd", [f"{MINE}/{r.return_no}"])
    assert not failures, "\n".join(failures)


async def test_a_distributor_reads_its_retailers_request_without_acting(
    world: World, live: ConsoleLive
) -> None:
    got = await deliver(world, "shop", lines=((TEA, 2),))
    retailer, gd = await live.client("shop"), await live.client("gd")
    status, page = await retailer.post(f"{MINE}/new", _form(got.order.order_no, got.codes[TEA]))
    found = RETURN_NO.search(page)
    assert status == 200 and found
    here = f"{MINE}/{found.group(0)}"
    status, page = await gd.get(MINE)
    assert status == 200 and f'data-return="{found.group(0)}"' in page
    status, page = await gd.get(here)
    assert status == 200 and _status(page) == "requested"
    assert f'action="{here}/cancel"' not in page and f'action="{here}/messages"' not in page
    status, page = await gd.post(f"{here}/cancel", {})
    assert status == 403 and _status(page) == "requested"
    # nor may it open a request on its retailer's order
    status, page = await gd.post(f"{MINE}/new", _form(got.order.order_no, got.codes[TEA]))
    assert status == 403 and "[forbidden]" in page


async def test_goods_come_back_are_inspected_and_refunded(world: World, live: ConsoleLive) -> None:
    """The brand's buttons end to end: receive by scanning (a unit not approved is
    refused, nothing received), inspect one unit good and one bad (a rejection without a
    reason refused), scrap the bad one, refund the good one; each step's form shows only
    where the state machine allows it."""
    shop = world.shop
    got = await deliver(world, lines=((TEA, 4),))
    gd, admin = await live.client("gd"), await live.client("admin")
    codes = got.codes[TEA]
    status, page = await gd.post(f"{MINE}/new", _form(got.order.order_no, codes[:3]))
    found = RETURN_NO.search(page)
    assert status == 200 and found
    rno = found.group(0)
    here = f"{REVIEW}/{rno}"
    status, page = await admin.get(here)
    assert status == 200 and 'id="review"' in page and 'id="receive"' not in page
    ticked = {"action": "approve", "unit": codes[:2]}
    status, page = await admin.post(here, ticked)
    assert _status(page) == "approved" and 'id="resolve"' not in page

    # a unit that was declined is refused at the door, nothing received
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    status, page = await admin.post(f"{here}/receive", {"codes": "\n".join(codes[1:3])})
    assert status == 409 and "[return_unit_state]" in page and _status(page) == "approved"
    status, page = await _receive(admin, here, codes[:2], client_id.group(1))
    assert status == 200 and _status(page) == "received", _error(page)
    assert page.count('data-unit-status="received"') == 2 and 'id="inspect"' in page
    assert 'id="receive"' not in page

    # inspect: failing a unit needs a reason; then one passes, one fails
    decided = {"d0": f"accept|{codes[0]}", "d1": f"reject|{codes[1]}"}
    status, page = await admin.post(f"{here}/inspect", decided)
    assert status == 400 and _status(page) == "received"
    status, page = await admin.post(f"{here}/inspect", {**decided, "reason": "封口破损"})
    assert status == 200 and _status(page) == "inspected", _error(page)
    assert f'data-code="{codes[1]}" data-unit-status="rejected"' in page
    assert 'id="dispose"' in page and 'value="refund"' in page and 'value="settle"' not in page

    # scrap the failed unit (a reason needed), then refund the one that passed
    status, page = await admin.post(f"{here}/scrap", {"unit": codes[1], "reason": ""})
    assert status == 400 and "[return_invalid]" in page
    status, page = await admin.post(f"{here}/scrap", {"unit": codes[1], "reason": "封口破损"})
    assert status == 200 and f'data-code="{codes[1]}" data-unit-status="scrapped"' in page
    status, page = await admin.post(f"{here}/resolve", {"action": "refund", "note": "退一件"})
    assert status == 200 and _status(page) == "completed", _error(page)
    assert 'id="refunded"' in page and 'id="resolve"' not in page
    done = (await shop.c.returns.view(shop.people["admin"], rno)).request
    assert done.refunded > 0 and done.status == "completed"
    status, page = await gd.get(f"{MINE}/{rno}")
    timeline = re.search(r'id="timeline".*?</section>', page, re.S)
    assert timeline and 'data-action="receive_all"' in timeline.group(0)
    assert 'data-action="refund"' in timeline.group(0)


async def _receive(admin: ConsoleClient, here: str, codes: list[str],
                   client_id: str) -> tuple[int, str]:  # fmt: skip
    """Post the receive form (scanned codes) twice: a resent form (same client id)
    answers the same and receives nothing twice (the page of the second is returned)."""
    scanned = {"codes": "\n".join(codes), "client_id": client_id}
    status, _ = await admin.post(f"{here}/receive", scanned)
    again, page = await admin.post(f"{here}/receive", scanned)
    assert again == status
    return status, page


async def test_an_exchange_becomes_a_replacement_order(world: World, live: ConsoleLive) -> None:
    got = await deliver(world, lines=((TEA, 2),))
    gd, admin = await live.client("gd"), await live.client("admin")
    codes = got.codes[TEA]
    form = _form(got.order.order_no, codes, kind="exchange")
    status, page = await gd.post(f"{MINE}/new", form)
    found = RETURN_NO.search(page)
    assert status == 200 and found, _error(page)
    here = f"{REVIEW}/{found.group(0)}"
    status, page = await admin.post(here, {"action": "approve_all"})
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert status == 200 and client_id
    status, page = await _receive(admin, here, codes, client_id.group(1))
    assert status == 200 and _status(page) == "received", _error(page)
    decided = {f"d{n}": f"accept|{c}" for n, c in enumerate(codes)}
    status, page = await admin.post(f"{here}/inspect", decided)
    assert status == 200 and _status(page) == "inspected", _error(page)
    assert 'value="exchange"' in page and 'id="dispose"' not in page
    status, page = await admin.post(f"{here}/resolve", {"action": "exchange"})
    assert status == 200 and _status(page) == "completed", _error(page)
    replacement = re.search(r'id="replacement" data-order="([A-Z0-9-]+)"', page)
    assert replacement, page
    order = await world.shop.c.orders.load(world.shop.people["admin"], replacement.group(1))
    assert [(ln.gtin, ln.quantity) for ln in order.lines if not ln.gift] == [(TEA, 2)]
    assert order.status == "approved"
    status, page = await gd.get(f"/console/commerce/orders/{order.order_no}")
    assert status == 200 and found.group(0) in page  # the dealer reads its replacement
