"""Low-stock alerts on both backends: many movements below the safety stock send ONE
notice to the warehouse's keepers, rising back to the line closes the alert with a
"back above" notice, reservations count (they lower what is available), a warehouse's
own setting overrides the brand default, a setting takes effect when saved, and
dealers can neither set the brand default nor see other dealers' rows."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.inventory.conftest import TEA, WINE, World
from veriseal import Forbidden
from veriseal.notifications.inbox import Inbox
from veriseal_inventory.errors import StockInsufficient
from veriseal_inventory.models import StockLine
from veriseal_inventory.replenish import Policy, ReplenishInvalid
from veriseal_inventory.stock import MoveRequest


async def _low_notices(world: World, who: str) -> list[str]:
    """The stock_low notices ``who`` got, oldest first, after a round of the sender."""
    await world.inv.alerts.send_notices()
    uid = world.shop.people[who].user_id
    assert uid is not None
    history = await Inbox(world.engine.ledger).history(uid)
    return [m.data["state"] for m in history if str(m.type) == "stock_low"][::-1]


async def test_many_movements_below_the_line_send_one_notice_and_rising_closes(
    world: World,
) -> None:
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    await inv.alerts.save(admin, world.shop.brand, TEA, Policy(safety_stock=10, reorder_qty=50))
    await inv.stock.receive(admin, w, [StockLine(TEA, 12)])
    for _ in range(5):  # 11, 10, 9 (opens), 8, 7: one notice
        await inv.stock.issue(admin, w, [StockLine(TEA, 1)])
    assert await _low_notices(world, "admin") == ["opened"]
    [alert] = await inv.alerts.alerts(admin, world.shop.brand, open_only=True)
    assert (alert.warehouse_id, alert.gtin, alert.opened_level) == (w.id, TEA, 9)
    await inv.stock.receive(admin, w, [StockLine(TEA, 2)])  # 9: still below
    assert await _low_notices(world, "admin") == ["opened"]
    await inv.stock.receive(admin, w, [StockLine(TEA, 1)])  # 10: at the line, closes
    assert await _low_notices(world, "admin") == ["opened", "closed"]
    assert await inv.alerts.alerts(admin, world.shop.brand, open_only=True) == []
    [closed] = await inv.alerts.alerts(admin, world.shop.brand)
    assert (closed.opened_level, closed.closed_level) == (9, 10)
    await inv.stock.issue(admin, w, [StockLine(TEA, 1)])  # below again: a new alert
    assert await _low_notices(world, "admin") == ["opened", "closed", "opened"]


async def test_the_reorder_point_is_the_closing_line(world: World) -> None:
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    policy = Policy(safety_stock=5, reorder_point=20)
    await inv.alerts.save(admin, world.shop.brand, WINE, policy)
    await inv.stock.receive(admin, w, [StockLine(WINE, 4)])  # opens at 4
    await inv.stock.receive(admin, w, [StockLine(WINE, 10)])  # 14: above safety, open
    assert await _low_notices(world, "admin") == ["opened"]
    await inv.stock.receive(admin, w, [StockLine(WINE, 6)])  # 20: closes
    assert await _low_notices(world, "admin") == ["opened", "closed"]


async def test_reservations_lower_the_available_level(world: World) -> None:
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    await inv.stock.receive(admin, w, [StockLine(TEA, 30)])
    await inv.alerts.save(admin, world.shop.brand, TEA, Policy(safety_stock=10))
    assert await _low_notices(world, "admin") == []
    brand_id = world.shop.brand.id
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await inv.reservations.reserve(brand_id, "SO-1", [(TEA, 25)], later)
    assert await _low_notices(world, "admin") == ["opened"]
    await inv.reservations.release(brand_id, "SO-1", "cancelled")
    assert await _low_notices(world, "admin") == ["opened", "closed"]


async def test_a_warehouse_setting_overrides_the_brand_default(world: World) -> None:
    admin, gd, inv = world.shop.people["admin"], world.shop.people["gd"], world.inv
    brand = world.shop.brand
    gd_wh = await world.warehouse_of("GD01")
    await inv.stock.receive(admin, world.main, [StockLine(TEA, 15)])
    await inv.stock.receive(admin, gd_wh, [StockLine(TEA, 15)])
    await inv.alerts.save(admin, brand, TEA, Policy(safety_stock=20))  # both below
    await inv.alerts.save(gd, brand, TEA, Policy(safety_stock=5), gd_wh)  # GD01: closes
    states = {(s.level.warehouse_id, s.state) for s in await inv.alerts.overview(admin, brand)}
    assert states == {(world.main.id, "low"), (gd_wh.id, "ok")}
    assert await _low_notices(world, "gd") == ["opened", "closed"]
    # the brand default is the brand's: a dealer may not set it
    with pytest.raises(Forbidden):
        await inv.alerts.save(gd, brand, TEA, Policy(safety_stock=1))
    seen = await inv.alerts.settings(world.shop.people["zj"], brand)
    assert [(s.warehouse_id, s.policy.safety_stock) for s in seen] == [(None, 20)]
    mine = await inv.alerts.settings(gd, brand)
    assert [(s.warehouse_id, s.policy.safety_stock) for s in mine] == [(None, 20), (gd_wh.id, 5)]
    # clearing GD01's row puts the default back: 15 < 20 opens again
    assert await inv.alerts.clear(gd, brand, TEA, gd_wh)
    assert await _low_notices(world, "gd") == ["opened", "closed", "opened"]


async def test_another_dealers_warehouse_is_out_of_reach(world: World) -> None:
    zj, inv = world.shop.people["zj"], world.inv
    gd_wh = await world.warehouse_of("GD01")
    with pytest.raises(Forbidden):
        await inv.alerts.save(zj, world.shop.brand, TEA, Policy(safety_stock=1), gd_wh)
    with pytest.raises(Forbidden):
        await inv.alerts.alerts(zj, world.shop.brand, warehouse=gd_wh)


async def test_a_refused_movement_leaves_no_alert(world: World) -> None:
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    brand = world.shop.brand
    # the brand default applies where the product has a stock record: none yet
    await inv.alerts.save(admin, brand, TEA, Policy(safety_stock=10))
    assert await inv.alerts.alerts(admin, brand) == []
    # a warehouse's own setting applies before the first receipt
    await inv.alerts.save(admin, brand, WINE, Policy(safety_stock=3), w)
    assert [(a.gtin, a.opened_level) for a in await inv.alerts.alerts(admin, brand)] == [(WINE, 0)]
    await inv.stock.receive(admin, w, [StockLine(TEA, 12), StockLine(WINE, 3)])
    assert await _low_notices(world, "admin") == ["opened", "closed"]
    with pytest.raises(StockInsufficient):  # TEA would fall below, WINE is short
        await inv.stock.issue(admin, w, [StockLine(TEA, 5), StockLine(WINE, 4)],
                              MoveRequest(document="X"))  # fmt: skip
    assert await _low_notices(world, "admin") == ["opened", "closed"]
    assert await inv.alerts.alerts(admin, brand, open_only=True) == []


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ReplenishInvalid):
        Policy(safety_stock=-5)


async def test_concurrent_issues_across_the_line_open_one_alert_without_waiting(
    world: World,
) -> None:
    # more concurrent posts than the PostgreSQL pool has connections (10), all queueing
    # on the same levels row while the one that crosses the line records the alert: the
    # listener must not need a second connection (no core lookup inside the post)
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    await inv.stock.receive(admin, w, [StockLine(TEA, 20)])
    await inv.alerts.save(admin, world.shop.brand, TEA, Policy(safety_stock=20))  # the first
    issues = [inv.stock.issue(admin, w, [StockLine(TEA, 1)]) for _ in range(16)]
    results = await asyncio.wait_for(asyncio.gather(*issues, return_exceptions=True), 120)
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert [a.opened_level for a in await inv.alerts.alerts(admin, world.shop.brand)] == [19]
    assert (await inv.stock.levels(admin, world.shop.brand, warehouse=w))[0].sellable == 4
    assert await _low_notices(world, "admin") == ["opened"]


async def test_each_notice_goes_out_once(world: World) -> None:
    admin, inv, w = world.shop.people["admin"], world.inv, world.main
    await inv.stock.receive(admin, w, [StockLine(TEA, 5)])
    await inv.alerts.save(admin, world.shop.brand, TEA, Policy(safety_stock=10))  # opens
    await inv.stock.receive(admin, w, [StockLine(TEA, 5)])  # closes before any round
    sent = await asyncio.gather(*(inv.alerts.send_notices() for _ in range(4)))
    recipients = len(await inv.warehouses.keepers(w))
    assert sum(sent) == 2 and recipients >= 1
    assert await _low_notices(world, "admin") == ["opened", "closed"]
    assert await inv.alerts.send_notices() == 0
