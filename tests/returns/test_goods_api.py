"""The goods' way back and the refund over real loopback HTTP, on both backends: approved
units are scanned in (a fake code and an unapproved unit refused with nothing written,
a retried call replayed), land in the warehouse's quarantine, are inspected (one
rejected with a reason, then scrapped), and the units that passed are refunded once, as
a credit note for the bank transfer the order was paid by, worth exactly their share of
what was paid."""

from __future__ import annotations

import pytest

from tests.inventory.conftest import World
from tests.returns.conftest import TEA, WINE, deliver
from tests.returns.test_api import client, coded, counts, headers
from veriseal_commerce.returns_policy import paid_by_product, refund_value


async def _tea(world: World) -> tuple[int, int, int]:
    """(sellable, quarantine, rejected) of TEA in the brand's main warehouse."""
    levels = await world.inv.stock.levels(world.shop.people["admin"], world.shop.brand,
                                          gtin=TEA, warehouse=world.main)  # fmt: skip
    return (
        sum(lv.sellable for lv in levels),
        sum(lv.quarantine for lv in levels),
        sum(lv.rejected for lv in levels),
    )


async def test_receive_inspect_scrap_and_refund_over_http(world: World) -> None:
    got = await deliver(world)
    tea = got.codes[TEA]
    gd, zj, admin = [await headers(world, w) for w in ("gd", "zj", "admin")]
    paid = paid_by_product((ln.gtin, ln.quantity, ln.amount) for ln in got.order.lines)[TEA]
    async with client(world) as (_, call):
        status, r = await call("POST", "/returns", gd, {
            "order_no": got.order.order_no, "kind": "return", "reason": "damaged",
            "codes": tea[:3]})  # fmt: skip
        assert status == 201
        rno = r["return_no"]
        status, r = await call("POST", f"/returns/{rno}/approve", admin, {})
        assert (status, r["status"]) == (200, "approved")
        before_stock = await _tea(world)
        # refusals at the warehouse: each coded, nothing written
        forged = tea[0][:-4] + ("AAAA" if not tea[0].endswith("AAAA") else "BBBB")
        before = await counts(world)
        for who, body, want in (
            (gd, {"codes": tea[:1]}, "forbidden"),  # a dealer does not receive
            (zj, {"codes": tea[:1]}, "forbidden"),
            (admin, {"codes": [forged]}, "return_unit_fake"),
            (admin, {"codes": [tea[5]]}, "return_unit_state"),  # not on the request
            (admin, {"codes": []}, "invalid_input"),
        ):
            status, answer = await call("POST", f"/returns/{rno}/receive", who, body)
            code = coded(status, answer)
            assert code == want, (body, answer)
        assert (await counts(world))[:5] == before[:5]
        assert await _tea(world) == before_stock
        # two units in, then the third: receiving, then received; a retry is a replay
        status, r = await call("POST", f"/returns/{rno}/receive", admin,
                               {"codes": tea[:2], "client_id": "dock-1"})  # fmt: skip
        assert status == 200 and r["status"] == "receiving", r
        status, again = await call("POST", f"/returns/{rno}/receive", admin,
                                   {"codes": tea[:2], "client_id": "dock-1"})  # fmt: skip
        assert status == 200 and again["status"] == "receiving"
        status, answer = await call("POST", f"/returns/{rno}/receive", admin,
                                    {"codes": tea[:1]})  # fmt: skip
        assert coded(status, answer) == "return_unit_state"  # received already
        status, r = await call("POST", f"/returns/{rno}/receive", admin, {"codes": [tea[2]]})
        assert (status, r["status"]) == (200, "received")
        assert {u["status"] for u in r["units"]} == {"received"}
        assert all(u["receipt_no"] for u in r["units"])
        assert await _tea(world) == (before_stock[0], before_stock[1] + 3, before_stock[2])
        # inspection: two pass, one fails with a reason
        status, answer = await call("POST", f"/returns/{rno}/inspect", admin, {})
        assert coded(status, answer) == "return_unit_state"  # nothing named
        status, answer = await call("POST", f"/returns/{rno}/inspect", admin,
                                    {"accepted": tea[:1], "rejected": tea[:1]})  # fmt: skip
        assert coded(status, answer) == "return_unit_state"  # both at once
        status, answer = await call("POST", f"/returns/{rno}/refund", admin, {})
        assert coded(status, answer) == "return_transition"  # not inspected yet
        status, r = await call("POST", f"/returns/{rno}/inspect", admin,
                               {"accepted": tea[:2], "rejected": [tea[2]],
                                "reason": "受潮 damp"})  # fmt: skip
        assert (status, r["status"]) == (200, "inspected"), r
        states = {u["code"]: u["status"] for u in r["units"]}
        assert states == {tea[0]: "restocked", tea[1]: "restocked", tea[2]: "rejected"}
        assert await _tea(world) == (before_stock[0] + 2, before_stock[1], before_stock[2] + 1)
        # the rejected unit is scrapped (a reason is required)
        status, answer = await call("POST", f"/returns/{rno}/scrap", admin, {"codes": [tea[2]]})
        assert coded(status, answer) == "invalid_input"
        status, answer = await call("POST", f"/returns/{rno}/scrap", admin,
                                    {"codes": [tea[0]], "reason": "x"})  # fmt: skip
        assert coded(status, answer) == "return_unit_state"  # it passed inspection
        status, r = await call("POST", f"/returns/{rno}/scrap", admin,
                               {"codes": [tea[2]], "reason": "受潮报废"})  # fmt: skip
        assert status == 200, r
        assert {u["code"]: u["status"] for u in r["units"]}[tea[2]] == "scrapped"
        assert await _tea(world) == (before_stock[0] + 2, before_stock[1], before_stock[2])
        # the refund: the two restocked units' share of what was paid, once
        status, answer = await call("POST", f"/returns/{rno}/refund", gd, {})
        assert status == 403
        status, r = await call("POST", f"/returns/{rno}/refund", admin, {"note": "退两件"})
        assert (status, r["status"]) == (200, "completed"), r
        assert r["refunded"] == refund_value(paid.amount, paid.quantity, 0, 2) > 0
        status, answer = await call("POST", f"/returns/{rno}/refund", admin, {})
        assert coded(status, answer) == "return_transition"  # completed: never twice
        status, ledger = await call("GET", f"/orders/{got.order.order_no}/payments", gd)
        assert status == 200, ledger
        refunds = [e for e in ledger["events"] if e["kind"] == "refunded"]
        assert len(refunds) == 1 and refunds[0]["amount"] == r["refunded"]
        assert refunds[0]["reference"] == rno  # the return number is the refund number
        assert refunds[0]["details"].get("credit_note") is True  # paid by bank transfer
        assert ledger["summary"]["refunded"] == r["refunded"]
        status, view = await call("GET", f"/returns/{rno}", gd)
        actions = [e["action"] for e in view["events"]]
        assert actions[:1] == ["open"] and actions[-1] == "refund"
        for step in ("approve", "receive_part", "receive_all", "inspect_all", "scrapped"):
            assert step in actions, (step, actions)


