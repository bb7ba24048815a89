"""Inbound receipts with inspection (veriseal_inventory.inbound), on both backends: goods
arrive in quarantine, an inspection by the ISO 2859-1 plan moves them to stock and / or
the rejected location, products without inspection are released; every refusal has its
code and changes nothing; who may do what.

Plans asserted here are typed from the published level II table (nibs.org
AC-TABLE.ASC, from MIL-STD-105E, see tests/inventory/test_sampling.py): lot 281-500 is
code letter H (n 50); at AQL 1.0 Re 2 (Ac 1); lot 91-150 is F (n 20), at 2.5 Re 2."""

from __future__ import annotations

import asyncio
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inventory.conftest import TEA, WINE, World
from veriseal import Forbidden, ProductNotFound
from veriseal.notifications.inbox import Inbox
from veriseal_inventory.errors import StockInsufficient, StockInvalid
from veriseal_inventory.inbound_errors import InboundInvalid, InboundNotFound, InboundState
from veriseal_inventory.inbound_models import DecisionKind, InspectRequest, LineStatus
from veriseal_inventory.models import Level, StockLine
from veriseal_inventory.rebuild import rebuild
from veriseal_inventory.stock import MoveRequest
from veriseal_inventory.stock_store import MovementQuery

NUMBER = re.compile(r"^IN\d{8}-\d{4}$")
ACCEPT = InspectRequest(DecisionKind.ACCEPT_ALL, 0)


async def level(w: World, gtin: str, warehouse: object = None) -> tuple[int, int, int]:
    """(sellable, quarantine, rejected) of ``gtin`` in MAIN (or ``warehouse``)."""
    admin = w.shop.people["admin"]
    found: list[Level] = await w.inv.stock.levels(admin, w.shop.brand, gtin=gtin,
                                                  warehouse=warehouse or w.main)  # type: ignore[arg-type]  # fmt: skip
    return (found[0].sellable, found[0].quarantine, found[0].rejected) if found else (0, 0, 0)


async def require_inspection(w: World, gtin: str, aql: str = "1.0") -> None:
    await w.inv.inbound.set_setting(w.shop.people["admin"], w.shop.brand, gtin, required=True,
                                    aql=aql)  # fmt: skip


async def test_full_flow_quarantine_then_inspected_into_stock(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, TEA)
    view = await w.inv.inbound.receive(admin, brand, "MAIN", [StockLine(TEA, 500, "L1")],
                                       supplier="茶厂 Tea farm")  # fmt: skip
    no = view.receipt.receipt_no
    assert NUMBER.match(no) and view.receipt.status == "open"
    assert [(x.status, x.required) for x in view.lines] == [(LineStatus.AWAITING, True)]
    assert await level(w, TEA) == (0, 500, 0)
    moves = await w.inv.stock.movements(admin, brand, _query(no))
    assert [(m.kind, m.quantity, m.document) for m in moves] == [("inbound", 500, no)]
    uid = admin.user.id  # type: ignore[union-attr]
    titles = [m.title for m in await Inbox(w.engine.ledger).history(uid)]
    assert any(no in t and "待质检" in t for t in titles)

    plan = await w.inv.inbound.plan(admin, brand, no, 1)
    assert (plan.sample_size, plan.accept, plan.reject) == (50, 1, 2)
    operator = w.shop.people["operator"]  # a factory operator holds stock.inspect
    accept = InspectRequest(DecisionKind.ACCEPT_ALL, defects=1)
    done = await w.inv.inbound.inspect(operator, brand, no, 1, accept)
    assert done.receipt.status == "done" and done.lines[0].status is LineStatus.ACCEPTED
    x = done.inspections[done.lines[0].id]
    assert (x.sample_size, x.accept_no, x.reject_no, x.defects, x.outcome) == (
        50, 1, 2, 1, "accept")  # fmt: skip
    assert (x.accepted, x.rejected) == (500, 0)
    assert await level(w, TEA) == (500, 0, 0)
    moves = await w.inv.stock.movements(admin, brand, _query(no))
    assert sorted((m.kind, m.quantity) for m in moves) == [
        ("inbound", 500), ("transfer", -500), ("transfer", 500)]  # fmt: skip
    titles = [m.title for m in await Inbox(w.engine.ledger).history(uid)]
    assert any(no in t and "全部合格" in t for t in titles)


