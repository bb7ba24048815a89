"""Stocktakes on the real service over both backends: the full flow with notices, the
maker-checker refusal, blind counts, movements during the count, an empty count that
changes nothing, scanned codes, and random action sequences against the machine."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inventory.conftest import TEA, WINE, World
from tests.inventory.test_count_states import MODEL
from veriseal import Forbidden, Principal, Role, VerisealError
from veriseal.accounts.models import SYSTEM
from veriseal.notifications.inbox import Inbox
from veriseal_inventory.count_states import CountAction, StocktakeTransition
from veriseal_inventory.models import StockLine, Warehouse
from veriseal_inventory.rebuild import rebuild
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery
from veriseal_inventory.stocktake_errors import (
    StocktakeActive,
    StocktakeInvalid,
    StocktakeSamePerson,
)
from veriseal_inventory.stocktake_models import CountLine, CountMode, StocktakeView

_n = itertools.count(100)


async def person(world: World, role: Role) -> Principal:
    """A further user of the brand's own organisation."""
    n = next(_n)
    root = (await world.engine.accounts.brand_org(world.shop.brand)).id
    user = await world.engine.accounts.create_user(
        SYSTEM, contact=f"1372222{n:04d}", display_name=f"{role} {n}", role=role, org_id=root
    )
    return await world.engine.accounts.principal(user)


async def stocked(world: World, w: Warehouse | None = None) -> Warehouse:
    """``w`` (default MAIN) holding 10 TEA of lot L1 and 5 WINE without a lot."""
    w = w or world.main
    admin = world.shop.people["admin"]
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 10, "L1"), StockLine(WINE, 5)])
    return w


async def on_hand(world: World, w: Warehouse) -> dict[tuple[str, str], int]:
    found = await world.inv.stock.balances(SYSTEM, w)
    return {(b.gtin, b.lot): b.on_hand for b in found if b.on_hand}


