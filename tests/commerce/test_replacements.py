"""Replacement orders (an exchange of returned goods) on both backends, with the
territories, commerce and inventory plugins: a delivered order bought with a promotion
is replaced at ITS net unit prices (not priced again) with an equal exchange credit, so
nothing is due and the payment status is paid; the replacement is approved at once,
reserves its stock through ``inventory.reserve``, is idempotent by return number, is
refused with nothing written (short stock, a dealer, goods not on the order or all
exchanged already), ships by scanning and closes on delivery; both orders show the link
(API dict, console page, CLI). The unit-price split is a hypothesis property."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.commerce.conftest import TEA, WINE, Shop, open_engine
from tests.commerce.orders_world import PROMO_OFF, UNIT, draft, priced, uses
from tests.commerce.test_orders_console import live  # noqa: F401 (a fixture)
from tests.conftest import CliRun, cli_runner
from tests.console.conftest import ConsoleLive
from veriseal import SYSTEM_PRINCIPAL, VerisealError
from veriseal.engine import Engine
from veriseal_commerce.orders import OrderNotPayable
from veriseal_commerce.orders_store import Order
from veriseal_commerce.payable import summarize
from veriseal_commerce.replacement_pricing import EXCHANGE, runs, unit_split
from veriseal_inventory.models import StockLine, Warehouse
from veriseal_inventory.service import Inventory
from veriseal_inventory.service import of as inventory_of


@pytest.fixture
async def engine(ledger_url: str, tmp_path: Path) -> AsyncIterator[Engine]:
    async with open_engine(ledger_url, tmp_path, ("territories", "commerce", "inventory")) as e:
        yield e


def _inv(shop: Shop) -> Inventory:
    return inventory_of(shop.engine.plugins.context("inventory"))


async def _main(shop: Shop) -> Warehouse:
    root = (await shop.engine.accounts.brand_org(shop.brand)).id
    return await _inv(shop).warehouses.of_org(shop.brand.id, root)


async def _stock(shop: Shop, tea: int, wine: int) -> None:
    """Receive stock by quantity into the brand's main warehouse."""
    lines = [StockLine(g, n) for g, n in ((TEA, tea), (WINE, wine)) if n]
    await _inv(shop).stock.receive(shop.people["admin"], await _main(shop), lines)


async def _levels(shop: Shop) -> dict[str, tuple[int, int]]:
    """(sellable, reserved) per GTIN in the brand's main warehouse."""
    found = await _inv(shop).stock.levels(shop.people["admin"], shop.brand,
                                          warehouse=await _main(shop))  # fmt: skip
    return {lv.gtin: (lv.sellable, lv.reserved) for lv in found}


async def _ship_and_receive(shop: Shop, order_no: str, codes: list[str]) -> Order:
    await shop.c.fulfilment.ship(shop.people["operator"], order_no, codes)
    await shop.t.receive(shop.people["gd"], shop.brand, codes)
    await shop.drain()
    return await shop.c.orders.load(SYSTEM_PRINCIPAL, order_no)


async def _delivered(shop: Shop) -> Order:
    """TEA 12 + WINE 2 with the 1.00 promotion, paid, shipped (TEA items 0..11, WINE
    0..1), received: closed."""
    await priced(shop)
    order = await draft(shop)
    order = await shop.c.orders.submit(shop.people["gd"], order.order_no)
    async with shop.ctx.db.write() as tx:
        await shop.c.orders.on_payment(tx, order.id, summarize(order.total, order.total, 0,
                                                               order.currency))  # fmt: skip
    await shop.c.orders.approve(shop.people["admin"], order.order_no)
    codes = [*shop.codes(TEA, 0, 12), *shop.codes(WINE, 0, 2)]
    done = await _ship_and_receive(shop, order.order_no, codes)
    assert done.status == "closed"
    return done


async def _count_orders(shop: Shop) -> int:
    async with shop.engine.ledger.read() as tx:
        row = await tx.fetchrow("SELECT COUNT(*) AS n FROM commerce_orders")
    return 0 if row is None else int(row["n"])


def _paid(order: Order, gtin: str) -> tuple[int, int]:
    """(amount, quantity) the dealer paid for ``gtin`` on ``order`` (gifts aside)."""
    same = [ln for ln in order.lines if ln.gtin == gtin and not ln.gift]
    return sum(ln.amount for ln in same), sum(ln.quantity for ln in same)


