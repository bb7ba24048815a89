"""Real concurrent transactions on both backends (the PostgreSQL pool gives each call
its own connection): N outbounds for the last units never take more than there is, and
transfers crossing each other over several products never deadlock (rows are locked in
one key order)."""

from __future__ import annotations

import asyncio
import datetime as dt

from tests.inventory.conftest import TEA, WINE, World
from veriseal import VerisealError
from veriseal_inventory.models import StockLine
from veriseal_inventory.rebuild import rebuild

N = 12


async def test_concurrent_issues_never_take_more_than_there_is(world: World) -> None:
    admin, w = world.shop.people["admin"], world.main
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 5)])
    results = await asyncio.gather(
        *(world.inv.stock.issue(admin, w, [StockLine(TEA, 1)]) for _ in range(N)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, VerisealError) and r.code == "stock_insufficient" for r in refused)
    assert len(results) - len(refused) == 5
    levels = await world.inv.stock.levels(admin, world.shop.brand, gtin=TEA, warehouse=w)
    assert levels[0].sellable == 0
    assert await rebuild(world.ctx, check_only=True) == []


async def test_concurrent_reservations_for_the_last_units(world: World) -> None:
    admin, w, brand = world.shop.people["admin"], world.main, world.shop.brand
    await world.inv.stock.receive(admin, w, [StockLine(WINE, 6)])
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    results = await asyncio.gather(
        *(world.inv.reservations.reserve(brand.id, f"SO-{i}", [(WINE, 2)], until)
          for i in range(N)),
        return_exceptions=True,
    )  # fmt: skip
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, VerisealError) and r.code == "stock_insufficient" for r in refused)
    assert len(results) - len(refused) == 3
    levels = await world.inv.stock.levels(admin, brand, gtin=WINE, warehouse=w)
    assert (levels[0].reserved, levels[0].available) == (6, 0)


async def test_crossing_transfers_do_not_deadlock(world: World) -> None:
    admin, brand = world.shop.people["admin"], world.shop.brand
    a = await world.inv.warehouses.create(admin, brand, "XA", "A")
    b = await world.inv.warehouses.create(admin, brand, "XB", "B")
    for w in (a, b):
        await world.inv.stock.receive(admin, w, [StockLine(TEA, 100), StockLine(WINE, 100)])
    lines_ab = [StockLine(TEA, 1), StockLine(WINE, 1)]
    lines_ba = [StockLine(WINE, 1), StockLine(TEA, 1)]  # the other order on purpose
    moves = [world.inv.stock.transfer(admin, a, b, lines_ab) if i % 2 else
             world.inv.stock.transfer(admin, b, a, lines_ba) for i in range(2 * N)]  # fmt: skip
    results = await asyncio.wait_for(asyncio.gather(*moves, return_exceptions=True), 120)
    assert [r for r in results if isinstance(r, BaseException)] == []
    for w in (a, b):
        found = await world.inv.stock.levels(admin, brand, warehouse=w)
        assert sorted((lv.gtin, lv.sellable) for lv in found) == [(TEA, 100), (WINE, 100)]
    assert await rebuild(world.ctx, check_only=True) == []
