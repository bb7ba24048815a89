"""The logistics plugin's demo data (hook ``seed_demo``): five parcels to the demo's
dealers, as a carrier would have reported them, so the console shows timelines, ETAs,
maps and each kind of alert at once:

- a delivered parcel to the distributor (Guangzhou → Nanjing);
- a parcel on its way to the Hangzhou shop (Shanghai → Hangzhou), with its ETA;
- a parcel silent for nearly four days, promised for the day before yesterday (stalled,
  late);
- a parcel seen in Chengdu on its way from Guangzhou to Hangzhou (off its route);
- a parcel for the Hangzhou shop signed for in Suzhou (wrong destination: also a
  diversion alert of the territories plugin, once the event stream is consumed).

Times are relative to the moment the demo starts. Idempotent: a brand with any
``DEMO`` waybill is left as it is."""

from __future__ import annotations

import datetime as dt

from veriseal import SYSTEM_PRINCIPAL as SYSTEM
from veriseal import Brand, OrgKind
from veriseal.extend import PluginContext
from veriseal_logistics.models import EventIn
from veriseal_logistics.places import resolve_place
from veriseal_logistics.service import of
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

S = Status
#: (carrier, number suffix, origin, destination, receiver kind, events as
#: (hours ago, status, place, text))
PARCELS = (
    ("shunfeng", "01", "广州", "南京", OrgKind.DISTRIBUTOR, (
        (70, S.PICKED_UP, "广州", "顺丰速运 已收取快件"),
        (60, S.IN_TRANSIT, "长沙", "快件到达 【长沙中转场】"),
        (40, S.IN_TRANSIT, "合肥", "快件到达 【合肥中转场】"),
        (30, S.AT_DESTINATION_CITY, "南京", "快件到达 【南京集散中心】"),
        (26, S.OUT_FOR_DELIVERY, "南京", "快件交给派送员，正在派送途中"),
        (24, S.DELIVERED, "南京", "已签收，签收人：前台"))),
    ("zhongtong", "02", "上海", "杭州", OrgKind.RETAILER, (
        (20, S.PICKED_UP, "上海", "【上海市】 快件已揽收"),
        (10, S.IN_TRANSIT, "嘉兴", "【嘉兴市】 快件已到达 嘉兴转运中心"))),
    ("yuantong", "03", "广州", "上海", OrgKind.DISTRIBUTOR, (
        (100, S.PICKED_UP, "广州", "【广州市】 圆通速递 已揽收"),
        (90, S.IN_TRANSIT, "赣州", "【赣州市】 快件已发往 上海转运中心"))),
    ("shunfeng", "04", "广州", "杭州", OrgKind.RETAILER, (
        (50, S.PICKED_UP, "广州", "顺丰速运 已收取快件"),
        (30, S.IN_TRANSIT, "成都", "快件到达 【成都双流中转场】"))),
    ("zhongtong", "05", "上海", "杭州", OrgKind.RETAILER, (
        (30, S.PICKED_UP, "上海", "【上海市】 快件已揽收"),
        (20, S.IN_TRANSIT, "苏州", "【苏州市】 快件已到达 苏州转运中心"),
        (12, S.OUT_FOR_DELIVERY, "苏州", "【苏州市】 派件员正在派件"),
        (10, S.DELIVERED, "苏州", "【苏州市】 已签收，签收人：本人"))),
)  # fmt: skip


async def seed(ctx: PluginContext, brand: Brand) -> None:
    lg = of(ctx)
    if await lg.waybills.listing(SYSTEM, brand, reference="DEMO-LOGISTICS", limit=1):
        return
    root = await ctx.brand_org(brand)
    orgs = {o.kind: o.id for o in await ctx.org_tree(SYSTEM, root.id) if o.id != root.id}
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    for carrier, suffix, origin, destination, kind, events in PARCELS:
        number = f"DEMO{brand.id:04d}{suffix}"
        promised = today + dt.timedelta(days=-2 if suffix == "03" else 1)
        new = NewWaybill(carrier, number, origin, destination, promised=promised,
                         reference="DEMO-LOGISTICS", from_org=root.id,
                         to_org=orgs.get(kind))  # fmt: skip
        await lg.waybills.create(SYSTEM, brand, new)
        found = [EventIn(now - dt.timedelta(hours=h), status, raw_status=status.value,
                         description=text, place=resolve_place(place))
                 for h, status, place, text in events]  # fmt: skip
        await lg.waybills.ingest(brand.id, carrier, number, found, "manual")
    await lg.alerts.check(brand.id)
