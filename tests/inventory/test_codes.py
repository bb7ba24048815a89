"""Code-tracked stock on both backends: receiving and issuing by scanning item, case and
pallet codes; a unit in stock in one place at most (a second inbound is refused and the
alert kept); units moving with territories' shipments and receipts through the event
stream, exactly; untracked outbound; redelivery of a stream batch changes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.inventory.codes_world import pack, pallet, redeliver, rows, sellable, snapshot, sscc
from tests.inventory.conftest import TEA, WINE, World
from veriseal import Conflict, VerisealError
from veriseal.notifications.inbox import Inbox
from veriseal_inventory.models import StockLine
from veriseal_inventory.rebuild import rebuild
from veriseal_inventory.stock_store import MovementQuery
from veriseal_inventory.units_store import AlertQuery
from veriseal_territories.shipments import MoveOptions


async def _pallet_of_two_cases(w: World) -> str:
    """Items 0-23 (case 1) and 24-47 (case 2) of TEA on pallet 100."""
    return await pallet(w, 100, [await pack(w, 1, 0, 24), await pack(w, 2, 24, 24)])


async def test_receive_and_issue_by_codes(world: World) -> None:
    w, admin = world, world.shop.people["admin"]
    units = w.inv.units
    p = await _pallet_of_two_cases(w)
    loose = w.shop.codes(TEA, 100, 3) + w.shop.codes(WINE, 7, 1)
    done = await units.receive_codes(admin, w.main, [p, *loose], document="GRN-1")
    # a pallet of two cases expands to its 48 items; the loose codes add 4
    assert (done.units, done.ranges) == (52, f"{_b(w, TEA)}:0-47,100-102 {_b(w, WINE)}:7")
    assert await sellable(w, w.main) == 51 and await sellable(w, w.main, WINE) == 1
    assert await rows(w, w.main) == [(0, 47), (100, 102), (7, 7)]
    moves = await w.inv.stock.movements(admin, w.shop.brand, MovementQuery())
    assert sorted((m.gtin, m.quantity, m.document) for m in moves) == [
        (TEA, 51, "GRN-1"),
        (WINE, 1, "GRN-1"),
    ]  # one inbound per product and lot
    # where is item 30? on the main location of MAIN
    found = await units.where(admin, w.shop.brand, w.shop.codes(TEA, 30, 1)[0])
    assert [(h["warehouse"], h["location"], h["count"]) for h in found.held] == [
        ("MAIN", "main", 1)
    ]
    # issue case 2 and one loose code: exactly those leave
    out = await units.issue_codes(admin, w.main, [sscc(2), w.shop.codes(TEA, 101, 1)[0]],
                                  document="OUT-1")  # fmt: skip
    assert out.units == 25
    assert await rows(w, w.main) == [(0, 23), (100, 100), (102, 102), (7, 7)]
    assert await sellable(w, w.main) == 26
    # issuing them again: not here, nothing written
    before = await snapshot(w)
    with pytest.raises(VerisealError) as e:
        await units.issue_codes(admin, w.main, [sscc(2)])
    assert e.value.code == "stock_not_here" and e.value.details["units"] == f"{_b(w, TEA)}:24-47"
    assert await snapshot(w) == before
    # a retried upload (same client id) replays
    again = [w.shop.codes(TEA, 500, 1)[0]]
    first = await units.receive_codes(admin, w.main, again, client_id="hh-1")
    second = await units.receive_codes(admin, w.main, again, client_id="hh-1")
    assert second.replayed and second.movement_ids == first.movement_ids
    assert await sellable(w, w.main) == 27


async def test_duplicate_inbound_is_refused_and_the_alert_kept(world: World) -> None:
    w, admin, gd = world, world.shop.people["admin"], world.shop.people["gd"]
    case = await pack(w, 1, 0, 24)
    await w.inv.units.receive_codes(admin, w.main, [case])
    gd_home = await w.warehouse_of("GD01")
    before = await snapshot(w)
    # GD01 scans in one item of the case plus one new code: the whole receipt is refused
    scanned = [w.shop.codes(TEA, 5, 1)[0], w.shop.codes(TEA, 900, 1)[0]]
    with pytest.raises(VerisealError) as e:
        await w.inv.units.receive_codes(gd, gd_home, scanned, document="GD-IN-7")
    assert e.value.code == "stock_duplicate_code" and isinstance(e.value, Conflict)  # 409
    assert e.value.details["held"] == {"MAIN": f"{_b(w, TEA)}:5"}
    assert await rows(w, gd_home) == [] and await sellable(w, gd_home) == 0
    # the alert survived the refusal, naming both warehouses
    [alert] = await w.inv.units.alerts(admin, w.shop.brand)
    assert (alert.kind, alert.units, alert.warehouse_id, alert.held_warehouse_id,
            alert.document) == ("duplicate_code", f"{_b(w, TEA)}:5", gd_home.id, w.main.id,
                                "GD-IN-7")  # fmt: skip
    assert alert.evidence["scanned_by"] == f"user:{gd.user_id}"
    assert (await snapshot(w))[1] != before[1] and (await snapshot(w))[0] == before[0]
    # the keepers of both warehouses were told
    inbox = Inbox(w.engine.ledger)
    for person in (gd, admin):
        messages = await inbox.history(person.user_id)  # type: ignore[arg-type]
        assert [m.type for m in messages] == ["stock_alert"], person
    # the dealer sees the alert naming its warehouse; the other dealer does not
    assert [a.id for a in await w.inv.units.alerts(gd, w.shop.brand)] == [alert.id]
    assert await w.inv.units.alerts(w.shop.people["zj"], w.shop.brand) == []
    # a retry of the refused upload keeps one open alert
    with pytest.raises(VerisealError):
        await w.inv.units.receive_codes(gd, gd_home, scanned, document="GD-IN-7")
    assert len(await w.inv.units.alerts(admin, w.shop.brand, AlertQuery(status="open"))) == 1
    closed = await w.inv.units.close_alert(gd, w.shop.brand, alert.id, "label copied: seized")
    assert closed.status == "closed" and closed.evidence["closing_note"] == "label copied: seized"


async def test_ship_and_receive_move_units_between_warehouses(world: World) -> None:
    w, admin, gd = world, world.shop.people["admin"], world.shop.people["gd"]
    brand, t = w.shop.brand, w.shop.t
    p = await _pallet_of_two_cases(w)
    await w.inv.units.receive_codes(admin, w.main, [p, *w.shop.codes(TEA, 100, 10)])
    assert await sellable(w, w.main) == 58
    # the brand ships the pallet and two loose items to GD01
    await t.ship(admin, brand, "GD01", [p, *w.shop.codes(TEA, 100, 2)])
    await w.shop.drain()
    assert await rows(w, w.main) == [(102, 109)] and await sellable(w, w.main) == 8
    gd_home = await w.warehouse_of("GD01")
    assert await rows(w, gd_home) == []  # in transit: nobody's stock
    # GD01 scans in case 1 and the two items: exactly those are in its stock
    await t.receive(gd, brand, [sscc(1), *w.shop.codes(TEA, 100, 2)], at_ref="GD01")
    await w.shop.drain()
    assert await rows(w, gd_home) == [(0, 23), (100, 101)] and await sellable(w, gd_home) == 26
    # GD01 ships case 1 on to its retailer, which scans it in
    await t.ship(gd, brand, "GZ-R1", [sscc(1)], from_ref="GD01")
    await t.receive(w.shop.people["shop"], brand, [sscc(1)], at_ref="GZ-R1")
    await w.shop.drain()
    shop_home = await w.warehouse_of("GZ-R1")
    assert await rows(w, gd_home) == [(100, 101)] and await rows(w, shop_home) == [(0, 23)]
    assert (await sellable(w, gd_home), await sellable(w, shop_home)) == (2, 24)
    assert await w.inv.units.alerts(admin, brand) == []
    # the brand's stock and the ledger agree after all that
    assert await w.inv.stock.movements(admin, brand, MovementQuery()) != []
    # delivering every territories event again changes nothing
    before = await snapshot(w)
    await redeliver(w)
    assert await snapshot(w) == before


async def test_untracked_outbound_and_received_while_in_stock_elsewhere(world: World) -> None:
    w, admin = world, world.shop.people["admin"]
    brand, t = w.shop.brand, w.shop.t
    # shipped from the brand, never received into stock by code: an alert, no stock change
    before = await snapshot(w)
    await t.ship(admin, brand, "GD01", w.shop.codes(TEA, 300, 5))
    await w.shop.drain()
    after = await snapshot(w)
    assert (after[0], after[2], after[3]) == (before[0], before[2], before[3])
    [alert] = await w.inv.units.alerts(admin, brand)
    assert (alert.kind, alert.units, alert.warehouse_id) == (
        "untracked_outbound",
        f"{_b(w, TEA)}:300-304",
        w.main.id,
    )
    assert alert.evidence["event"] == "shipped" and alert.document.startswith("territories:")
    # case 2 is in MAIN's stock; the retailer scans it in although nobody shipped it:
    # the units stay in MAIN, a duplicate_code alert says where they are
    case2 = await pack(w, 2, 24, 24)
    await w.inv.units.receive_codes(admin, w.main, [case2])
    await t.receive(w.shop.people["shop"], brand, [case2], at_ref="GZ-R1")
    await w.shop.drain()
    shop_home = await w.warehouse_of("GZ-R1")
    assert await rows(w, shop_home) == [] and await rows(w, w.main) == [(24, 47)]
    dup = (await w.inv.units.alerts(admin, brand))[0]
    assert (dup.kind, dup.units, dup.warehouse_id, dup.held_warehouse_id) == (
        "duplicate_code",
        f"{_b(w, TEA)}:24-47",
        shop_home.id,
        w.main.id,
    )


async def test_a_brand_shipment_consumes_its_reservation(world: World) -> None:
    w, admin = world, world.shop.people["admin"]
    brand = w.shop.brand
    await w.inv.units.receive_codes(admin, w.main, w.shop.codes(TEA, 0, 10))
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await w.inv.reservations.reserve(brand.id, "PO-9", [(TEA, 6)], until)
    options = MoveOptions(reference="PO-9")
    await w.shop.t.ship(admin, brand, "GD01", w.shop.codes(TEA, 0, 4), options=options)
    await w.shop.drain()
    [held] = await w.inv.reservations.held(brand.id, "PO-9")
    assert (held.remaining, held.status) == (2, "held")
    [level] = await w.inv.stock.levels(admin, brand, gtin=TEA, warehouse=w.main)
    assert (level.sellable, level.reserved, level.available) == (6, 2, 4)
    moves = await w.inv.stock.movements(admin, brand, MovementQuery())
    assert {m.document for m in moves if m.kind == "outbound"} == {"PO-9"}


def _b(w: World, gtin: str) -> int:
    return w.shop.batches[gtin].id


async def test_concurrent_receipts_of_one_unit_place_it_once(world: World) -> None:
    """Four receipts of overlapping codes into four warehouses at once (real concurrent
    transactions on PostgreSQL): exactly one places each unit, the others are refused."""
    w, admin = world, world.shop.people["admin"]
    homes = [w.main, *[await w.warehouse_of(d) for d in ("GD01", "ZJ01", "GZ-R1")]]
    codes = w.shop.codes(TEA, 0, 12)

    async def receive(i: int) -> str:
        try:
            await w.inv.units.receive_codes(admin, homes[i], codes[i * 2 : i * 2 + 6])
        except VerisealError as exc:
            return exc.code
        return "ok"

    outcomes = await asyncio.gather(*(receive(i) for i in range(4)))
    assert set(outcomes) <= {"ok", "stock_duplicate_code"} and "ok" in outcomes
    held = [r for h in homes for r in await rows(w, h)]
    indexes = [i for first, last in held for i in range(first, last + 1)]
    assert len(indexes) == len(set(indexes))  # no unit in two places
    total = sum([await sellable(w, h) for h in homes])
    assert total == len(indexes) == 6 * outcomes.count("ok")


async def test_goods_kept_by_quantity_leave_by_quantity_when_scanned_out(world: World) -> None:
    """Stock received by quantity (no unit codes) that territories ships by scanning is
    taken from the shipper's bulk, the batch's lot first, consuming the order's
    reservation; only what the bulk cannot cover raises untracked_outbound."""
    w, admin, gd = world, world.shop.people["admin"], world.shop.people["gd"]
    brand, t = w.shop.brand, w.shop.t
    lot = w.shop.batches[TEA].lot
    await w.inv.stock.receive(admin, w.main, [StockLine(TEA, 5, "OTHER"), StockLine(TEA, 15, lot)])
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await w.inv.reservations.reserve(brand.id, "PO-Q", [(TEA, 6)], until)
    await t.ship(admin, brand, "GD01", w.shop.codes(TEA, 500, 4),
                 options=MoveOptions(reference="PO-Q"))  # fmt: skip
    await w.shop.drain()
    levels = await w.inv.stock.levels(admin, brand, gtin=TEA, warehouse=w.main)
    assert (levels[0].sellable, levels[0].reserved) == (16, 2)
    lots = {b.lot: b.on_hand for b in await w.inv.stock.balances(admin, w.main, TEA) if b.lot}
    assert lots == {"OTHER": 5, lot: 11}  # the batch's own lot went first
    assert await w.inv.units.alerts(admin, brand) == []
    await t.receive(gd, brand, w.shop.codes(TEA, 500, 4), at_ref="GD01")
    await w.shop.drain()
    gd_home = await w.warehouse_of("GD01")
    assert await rows(w, gd_home) == [(500, 503)] and await sellable(w, gd_home) == 4
    # 20 more scanned out: the 16 in bulk go, the last 4 were never in stock
    await t.ship(admin, brand, "GD01", w.shop.codes(TEA, 600, 20))
    await w.shop.drain()
    assert await sellable(w, w.main) == 0
    [alert] = await w.inv.units.alerts(admin, brand)
    assert (alert.kind, alert.units) == ("untracked_outbound", f"{_b(w, TEA)}:616-619")
    assert await rebuild(w.ctx, check_only=True) == []
