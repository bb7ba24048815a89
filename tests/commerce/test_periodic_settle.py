"""The commerce plugin's periodic task (run by ``veriseal serve``) expires an order
unpaid past its deadline."""

from __future__ import annotations

import datetime as dt

from tests.commerce.conftest import Shop
from tests.commerce.orders_world import priced, submitted
from veriseal.accounts.models import SYSTEM


async def test_commerce_expires_unpaid_orders_periodically(shop: Shop) -> None:
    await priced(shop)
    late = await submitted(shop)
    async with shop.ctx.db.write() as tx:  # its payment deadline has passed
        await tx.execute(
            "UPDATE commerce_orders SET pay_by = ? WHERE id = ?",
            dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
            late.id,
        )
    tasks = [(ctx, t) for ctx, t in shop.engine.plugins.periodic() if ctx.name == "commerce"]
    assert [t.name for _, t in tasks] == ["commerce.settle", "commerce.returns_resume"]
    ctx, task = tasks[0]
    await task.run(ctx)
    assert (await shop.c.orders.load(SYSTEM, late.order_no)).status == "expired"
