"""Concurrent submissions never use a promotion beyond its limit, on both backends
(real concurrent transactions): each order either carries the discount and one use,
or was priced without it, or was refused with ``promotion_exhausted`` and stayed a
draft."""

from __future__ import annotations

import asyncio

from tests.commerce.conftest import TEA, Shop
from tests.commerce.orders_world import PROMO_OFF, UNIT, draft, priced, uses
from veriseal import VerisealError

N, LIMIT = 8, 3


async def test_concurrent_orders_respect_the_promotion_limit(shop: Shop) -> None:
    promo = await priced(shop, overall=LIMIT)
    drafts = [await draft(shop, lines=[(TEA, 2)]) for _ in range(N)]
    assert all(d.total == 2 * UNIT[TEA] - PROMO_OFF for d in drafts)  # each quoted it
    gd = shop.people["gd"]
    results = await asyncio.gather(
        *(shop.c.orders.submit(gd, d.order_no) for d in drafts), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, VerisealError) and r.code == "promotion_exhausted" for r in refused)
    used = 0
    for d in drafts:
        order = await shop.c.orders.load(gd, d.order_no)
        mine = await uses(shop, order.id)
        if order.status == "draft":
            assert mine == []
            continue
        assert order.status == "submitted"
        if mine:
            assert mine == [(promo, False)] and order.total == 2 * UNIT[TEA] - PROMO_OFF
            used += 1
        else:
            assert order.total == 2 * UNIT[TEA]
    assert used == LIMIT  # the limit is reached, never passed
    assert len(refused) + sum(1 for r in results if not isinstance(r, BaseException)) == N
