"""How carriers and lanes perform, on both backends: parcels delivered in the period,
on time by the promise, transit from pick-up to delivery (median, p90), parcels in
flight and open alerts, each in the reader's scope."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.logistics.conftest import World
from tests.logistics.helpers import T0, at, event, journey
from veriseal_logistics.performance import lanes_of
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill


def test_lane_figures_by_hand() -> None:
    t = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    h = dt.timedelta(hours=1)
    rows = [  # three parcels SZ->GZ (10 h, 20 h, 30 h; the last after its promise), one
        ("sf", "CN-GD>CN-GD", t, t + 10 * h, t + 24 * h),  # without pick-up
        ("sf", "CN-GD>CN-GD", t, t + 20 * h, None),
        ("sf", "CN-GD>CN-GD", t, t + 30 * h, t + 24 * h),
        ("zto", "CN-GD>CN-BJ", None, t + 50 * h, None),
    ]
    sf, zto = lanes_of(rows)
    assert (sf.carrier, sf.delivered, sf.on_time, sf.on_time_rate) == ("sf", 3, 2, 0.6667)
    assert (sf.median_hours, sf.p90_hours) == (20.0, 28.0)
    assert (zto.delivered, zto.median_hours, zto.p90_hours) == (1, None, None)


async def test_report_in_scope(world: World) -> None:
    s = world.shop
    lg = world.lg
    since, until = T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=30)
    to_shop = await lg.waybills.create(s.people["admin"], s.brand, NewWaybill(
        "shunfeng", "SF6000000001", "深圳", "广州", promised=dt.date(2026, 11, 4),
        to_org=s.orgs["GZ-R1"]))  # fmt: skip
    to_zj = await lg.waybills.create(s.people["admin"], s.brand, NewWaybill(
        "zhongtong", "ZT6000000002", "深圳", "杭州", to_org=s.orgs["ZJ01"]))  # fmt: skip
    await lg.waybills.ingest(s.brand.id, "shunfeng", to_shop.tracking_no, journey(), "csv")
    await lg.waybills.ingest(s.brand.id, "zhongtong", to_zj.tracking_no,
                             [event(0, Status.PICKED_UP, "shenzhen")], "csv")  # fmt: skip
    await lg.alerts.check(now=at(100))  # the Zhejiang parcel: stalled
    brand = await lg.performance.report(s.people["admin"], s.brand, since, until)
    [lane] = brand.lanes
    assert (lane.carrier, lane.lane, lane.delivered, lane.on_time) == (
        "shunfeng", "CN-GD>CN-GD", 1, 1)  # fmt: skip
    assert lane.median_hours == pytest.approx(8.0)
    assert brand.in_flight == {"picked_up": 1}
    assert brand.open_alerts.get("stalled") == 1
    shop = await lg.performance.report(s.people["shop"], s.brand, since, until)
    assert [x.delivered for x in shop.lanes] == [1]
    assert shop.in_flight == {} and shop.open_alerts == {}  # the stalled one is not its
