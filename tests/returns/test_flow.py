"""The whole way of a return on both backends: a request, the brand's approval, the
units scanned back in (territories takes them back from the dealer, inventory holds
them in quarantine), inspection (restocked / rejected), a refund as a credit note for a
bank transfer, the rejected unit scrapped (its code never verifies again); a second,
partial return of the same order refunded at the remaining value; an exchange as a
linked replacement order at the original prices; two refunds of one return at once are
one refund."""

from __future__ import annotations

import asyncio

import pytest

from tests.returns.conftest import TEA, WINE, World, deliver
from tests.returns.flow import rebuild_clean, refunds, stock, through_inspection
from veriseal import VerisealError
from veriseal_commerce.returns import ReturnAsk
from veriseal_commerce.returns_policy import refund_value


async def test_request_to_refund_and_restock(world: World) -> None:
    shop = world.shop
    gd, admin = shop.people["gd"], shop.people["admin"]
    got = await deliver(world)
    tea = next(ln for ln in got.order.lines if ln.gtin == TEA)
    before = await stock(world, TEA)
    codes = got.codes[TEA][:3]
    r = await shop.c.returns.open(gd, ReturnAsk(got.order.order_no, "return", "damaged", codes))
    r = await shop.c.returns.approve(admin, r.return_no)
    # two come back first, then the third
    r = await shop.c.return_goods.receive(admin, r.return_no, codes[:2])
    assert r.status == "receiving"
    assert (await stock(world, TEA)).get("quarantine") == 2
    # the dealer no longer holds them: it cannot ship them on
    with pytest.raises(VerisealError) as refused:
        await shop.t.ship(gd, shop.brand, "GZ-R1", codes[:1])
    assert refused.value.code == "not_held"
    r = await shop.c.return_goods.receive(admin, r.return_no, codes[2:])
    assert r.status == "received"
    assert {u.status for u in r.units} == {"received"}
    # a unit received already cannot be received again
    with pytest.raises(VerisealError) as refused:
        await shop.c.return_goods.receive(admin, r.return_no, codes[:1])
    assert refused.value.code in ("return_unit_state", "return_transition")
    r = await shop.c.return_goods.inspect(admin, r.return_no, accepted=codes[:2],
                                          rejected=codes[2:], reason="seal broken")  # fmt: skip
    assert r.status == "inspected"
    after = await stock(world, TEA)
    assert after.get("stock", 0) == before.get("stock", 0) + 2
    assert after.get("rejected") == 1 and "quarantine" not in after
    r = await shop.c.resolution.refund(admin, r.return_no)
    assert r.status == "completed"
    value = refund_value(tea.amount, tea.quantity, 0, 2)
    assert r.refunded == value
    assert await refunds(world, got.order.id) == [
        ("refund_requested", value, r.return_no),
        ("refunded", value, r.return_no),
    ]
    # the rejected unit is scrapped: out of stock, its code voided
    r = await shop.c.return_goods.scrap(admin, r.return_no, codes[2:], reason="destroyed")
    assert sorted(u.status for u in r.units) == ["restocked", "restocked", "scrapped"]
    assert "rejected" not in await stock(world, TEA)
    assert str((await shop.ctx.verify(codes[2])).outcome) == "decommissioned"
    assert await rebuild_clean(world)
    view = await shop.c.returns.view(gd, r.return_no)
    assert [e.action for e in view.events] == [
        "open",
        "approve",
        "receive_part",
        "receive_all",
        "inspect_all",
        "refund",
        "scrapped",
    ]


