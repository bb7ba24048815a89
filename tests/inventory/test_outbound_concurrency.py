"""Outbound sheets under real concurrent transactions, on both backends: one sheet
issued by several callers at once posts once, and checked in by several at once books
the goods once; sheets competing for the last units never ship more than there is
(each is issued in full or refused with nothing written); sheets created at once get
distinct numbers."""

from __future__ import annotations

import asyncio

from tests.inventory.conftest import TEA, World
from veriseal import VerisealError
from veriseal_inventory.models import StockLine
from veriseal_inventory.outbound import NewLine
from veriseal_inventory.outbound_store import Consignee
from veriseal_inventory.stock_store import MovementQuery

N = 6


async def _moves(w: World, document: str) -> list[tuple[str, int]]:
    q = MovementQuery(None, None, document, None, 100)
    found = await w.inv.stock.movements(w.shop.people["admin"], w.shop.brand, q)
    return sorted((m.kind, m.quantity) for m in found)


async def test_one_sheet_issued_and_received_at_once(world: World) -> None:
    w = world
    admin, gd = w.shop.people["admin"], w.shop.people["gd"]
    await w.inv.stock.receive(admin, w.main, [StockLine(TEA, 10, "L1")])
    sheet = await w.inv.outbound.create(admin, w.shop.brand, w.main,
                                        Consignee("", org_id=w.shop.orgs["GD01"]),
                                        [NewLine(TEA, 7)])  # fmt: skip
    issued = await asyncio.gather(*(w.inv.outbound.issue(admin, w.shop.brand, sheet.number)
                                    for _ in range(N)))  # fmt: skip
    assert {s.issued_at for s in issued} == {issued[0].issued_at}
    got = await asyncio.gather(*(w.inv.outbound.receive(gd, w.shop.brand, sheet.number)
                                 for _ in range(N)))  # fmt: skip
    assert {s.received_at for s in got} == {got[0].received_at}
    assert await _moves(w, sheet.number) == [("inbound", 7), ("outbound", -7)]


async def test_sheets_compete_for_the_last_units(world: World) -> None:
    w = world
    admin = w.shop.people["admin"]
    await w.inv.stock.receive(admin, w.main, [StockLine(TEA, 10, "L1")])
    sheets = await asyncio.gather(*(
        w.inv.outbound.create(admin, w.shop.brand, w.main, Consignee("x"), [NewLine(TEA, 3)])
        for _ in range(N)))  # fmt: skip
    assert len({s.number for s in sheets}) == N  # distinct numbers
    results = await asyncio.gather(
        *(w.inv.outbound.issue(admin, w.shop.brand, s.number) for s in sheets),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, VerisealError) and r.code == "stock_insufficient" for r in refused)
    assert len(refused) == N - 3  # 10 units: three sheets of 3
    for s, r in zip(sheets, results, strict=True):
        after = await w.inv.outbound.get(admin, w.shop.brand, s.number)
        moves = await _moves(w, s.number)
        if isinstance(r, BaseException):
            assert after.status == "picking" and after.picks == [] and moves == []
        else:
            assert after.status == "issued" and moves == [("outbound", -3)]
    levels = await w.inv.stock.levels(admin, w.shop.brand, warehouse=w.main)
    assert [(lv.gtin, lv.sellable) for lv in levels] == [(TEA, 1)]
