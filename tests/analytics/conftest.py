"""The analytics tests' world: the commerce tests' shop (brand ``acme``, dealers GD01,
ZJ01 and GZ-R1 with their users) on an engine with territories, commerce and analytics, over each
backend; orders are placed, paid by offline transfer and confirmed the way finance
does, and the event stream is drained as ``veriseal serve``'s worker would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commerce.conftest import Shop, make_shop, open_engine
from tests.commerce.orders_world import draft, priced
from tests.commerce.payments.test_ledger import RECEIPT
from veriseal.engine import Engine
from veriseal.extend import PluginContext
from veriseal_analytics.service import Analytics
from veriseal_analytics.service import of as analytics_of
from veriseal_commerce.orders_store import Order

PLUGINS = ("territories", "commerce", "analytics")  # no stock checks: inventory is not needed


@dataclass
class World:
    shop: Shop
    ctx: PluginContext
    an: Analytics

    async def paid(self, who: str = "gd", region: str = "440100",
                   lines: Sequence[tuple[str, int]] | None = None) -> Order:  # fmt: skip
        """An order placed by ``who``, paid by transfer and confirmed by the admin."""
        s = self.shop
        await priced(s)
        order = await draft(s, who, region) if lines is None else await draft(s, who, region, lines)
        order = await s.c.orders.submit(s.people[who], order.order_no)
        payable = await s.c.orders.payable(s.people[who], order.order_no)
        started = await s.c.payments.start_transfer(s.people[who], payable, RECEIPT)
        await s.c.payments.confirm_transfer(s.people["admin"], started.payment.id, "BANK-1")
        return await s.c.orders.load(s.people["admin"], order.order_no)


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, PLUGINS) as e:
        yield e


@pytest.fixture
async def world(engine: Engine, tmp_path: Path) -> World:
    shop = await make_shop(engine, tmp_path)
    ctx = engine.plugins.context("analytics")
    return World(shop, ctx, analytics_of(ctx))