def line(view: StocktakeView, gtin: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [x for x in view.to_dict()["lines"] if x["gtin"] == gtin]
    assert len(found) == 1
    return found[0]


async def titles(world: World, who: Principal) -> list[str]:
    assert who.user_id is not None
    return [m.title for m in await Inbox(world.engine.ledger).history(who.user_id)]


async def test_the_full_flow(world: World) -> None:
    w = await stocked(world)
    brand, counts = world.shop.brand, world.inv.counts
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    st = await counts.open(op, w)
    assert st.status == "open" and st.number == f"ST-{st.id}"
    view = await counts.count(op, brand, st.id, [CountLine(TEA, 8, "L1")])
    assert view.stocktake.status == "counting"
    assert line(view, TEA)["difference"] == -2 and line(view, WINE)["counted"] is None
    view = await counts.submit(op, brand, st.id, "月度盘点 monthly count", {TEA: 150})
    assert view.stocktake.status == "submitted"
    assert line(view, TEA)["value"] == -300 and view.report.loss_value == 300
    assert any(st.number in t for t in await titles(world, admin))
    view = await counts.approve(admin, brand, st.id, "ok")
    assert view.stocktake.status == "approved" and view.stocktake.movements == 1
    assert await on_hand(world, w) == {(TEA, "L1"): 8, (WINE, ""): 5}  # WINE not counted
    moves = await world.inv.stock.movements(SYSTEM, brand, MovementQuery(document=st.number))
    assert [(m.kind, m.gtin, m.quantity, m.reason) for m in moves] == [
        ("adjustment", TEA, -2, "月度盘点 monthly count")]  # fmt: skip
    assert any("approved" in t for t in await titles(world, op))
    with pytest.raises(StocktakeTransition):  # applied once
        await counts.approve(await person(world, Role.BRAND_ADMIN), brand, st.id)
    assert await rebuild(world.ctx, check_only=True) == []  # caches agree with movements


async def test_maker_checker(world: World) -> None:
    w = await stocked(world)
    brand, counts = world.shop.brand, world.inv.counts
    admin, op = world.shop.people["admin"], world.shop.people["operator"]
    st = await counts.open(admin, w)
    await counts.count(admin, brand, st.id, [CountLine(WINE, 7)])
    await counts.submit(admin, brand, st.id, "found two")
    with pytest.raises(StocktakeSamePerson) as caught:
        await counts.approve(admin, brand, st.id)
    assert caught.value.code == "stocktake_same_person" and caught.value.http_status == 403
    with pytest.raises(StocktakeSamePerson):
        await counts.reject(admin, brand, st.id, "no")
    with pytest.raises(Forbidden):  # a factory operator counts, never approves
        await counts.approve(op, brand, st.id)
    assert await on_hand(world, w) == {(TEA, "L1"): 10, (WINE, ""): 5}
    other = await person(world, Role.BRAND_ADMIN)
    view = await counts.approve(other, brand, st.id)
    assert view.stocktake.decided_by == f"user:{other.user_id}"
    assert await on_hand(world, w) == {(TEA, "L1"): 10, (WINE, ""): 7}


async def test_a_dealer_counts_only_its_own_warehouse(world: World) -> None:
    gd_wh = await stocked(world, await world.warehouse_of("GD01"))
    with pytest.raises(Forbidden):
        await world.inv.counts.open(world.shop.people["zj"], gd_wh)
    st = await world.inv.counts.open(world.shop.people["gd"], gd_wh)
    with pytest.raises(Forbidden):
        await world.inv.counts.show(world.shop.people["zj"], world.shop.brand, st.id)


async def test_blind_counts_hide_expected_quantities(world: World) -> None:
    w = await stocked(world)
    brand, counts = world.shop.brand, world.inv.counts
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    st = await counts.open(admin, w, blind=True)
    view = await counts.count(op, brand, st.id, [CountLine(TEA, 9, "L1")])
    hidden = ("expected_at_start", "expected_now", "difference", "value", "after_apply")
    for shown in (view, await counts.show(admin, brand, st.id)):  # while counting: nobody
        body = shown.to_dict()
        assert body["blind"] and all(k not in ln for ln in body["lines"] for k in hidden)
        assert "net_value" not in body["summary"]
    await counts.submit(op, brand, st.id, "blind count")
    assert "difference" not in line(await counts.show(op, brand, st.id), TEA)
    assert line(await counts.show(admin, brand, st.id), TEA)["difference"] == -1


async def test_movements_during_the_count(world: World) -> None:
    w = await stocked(world)
    brand, counts = world.shop.brand, world.inv.counts
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    st = await counts.open(op, w)
    await counts.count(op, brand, st.id, [CountLine(TEA, 10, "L1")])  # as expected
    await world.inv.stock.issue(admin, w, [StockLine(TEA, 3, "L1")], MoveRequest("SO-1"))
    await world.inv.stock.receive(admin, w, [StockLine(WINE, 2)])
    view = await counts.count(op, brand, st.id, [CountLine(WINE, 6)])  # one short
    tea, wine = line(view, TEA), line(view, WINE)
    assert (tea["expected_at_start"], tea["moved_since"], tea["expected_now"]) == (10, -3, 7)
    assert tea["outdated"] and tea["difference"] == 0  # counted before the issue
    assert (wine["expected_at_count"], wine["difference"], wine["outdated"]) == (7, -1, True)
    await counts.submit(op, brand, st.id, "moves during count")
    await counts.approve(admin, brand, st.id)
    assert await on_hand(world, w) == {(TEA, "L1"): 7, (WINE, ""): 6}


async def test_an_empty_count_changes_nothing(world: World) -> None:
    w = await stocked(world)
    brand, counts = world.shop.brand, world.inv.counts
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    st = await counts.open(op, w, mode=CountMode.PHYSICAL)
    view = await counts.count(op, brand, st.id, [])
    assert view.stocktake.status == "counting" and view.lines() == []
    await counts.submit(op, brand, st.id, "nothing counted")
    view = await counts.approve(admin, brand, st.id)
    assert view.stocktake.status == "approved" and view.stocktake.movements == 0
    assert await on_hand(world, w) == {(TEA, "L1"): 10, (WINE, ""): 5}


async def test_one_active_count_per_warehouse_and_bad_input(world: World) -> None:
    w = await stocked(world)
    brand, counts, op = world.shop.brand, world.inv.counts, world.shop.people["operator"]
    st = await counts.open(op, w, gtins=[TEA])
    with pytest.raises(StocktakeActive):
        await counts.open(op, w)
    for bad in ([CountLine(WINE, 1)], [CountLine(TEA, -1, "L1")], [CountLine("1" * 14, 1)],
                [CountLine(TEA, 1, "L1", "nowhere")]):  # fmt: skip
        with pytest.raises(StocktakeInvalid):
            await counts.count(op, brand, st.id, bad)
    with pytest.raises(StocktakeInvalid):
        await counts.submit(op, brand, st.id, "   ")
    view = await counts.show(op, brand, st.id)
    assert view.stocktake.status == "open" and view.report.counted == 0
    ended = await counts.end(op, brand, st.id, CountAction.CANCEL)
    assert ended.status == "cancelled"
    assert (await counts.open(op, w)).status == "open"  # the warehouse is free again


async def test_scanned_codes_count_units_once(world: World) -> None:
    w = await stocked(world)
    brand, counts, op = world.shop.brand, world.inv.counts, world.shop.people["operator"]
    st = await counts.open(op, w, gtins=[TEA])
    codes = world.shop.codes(TEA, 0, 6)
    got = await counts.count_codes(op, brand, st.id, codes[:4])
    assert (got.added, got.repeated) == (4, 0)
    got = await counts.count_codes(op, brand, st.id, codes[2:])
    assert (got.added, got.repeated) == (2, 2)
    assert line(got.view, TEA)["counted"] == 6 and line(got.view, TEA)["source"] == "codes"
    with pytest.raises(StocktakeInvalid):  # WINE is outside this count
        await counts.count_codes(op, brand, st.id, world.shop.codes(WINE, 0, 1))
    with pytest.raises(VerisealError) as caught:
        await counts.count_codes(op, brand, st.id, ["https://id.acme.example/nonsense"])
    assert caught.value.code == "item_unknown"
    assert line(await counts.show(op, brand, st.id), TEA)["counted"] == 6


_ACTIONS = ("count", "submit", "approve", "reject", "close", "cancel")


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_ACTIONS), min_size=1, max_size=7))
async def test_random_sequences_follow_the_model(world: World, actions: list[str]) -> None:
    brand, counts = world.shop.brand, world.inv.counts
    op, admin = world.shop.people["operator"], world.shop.people["admin"]
    n = next(_n)
    w = await stocked(world, await world.inv.warehouses.create(admin, brand, f"R{n}", f"R{n}"))
    before = await on_hand(world, w)
    count = await counts.open(op, w)
    state, applied = "open", False
    for action in actions:
        expected = MODEL.get(state, {}).get(action)
        try:
            if action == "count":
                await counts.count(op, brand, count.id, [CountLine(TEA, 9, "L1")])
            elif action == "submit":
                await counts.submit(op, brand, count.id, "r")
            elif action == "approve":
                await counts.approve(admin, brand, count.id)
                applied = True
            elif action == "reject":
                await counts.reject(admin, brand, count.id, "recount")
            else:
                await counts.end(op, brand, count.id, CountAction(action))
        except StocktakeTransition:
            assert expected is None
        else:
            assert expected is not None
            state = expected
        assert (await counts.show(admin, brand, count.id)).stocktake.status == state
    after = await on_hand(world, w)
    assert after == ({**before, (TEA, "L1"): 9} if applied else before)


async def test_two_approvers_at_once_apply_it_once(world: World) -> None:
    """Real concurrent transactions (PostgreSQL: the count's row lock): one approval
    wins, the other is refused, and the adjustment is posted once."""
    w = await stocked(world)
    brand, counts, op = world.shop.brand, world.inv.counts, world.shop.people["operator"]
    st = await counts.open(op, w)
    await counts.count(op, brand, st.id, [CountLine(TEA, 6, "L1")])
    await counts.submit(op, brand, st.id, "concurrent")
    first, second = world.shop.people["admin"], await person(world, Role.BRAND_ADMIN)
    results = await asyncio.gather(counts.approve(first, brand, st.id),
                                   counts.approve(second, brand, st.id),
                                   return_exceptions=True)  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["StocktakeTransition", "StocktakeView"]
    assert await on_hand(world, w) == {(TEA, "L1"): 6, (WINE, ""): 5}
    moves = await world.inv.stock.movements(SYSTEM, brand, MovementQuery(document=st.number))
    assert [m.quantity for m in moves] == [-4]