async def test_priced_at_the_original_net_prices_nothing_due(shop: Shop) -> None:
    await _stock(shop, 20, 5)
    original = await _delivered(shop)
    tea_paid, tea_qty = _paid(original, TEA)
    wine_paid, _ = _paid(original, WINE)
    # the promotion took 1.00 off the order: the net prices are below the list prices
    assert tea_paid + wine_paid == UNIT[TEA] * 12 + UNIT[WINE] * 2 - PROMO_OFF
    unit, rest = divmod(tea_paid, tea_qty)
    assert unit < UNIT[TEA] and rest > 0  # the remainder case is exercised
    admin = shop.people["admin"]
    new = await shop.c.orders.replace(admin, original.order_no, "RT-1", [(TEA, 3), (WINE, 1)])
    assert (new.status, new.payment_status, new.fulfilment_status) == (
        "approved", "paid", "unfulfilled")  # fmt: skip
    assert (new.total, new.paid, new.pay_by, new.org_id) == (0, 0, None, original.org_id)
    assert (new.region, new.address) == (original.region, original.address)
    # TEA: the first unit carries the remainder, then the floor; WINE at its net price
    assert [(ln.gtin, ln.quantity, ln.unit_price, ln.amount, ln.gift) for ln in new.lines] == [
        (TEA, 1, unit + rest, 0, False), (TEA, 2, unit, 0, False),
        (WINE, 1, wine_paid // 2, 0, False)]  # fmt: skip
    for ln in new.lines:  # one exchange credit per line: gross - discounts == amount
        assert [d["kind"] for d in ln.discounts] == [EXCHANGE]
        assert ln.unit_price * ln.quantity - sum(d["amount"] for d in ln.discounts) == ln.amount
        assert "RT-1" in ln.discounts[0]["reason"] and "换货" in ln.discounts[0]["name"]
    # the promotion was not evaluated again, nor counted as used by the replacement
    assert await uses(shop, new.id) == []
    with pytest.raises(OrderNotPayable):
        await shop.c.orders.payable(shop.people["gd"], new.order_no)
    # stock reserved under the new order (the original's shipped and was consumed)
    assert new.availability_check == "reserved"
    assert await _levels(shop) == {TEA: (8, 3), WINE: (3, 1)}
    held = await _inv(shop).reservations.held(shop.brand.id, new.order_no)
    assert sorted((r.gtin, r.remaining) for r in held) == [(TEA, 3), (WINE, 1)]
    # linked both ways: the API's dict and both timelines
    view = await shop.c.orders.view(shop.people["gd"], new.order_no)
    assert view.to_dict()["replaces"] == {"order_no": original.order_no, "return_no": "RT-1"}
    assert [(e.action, e.from_status, e.to_status) for e in view.events] == [
        ("replace", "approved", "approved")]  # fmt: skip
    old = await shop.c.orders.view(shop.people["gd"], original.order_no)
    assert old.to_dict()["replacements"] == [{"order_no": new.order_no, "return_no": "RT-1"}]
    assert old.to_dict()["replaces"] is None and view.to_dict()["replacements"] == []
    assert (old.order.status, old.events[-1].action, old.events[-1].to_status) == (
        "closed", "replaced", "closed")  # fmt: skip
    assert old.order.version == original.version + 1
    listed = {o.order_no: o.replaces for o in await shop.c.orders.list(admin, shop.brand)}
    assert listed == {new.order_no: original.order_no, original.order_no: None}


async def test_idempotent_by_return_and_successive_replacements_add_up(shop: Shop) -> None:
    await _stock(shop, 30, 5)
    original = await _delivered(shop)
    admin, no = shop.people["admin"], original.order_no
    first = await shop.c.orders.replace(admin, no, "RT-1", [(TEA, 3)])
    count, levels = await _count_orders(shop), await _levels(shop)
    again = await shop.c.orders.replace(admin, no, " RT-1 ", [(TEA, 5), (WINE, 1)])
    assert (again.order_no, again.lines) == (first.order_no, first.lines)
    assert (await _count_orders(shop), await _levels(shop)) == (count, levels)
    second = await shop.c.orders.replace(admin, no, "RT-2", [(TEA, 9)])
    tea_paid, _ = _paid(original, TEA)
    # the remainder was taken once: the 12 exchanged units are worth what was paid
    assert sum(ln.unit_price * ln.quantity for ln in (*first.lines, *second.lines)) == tea_paid
    assert len(second.lines) == 1
    shown = await shop.c.orders.load(admin, no)
    assert shown.replacements == ((first.order_no, "RT-1"), (second.order_no, "RT-2"))
    count, levels = await _count_orders(shop), await _levels(shop)
    refusals = [
        ("RT-3", [(TEA, 1)], "replacement_exceeds_order"),  # all 12 exchanged already
        ("RT-3", [(WINE, 3)], "replacement_exceeds_order"),  # only 2 were ordered
        ("RT-3", [("09506000134376", 1)], "replacement_not_on_order"),
        ("RT-3", [(WINE, 0)], "replacement_invalid"),
        ("RT-3", [], "replacement_invalid"),
        ("", [(WINE, 1)], "replacement_invalid"),
    ]
    for ret, lines, code in refusals:
        with pytest.raises(VerisealError) as refused:
            await shop.c.orders.replace(admin, no, ret, lines)
        assert refused.value.code == code, (ret, lines)
    # a return number belongs to one order; an order that has not shipped has no returns
    with pytest.raises(VerisealError) as reused:
        await shop.c.orders.replace(admin, first.order_no, "RT-1", [(TEA, 1)])
    assert reused.value.code == "replacement_return_reused"
    pending = await draft(shop, lines=[(TEA, 1)])
    with pytest.raises(VerisealError) as early:
        await shop.c.orders.replace(admin, pending.order_no, "RT-4", [(TEA, 1)])
    assert early.value.code == "replacement_not_shipped"
    assert (await _count_orders(shop), await _levels(shop)) == (count + 1, levels)


async def test_short_stock_and_dealers_create_nothing(shop: Shop) -> None:
    await _stock(shop, 14, 2)
    original = await _delivered(shop)  # leaves TEA 2, WINE 0
    admin, no = shop.people["admin"], original.order_no
    count, levels = await _count_orders(shop), await _levels(shop)
    assert levels == {TEA: (2, 0), WINE: (0, 0)}
    with pytest.raises(VerisealError) as short:
        await shop.c.orders.replace(admin, no, "RT-1", [(TEA, 2), (WINE, 1)])
    assert short.value.code == "stock_insufficient"
    for who in ("gd", "shop", "operator"):  # dealers, and shippers who do not review
        with pytest.raises(VerisealError) as denied:
            await shop.c.orders.replace(shop.people[who], no, "RT-1", [(TEA, 1)])
        assert denied.value.code == "forbidden", who
    after = await shop.c.orders.view(admin, no)
    assert (await _count_orders(shop), await _levels(shop)) == (count, levels)
    assert (after.order.version, after.order.replacements) == (original.version, ())
    await _stock(shop, 0, 1)  # the wine arrives: the same return now goes through
    new = await shop.c.orders.replace(admin, no, "RT-1", [(TEA, 2), (WINE, 1)])
    assert new.return_no == "RT-1" and await _levels(shop) == {TEA: (2, 2), WINE: (1, 1)}


async def test_concurrent_calls_make_one_order_and_hold_its_stock_only(shop: Shop) -> None:
    await _stock(shop, 40, 5)
    original = await _delivered(shop)  # leaves TEA 28
    admin, no = shop.people["admin"], original.order_no
    count = await _count_orders(shop)
    same = await asyncio.gather(*(shop.c.orders.replace(admin, no, "RT-1", [(TEA, 12)])
                                  for _ in range(3)))  # fmt: skip
    assert len({o.order_no for o in same}) == 1
    assert await _count_orders(shop) == count + 1
    assert (await _levels(shop))[TEA] == (28, 12)  # one hold: the order's
    # two returns racing for the same units: one gets them, the other nothing at all
    await _stock(shop, 0, 5)  # enough for both holds: the order is what refuses
    other = await draft(shop, lines=[(WINE, 1)])
    assert other.status == "draft"
    results = await asyncio.gather(shop.c.orders.replace(admin, no, "RT-2", [(WINE, 2)]),
                                   shop.c.orders.replace(admin, no, "RT-3", [(WINE, 2)]),
                                   return_exceptions=True)  # fmt: skip
    made = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, VerisealError)]
    assert (len(made), [r.code for r in refused]) == (1, ["replacement_exceeds_order"])
    assert (await _levels(shop))[WINE] == (8, 2)  # the refused one gave its hold back
    assert await _count_orders(shop) == count + 3  # the draft, and one replacement


