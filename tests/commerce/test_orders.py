"""Orders on both backends: the path from draft to awaiting review through the payment
listener, every refusal of a submission, access (own org, subtree read-only, siblings
never), the timeline, messages and notifications."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.commerce.conftest import TEA, WINE, Shop
from tests.commerce.orders_world import PROMO_OFF, UNIT, draft, priced, submitted, uses
from veriseal import SYSTEM_PRINCIPAL, Forbidden, NotVerified
from veriseal.notifications.inbox import Inbox
from veriseal_commerce.order_checks import DealerSuspended, OrderNotAuthorized
from veriseal_commerce.order_states import IllegalTransition
from veriseal_commerce.orders import OrderInvalid, OrderNotPayable
from veriseal_commerce.orders_store import OrderNotFound
from veriseal_commerce.payable import summarize


async def _stream(shop: Shop, order_id: int) -> list[str]:
    async with shop.engine.ledger.read() as tx:
        rows = await tx.fetch(
            "SELECT payload FROM stream_events WHERE kind = 'commerce.order' AND ref = ?"
            " ORDER BY position",
            order_id,
        )
    return [tx.dialect.decode_json(r["payload"]).get("to", "draft") for r in rows]


async def _pay(shop: Shop, order_no: str, amount: int) -> None:
    order = await shop.c.orders.load(SYSTEM_PRINCIPAL, order_no)
    async with shop.ctx.db.write() as tx:
        for listener in shop.c.payment_listeners:
            await listener(tx, order.id, summarize(order.total, amount, 0, order.currency))


async def test_draft_submit_pay_review(shop: Shop) -> None:
    promo = await priced(shop)
    gd, admin = shop.people["gd"], shop.people["admin"]
    order = await draft(shop)
    assert order.status == "draft" and order.org_id == shop.orgs["GD01"]
    assert order.total == 12 * 1250 + 2 * 8800 - PROMO_OFF and order.currency == "CNY"
    assert [(ln.unit_price, ln.quantity) for ln in order.lines] == [(1250, 12), (8800, 2)]
    assert sum(d["amount"] for ln in order.lines for d in ln.discounts) == PROMO_OFF
    assert {d["name"] for ln in order.lines for d in ln.discounts} == {"开业立减"}
    assert sum(ln.amount for ln in order.lines) == order.total
    order = await shop.c.orders.submit(gd, order.order_no)
    assert (order.status, order.territory_check, order.availability_check) == (
        "submitted", "passed", "not_checked")  # fmt: skip
    assert await uses(shop, order.id) == [(promo, False)] and order.pay_by is not None
    payable = await shop.c.orders.payable(gd, order.order_no)
    assert (payable.amount, payable.org_id, payable.order_no) == (
        order.total, shop.orgs["GD01"], order.order_no)  # fmt: skip
    assert len(payable.order_no) <= 32
    await _pay(shop, order.order_no, order.total // 2)
    half = await shop.c.orders.load(gd, order.order_no)
    assert (half.status, half.payment_status, half.paid) == (
        "submitted", "partially_paid", order.total // 2)  # fmt: skip
    await _pay(shop, order.order_no, order.total)
    paid = await shop.c.orders.load(gd, order.order_no)
    assert (paid.status, paid.payment_status) == ("awaiting_review", "paid")
    approved = await shop.c.orders.approve(admin, order.order_no, "ok")
    assert approved.status == "approved"
    view = await shop.c.orders.view(gd, order.order_no)
    # the timeline replays to the current status, each event starting where the last ended
    state = "draft"
    for e in view.events:
        assert e.from_status == state
        state = e.to_status
    assert state == approved.status
    assert [e.action for e in view.events] == [
        "create", "submit", "payment", "paid", "approve"]  # fmt: skip
    assert await _stream(shop, order.id) == [
        "draft", "submitted", "submitted", "awaiting_review", "approved"]  # fmt: skip
    # the dealer's user and the brand's reviewer were told of each change
    for who in ("gd", "admin"):
        uid = shop.people[who].user_id
        assert uid is not None
        titles = [m.title for m in await Inbox(shop.engine.ledger).history(uid)]
        assert sum(order.order_no in t for t in titles) == 4
    assert await uses(shop, order.id) == [(promo, False)]
    # the order keeps its prices and discounts when the promotion is deleted
    await shop.c.pricing.delete_promotion(admin, shop.brand, promo)
    kept = await shop.c.orders.load(gd, order.order_no)
    assert kept.lines == approved.lines and kept.total == order.total


async def test_lines_merge_and_bad_input_changes_nothing(shop: Shop) -> None:
    await priced(shop)
    order = await draft(shop, lines=[(TEA, 3), (TEA, 4)])
    assert [(ln.gtin, ln.quantity) for ln in order.lines] == [(TEA, 7)]
    assert order.total == 7 * UNIT[TEA] - PROMO_OFF
    for bad in ([], [(TEA, 0)], [(TEA, -1)], [(TEA, 10**7)], [(TEA, True)], [(TEA, 1.5)]):
        with pytest.raises(OrderInvalid):
            await draft(shop, lines=bad)  # type: ignore[arg-type]
    assert len(await shop.c.orders.list(shop.people["gd"], shop.brand)) == 1


async def test_territory_refusal_names_product_and_region(shop: Shop) -> None:
    await priced(shop)
    order = await draft(shop, region="CN-ZJ")  # GD01 is granted CN-GD only
    with pytest.raises(OrderNotAuthorized) as caught:
        await shop.c.orders.submit(shop.people["gd"], order.order_no)
    assert caught.value.details["region"] == "CN-ZJ"
    assert caught.value.details["product"] in (TEA, WINE)
    assert (
        "CN-ZJ" in caught.value.message and caught.value.details["product"] in caught.value.message
    )
    after = await shop.c.orders.view(shop.people["gd"], order.order_no)
    assert after.order.status == "draft" and len(after.events) == 1


async def test_suspended_dealer_cannot_submit(shop: Shop) -> None:
    await priced(shop)
    order = await draft(shop)
    await shop.t.dealers.set_status(SYSTEM_PRINCIPAL, shop.brand.id, "GD01", "suspended")
    with pytest.raises(DealerSuspended):
        await shop.c.orders.submit(shop.people["gd"], order.order_no)
    assert (await shop.c.orders.load(shop.people["gd"], order.order_no)).status == "draft"


async def test_unverified_dealer_cannot_submit(shop: Shop) -> None:
    await priced(shop)
    new = await shop.t.dealers.add(SYSTEM_PRINCIPAL, shop.brand.id, {
        "code": "GD02", "name": "未认证", "kind": "distributor", "regions": "CN-GD"})  # fmt: skip
    from veriseal.accounts.models import Role  # noqa: PLC0415

    user = await shop.engine.accounts.create_user(
        SYSTEM_PRINCIPAL, contact="13799990000", display_name="u", role=Role.DISTRIBUTOR,
        org_id=new.org_id,
    )  # fmt: skip
    shop.people["new"] = await shop.engine.accounts.principal(user)
    order = await draft(shop, "new")
    with pytest.raises(NotVerified):
        await shop.c.orders.submit(shop.people["new"], order.order_no)
    assert (await shop.c.orders.load(shop.people["new"], order.order_no)).status == "draft"


async def test_illegal_transitions_are_coded_and_write_nothing(shop: Shop) -> None:
    await priced(shop)
    order = await draft(shop)
    with pytest.raises(IllegalTransition):
        await shop.c.orders.approve(shop.people["admin"], order.order_no)
    with pytest.raises(OrderNotPayable):
        await shop.c.orders.payable(shop.people["gd"], order.order_no)
    with pytest.raises(OrderInvalid):
        await shop.c.orders.reject(shop.people["admin"], order.order_no, "  ")
    view = await shop.c.orders.view(shop.people["gd"], order.order_no)
    assert view.order.status == "draft" and view.order.version == 0 and len(view.events) == 1


async def test_reject_with_reason_tells_the_dealer_and_releases(shop: Shop) -> None:
    promo = await priced(shop)
    order = await submitted(shop)
    rejected = await shop.c.orders.reject(shop.people["admin"], order.order_no, "价格有误")
    assert rejected.status == "rejected" and await uses(shop, order.id) == [(promo, True)]
    uid = shop.people["gd"].user_id
    assert uid is not None
    bodies = [m.body for m in await Inbox(shop.engine.ledger).history(uid)]
    assert "价格有误" in bodies


async def test_cancel_only_by_own_org(shop: Shop) -> None:
    promo = await priced(shop)
    order = await submitted(shop, "shop")  # GZ-R1, a retailer under GD01
    with pytest.raises(Forbidden):  # the parent distributor reads, does not act
        await shop.c.orders.cancel(shop.people["gd"], order.order_no)
    cancelled = await shop.c.orders.cancel(shop.people["shop"], order.order_no, "不要了")
    assert cancelled.status == "cancelled" and await uses(shop, order.id) == [(promo, True)]
    with pytest.raises(IllegalTransition):
        await shop.c.orders.cancel(shop.people["shop"], order.order_no)


async def test_siblings_never_see_each_other(shop: Shop) -> None:
    await priced(shop)
    gd_order = await draft(shop, "gd")
    shop_order = await draft(shop, "shop")
    zj, gd, rshop = shop.people["zj"], shop.people["gd"], shop.people["shop"]
    for no in (gd_order.order_no, shop_order.order_no):
        with pytest.raises(Forbidden):
            await shop.c.orders.load(zj, no)
        with pytest.raises(Forbidden):
            await shop.c.orders.post(zj, no, "hello")
    assert await shop.c.orders.list(zj, shop.brand) == []
    # the distributor sees its retailer's order; the retailer does not see its parent's
    assert {o.order_no for o in await shop.c.orders.list(gd, shop.brand)} == {
        gd_order.order_no, shop_order.order_no}  # fmt: skip
    assert (await shop.c.orders.load(gd, shop_order.order_no)).org_id == shop.orgs["GZ-R1"]
    with pytest.raises(Forbidden):
        await shop.c.orders.load(rshop, gd_order.order_no)
    assert [o.order_no for o in await shop.c.orders.list(rshop, shop.brand)] == [
        shop_order.order_no]  # fmt: skip
    with pytest.raises(OrderNotFound):
        await shop.c.orders.load(gd, "SO-NOPE")


async def test_question_thread_both_sides(shop: Shop) -> None:
    await priced(shop)
    order = await submitted(shop)
    await shop.c.orders.post(shop.people["admin"], order.order_no, "地址是否正确？")
    await shop.c.orders.post(shop.people["gd"], order.order_no, "正确 / correct")
    view = await shop.c.orders.view(shop.people["admin"], order.order_no)
    assert [(m.side, m.body) for m in view.messages] == [
        ("brand", "地址是否正确？"), ("dealer", "正确 / correct")]  # fmt: skip
    uid = shop.people["gd"].user_id
    assert uid is not None
    assert "地址是否正确？" in [m.body for m in await Inbox(shop.engine.ledger).history(uid)]
    with pytest.raises(OrderInvalid):
        await shop.c.orders.post(shop.people["gd"], order.order_no, " ")


async def test_unpaid_orders_expire_and_release(shop: Shop) -> None:
    promo = await priced(shop)
    late = await submitted(shop)
    paid = await submitted(shop)
    await _pay(shop, paid.order_no, paid.total)
    assert late.pay_by is not None
    assert await shop.c.orders.expire(late.pay_by - dt.timedelta(seconds=1)) == []
    expired = await shop.c.orders.expire(late.pay_by + dt.timedelta(seconds=1))
    assert expired == [late.order_no]
    assert (await shop.c.orders.load(SYSTEM_PRINCIPAL, late.order_no)).status == "expired"
    assert (await shop.c.orders.load(SYSTEM_PRINCIPAL, paid.order_no)).status == "awaiting_review"
    assert await uses(shop, late.id) == [(promo, True)]
    assert await uses(shop, paid.id) == [(promo, False)]
    assert await shop.c.orders.expire(late.pay_by + dt.timedelta(days=9)) == []  # idempotent
