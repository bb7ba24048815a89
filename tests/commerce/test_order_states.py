"""The order machine: the table against a model written out by hand here, and random
action sequences on the real service (both backends): the order is never in a state
the model does not allow, refusals are coded and write nothing, and the timeline
replays to the current status."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.commerce.conftest import Shop
from tests.commerce.orders_world import draft, priced
from veriseal import SYSTEM_PRINCIPAL
from veriseal_commerce.order_states import (
    FINAL,
    IllegalTransition,
    OrderAction,
    OrderStatus,
    fulfilment_status,
    next_status,
)
from veriseal_commerce.payable import summarize

#: The issue's machine, written independently of the table under test.
MODEL: dict[str, dict[str, str]] = {
    "draft": {"submit": "submitted", "cancel": "cancelled"},
    "submitted": {"paid": "awaiting_review", "cancel": "cancelled", "reject": "rejected",
                  "expire": "expired"},
    "awaiting_review": {"approve": "approved", "reject": "rejected", "cancel": "cancelled"},
    "approved": {"ship_part": "partially_fulfilled", "ship_all": "fulfilled"},
    "partially_fulfilled": {"ship_part": "partially_fulfilled", "ship_all": "fulfilled"},
    "fulfilled": {"close": "closed"},
}  # fmt: skip


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("action", list(OrderAction))
def test_table_is_the_model(status: OrderStatus, action: OrderAction) -> None:
    expected = MODEL.get(str(status), {}).get(str(action))
    if expected is None:
        with pytest.raises(IllegalTransition) as caught:
            next_status(status, action)
        assert caught.value.code == "order_transition" and caught.value.http_status == 409
    else:
        assert next_status(status, action) == expected
    if status in FINAL:
        assert expected is None


@given(st.integers(0, 50), st.integers(0, 50), st.integers(1, 50))
def test_fulfilment_axis(a: int, b: int, ordered: int) -> None:
    shipped = min(max(a, b), ordered)
    delivered = min(a, b, shipped)
    got = fulfilment_status(ordered, shipped, delivered)
    if shipped == 0:
        assert got == "unfulfilled"
    elif shipped < ordered:
        assert got == "partially_shipped"
    else:
        assert got == ("delivered" if delivered == ordered else "shipped")


_ACTIONS = ("submit", "paid", "approve", "reject", "cancel", "expire")


async def _do(shop: Shop, order_no: str, action: str) -> None:
    orders, gd, admin = shop.c.orders, shop.people["gd"], shop.people["admin"]
    if action == "submit":
        await orders.submit(gd, order_no)
    elif action == "paid":
        order = await orders.load(gd, order_no)
        async with shop.ctx.db.write() as tx:
            await orders.on_payment(tx, order.id, summarize(order.total, order.total, 0, "CNY"))
    elif action == "approve":
        await orders.approve(admin, order_no)
    elif action == "reject":
        await orders.reject(admin, order_no, "no")
    elif action == "cancel":
        await orders.cancel(gd, order_no)
    else:
        found = await orders.expire(dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
        if order_no not in found:
            raise IllegalTransition("not expired")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=6))
async def test_random_sequences_follow_the_model(shop: Shop, actions: list[str]) -> None:
    await priced(shop)
    order = await draft(shop)
    state = "draft"
    for action in actions:
        expected = MODEL.get(state, {}).get(action)
        before = await shop.c.orders.view(gd := shop.people["gd"], order.order_no)
        if expected is None and action != "paid":
            with pytest.raises(IllegalTransition):
                await _do(shop, order.order_no, action)
            after = await shop.c.orders.view(gd, order.order_no)
            assert after.order.version == before.order.version
            assert len(after.events) == len(before.events)
        else:
            await _do(shop, order.order_no, action)
            state = expected or state  # a payment outside `submitted` only updates the cache
        current = await shop.c.orders.view(SYSTEM_PRINCIPAL, order.order_no)
        assert current.order.status == state
        replayed = "draft"
        for event in current.events:
            assert event.from_status == replayed
            replayed = event.to_status
        assert replayed == state
