"""Replenishment over a constructed history, on both backends. The expected numbers are
worked out by hand in the comments from the rule in docs/inventory.md, not taken from
the code: only sales count (outbound, not transfers or receipts), goods in quarantine
count as incoming, consumer scans count each unit once."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from tests.inventory.conftest import TEA, WINE, World
from veriseal import Forbidden
from veriseal.models import ScanChannel
from veriseal.scanning.service import ScanContext
from veriseal_inventory.models import StockLine
from veriseal_inventory.planning import PlanRequest
from veriseal_inventory.replenish import Policy
from veriseal_inventory.stock import MoveRequest

H = dt.timedelta(hours=1)


async def test_suggestion_numbers_on_a_constructed_history(world: World) -> None:
    admin, inv, w, brand = world.shop.people["admin"], world.inv, world.main, world.shop.brand
    now = dt.datetime.now(dt.UTC)
    gd_wh = await world.warehouse_of("GD01")
    await inv.stock.receive(admin, w, [StockLine(TEA, 40)], MoveRequest(at=now - 70 * H))
    # sales: 6 + 9 + 3 = 18 units in the 3-day window -> 6 units/day
    for hours, qty in ((60, 6), (30, 9), (1, 3)):
        await inv.stock.issue(admin, w, [StockLine(TEA, qty)], MoveRequest(at=now - hours * H))
    await inv.stock.transfer(admin, w, gd_wh, [StockLine(TEA, 10)])  # not a sale
    await inv.stock.receive(admin, w, [StockLine(TEA, 5)], MoveRequest(location="quarantine"))
    policy = Policy(safety_stock=20, reorder_qty=10, lead_time_days=2, review_days=1,
                    pack_size=12)  # fmt: skip
    await inv.alerts.save(admin, brand, TEA, policy, w)
    [row] = await inv.planning.plan(admin, brand, PlanRequest(w, TEA, window_days=3, now=now))
    s = row.suggestion
    # available 40 - 18 - 10 = 12; cover 12 / 6 = 2 days; demand 6 x (2 + 1) = 18;
    # target 20 + 18 = 38; position 12 + 5 in quarantine = 17; shortfall 21;
    # max(21, 10) = 21 -> two packs of 12 = 24
    assert (s.sold, s.window_days, s.velocity) == (18, 3, Fraction(6))
    assert (s.available, s.incoming, s.days_of_cover) == (12, 5, Fraction(2))
    assert (s.horizon_demand, s.target, s.position, s.shortfall, s.quantity) == (18, 38, 17, 21, 24)
    shown = row.to_dict("zh")
    assert (shown["velocity"], shown["days_of_cover"], shown["quantity"]) == ("6.00", "2.00", 24)
    assert s.explain("zh")[0] == "销售速度：3 天出库 18 件 = 每天 6.00 件"
    assert shown["explanation"] == s.explain("zh")
    # the window's start moves on: 60 h ago falls out of a 2-day window -> 12 in 2 days
    [row2] = await inv.planning.plan(admin, brand, PlanRequest(w, TEA, window_days=2, now=now))
    assert (row2.suggestion.sold, row2.suggestion.velocity) == (12, Fraction(6))
    # GD01 received by transfer and sold nothing: no velocity, no setting -> nothing
    [gd_row] = await inv.planning.plan(admin, brand, PlanRequest(gd_wh, TEA, now=now))
    assert gd_row.setting is None
    assert (gd_row.suggestion.velocity, gd_row.suggestion.quantity) == (Fraction(0), 0)
    only = await inv.planning.plan(admin, brand, PlanRequest(window_days=3, now=now,
                                                             only_needed=True))  # fmt: skip
    assert [(r.warehouse.code, r.level.gtin) for r in only] == [(w.code, TEA)]


async def test_consumer_scans_count_each_unit_once(world: World) -> None:
    admin, inv, w, brand = world.shop.people["admin"], world.inv, world.main, world.shop.brand
    now = dt.datetime.now(dt.UTC)
    await inv.stock.receive(admin, w, [StockLine(WINE, 3)])
    codes = world.shop.codes(WINE, 0, 4)
    # 4 units scanned by consumers over the last 2 days, one of them three times; a
    # handheld's scan is logistics, not a sale
    plan = [(codes[0], 40), (codes[1], 30), (codes[1], 20), (codes[1], 2), (codes[2], 10),
            (codes[3], 1)]  # fmt: skip
    for code, hours in plan:
        where = ScanContext(ScanChannel.WEB, "device:c", observed_at=now - hours * H)
        result = await world.engine.scans.scan(code, where)
        assert result.verification.outcome == "genuine", result
    hand = ScanContext(ScanChannel.HANDHELD, "device:h", observed_at=now - 3 * H)
    await world.engine.scans.scan(world.shop.codes(WINE, 10, 1)[0], hand)
    request = PlanRequest(w, WINE, window_days=2, basis="scans", now=now)
    [row] = await inv.planning.plan(admin, brand, request)
    # 4 distinct units in 2 days -> 2 per day; demand 2 x (0 + 7) = 14; target 14;
    # position 3 -> 11
    assert (row.suggestion.sold, row.suggestion.velocity) == (4, Fraction(2))
    assert (row.suggestion.target, row.suggestion.quantity) == (14, 11)


async def test_a_dealer_plans_its_own_warehouses_only(world: World) -> None:
    gd, zj = world.shop.people["gd"], world.shop.people["zj"]
    inv, brand = world.inv, world.shop.brand
    gd_wh = await world.warehouse_of("GD01")
    await inv.stock.receive(world.shop.people["admin"], gd_wh, [StockLine(TEA, 3)])
    await inv.stock.receive(world.shop.people["admin"], world.main, [StockLine(TEA, 3)])
    rows = await inv.planning.plan(gd, brand)
    assert [r.warehouse.id for r in rows] == [gd_wh.id]
    with pytest.raises(Forbidden):
        await inv.planning.plan(zj, brand, PlanRequest(gd_wh))
