"""Outbound sheets through the service on both backends: created, picked oldest lot and
lowest location first, issued through the ledger (document = the sheet's number), the
PDF read back by a real barcode reader, checked in by the consignee once; a shortage
refused with nothing written; who may do what."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.inventory.conftest import TEA, WINE, World
from tests.printing.readback import pdf_pages, zxing
from veriseal import Forbidden
from veriseal.notifications.inbox import Inbox
from veriseal_inventory.errors import StockInsufficient
from veriseal_inventory.models import LocationKind, StockLine
from veriseal_inventory.outbound import (
    NewLine,
    OutboundInvalid,
    OutboundNotReceivable,
    OutboundState,
)
from veriseal_inventory.outbound_store import Consignee, OutboundSheet
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery


async def stocked(w: World) -> None:
    """MAIN: TEA lot L1 100 at main, lot L0 30 at location B-01 and 30 at A-01; WINE 10."""
    admin = w.shop.people["admin"]
    await w.inv.warehouses.add_location(admin, w.main, "B-01")
    await w.inv.warehouses.add_location(admin, w.main, "A-01")
    await w.inv.stock.receive(admin, w.main, [StockLine(TEA, 100, "L1"), StockLine(WINE, 10)])
    for loc in ("B-01", "A-01"):
        await w.inv.stock.receive(admin, w.main, [StockLine(TEA, 30, "L0")],
                                  MoveRequest(location=loc))  # fmt: skip


async def to_gd(w: World, lines: list[NewLine]) -> OutboundSheet:
    return await w.inv.outbound.create(
        w.shop.people["admin"], w.shop.brand, w.main,
        Consignee("", contact="王经理 13900000000", org_id=w.shop.orgs["GD01"]), lines,
    )  # fmt: skip


async def movements(w: World, document: str) -> list[tuple[str, int, str, str, int]]:
    found = await w.inv.stock.movements(w.shop.people["admin"], w.shop.brand,
                                        MovementQuery(None, None, document, None, 100))  # fmt: skip
    total: dict[tuple[str, int, str, str], int] = {}
    for m in found:  # summed over locations
        key = (m.kind, m.warehouse_id, m.gtin, m.lot)
        total[key] = total.get(key, 0) + m.quantity
    return sorted((*k, q) for k, q in total.items())


async def test_full_flow(world: World) -> None:
    w = world
    await stocked(w)
    admin, gd = w.shop.people["admin"], w.shop.people["gd"]
    sheet = await to_gd(w, [NewLine(TEA, 70, codes="batch 1: 1-70"), NewLine(WINE, 4)])
    assert sheet.status == "picking" and sheet.number.startswith("OUT")
    assert sheet.consignee.name == "华南总代" and sheet.consignee.org_id == w.shop.orgs["GD01"]
    # oldest lot first (L0 before L1), then the lowest location code (A-01 before B-01)
    _, plan = await w.inv.outbound.picking(admin, w.shop.brand, sheet.number)
    assert plan.complete
    assert [(p.line_no, p.location_code, p.lot, p.quantity) for p in plan.picks] == [
        (1, "A-01", "L0", 30), (1, "B-01", "L0", 30), (1, "main", "L1", 10),
        (2, "main", "", 4)]  # fmt: skip
    with pytest.raises(OutboundState):  # no PDF before issuing
        await w.inv.outbound.pdf(admin, w.shop.brand, sheet.number)
    issued = await w.inv.outbound.issue(admin, w.shop.brand, sheet.number, "仓管 老陈")
    assert issued.status == "issued" and issued.handler == "仓管 老陈"
    assert issued.issued_by == f"user:{admin.user_id}"
    again = await w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
    assert again.issued_at == issued.issued_at  # issuing twice posts once
    assert await movements(w, sheet.number) == sorted([
        ("outbound", w.main.id, TEA, "L0", -60), ("outbound", w.main.id, TEA, "L1", -10),
        ("outbound", w.main.id, WINE, "", -4)])  # fmt: skip
    levels = {
        lv.gtin: lv.sellable
        for lv in await w.inv.stock.levels(admin, w.shop.brand, warehouse=w.main)
    }
    assert levels == {TEA: 90, WINE: 6}
    # the consignee's keepers heard of it
    titles = [m.title for m in await Inbox(w.engine.ledger).history(gd.user_id or 0)]
    assert any(sheet.number in t for t in titles)
    # the PDF: the QR decodes to the sheet's number
    data = await w.inv.outbound.pdf(gd, w.shop.brand, sheet.number)
    assert data.startswith(b"%PDF")
    assert [b.text for b in zxing(pdf_pages(data, dpi=200)[0])] == [f"VSOUT:{sheet.number}"]
    # the consignee checks it in by the scanned text, twice: one inbound
    gd_wh = await w.warehouse_of("GD01")
    got = await w.inv.outbound.receive(gd, w.shop.brand, f"VSOUT:{sheet.number}")
    assert got.received_at is not None and got.received_warehouse_id == gd_wh.id
    again = await w.inv.outbound.receive(gd, w.shop.brand, sheet.number.lower())
    assert again.received_at == got.received_at
    inbound = [m for m in await movements(w, sheet.number) if m[0] == "inbound"]
    assert inbound == sorted([("inbound", gd_wh.id, TEA, "L0", 60),
                              ("inbound", gd_wh.id, TEA, "L1", 10),
                              ("inbound", gd_wh.id, WINE, "", 4)])  # fmt: skip
    listed = await w.inv.outbound.sheets(gd, w.shop.brand)
    assert [s.number for s in listed] == [sheet.number]
    assert await w.inv.outbound.sheets(w.shop.people["zj"], w.shop.brand) == []


async def test_shortage_refused_with_nothing_written(world: World) -> None:
    w = world
    await stocked(w)
    admin = w.shop.people["admin"]
    sheet = await to_gd(w, [NewLine(WINE, 3), NewLine(TEA, 161)])  # 160 of TEA in stock
    _, plan = await w.inv.outbound.picking(admin, w.shop.brand, sheet.number)
    assert [(s.line_no, s.wanted, s.found) for s in plan.shortages] == [(2, 161, 160)]
    with pytest.raises(StockInsufficient) as caught:
        await w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
    assert caught.value.code == "stock_insufficient"
    after = await w.inv.outbound.get(admin, w.shop.brand, sheet.number)
    assert after.status == "picking" and after.picks == [] and after.issued_at is None
    assert await movements(w, sheet.number) == []
    uid = w.shop.people["gd"].user_id or 0
    assert not any(sheet.number in m.title for m in await Inbox(w.engine.ledger).history(uid))
    # a lot that is not there: also short
    lot = await to_gd(w, [NewLine(TEA, 1, lot="L9")])
    with pytest.raises(StockInsufficient):
        await w.inv.outbound.issue(admin, w.shop.brand, lot.number)


async def test_reserved_stock_is_not_shipped(world: World) -> None:
    w = world
    await stocked(w)
    admin = w.shop.people["admin"]
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await w.inv.reservations.reserve(w.shop.brand.id, "SO-1", [(WINE, 8)], until)
    sheet = await to_gd(w, [NewLine(WINE, 3)])  # 10 in stock, 8 promised
    with pytest.raises(StockInsufficient):
        await w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
    assert await movements(w, sheet.number) == []


async def test_numbers_count_on_within_the_day(world: World) -> None:
    w = world
    first = await to_gd(w, [NewLine(TEA, 1)])
    second = await to_gd(w, [NewLine(TEA, 1)])
    day, n = first.number.rsplit("-", 1)
    assert second.number == f"{day}-{int(n) + 1:04d}" and len(n) == 4


async def test_cancel_and_states(world: World) -> None:
    w = world
    await stocked(w)
    admin = w.shop.people["admin"]
    sheet = await to_gd(w, [NewLine(TEA, 1)])
    with pytest.raises(OutboundState):  # not issued: nothing to check in
        await w.inv.outbound.receive(w.shop.people["gd"], w.shop.brand, sheet.number)
    done = await w.inv.outbound.cancel(admin, w.shop.brand, sheet.number, "客户取消")
    assert done.status == "cancelled" and done.cancel_reason == "客户取消"
    with pytest.raises(OutboundState):
        await w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
    issued = await w.inv.outbound.issue(admin, w.shop.brand,
                                        (await to_gd(w, [NewLine(TEA, 1)])).number)  # fmt: skip
    with pytest.raises(OutboundState):
        await w.inv.outbound.cancel(admin, w.shop.brand, issued.number)


async def test_free_text_consignee(world: World) -> None:
    w = world
    await stocked(w)
    admin = w.shop.people["admin"]
    sheet = await w.inv.outbound.create(admin, w.shop.brand, w.main,
                                        Consignee("某酒店 Hotel", "杭州市", "前台"),
                                        [NewLine(TEA, 2)])  # fmt: skip
    await w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
    with pytest.raises(OutboundNotReceivable):
        await w.inv.outbound.receive(admin, w.shop.brand, sheet.number)
    for bad in (Consignee(""), Consignee("x\x00y")):
        with pytest.raises(OutboundInvalid):
            await w.inv.outbound.create(admin, w.shop.brand, w.main, bad, [NewLine(TEA, 1)])
    for lines in ([], [NewLine("123", 1)], [NewLine(TEA, 0)], [NewLine(TEA, 1, lot="x" * 41)]):
        with pytest.raises(OutboundInvalid):
            await w.inv.outbound.create(admin, w.shop.brand, w.main, Consignee("a"), lines)


async def test_permissions(world: World) -> None:
    w = world
    await stocked(w)
    p = w.shop.people
    with pytest.raises(Forbidden):  # another dealer cannot ship from the brand's warehouse
        await w.inv.outbound.create(p["zj"], w.shop.brand, w.main, Consignee("x"),
                                    [NewLine(TEA, 1)])  # fmt: skip
    sheet = await to_gd(w, [NewLine(TEA, 5)])
    for who in ("zj", "gd"):  # neither may issue from the brand's warehouse
        with pytest.raises(Forbidden):
            await w.inv.outbound.issue(p[who], w.shop.brand, sheet.number)
    await w.inv.outbound.issue(p["operator"], w.shop.brand, sheet.number)  # factory floor
    for who in ("zj", "shop"):  # a sibling, and a retailer below the consignee
        with pytest.raises(Forbidden):
            await w.inv.outbound.get(p[who], w.shop.brand, sheet.number)
        with pytest.raises(Forbidden):
            await w.inv.outbound.receive(p[who], w.shop.brand, sheet.number)
    assert (await w.inv.outbound.get(p["gd"], w.shop.brand, sheet.number)).status == "issued"
    # a dealer ships from its own warehouse to its retailer, who checks it in
    gd_wh = await w.warehouse_of("GD01")
    await w.inv.stock.receive(p["gd"], gd_wh, [StockLine(TEA, 9, "L7")])
    down = await w.inv.outbound.create(p["gd"], w.shop.brand, gd_wh,
                                       Consignee("", org_id=w.shop.orgs["GZ-R1"]),
                                       [NewLine(TEA, 9)])  # fmt: skip
    await w.inv.outbound.issue(p["gd"], w.shop.brand, down.number)
    await w.inv.outbound.receive(p["shop"], w.shop.brand, down.number)
    shop_wh = await w.warehouse_of("GZ-R1")
    lv = await w.inv.stock.levels(p["shop"], w.shop.brand, warehouse=shop_wh)
    assert [(x.gtin, x.sellable) for x in lv] == [(TEA, 9)]
    assert LocationKind.STOCK  # the check-in lands in the main stock location
