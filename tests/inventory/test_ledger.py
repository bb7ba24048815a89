"""The stock ledger's rules through the stock service, on both backends: movements are
the truth (the caches always equal their sums), stock never goes negative, available
stock is not sold twice, back-dating is bounded and checked against later movements,
and a client id makes a retry a replay."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.inventory.conftest import TEA, WINE, World
from veriseal import VerisealError
from veriseal_inventory.models import Meta, MovementKind, Posting, StockLine
from veriseal_inventory.rebuild import rebuild
from veriseal_inventory.reservations import GRACE
from veriseal_inventory.stock import MoveRequest

NOW = dt.datetime.now


async def _count(world: World, table: str) -> int:
    async with world.ctx.db.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def _level(world: World, warehouse_id: int, gtin: str) -> tuple[int, int, int]:
    admin = world.shop.people["admin"]
    w = await world.inv.warehouses.get(warehouse_id)
    found = await world.inv.stock.levels(admin, world.shop.brand, gtin=gtin, warehouse=w)
    return (found[0].sellable, found[0].reserved, found[0].available) if found else (0, 0, 0)


async def test_receive_issue_and_never_below_zero(world: World) -> None:
    admin, w = world.shop.people["admin"], world.main
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 10, "L1"), StockLine(TEA, 5, "L2")])
    await world.inv.stock.issue(admin, w, [StockLine(TEA, 12)])
    balances = {b.lot: b.on_hand for b in await world.inv.stock.balances(admin, w, TEA)}
    assert balances == {"L2": 3}  # the oldest lot is taken first
    before = await _count(world, "inventory_movements")
    with pytest.raises(VerisealError) as refused:
        await world.inv.stock.issue(admin, w, [StockLine(TEA, 4)])
    assert refused.value.code == "stock_insufficient"
    assert refused.value.details["have"] == 3
    with pytest.raises(VerisealError) as refused:
        await world.inv.stock.issue(admin, w, [StockLine(TEA, 1), StockLine(WINE, 1)])
    assert refused.value.code == "stock_insufficient"  # the whole movement, not its TEA line
    assert await _count(world, "inventory_movements") == before
    assert await _level(world, w.id, TEA) == (3, 0, 3)
    assert await rebuild(world.ctx, check_only=True) == []


async def test_reserved_stock_is_not_issued_twice(world: World) -> None:
    admin, w, brand = world.shop.people["admin"], world.main, world.shop.brand
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 10)])
    until = NOW(dt.UTC) + dt.timedelta(hours=1)
    await world.inv.reservations.reserve(brand.id, "SO-1", [(TEA, 8)], until)
    assert await _level(world, w.id, TEA) == (10, 8, 2)
    with pytest.raises(VerisealError) as refused:
        await world.inv.stock.issue(admin, w, [StockLine(TEA, 3)])
    assert refused.value.code == "stock_insufficient"
    with pytest.raises(VerisealError) as refused:
        await world.inv.reservations.reserve(brand.id, "SO-2", [(TEA, 3)], until)
    assert (refused.value.code, refused.value.details["have"]) == ("stock_insufficient", 2)
    assert [r.reference for r in await world.inv.reservations.held(brand.id, "SO-2")] == []
    await world.inv.stock.issue(admin, w, [StockLine(TEA, 2)])
    assert await _level(world, w.id, TEA) == (8, 8, 0)
    # a re-submitted order replaces its hold; a release gives it back
    await world.inv.reservations.reserve(brand.id, "SO-1", [(TEA, 5)], until)
    assert await _level(world, w.id, TEA) == (8, 5, 3)
    assert await world.inv.reservations.release(brand.id, "SO-1", "test") == 5
    assert await world.inv.reservations.release(brand.id, "SO-1", "again") == 0
    assert await _level(world, w.id, TEA) == (8, 0, 8)
    assert await rebuild(world.ctx, check_only=True) == []


async def test_reservations_expire(world: World) -> None:
    admin, w, brand = world.shop.people["admin"], world.main, world.shop.brand
    await world.inv.stock.receive(admin, w, [StockLine(WINE, 4)])
    soon = NOW(dt.UTC) + dt.timedelta(minutes=1)
    await world.inv.reservations.reserve(brand.id, "SO-9", [(WINE, 4)], soon)
    assert await world.inv.reservations.expire(NOW(dt.UTC)) == 0
    assert await world.inv.reservations.expire(soon + dt.timedelta(seconds=1)) == 0  # grace
    assert await world.inv.reservations.expire(soon + GRACE + dt.timedelta(seconds=1)) == 1
    assert [r.status for r in await world.inv.reservations.held(brand.id, "SO-9")] == ["expired"]
    assert await _level(world, w.id, WINE) == (4, 0, 4)


async def test_backdating_is_bounded_and_checked_against_later_movements(world: World) -> None:
    admin, w = world.shop.people["admin"], world.main
    ago = NOW(dt.UTC)
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 5)],
                                  MoveRequest(at=ago - dt.timedelta(hours=10)))  # fmt: skip
    await world.inv.stock.issue(admin, w, [StockLine(TEA, 5)])
    with pytest.raises(VerisealError) as refused:  # would leave -1 after the later issue
        await world.inv.stock.issue(admin, w, [StockLine(TEA, 1)],
                                    MoveRequest(at=ago - dt.timedelta(hours=5)))  # fmt: skip
    assert refused.value.code in ("stock_backdated", "stock_insufficient")
    with pytest.raises(VerisealError) as refused:
        await world.inv.stock.receive(admin, w, [StockLine(TEA, 1)],
                                      MoveRequest(at=ago - dt.timedelta(days=4)))  # fmt: skip
    assert refused.value.code == "stock_backdated"
    with pytest.raises(VerisealError) as refused:
        await world.inv.stock.receive(admin, w, [StockLine(TEA, 1)],
                                      MoveRequest(at=ago + dt.timedelta(days=1)))  # fmt: skip
    assert refused.value.code == "stock_invalid"


async def test_backdated_issue_checks_every_later_running_balance(world: World) -> None:
    """Stock was 5 from -10 h, 0 from -6 h (issued), 5 again from -2 h: an issue of 1
    dated -8 h finds 5 at its time and 5 now, but the balance at -6 h would be -1."""
    admin, w = world.shop.people["admin"], world.main
    t0 = NOW(dt.UTC)

    async def at(hours: int, fn: object, n: int) -> None:
        await fn(admin, w, [StockLine(WINE, n)], MoveRequest(at=t0 - dt.timedelta(hours=hours)))  # type: ignore[operator]

    await at(10, world.inv.stock.receive, 5)
    await at(6, world.inv.stock.issue, 5)
    await at(2, world.inv.stock.receive, 5)
    with pytest.raises(VerisealError) as refused:
        await at(8, world.inv.stock.issue, 1)
    assert refused.value.code == "stock_backdated"
    await at(1, world.inv.stock.issue, 1)  # after the dip: fine
    assert await _level(world, w.id, WINE) == (4, 0, 4)


async def test_a_client_id_makes_a_retry_a_replay(world: World) -> None:
    admin, w = world.shop.people["admin"], world.main
    req = MoveRequest(document="IN-1", client_id="handheld-7:42")
    first = await world.inv.stock.receive(admin, w, [StockLine(TEA, 3)], req)
    again = await world.inv.stock.receive(admin, w, [StockLine(TEA, 3)], req)
    assert first == again
    assert await _level(world, w.id, TEA) == (3, 0, 3)


async def test_rebuild_catches_and_repairs_a_corrupted_cache(world: World) -> None:
    admin, w = world.shop.people["admin"], world.main
    await world.inv.stock.receive(admin, w, [StockLine(TEA, 7), StockLine(WINE, 2)])
    async with world.ctx.db.write() as tx:
        await tx.execute("UPDATE inventory_balances SET on_hand = on_hand + 3 WHERE gtin = ?",
                         TEA)  # fmt: skip
        await tx.execute("DELETE FROM inventory_levels WHERE gtin = ?", WINE)
    found = await rebuild(world.ctx, check_only=True)
    assert {(d.table, d.key[-2] if d.table == "balances" else d.key[-1]) for d in found} == {
        ("balances", TEA),
        ("levels", WINE),
    }
    tea = next(d for d in found if d.table == "balances")
    assert (tea.cached, tea.truth) == (
        {"on_hand": 10, "reserved": 0},
        {"on_hand": 7, "reserved": 0},
    )
    assert await rebuild(world.ctx, check_only=True) == found  # --check changes nothing
    assert await rebuild(world.ctx, check_only=False) == found
    assert await rebuild(world.ctx, check_only=True) == []
    assert await _level(world, w.id, WINE) == (2, 0, 2)


_codes = itertools.count()
_OPS = st.lists(
    st.tuples(st.sampled_from(["receive", "issue", "transfer", "reserve", "release"]),
              st.sampled_from([TEA, WINE]), st.integers(1, 9)),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(_OPS)
async def test_random_movements_keep_the_model_and_the_caches(
    world: World, ops: list[tuple[str, str, int]]
) -> None:
    """A model of on-hand and reserved per warehouse (the truth: plain arithmetic) against
    the ledger: accepted movements change both alike, refused ones neither; the caches
    always equal the movements."""
    admin, brand = world.shop.people["admin"], world.shop.brand
    n = next(_codes)
    a = await world.inv.warehouses.create(admin, brand, f"A{n}", "A")
    b = await world.inv.warehouses.create(admin, brand, f"B{n}", "B")
    model = {(w, g): [0, 0] for w in (a.id, b.id) for g in (TEA, WINE)}
    main_a = (await world.inv.warehouses.location(a)).id
    for op, gtin, qty in ops:
        on_a, held = model[(a.id, gtin)]
        ok = {"receive": True, "issue": on_a - held >= qty, "transfer": on_a - held >= qty,
              "reserve": on_a - held >= qty, "release": held >= qty}[op]  # fmt: skip
        try:
            if op == "receive":
                await world.inv.stock.receive(admin, a, [StockLine(gtin, qty)])
                model[(a.id, gtin)][0] += qty
            elif op == "issue":
                await world.inv.stock.issue(admin, a, [StockLine(gtin, qty)])
                model[(a.id, gtin)][0] -= qty
            elif op == "transfer":
                await world.inv.stock.transfer(admin, a, b, [StockLine(gtin, qty)])
                model[(a.id, gtin)][0] -= qty
                model[(b.id, gtin)][0] += qty
            else:  # the ledger's own reserve / release postings
                sign = 1 if op == "reserve" else -1
                kind = MovementKind.RESERVE if op == "reserve" else MovementKind.RELEASE
                async with world.ctx.db.write() as tx:
                    await world.inv.stock.post(
                        tx, brand.id, [Posting(a.id, main_a, gtin, "", 0, sign * qty)],
                        Meta(kind, "test", f"R{n}"),
                    )  # fmt: skip
                model[(a.id, gtin)][1] += sign * qty
        except VerisealError as exc:
            assert not ok, f"{op} {qty} refused: {exc}"
            assert exc.code == "stock_insufficient"
        else:
            assert ok, f"{op} {qty} accepted with {on_a - held} available"
        for (wid, g), (on_hand, reserved) in model.items():
            sellable, res, _ = await _level(world, wid, g)
            assert (sellable, res) == (on_hand, reserved)
    assert await rebuild(world.ctx, check_only=True) == []