async def test_partial_accept_needs_quantities_and_a_reason(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, WINE, "2.5")
    no = (await w.inv.inbound.receive(admin, brand, "MAIN",
                                      [StockLine(WINE, 100, "W7")])).receipt.receipt_no  # fmt: skip
    # lot 100 at AQL 2.5: F, n 20, Ac 1 Re 2; 5 defects reject the lot
    plan = await w.inv.inbound.plan(admin, brand, no, 1)
    assert (plan.sample_size, plan.accept, plan.reject) == (20, 1, 2)
    before = await level(w, WINE)
    refused = [
        InspectRequest(DecisionKind.ACCEPT_ALL, defects=5),
        InspectRequest(DecisionKind.ACCEPT_PART, defects=5, accepted=90, rejected=10),
        InspectRequest(DecisionKind.ACCEPT_PART, defects=5, accepted=90, rejected=9,
                       reason="破损"),
        InspectRequest(DecisionKind.ACCEPT_PART, defects=5, accepted=100, rejected=0,
                       reason="破损"),
        InspectRequest(DecisionKind.REJECT_ALL, defects=5),
        InspectRequest(DecisionKind.REJECT_ALL, defects=21, reason="x"),
        InspectRequest(DecisionKind.ACCEPT_ALL, defects=0, aql="0.3"),
        InspectRequest(DecisionKind.ACCEPT_ALL, defects=0, level="IV"),
    ]  # fmt: skip
    for req in refused:
        with pytest.raises(InboundInvalid) as caught:
            await w.inv.inbound.inspect(admin, brand, no, 1, req)
        assert caught.value.code == "inbound_invalid", req
    view = await w.inv.inbound.get(admin, brand, no)
    assert view.inspections == {} and view.lines[0].status is LineStatus.AWAITING
    assert await level(w, WINE) == before == (0, 100, 0)

    done = await w.inv.inbound.inspect(
        admin, brand, no, 1,
        InspectRequest(DecisionKind.ACCEPT_PART, defects=5, accepted=90, rejected=10,
                       reason="瓶口破损 broken necks"),
    )  # fmt: skip
    assert done.lines[0].status is LineStatus.PARTIAL and done.receipt.status == "done"
    assert await level(w, WINE) == (90, 0, 10)
    moves = await w.inv.stock.movements(admin, brand, _query(no))
    assert {m.reason for m in moves if m.kind == "transfer"} == {"瓶口破损 broken necks"}
    # decided once: a second decision is refused and changes nothing
    with pytest.raises(InboundState):
        again = InspectRequest(DecisionKind.REJECT_ALL, 5, reason="x")
        await w.inv.inbound.inspect(admin, brand, no, 1, again)
    assert await level(w, WINE) == (90, 0, 10)


async def test_reject_all_goes_to_the_rejected_location(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, TEA)
    no = (await w.inv.inbound.receive(admin, brand, "MAIN",
                                      [StockLine(TEA, 300)])).receipt.receipt_no  # fmt: skip
    await w.inv.inbound.inspect(admin, brand, no, 1, InspectRequest(
        DecisionKind.REJECT_ALL, defects=9, aql="0.65", reason="霉变 mould"))  # fmt: skip
    assert await level(w, TEA) == (0, 0, 300)
    view = await w.inv.inbound.get(admin, brand, no)
    # lot 300 at AQL 0.65 (level II): H is an arrow down to J, n 80, Re 2
    x = view.inspections[view.lines[0].id]
    assert (x.code_letter, x.sample_size, x.reject_no, x.outcome) == ("J", 80, 2, "reject")


async def test_products_without_inspection_are_released(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, TEA)
    # WINE has no setting: no inspection required
    view = await w.inv.inbound.receive(admin, brand, "MAIN",
                                       [StockLine(WINE, 12, "W1")], release=True)  # fmt: skip
    assert view.lines[0].status is LineStatus.RELEASED and view.receipt.status == "done"
    assert view.inspections[view.lines[0].id].decision is DecisionKind.RELEASE
    assert await level(w, WINE) == (12, 0, 0)
    # a mixed receipt: release moves WINE only, TEA waits for its inspection
    mixed = await w.inv.inbound.receive(admin, brand, "MAIN",
                                        [StockLine(TEA, 10), StockLine(WINE, 3)])  # fmt: skip
    no = mixed.receipt.receipt_no
    assert await level(w, WINE) == (12, 3, 0)
    after = await w.inv.inbound.release(admin, brand, no)
    assert [x.status for x in after.lines] == [LineStatus.AWAITING, LineStatus.RELEASED]
    assert after.receipt.status == "open"
    assert await level(w, WINE) == (15, 0, 0) and await level(w, TEA) == (0, 10, 0)
    with pytest.raises(InboundState):
        await w.inv.inbound.release(admin, brand, no)


