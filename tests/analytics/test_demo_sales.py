"""``veriseal serve --demo`` with every bundled plugin: the demo has a sales history
(orders of the last 60 days, paid, two rejected after payment) that the analytics
dashboards show once the stream is drained, and stock movements; a second demo start
adds nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.commerce.conftest import open_engine
from veriseal import demo
from veriseal.accounts.models import SYSTEM
from veriseal.config import DEFAULT_PLUGINS
from veriseal.engine import Engine
from veriseal.extend.stream import worker_for
from veriseal_analytics.periods import Period
from veriseal_analytics.service import of as analytics_of
from veriseal_analytics.stock_stats import stock_stats
from veriseal_commerce.demo_orders import DAYS, ORDERS, REJECTED

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, DEFAULT_PLUGINS) as e:
        yield e


async def _seed(engine: Engine) -> None:
    """What ``veriseal serve --demo`` seeds, then the stream drained as its worker does."""
    await demo.seed(engine, "127.0.0.1:8080")
    await demo.seed_people(engine)
    await demo.seed_verifications(engine)
    await engine.plugins.seed_demo(await engine.brands.get(demo.DEMO_BRAND))
    await worker_for(engine).drain()


async def test_the_demo_has_sales_in_analytics(engine: Engine) -> None:
    await _seed(engine)
    await _seed(engine)  # a second start adds nothing
    brand = await engine.brands.get(demo.DEMO_BRAND)
    ctx = engine.plugins.context("analytics")
    today = dt.datetime.now(TZ).date()
    period = Period(today - dt.timedelta(days=89), today)
    sales = analytics_of(ctx).sales
    got = await sales.summary(SYSTEM, brand, period, "none")
    assert got["orders"] == ORDERS - len(REJECTED)  # each rejection reverses its sale
    assert got["revenue"] > 0 and got["units"] > 0
    trend = await sales.trend(SYSTEM, brand, period)
    days = [r["bucket"] for r in trend if r["orders"]]
    # spread over the last DAYS days, not all today
    assert len(days) >= ORDERS // 3
    assert min(days) <= (today - dt.timedelta(days=DAYS - 5)).isoformat()
    stock = await stock_stats(ctx).summary(SYSTEM, brand, period, "none")
    assert stock["received"] > 0
