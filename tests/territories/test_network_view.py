"""A dealer's own views (veriseal_territories.network): goods held, movements,
territories, counterparts and diversion alerts, each confined to the dealer's subtree,
on both ledger backends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.territories.conftest import World
from tests.territories.test_shipments_diversion import pack_pallet, sscc
from veriseal.accounts.models import SYSTEM, Principal, Role
from veriseal_territories.network import _covered
from veriseal_territories.shipments import MoveOptions, Point

MORE_DEALERS = """code,name,kind,parent,contact,phone,regions,status
GZ-R2,广州二店,retailer,GD01,赵六,13800000004,CN-GD/Guangzhou,active
HZ-R1,杭州门店,retailer,ZJ01,孙七,13800000006,CN-ZJ/Hangzhou,active
"""


async def user(w: World, code: str, role: Role, n: int) -> Principal:
    org = await w.dealer_org(code)
    u = await w.engine.accounts.create_user(
        SYSTEM, contact=f"1370000{n:04d}", display_name=code, role=role, org_id=org
    )
    return await w.engine.accounts.principal(u)


@pytest.fixture
async def channel(network: World) -> World:
    """GD01 (GZ-R1, GZ-R2 below it) and ZJ01 (HZ-R1 below it) with goods moved about:

    - the pallet (cases 1: items 0-23, 2: 24-47) to GD01, received; case 1 on to GZ-R1,
      received there; case 2 scanned in by ZJ01 (a receipt alert for GD01);
    - items 100-109 to ZJ01; 100-104 on to HZ-R1; 105-106 scanned in by GD01 (a receipt
      alert for ZJ01); items 200-202 from the warehouse to GZ-R2, not received yet.
    """
    w, t = network, network.t
    await t.dealers.import_csv(SYSTEM, w.brand.id, MORE_DEALERS)
    pallet = await pack_pallet(w)
    await t.ship(SYSTEM, w.brand, "GD01", [pallet])
    await t.receive(SYSTEM, w.brand, [pallet], at_ref="GD01")
    await t.ship(SYSTEM, w.brand, "GZ-R1", [sscc(1)], from_ref="GD01")
    await t.receive(SYSTEM, w.brand, [sscc(1)], at_ref="GZ-R1")
    taken = await t.receive(SYSTEM, w.brand, [sscc(2)], at_ref="ZJ01")
    assert len(taken.diversion_alerts) == 1
    await t.ship(SYSTEM, w.brand, "ZJ01", w.codes(100, 10))
    await t.ship(SYSTEM, w.brand, "HZ-R1", w.codes(100, 5), from_ref="ZJ01")
    back = await t.receive(
        SYSTEM, w.brand, w.codes(105, 2), at_ref="GD01",
        options=MoveOptions(location=Point(23.1291, 113.2644, 15.0)),
    )  # fmt: skip
    assert len(back.diversion_alerts) == 1
    await t.ship(SYSTEM, w.brand, "GZ-R2", w.codes(200, 3))
    return w


async def test_goods_held_by_product_lot_holder_and_state(channel: World) -> None:
    w, t = channel, channel.t
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    held = await t.network.holdings(gd, w.brand.id)
    shown = {(x.holder.code, x.state, x.units, x.cases, x.lot, x.product) for x in held.lots}
    assert shown == {
        ("GD01", "received", 2, 0, "L1", "Green tea"),
        ("GZ-R1", "received", 24, 1, "L1", "Green tea"),  # case 1, whole
        ("GZ-R2", "in_transit", 3, 0, "L1", "Green tea"),
    }
    assert held.units == 29 and held.next_cursor is None and not held.cases_capped
    mine = await t.network.holdings(gd, w.brand.id, subtree=False)
    assert [(x.holder.code, x.units) for x in mine.lots] == [("GD01", 2)]
    admin = await t.network.holdings(SYSTEM, w.brand.id)
    assert {x.holder.code for x in admin.lots} == {"GD01", "GZ-R1", "GZ-R2", "ZJ01", "HZ-R1"}
    # a page of one batch: the cursor is the batch id, and the next page is empty
    page = await t.network.holdings(SYSTEM, w.brand.id, limit=1)
    assert page.next_cursor == w.batch.id
    after = await t.network.holdings(SYSTEM, w.brand.id, after_batch=page.next_cursor)
    assert after.lots == []


async def test_movements_in_and_out_with_status(channel: World) -> None:
    w, t = channel, channel.t
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    seen = await t.network.movements(gd, w.brand.id)
    rows = [(m.kind, m.direction, m.sender.code if m.sender else None, m.receiver.code,
             m.items, m.status) for m in seen.movements]  # fmt: skip
    assert rows == [
        ("in", "in", "ZJ01", "GD01", 2, "received"),  # took ZJ01's goods
        ("in", "out", "GD01", "ZJ01", 24, "taken"),  # ZJ01 took GD01's case 2
        ("out", "out", "GD01", "GZ-R1", 24, "received"),
        ("in", "in", None, "GD01", 48, "received"),
        ("out", "in", "", "GD01", 48, "received"),  # from the warehouse
    ]
    assert seen.movements[-1].sender is not None and seen.movements[-1].sender.warehouse
    assert seen.movements[2].cases == (sscc(1),)
    outs = await t.network.movements(gd, w.brand.id, direction="out")
    assert {m.direction for m in outs.movements} == {"out"}
    page = await t.network.movements(gd, w.brand.id, limit=2)
    assert len(page.movements) == 2 and page.next_cursor == page.movements[-1].id
    rest = await t.network.movements(gd, w.brand.id, before_id=page.next_cursor)
    assert [m.id for m in page.movements + rest.movements] == [m.id for m in seen.movements]
    r2 = await user(w, "GZ-R2", Role.RETAILER, 2)
    [pending] = (await t.network.movements(r2, w.brand.id)).movements
    assert (pending.status, pending.pending, pending.direction) == ("in_transit", 3, "in")
    await t.receive(r2, w.brand, w.codes(200, 1))
    shipped = (await t.network.movements(r2, w.brand.id, direction="in")).movements[-1]
    assert (shipped.status, shipped.pending) == ("partly_received", 2)


async def test_territories_own_and_inherited(channel: World) -> None:
    w, t = channel, channel.t
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    found = await t.network.territories(gd, w.brand.id)
    assert [(x.depth, x.dealer.code, x.owner.code if x.owner else None,
             [g.region for g in x.grants]) for x in found] == [
        (0, "GD01", None, ["CN-GD"]),
        (1, "GZ-R1", "GD01", ["CN-GD"]),
        (1, "GZ-R2", "GD01", ["CN-GD"]),
    ]  # fmt: skip


async def test_counterparts(channel: World) -> None:
    w, t = channel, channel.t
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    r1 = await user(w, "GZ-R1", Role.RETAILER, 2)
    assert [d.code for d in await t.network.counterparts(gd, w.brand.id)] == ["GZ-R1", "GZ-R2"]
    assert [d.code for d in await t.network.counterparts(r1, w.brand.id)] == ["GD01"]
    every = {d.code for d in await t.network.counterparts(SYSTEM, w.brand.id)}
    assert every == {"GD01", "ZJ01", "GZ-R1", "GZ-R2", "HZ-R1"}


async def test_alerts_redacted_with_penalty(channel: World) -> None:
    w, t = channel, channel.t
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    [mine] = (await t.network.alerts(gd, w.brand.id)).alerts
    assert (mine.source, mine.dealer.code, mine.receiver and mine.receiver.code) == (
        "receipt", "GD01", "ZJ01"
    )  # fmt: skip
    await t.alerts.transition(SYSTEM, w.brand.id, mine.id, "investigating", "calling")
    await t.alerts.transition(SYSTEM, w.brand.id, mine.id, "confirmed", "sold on to ZJ01",
                              {"amount": 8000, "currency": "CNY"})  # fmt: skip
    shown = await t.network.alert(gd, w.brand.id, mine.id)
    assert [(s.state, s.by) for s in shown.history] == [
        ("open", "system"), ("investigating", "brand"), ("confirmed", "brand")
    ]  # fmt: skip
    assert shown.penalties == ({"amount": 8000, "currency": "CNY", "reason": ""},)
    assert shown.seen and all(not hasattr(s, "lat") for s in shown.seen)
    assert (await t.network.alerts(gd, w.brand.id, state="open")).alerts == []
    assert len((await t.network.alerts(gd, w.brand.id, state="confirmed")).alerts) == 1
    with pytest.raises(Exception) as err:
        await t.network.alert(gd, w.brand.id, 10_000)
    assert getattr(err.value, "code", None) == "alert_not_found"


async def test_a_sibling_never_sees_the_others_data(channel: World) -> None:
    """Each service method, for two pairs of siblings (distributors GD01 / ZJ01,
    retailers GZ-R1 / GZ-R2): nothing of the other in the lists, and naming the other
    (or a parent) is ``forbidden``."""
    w, t, b = channel, channel.t, channel.brand.id
    gd, zj = await user(w, "GD01", Role.DISTRIBUTOR, 1), await user(w, "ZJ01", Role.DISTRIBUTOR, 2)
    r1, r2 = await user(w, "GZ-R1", Role.RETAILER, 3), await user(w, "GZ-R2", Role.RETAILER, 4)
    org = {c: await w.dealer_org(c) for c in ("GD01", "ZJ01", "GZ-R1", "GZ-R2", "HZ-R1")}
    gd_alert = (await t.network.alerts(gd, b)).alerts[0].id
    zj_alert = (await t.network.alerts(zj, b)).alerts[0].id
    for me, mine, others in (
        (gd, {org["GD01"], org["GZ-R1"], org["GZ-R2"]}, {org["ZJ01"], org["HZ-R1"]}),
        (zj, {org["ZJ01"], org["HZ-R1"]}, {org["GD01"], org["GZ-R1"], org["GZ-R2"]}),
        (r1, {org["GZ-R1"]}, {org["GZ-R2"], org["GD01"]}),
        (r2, {org["GZ-R2"]}, {org["GZ-R1"], org["GD01"]}),
    ):
        held = await t.network.holdings(me, b)
        assert not {x.holder.org_id for x in held.lots} & others
        moved = await t.network.movements(me, b, subtree=True)
        assert moved.movements
        for m in moved.movements:  # mine may name a counterpart: one end is always mine
            assert m.receiver.org_id in mine or (m.sender and m.sender.org_id in mine)
        zones = await t.network.territories(me, b)
        assert not {z.dealer.org_id for z in zones} & others
        alerts = await t.network.alerts(me, b)
        assert not {a.dealer.org_id for a in alerts.alerts} & others
        for target in others:
            for call in (
                t.network.holdings(me, b, org_id=target),
                t.network.movements(me, b, org_id=target),
                t.network.territories(me, b, org_id=target),
                t.network.alerts(me, b, org_id=target),
                t.network.counterparts(me, b, org_id=target),
            ):
                with pytest.raises(Exception) as err:
                    await call
                assert getattr(err.value, "code", None) == "forbidden", target
    for me, theirs in ((zj, gd_alert), (gd, zj_alert), (r1, gd_alert), (r2, zj_alert)):
        with pytest.raises(Exception) as err:
            await t.network.alert(me, b, theirs)
        assert getattr(err.value, "code", None) == "forbidden"
    # the retailers see nothing of the alerts above them
    assert (await t.network.alerts(r1, b)).alerts == []
    # an org that does not exist is not found, not a leak of which ids exist elsewhere
    with pytest.raises(Exception) as err:
        await t.network.holdings(r1, b, org_id=999_999)
    assert getattr(err.value, "code", None) in ("not_found", "org_not_found")


async def test_a_dealer_of_another_brand_sees_nothing(channel: World) -> None:
    w, t = channel, channel.t
    other = await w.engine.brands.create("other", "Other", "id.other.example")
    gd = await user(w, "GD01", Role.DISTRIBUTOR, 1)
    with pytest.raises(Exception) as err:
        await t.network.holdings(gd, other.id)
    assert getattr(err.value, "code", None) == "forbidden"


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 8)), max_size=8),
    st.integers(0, 70),
    st.integers(0, 10),
)
def test_covered_agrees_with_sets(raw: list[tuple[int, int]], first: int, size: int) -> None:
    """``_covered`` over disjoint sorted spans is the set inclusion it stands for."""
    taken: set[int] = set()
    spans: list[tuple[int, int]] = []
    for start, length in sorted(raw):
        span = set(range(start, start + length + 1))
        if span & taken:
            continue
        taken |= span
        spans.append((start, start + length))
    spans.sort()
    last = first + size
    assert _covered(spans, first, last) == set(range(first, last + 1)).issubset(taken)