async def test_refusals_change_nothing(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    with pytest.raises(ProductNotFound):
        unknown = StockLine("09506000134376", 5)  # not in the catalogue
        await w.inv.inbound.receive(admin, brand, "MAIN", [StockLine(TEA, 5), unknown])
    for bad in ([], [StockLine(TEA, 0)], [StockLine("123", 1)], [StockLine(TEA, 1, "x" * 41)]):
        with pytest.raises((InboundInvalid, StockInvalid)) as caught:
            await w.inv.inbound.receive(admin, brand, "MAIN", bad)
        assert caught.value.code in ("inbound_invalid", "stock_invalid"), bad
    assert await w.inv.inbound.list(admin, brand) == []
    assert await level(w, TEA) == (0, 0, 0)
    with pytest.raises(InboundNotFound):
        await w.inv.inbound.get(admin, brand, "IN20200101-0001")
    no = (await w.inv.inbound.receive(admin, brand, "MAIN",
                                      [StockLine(TEA, 5)])).receipt.receipt_no  # fmt: skip
    with pytest.raises(InboundNotFound):
        await w.inv.inbound.inspect(admin, brand, no, 2, ACCEPT)
    # the quarantined goods were moved away by hand: the decision's post is refused
    # (stock_insufficient) and the line stays undecided
    await w.inv.stock.transfer(admin, w.main, w.main, [StockLine(TEA, 5)],
                               _move_from("quarantine"), "main")  # fmt: skip
    with pytest.raises(StockInsufficient):
        await w.inv.inbound.inspect(admin, brand, no, 1, ACCEPT)
    view = await w.inv.inbound.get(admin, brand, no)
    assert view.inspections == {} and view.lines[0].status is LineStatus.AWAITING


async def test_a_retried_receipt_with_its_client_id_is_received_once(world: World) -> None:
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    first = await w.inv.inbound.receive(admin, brand, "MAIN", [StockLine(TEA, 7)],
                                        client_id="form-1")  # fmt: skip
    again = await w.inv.inbound.receive(admin, brand, "MAIN", [StockLine(TEA, 7)],
                                        client_id="form-1")  # fmt: skip
    assert again.receipt.receipt_no == first.receipt.receipt_no
    assert await level(w, TEA) == (0, 7, 0)
    other = await w.inv.inbound.receive(admin, brand, "MAIN", [StockLine(TEA, 1)])
    assert other.receipt.receipt_no > first.receipt.receipt_no


async def test_who_may_receive_inspect_see_and_set(world: World) -> None:
    w, brand, p = world, world.shop.brand, world.shop.people
    # a dealer receives into its own warehouse, never into the brand's
    gd_wh = await w.warehouse_of("GD01")
    with pytest.raises(Forbidden):
        await w.inv.inbound.receive(p["gd"], brand, "MAIN", [StockLine(TEA, 1)])
    mine = await w.inv.inbound.receive(p["gd"], brand, gd_wh.code, [StockLine(TEA, 4)])
    no = mine.receipt.receipt_no
    assert await level(w, TEA, gd_wh) == (0, 4, 0)
    # a dealer holds no stock.inspect; a sibling dealer cannot even see the receipt
    with pytest.raises(Forbidden):
        await w.inv.inbound.inspect(p["gd"], brand, no, 1, ACCEPT)
    with pytest.raises(Forbidden):
        await w.inv.inbound.get(p["zj"], brand, no)
    assert await w.inv.inbound.list(p["zj"], brand) == []
    assert [r.receipt_no for r in await w.inv.inbound.list(p["gd"], brand)] == [no]
    # the retailer under GD01 sees nothing of its parent's warehouse
    with pytest.raises(Forbidden):
        await w.inv.inbound.get(p["shop"], brand, no)
    # brand staff inspect anywhere in the brand
    await w.inv.inbound.inspect(p["operator"], brand, no, 1,
                                InspectRequest(DecisionKind.ACCEPT_ALL, 0))  # fmt: skip
    assert await level(w, TEA, gd_wh) == (4, 0, 0)
    # settings: brand staff with stock.manage only
    for who in ("operator", "gd"):
        with pytest.raises(Forbidden):
            await w.inv.inbound.set_setting(p[who], brand, TEA, required=True)
    made = await w.inv.inbound.set_setting(p["admin"], brand, TEA, required=True, level="S-3")
    assert (made.required, made.aql, made.level) == (True, "2.5", "S-3")
    assert [s.gtin for s in await w.inv.inbound.settings(p["gd"], brand)] == [TEA]


def _query(document: str) -> MovementQuery:
    return MovementQuery(None, None, document)


def _move_from(location: str) -> MoveRequest:
    return MoveRequest(location=location)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.integers(1, 3000), st.sampled_from(["0.65", "1.0", "2.5", "6.5"]), st.data())
