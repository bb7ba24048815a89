"""The logistics tests' world: the commerce tests' shop (brand ``acme``, dealers GD01 in
Guangdong, ZJ01 in Zhejiang, GZ-R1 in Guangzhou, with users: ``admin``, ``operator``,
``gd``, ``zj``, ``shop``) on an engine with territories, commerce, inventory AND
logistics enabled, over each backend; plus the logistics services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commerce.conftest import Shop, make_shop, open_engine
from veriseal.engine import Engine
from veriseal.extend import PluginContext
from veriseal_logistics.service import Logistics
from veriseal_logistics.service import of as logistics_of

PLUGINS = ("territories", "commerce", "inventory", "logistics")


@dataclass
class World:
    shop: Shop
    ctx: PluginContext
    lg: Logistics

    @property
    def engine(self) -> Engine:
        return self.shop.engine


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, PLUGINS) as e:
        yield e


@pytest.fixture
async def world(engine: Engine, tmp_path: Path) -> World:
    shop = await make_shop(engine, tmp_path)
    ctx = engine.plugins.context("logistics")
    return World(shop, ctx, logistics_of(ctx))
