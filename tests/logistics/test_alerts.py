"""The anomaly rules through the service on both backends, on a driven clock: each kind
opens once with its evidence, closes itself when the rule no longer finds it (a stall
that resumed), never reopens once a person closed it, tells the brand's admins, and a
misdelivery reaches the territories plugin as diversion evidence."""

from __future__ import annotations

import datetime as dt

from tests.logistics.conftest import World
from tests.logistics.helpers import at, event, journey
from veriseal import SYSTEM_PRINCIPAL
from veriseal.extend import drain_events
from veriseal.notifications.inbox import Inbox
from veriseal_logistics.models import AlertKind, Waybill
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill


async def shipped(world: World, number: str, **kw: object) -> Waybill:
    s = world.shop
    base = {"carrier": "shunfeng", "tracking_no": number, "origin": "深圳",
            "destination": "广州", "promised": dt.date(2026, 11, 4), "reference": "SO-9",
            "to_org": s.orgs["GZ-R1"]}  # fmt: skip
    base.update(kw)
    return await world.lg.waybills.create(s.people["admin"], s.brand, NewWaybill(**base))  # type: ignore[arg-type]


async def push(world: World, wb: Waybill, events: list) -> None:  # type: ignore[type-arg]
    await world.lg.waybills.ingest(wb.brand_id, wb.carrier, wb.tracking_no, events, "kuaidi100")


async def kinds_open(world: World, wb: Waybill) -> set[str]:
    alerts = await world.lg.alerts.listing(world.shop.people["admin"], world.shop.brand,
                                           waybill_id=wb.id)  # fmt: skip
    return {a.kind for a in alerts}


async def test_an_ordinary_trip_raises_nothing(world: World) -> None:
    wb = await shipped(world, "SF3000000001")
    await push(world, wb, journey())
    checked = await world.lg.alerts.check(now=at(12))
    assert checked.opened == [] and await kinds_open(world, wb) == set()


async def test_stall_opens_then_closes_when_events_resume(world: World) -> None:
    wb = await shipped(world, "SF3000000002", promised=dt.date(2026, 12, 30))
    await push(world, wb, [event(0, Status.PICKED_UP, "shenzhen"),
                           event(2, Status.IN_TRANSIT, "dongguan")])  # fmt: skip
    assert (await world.lg.alerts.check(now=at(30))).opened == []  # 28 h of silence
    opened = (await world.lg.alerts.check(now=at(80))).opened  # 78 h
    assert [a.kind for a in opened] == [AlertKind.STALLED]
    assert opened[0].evidence  # the numbers behind it
    assert (await world.lg.alerts.check(now=at(81))).opened == []  # open once
    await push(world, wb, [event(82, Status.AT_DESTINATION_CITY, "guangzhou")])
    closed = (await world.lg.alerts.check(now=at(83))).closed
    assert [a.kind for a in closed] == [AlertKind.STALLED]
    assert await kinds_open(world, wb) == set()
    admin = world.shop.people["admin"].user_id
    assert admin is not None
    assert any("物流停滞" in m.title for m in await Inbox(world.engine.ledger).history(admin))


async def test_late_off_route_and_a_person_closing(world: World) -> None:
    wb = await shipped(world, "SF3000000003")
    await push(world, wb, [event(0, Status.PICKED_UP, "shenzhen"),
                           event(20, Status.IN_TRANSIT, "wuhan"),
                           event(60, Status.IN_TRANSIT, "changsha")])  # fmt: skip
    opened = (await world.lg.alerts.check(now=at(70))).opened  # past 4 Nov, 23:59 China
    assert {a.kind for a in opened} == {AlertKind.LATE, AlertKind.OFF_ROUTE}
    off = next(a for a in opened if a.kind == AlertKind.OFF_ROUTE)
    closed = await world.lg.alerts.close(world.shop.people["admin"], off.id, "carrier rerouted")
    assert closed.status == "closed"
    assert (await world.lg.alerts.check(now=at(71))).opened == []  # never reopens
    assert await kinds_open(world, wb) == {AlertKind.LATE}


async def test_misdelivery_is_diversion_evidence(world: World) -> None:
    wb = await shipped(world, "SF3000000004", promised=dt.date(2026, 12, 30))
    await push(world, wb, journey(end="shenzhen", via=()))  # signed for in Shenzhen
    opened = (await world.lg.alerts.check(now=at(12))).opened
    assert [a.kind for a in opened] == [AlertKind.WRONG_DESTINATION]
    await drain_events(world.engine)
    await drain_events(world.engine)  # a second delivery of the stream adds nothing
    t = world.shop.t
    alerts = await t.alerts.list(SYSTEM_PRINCIPAL, world.shop.brand.id)
    mine = [a for a in alerts if a.source == "delivery"]
    assert len(mine) == 1
    assert mine[0].org_id == world.shop.orgs["GZ-R1"] and mine[0].level == "suspected"
    assert mine[0].evidence["waybill"]["tracking_no"] == "SF3000000004"


async def test_silent_waybills_expire(world: World) -> None:
    wb = await shipped(world, "SF3000000005", promised=dt.date(2026, 12, 30))
    await push(world, wb, [event(0, Status.PICKED_UP, "shenzhen")])
    checked = await world.lg.alerts.check(now=at(24 * 31))
    assert checked.expired == [wb.id]
    assert (await world.lg.waybills.load(wb.id)).status is Status.EXPIRED
    assert (await world.lg.alerts.check(now=at(24 * 32))).expired == []