async def test_any_decision_splits_exactly_the_line(world: World, qty: int, aql: str,
                                                   data: st.DataObject) -> None:  # fmt: skip
    """Whatever the lot and the defects found: the decision is recorded with the line's
    plan (lot size = its quantity), ``accept_all`` is allowed exactly when the sample
    accepts (defects <= Ac), the whole quantity leaves quarantine split between stock
    and the rejected location, and the caches still equal the movements."""
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, TEA, aql)
    before = await level(w, TEA)
    no = (await w.inv.inbound.receive(admin, brand, "MAIN",
                                      [StockLine(TEA, qty)])).receipt.receipt_no  # fmt: skip
    p = await w.inv.inbound.plan(admin, brand, no, 1)
    assert (p.lot_size, str(p.aql), p.level) == (qty, aql, "II")
    assert 1 <= p.sample_size <= qty and p.reject == p.accept + 1
    defects = data.draw(st.integers(0, p.sample_size), label="defects")
    if defects > p.accept:
        with pytest.raises(InboundInvalid):
            accept = InspectRequest(DecisionKind.ACCEPT_ALL, defects)
            await w.inv.inbound.inspect(admin, brand, no, 1, accept)
    if defects <= p.accept:
        req = InspectRequest(DecisionKind.ACCEPT_ALL, defects)
    elif qty >= 2:
        good = data.draw(st.integers(1, qty - 1), label="accepted")
        req = InspectRequest(DecisionKind.ACCEPT_PART, defects, accepted=good,
                             rejected=qty - good, reason="sorted / 挑选")  # fmt: skip
    else:
        req = InspectRequest(DecisionKind.REJECT_ALL, defects, reason="defect / 不合格")
    view = await w.inv.inbound.inspect(admin, brand, no, 1, req)
    x = view.inspections[view.lines[0].id]
    assert (x.sample_size, x.accept_no, x.reject_no, x.defects) == (
        p.sample_size, p.accept, p.reject, defects)  # fmt: skip
    assert x.outcome == ("accept" if defects <= p.accept else "reject")
    after = await level(w, TEA)
    assert after[1] == before[1]  # nothing left in quarantine
    assert (after[0] - before[0], after[2] - before[2]) == (x.accepted, x.rejected)
    assert x.accepted + x.rejected == qty
    assert await rebuild(w.ctx, check_only=True) == []


async def test_concurrent_receipts_and_decisions(world: World) -> None:
    """Real concurrent transactions: receipts received at once get distinct numbers;
    two inspectors deciding one line at once: one decision wins, the other is refused
    (``inbound_state``) and the goods move once."""
    w, brand, admin = world, world.shop.brand, world.shop.people["admin"]
    await require_inspection(w, TEA)
    one = [StockLine(TEA, 10)]
    made = await asyncio.gather(*[w.inv.inbound.receive(admin, brand, "MAIN", one)
                                  for _ in range(5)])  # fmt: skip
    numbers = [v.receipt.receipt_no for v in made]
    assert len(set(numbers)) == 5 and all(NUMBER.match(n) for n in numbers)
    assert await level(w, TEA) == (0, 50, 0)
    no = numbers[0]
    operator = w.shop.people["operator"]
    results = await asyncio.gather(
        w.inv.inbound.inspect(admin, brand, no, 1, ACCEPT),
        w.inv.inbound.inspect(operator, brand, no, 1,
                              InspectRequest(DecisionKind.REJECT_ALL, 0, reason="x")),
        return_exceptions=True,
    )  # fmt: skip
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], InboundState), results
    sellable, quarantine, rejected = await level(w, TEA)
    assert quarantine == 40 and sellable + rejected == 10