@pytest.mark.xfail(
    strict=True,
    reason="returns_goods.receive writes its intake and takes the"
    " units back before inventory refuses the warehouse: the intake stays"
    " pending and blocks the units (reported to the lead)",
)
async def test_a_receive_refused_for_its_warehouse_leaves_the_units_receivable(
    world: World,
) -> None:
    got = await deliver(world, lines=((TEA, 2),))
    tea = got.codes[TEA]
    gd, admin = await headers(world, "gd"), await headers(world, "admin")
    async with client(world) as (_, call):
        _, r = await call("POST", "/returns", gd, {
            "order_no": got.order.order_no, "kind": "return", "reason": "damaged",
            "codes": tea[:1]})  # fmt: skip
        rno = r["return_no"]
        await call("POST", f"/returns/{rno}/approve", admin, {})
        status, answer = await call("POST", f"/returns/{rno}/receive", admin,
                                    {"codes": tea[:1], "warehouse": "NOPE"})  # fmt: skip
        assert coded(status, answer) == "warehouse_not_found"
        status, r = await call("POST", f"/returns/{rno}/receive", admin, {"codes": tea[:1]})
        assert status == 200 and r["status"] == "received", r


async def test_an_exchange_over_http(world: World) -> None:
    got = await deliver(world)
    wine = got.codes[WINE]
    gd, admin = await headers(world, "gd"), await headers(world, "admin")
    async with client(world) as (_, call):
        status, r = await call("POST", "/returns", gd, {
            "order_no": got.order.order_no, "kind": "exchange", "reason": "defective",
            "codes": wine})  # fmt: skip
        assert status == 201
        rno = r["return_no"]
        for path, body in (("approve", {}), ("receive", {"codes": wine}),
                           ("inspect", {"accepted": wine})):  # fmt: skip
            status, r = await call("POST", f"/returns/{rno}/{path}", admin, body)
            assert status == 200, (path, r)
        status, answer = await call("POST", f"/returns/{rno}/exchange", gd, {})
        assert status == 403  # the brand decides
        status, r = await call("POST", f"/returns/{rno}/exchange", admin, {})
        assert (status, r["status"]) == (200, "completed"), r
        replacement = r["replacement_no"]
        assert replacement
        status, answer = await call("POST", f"/returns/{rno}/exchange", admin, {})
        assert coded(status, answer) == "return_transition"  # one replacement per return
        status, order = await call("GET", f"/orders/{replacement}", gd)
        assert status == 200 and order["status"] == "approved", order
        assert [(ln["gtin"], ln["quantity"]) for ln in order["lines"]] == [(WINE, 2)]
        assert r["refunded"] == 0