async def test_ships_by_scanning_and_closes_on_delivery(shop: Shop) -> None:
    await _stock(shop, 20, 5)
    original = await _delivered(shop)
    new = await shop.c.orders.replace(shop.people["admin"], original.order_no, "RT-1",
                                      [(TEA, 3), (WINE, 1)])  # fmt: skip
    part = await _ship_and_receive(shop, new.order_no, shop.codes(TEA, 12, 2))
    assert (part.status, part.fulfilment_status) == ("partially_fulfilled", "partially_shipped")
    rest = [*shop.codes(TEA, 14, 1), *shop.codes(WINE, 2, 1)]
    closed = await _ship_and_receive(shop, new.order_no, rest)
    # nothing was due, so the delivered replacement counts as paid and closes
    assert (closed.status, closed.fulfilment_status, closed.payment_status) == (
        "closed", "delivered", "paid")  # fmt: skip
    assert [(ln.shipped, ln.delivered) for ln in closed.lines] == [(1, 1), (2, 2), (1, 1)]
    assert await _levels(shop) == {TEA: (5, 0), WINE: (2, 0)}  # the reservation was consumed
    view = await shop.c.orders.view(shop.people["gd"], new.order_no)
    state = view.events[0].from_status
    for e in view.events:
        assert e.from_status == state
        state = e.to_status
    assert (view.events[0].action, state) == ("replace", "closed")