async def test_a_second_partial_return_is_refunded_at_the_remaining_value(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    got = await deliver(world)
    tea = next(ln for ln in got.order.lines if ln.gtin == TEA)
    first = await through_inspection(world, got.order.order_no, got.codes[TEA][:5],
                                     got.codes[TEA][:5])  # fmt: skip
    first = await shop.c.resolution.refund(admin, first.return_no)
    second = await through_inspection(world, got.order.order_no, got.codes[TEA][5:12],
                                      got.codes[TEA][5:12])  # fmt: skip
    second = await shop.c.resolution.refund(admin, second.return_no)
    assert first.refunded + second.refunded == tea.amount  # every unit back: all it cost
    assert second.refunded == refund_value(tea.amount, tea.quantity, 5, 7)
    # nothing of this product is left to return
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.open(shop.people["gd"], ReturnAsk(
            got.order.order_no, "return", "damaged", got.codes[TEA][:1]))  # fmt: skip
    assert refused.value.code == "return_unit_returned"


async def test_an_exchange_is_a_replacement_order_at_the_original_prices(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    got = await deliver(world)
    wine = next(ln for ln in got.order.lines if ln.gtin == WINE)
    r = await through_inspection(world, got.order.order_no, got.codes[WINE], got.codes[WINE],
                                 kind="exchange")  # fmt: skip
    r = await shop.c.resolution.exchange(admin, r.return_no)
    assert r.status == "completed" and r.replacement_no
    with pytest.raises(VerisealError) as refused:  # done: a second exchange is refused
        await shop.c.resolution.exchange(admin, r.return_no)
    assert refused.value.code == "return_transition"
    assert (await shop.c.returns.load(admin, r.return_no)).replacement_no == r.replacement_no
    replacement = await shop.c.orders.load(admin, r.replacement_no)
    assert replacement.status == "approved"
    # what the dealer paid per unit (after the order's discounts), not re-priced
    assert [(ln.gtin, ln.quantity, ln.unit_price) for ln in replacement.lines] == [
        (WINE, 2, wine.amount // wine.quantity)
    ]
    assert (replacement.total, replacement.payment_status) == (0, "paid")
    assert await refunds(world, got.order.id) == []


async def test_two_refunds_at_once_are_one_refund(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    got = await deliver(world)
    r = await through_inspection(world, got.order.order_no, got.codes[TEA][:2], got.codes[TEA][:2])
    done = await asyncio.gather(
        shop.c.resolution.refund(admin, r.return_no),
        shop.c.resolution.refund(admin, r.return_no),
        return_exceptions=True,
    )
    ok = [x for x in done if not isinstance(x, BaseException)]
    assert ok, done
    for x in done:  # the loser may find the request completed already
        if isinstance(x, BaseException):
            assert isinstance(x, VerisealError) and x.code == "return_transition", x
    assert [k for k, _, _ in await refunds(world, got.order.id)] == ["refund_requested", "refunded"]
    final = await shop.c.returns.load(admin, r.return_no)
    assert final.status == "completed" and final.refunded > 0


async def test_nothing_passed_inspection_settles_without_money(world: World) -> None:
    shop, admin = world.shop, world.shop.people["admin"]
    got = await deliver(world)
    r = await through_inspection(world, got.order.order_no, got.codes[TEA][:1], [], "water damage")
    with pytest.raises(VerisealError) as refused:
        await shop.c.resolution.refund(admin, r.return_no)
    assert refused.value.code == "return_not_refundable"
    await shop.c.returns.post(admin, r.return_no, "损坏非运输所致 / not transit damage")
    r = await shop.c.resolution.settle(admin, r.return_no, "agreed on the thread")
    assert r.status == "completed" and r.refunded == 0
    # the rejected unit goes back to the dealer, who holds it again
    r = await shop.c.return_goods.send_back(admin, r.return_no, got.codes[TEA][:1])
    assert [u.status for u in r.units] == ["sent_back"]
    assert await rebuild_clean(world)


async def test_a_fake_sent_back_in_place_of_a_genuine_unit_is_refused_at_receiving(
    world: World,
) -> None:
    shop, admin, gd = world.shop, world.shop.people["admin"], world.shop.people["gd"]
    got = await deliver(world)
    codes = got.codes[TEA][:2]
    r = await shop.c.returns.open(gd, ReturnAsk(got.order.order_no, "return", "damaged", codes))
    await shop.c.returns.approve(admin, r.return_no)
    forged = codes[0][:-3] + ("ZZZ" if not codes[0].endswith("ZZZ") else "YYY")
    before = await stock(world, TEA)
    with pytest.raises(VerisealError) as refused:
        await shop.c.return_goods.receive(admin, r.return_no, [forged, codes[1]])
    assert refused.value.code == "return_unit_fake"
    assert await stock(world, TEA) == before
    alerts = await shop.c.returns.alerts(admin, shop.brand)
    assert (alerts[0].kind, alerts[0].code) == ("fake_code", forged)
    assert (await shop.c.returns.load(admin, r.return_no)).status == "approved"


async def test_the_warehouse_people_receive_and_inspect_but_do_not_review(world: World) -> None:
    """A factory operator (``orders.fulfil``) reads the brand's requests, receives and
    inspects their goods, and may neither approve nor refund."""
    shop, admin, op = world.shop, world.shop.people["admin"], world.shop.people["operator"]
    got = await deliver(world)
    codes = got.codes[TEA][:1]
    r = await shop.c.returns.open(
        shop.people["gd"], ReturnAsk(got.order.order_no, "return", "damaged", codes)
    )
    with pytest.raises(VerisealError) as refused:
        await shop.c.returns.approve(op, r.return_no)
    assert refused.value.code == "forbidden"
    await shop.c.returns.approve(admin, r.return_no)
    assert (await shop.c.return_goods.receive(op, r.return_no, codes)).status == "received"
    r = await shop.c.return_goods.inspect(op, r.return_no, accepted=codes)
    assert r.status == "inspected"
    with pytest.raises(VerisealError) as refused:
        await shop.c.resolution.refund(op, r.return_no)
    assert refused.value.code == "forbidden"
