"""Suggestions from the ledger's own orders, on both backends: a dealer is offered what
it re-orders and what others order with it, sees only its own, and the offline
evaluation runs on the brand's held-out latest orders."""

from __future__ import annotations

import pytest

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from veriseal import Forbidden
from veriseal_analytics.suggest import of_engine


async def test_a_dealer_is_offered_its_staples_and_only_sees_its_own(world: World) -> None:
    for _ in range(3):
        await world.paid("gd", "440300", [(TEA, 4)])
    await world.paid("shop", "440100", [(TEA, 2), (WINE, 1)])
    await world.shop.drain()
    s, people, orgs = world.shop, world.shop.people, world.shop.orgs
    svc = of_engine(world.ctx)
    mine = await svc.for_dealer(people["gd"], s.brand, orgs["GD01"])
    assert mine[0]["gtin"] == TEA  # bought in every order: the staple comes first
    assert {r["gtin"] for r in mine} == {TEA, WINE}  # wine: ordered with tea by others
    assert mine[0]["reason_zh"] and mine[0]["reason_en"]
    with pytest.raises(Forbidden):
        await svc.for_dealer(people["gd"], s.brand, orgs["GZ-R1"])
    staff = await svc.for_dealer(people["admin"], s.brand, orgs["GZ-R1"])
    assert {r["gtin"] for r in staff} == {TEA, WINE}
    # a dealer with no order yet gets what is popular
    fresh = await svc.for_dealer(people["admin"], s.brand, orgs["ZJ01"])
    assert fresh[0]["gtin"] == TEA
    report = await svc.evaluate(people["admin"], s.brand, k=10)
    assert report.dealers == 1  # only GD01 has an earlier order to learn from
    assert report.recommender.hit_rate == 1.0
