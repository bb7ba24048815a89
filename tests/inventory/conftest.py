"""The inventory tests' world: the commerce tests' shop (a brand with TEA and WINE, a
batch of 1,000 items of each, dealers GD01 / ZJ01 / GZ-R1 with users, brand staff) on
an engine with territories, commerce AND inventory enabled, over each backend; plus
the inventory services and the brand's main warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.commerce.conftest import TEA, WINE, Shop, make_shop, open_engine
from veriseal.engine import Engine
from veriseal.extend import PluginContext
from veriseal_inventory.models import Warehouse
from veriseal_inventory.service import Inventory
from veriseal_inventory.service import of as inventory_of

__all__ = ["TEA", "WINE", "World"]


@dataclass
class World:
    shop: Shop
    ctx: PluginContext
    inv: Inventory
    main: Warehouse  # the brand's default warehouse ("MAIN")

    @property
    def engine(self) -> Engine:
        return self.shop.engine

    async def warehouse_of(self, dealer: str) -> Warehouse:
        """The default warehouse of dealer ``dealer`` (GD01, ZJ01, GZ-R1)."""
        return await self.inv.warehouses.of_org(self.shop.brand.id, self.shop.orgs[dealer])


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, ("territories", "commerce", "inventory")) as e:
        yield e


@pytest.fixture
async def world(engine: Engine, tmp_path: Path) -> World:
    shop = await make_shop(engine, tmp_path)
    ctx = engine.plugins.context("inventory")
    inv = inventory_of(ctx)
    root = (await engine.accounts.brand_org(shop.brand)).id
    main = await inv.warehouses.of_org(shop.brand.id, root)
    return World(shop, ctx, inv, main)
