"""Waybills and their events through the service, on both backends: registration
(idempotent, conflicting, invalid), scope, idempotent out-of-order ingest, progress,
history, notices and stream events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from tests.logistics.conftest import World
from tests.logistics.helpers import CITY, at, event, journey
from veriseal import SYSTEM_PRINCIPAL, Forbidden, InvalidInput
from veriseal.notifications.inbox import Inbox
from veriseal_logistics.errors import WaybillExists, WaybillUnknown
from veriseal_logistics.places import PlaceUnknown
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill


def new(number: str = "SF1234567890", **kw: object) -> NewWaybill:
    base = {
        "carrier": "shunfeng",
        "tracking_no": number,
        "origin": "深圳",
        "destination": "广州",
        "promised": dt.date(2026, 11, 4),
        "reference": "SO-1",
    }
    base.update(kw)
    return NewWaybill(**base)  # type: ignore[arg-type]


async def count(w: World, table: str) -> int:
    async with w.ctx.db.read() as tx:
        row = await tx.fetchrow(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_create_places_and_promise(world: World) -> None:
    s = world.shop
    wb = await world.lg.waybills.create(s.people["admin"], s.brand,
                                        new(to_org=s.orgs["GZ-R1"]))  # fmt: skip
    assert (wb.origin.province, wb.origin.city) == ("CN-GD", "440300")
    assert (wb.destination.province, wb.destination.city) == ("CN-GD", "440100")
    # a date promises delivery by the end of that day in China time
    assert wb.promised_at == dt.datetime(2026, 11, 4, 15, 59, 59, tzinfo=dt.UTC)
    assert wb.status is Status.INFO_RECEIVED and wb.eta is not None
    assert wb.eta.basis == "default" and wb.eta.p50 <= wb.eta.p90
    again = await world.lg.waybills.create(s.people["admin"], s.brand,
                                           new(to_org=s.orgs["GZ-R1"]))  # fmt: skip
    assert again.id == wb.id  # a retried form
    with pytest.raises(WaybillExists):
        await world.lg.waybills.create(s.people["admin"], s.brand, new(destination="北京"))
    assert await count(world, "logistics_waybills") == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [({"carrier": "顺丰"}, InvalidInput), ({"tracking_no": "1"}, InvalidInput),
     ({"origin": "Atlantis"}, PlaceUnknown), ({"destination": ""}, InvalidInput),
     ({"origin": "95,10"}, PlaceUnknown), ({"waypoints": ("广州",) * 11}, InvalidInput)],
)  # fmt: skip
async def test_bad_waybills_store_nothing(
    world: World, change: dict[str, object], error: type[Exception]
) -> None:
    s = world.shop
    with pytest.raises(error) as e:
        await world.lg.waybills.create(s.people["admin"], s.brand, new(**change))
    assert getattr(e.value, "code", "").startswith(("logistics_", "invalid"))
    assert await count(world, "logistics_waybills") == 0


async def test_who_may_see_and_add(world: World) -> None:
    s = world.shop
    with pytest.raises(Forbidden):  # a retailer may not add waybills
        await world.lg.waybills.create(s.people["shop"], s.brand, new())
    mine = await world.lg.waybills.create(s.people["gd"], s.brand,
                                          new("YT0000000001", to_org=s.orgs["GZ-R1"]))  # fmt: skip
    brands = await world.lg.waybills.create(s.people["admin"], s.brand,
                                            new("YT0000000002", to_org=s.orgs["ZJ01"]))  # fmt: skip
    assert mine.from_org == s.orgs["GD01"]
    listed = {w.id for w in await world.lg.waybills.listing(s.people["shop"], s.brand)}
    assert listed == {mine.id}  # the retailer sees what is shipped to it
    assert {w.id for w in await world.lg.waybills.listing(s.people["zj"], s.brand)} == {brands.id}
    assert len(await world.lg.waybills.listing(s.people["admin"], s.brand)) == 2
    with pytest.raises(Forbidden):
        await world.lg.waybills.get(s.people["zj"], mine.id)
    assert (await world.lg.waybills.get(s.people["gd"], mine.id)).id == mine.id


async def test_ingest_is_idempotent_and_ordered_by_event_time(world: World) -> None:
    s = world.shop
    wb = await world.lg.waybills.create(s.people["admin"], s.brand, new(to_org=s.orgs["GZ-R1"]))
    events = journey()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    first = await world.lg.waybills.ingest(s.brand.id, "shunfeng", wb.tracking_no,
                                           shuffled[:3], "kuaidi100")  # fmt: skip
    assert (first.added, first.duplicates) == (3, 0)
    again = await world.lg.waybills.ingest(s.brand.id, "SHUNFENG", wb.tracking_no, events,
                                           "kuaidi100")  # fmt: skip
    assert (again.added, again.duplicates) == (len(events) - 3, 3)
    timeline = await world.lg.waybills.timeline(s.people["admin"], wb.id)
    assert [c.at for c in timeline] == sorted(e.at for e in events)
    assert again.waybill.status is Status.DELIVERED
    assert again.waybill.delivered_at == events[-1].at
    assert again.waybill.picked_up_at == events[0].at
    # an older event arriving late never moves the waybill backwards
    late = await world.lg.waybills.ingest(
        s.brand.id, "shunfeng", wb.tracking_no,
        [event(1, Status.IN_TRANSIT, "dongguan", "late scan")], "poll")  # fmt: skip
    assert late.added == 1 and late.waybill.status is Status.DELIVERED
    assert await count(world, "logistics_events") == len(events) + 1


async def test_unknown_waybill_stores_nothing(world: World) -> None:
    with pytest.raises(WaybillUnknown):
        await world.lg.waybills.ingest(world.shop.brand.id, "shunfeng", "SF0000000000",
                                       journey(), "kuaidi100")  # fmt: skip
    assert await count(world, "logistics_events") == 0


async def test_delivery_teaches_history_and_tells_the_receiver(world: World) -> None:
    s = world.shop
    wb = await world.lg.waybills.create(s.people["admin"], s.brand, new(to_org=s.orgs["GZ-R1"]))
    for e in journey():  # one push per checkpoint, as carriers do
        await world.lg.waybills.ingest(s.brand.id, "shunfeng", wb.tracking_no, [e], "webhook")
    async with world.ctx.db.read() as tx:
        rows = await tx.fetch("SELECT measure, status, hours FROM logistics_samples"
                              " WHERE waybill_id = ? ORDER BY measure, seq", wb.id)  # fmt: skip
    dwell = [float(r["hours"]) for r in rows if r["measure"] == "dwell"]
    assert sum(dwell) == pytest.approx(8.0)  # picked up at 0 h, delivered at 8 h
    remaining = {r["status"]: float(r["hours"]) for r in rows if r["measure"] == "remaining"}
    assert remaining["picked_up"] == pytest.approx(8.0)
    retailer = s.people["shop"].user_id
    assert retailer is not None
    titles = [m.title for m in await Inbox(world.engine.ledger).history(retailer)]
    assert any("已签收" in t for t in titles) and any("派件中" in t for t in titles)
    async with world.engine.ledger.read() as tx:
        kinds = [
            r["kind"]
            for r in await tx.fetch(
                "SELECT kind FROM stream_events WHERE kind LIKE 'logistics.%' ORDER BY position"
            )
        ]
    assert kinds.count("logistics.status") == 5  # each status change, once


async def test_eta_learns_from_history(world: World) -> None:
    s = world.shop
    await world.lg.settings.set_rules(SYSTEM_PRINCIPAL, s.brand, {"min_samples": 3})
    for n in range(4):
        wb = await world.lg.waybills.create(s.people["admin"], s.brand, new(f"SF10000000{n:02d}"))
        await world.lg.waybills.ingest(s.brand.id, "shunfeng", wb.tracking_no,
                                       journey(hours=10.0), "csv")  # fmt: skip
    world.lg.history.forget()
    fresh = await world.lg.waybills.create(s.people["admin"], s.brand, new("SF2000000000"))
    start = [event(0, Status.PICKED_UP, "shenzhen")]
    got = await world.lg.waybills.ingest(s.brand.id, "shunfeng", fresh.tracking_no, start, "csv")
    eta = got.waybill.eta
    assert eta is not None and eta.basis == "history"
    assert eta.p50 == at(40)  # the four earlier trips took 40 h from pick-up
    assert dataclasses.asdict(got.waybill)["carrier"] == "shunfeng" and CITY