async def test_the_link_on_the_console_and_the_cli(
    shop: Shop,
    live: ConsoleLive,  # noqa: F811 (the imported fixture)
    ledger_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _stock(shop, 20, 5)
    original = await _delivered(shop)
    new = await shop.c.orders.replace(shop.people["admin"], original.order_no, "RT-1",
                                      [(TEA, 1)])  # fmt: skip
    gd, admin = await live.client("gd"), await live.client("admin")
    status, page = await gd.get(f"/console/commerce/orders/{new.order_no}")
    assert status == 200 and 'id="replaces"' in page
    assert f'href="/console/commerce/orders/{original.order_no}"' in page and "RT-1" in page
    status, page = await admin.get(f"/console/commerce/review/{original.order_no}")
    assert status == 200 and 'id="replacements"' in page
    assert f'href="/console/commerce/review/{new.order_no}"' in page
    run = cli_runner(shop.tmp, monkeypatch, ("--db", ledger_url, "--brand", "acme"))
    monkeypatch.setenv("VERISEAL_KEY_FILE", str(shop.tmp / "test.key"))
    await asyncio.to_thread(_cli, run, original.order_no, new.order_no)


def _cli(run: CliRun, original: str, first: str) -> None:
    shown = json.loads(run("orders", "show", first))
    assert shown["replaces"] == {"order_no": original, "return_no": "RT-1"}
    out = run("orders", "replace", original, "--return-no", "RT-2", "--line", f"{WINE}:1")
    second = out.split("\t")[0]
    assert "approved\tpaid" in out and f"replaces {original}" in out
    again = run("orders", "replace", original, "--return-no", "RT-2", "--line", f"{WINE}:1")
    assert again.split("\t")[0] == second
    links = json.loads(run("orders", "show", original))["replacements"]
    assert links == [{"order_no": first, "return_no": "RT-1"},
                     {"order_no": second, "return_no": "RT-2"}]  # fmt: skip
    bad = run("orders", "replace", original, "--return-no", "RT-3", "--line", WINE, code=2)
    assert "[invalid_input]" in bad


# -- the unit-price split ---------------------------------------------------------------


@given(amount=st.integers(0, 10**9), paid=st.integers(1, 500), gifts=st.integers(0, 20),
       cuts=st.lists(st.integers(1, 60), max_size=30))  # fmt: skip
def test_the_split_adds_up_whichever_way_units_are_exchanged(
    amount: int, paid: int, gifts: int, cuts: list[int]
) -> None:
    unit, rest = unit_split(amount, paid)
    assert unit == amount // paid and 0 <= rest < paid and unit * paid + rest == amount
    total, start, values = paid + gifts, 0, 0
    for cut in [*cuts, total]:  # successive exchanges, then whatever is left
        count = min(cut, total - start)
        if count == 0:
            break
        got = runs(amount, paid, gifts, start, count)
        assert sum(r.quantity for r in got) == count
        for r in got:
            assert r.price >= 0
            assert r.price in ((unit, unit + rest) if not r.gift else (0,))
        values += sum(r.price * r.quantity for r in got)
        start += count
    assert start == total and values == amount  # exactly what was paid, never more
