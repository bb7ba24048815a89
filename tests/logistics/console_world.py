"""What the logistics console tests share: a waybill of the console shell's demo brand
(tests/console/conftest.py) to the distributor "dist", Shenzhen -> Changsha, with a
timeline that strays to Chengdu."""

from __future__ import annotations

import datetime as dt

from tests.console.conftest import ConsoleLive
from veriseal.accounts.models import SYSTEM
from veriseal_logistics.models import EventIn, Waybill
from veriseal_logistics.places import locate
from veriseal_logistics.service import of
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

BASE = "/console/logistics"
#: (lat, lon, name, status) of a Shenzhen -> Changsha trip with a detour via Chengdu
TRIP = [
    (22.543, 114.058, "深圳转运中心", Status.PICKED_UP),
    (23.129, 113.264, "广州转运中心", Status.IN_TRANSIT),
    (30.659, 104.066, "成都转运中心", Status.IN_TRANSIT),  # ~900 km off the route
    (28.228, 112.939, "长沙转运中心", Status.AT_DESTINATION_CITY),
]


async def waybill(live: ConsoleLive, number: str, reference: str = "SO-1",
                  events: bool = True) -> Waybill:  # fmt: skip
    """A waybill of the demo brand to the distributor "dist", with :data:`TRIP`."""
    lg = of(live.engine.plugins.context("logistics"))
    brand = (await live.engine.brands.list())[0]
    new = NewWaybill(carrier="shunfeng", tracking_no=number, origin="深圳", destination="长沙",
                     reference=reference, to_org=live.orgs["dist"])  # fmt: skip
    w = await lg.waybills.create(SYSTEM, brand, new)
    if events:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
        got = [EventIn(start + dt.timedelta(hours=6 * i), status, raw_status=f"raw-{i}",
                       description=f"快件到达 {name}", place=locate(lat, lon, name))
               for i, (lat, lon, name, status) in enumerate(TRIP)]  # fmt: skip
        # out of order on purpose: the timeline is ordered by event time
        await lg.waybills.ingest(brand.id, "shunfeng", number, got[::-1], "manual")
    return w
