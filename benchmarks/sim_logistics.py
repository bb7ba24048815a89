"""Accuracy of the logistics plugin's anomaly alerts on simulated express shipments.

The ground truth owes nothing to Veriseal: the simulation has its own table of 43 real
Chinese cities (name, province, latitude and longitude, typed from general knowledge),
its own great-circle geometry, its own hub network and its own carriers. It labels every
anomaly by construction, from the events it emits, and never asks Veriseal's region
resolver or route code.

**The world** (seeded):

- Lanes between the cities. A carrier routes a lane through 0-2 (over 1,200 km: 1-2)
  *hub* cities between 10 % and 90 % of the way that lie within ``HUB_KM`` (80 km) of
  the origin-destination great circle or lengthen it by at most ``HUB_DETOUR`` (5 %);
  the shipment's *route* is the polyline origin -> hubs -> destination.
- Five carriers (顺丰 shunfeng, 中通 zhongtong, 圆通 yuantong, EMS, 京东 jd), each with
  its own linehaul speed (shunfeng flies lanes over 1,200 km) and a log-normal dwell per
  status (median hours and sigma). Each shipment's times are also scaled by its *day
  factor* (log-normal, sigma ``DAY_SIGMA``): busy days are slower.
- Events of a shipment: ``info_received`` and ``picked_up`` at the sender's address,
  ``in_transit`` at the origin hub (the origin city), ``in_transit`` at each hub,
  ``at_destination_city``, ``out_for_delivery`` and ``delivered`` at the receiver's
  address (city centre + up to 8 km; 1-3 km in coastal cities, so none is offshore).
  The gap after an event is that status's dwell plus, on a leg, the travel time.
- Reception: events reach Veriseal after a lag (90 % within the hour, 8 % 1-4 h, 2 %
  4-12 h), so some arrive out of order, and 3 % are sent twice (1-24 h later). Each is
  read as a 快递100 push reads a checkpoint with ``areaCenter``: its place is located
  with Veriseal's own ``place_from_area`` (that is the input, not the truth).
- The shipper promises a delivery date: the end of the day (Beijing time) on which the
  sim's own 99th percentile of the carrier-lane transit time (200 draws of its normal
  model) falls.

**Injected anomalies** (each a few % of the evaluated shipments, drawn independently, so
some shipments carry several):

- ``stall``: after one event (info_received .. out_for_delivery) the shipment falls
  silent for 3-8 times the sim's p95 of that carrier's normal gap after that status
  (computed from its own normal model); 70 % then resume, the others never do (lost).
  Truth: the silence. It begins at the last event before it.
- ``detour``: one extra ``in_transit`` checkpoint, between two legs, at a city more than
  ``DETOUR_KM`` (400 km) from the route (the min of the distance to the planned
  polyline and to the direct great circle, by this file's haversine), with the travel
  there and back. Truth: any emitted checkpoint that far from the route. It begins at
  that checkpoint.
- ``misdelivery``: ``out_for_delivery`` and ``delivered`` in another city: another
  province, or more than 100 km from the destination (and, so that it is not also a
  detour, within 350 km of it). Truth: the delivered checkpoint's city. It begins at
  the delivery.
- ``delay``: a shipment held up 24-96 h at a hub while the carrier keeps reporting
  (extra ``in_transit`` events at normal intervals: no silence). Truth for **late** is
  not the injection but the outcome: delivered after the promised time, or still not
  delivered at the end of the run when the promise has passed (delays, stalls and
  detours all make shipments late). It begins at the promised time.
- ``slow``: *normal slow* shipments, whose day factor is drawn from its own upper tail
  (quantiles 0.90-0.995): slow, but normal; they should not be flagged (if one passes
  its promise it is late in truth, which the promise at p99 makes rare).

**The run**: a warm-up period of normal shipments only (Veriseal learns dwell and
transit quantiles from them), then the evaluation period; all on one simulated clock
that starts ``--days-ago`` days before now. Every ``--check-hours`` (2-6 h, drawn) the
loop creates the waybills whose first event has happened, ingests the events that have
arrived (``of(ctx).waybills.ingest(..., source="kuaidi100")``), then runs
``of(ctx).alerts.check(now=clock)`` and records the alerts opened. The engine is real,
on a temporary SQLite ledger (or ``--backend postgres``: a database made and dropped),
with the logistics plugin enabled; ``--rules key=value`` overrides the brand's rules.

**Scoring** (evaluated shipments only): a shipment counts as flagged for a kind if an
alert of that kind opened for it at any time: stall -> ``stalled``, detour ->
``off_route``, misdelivery -> ``wrong_destination``, late -> ``late``. Printed per kind:
truth count, alerts, TP, FP, FN, precision, recall and the median detection delay (hours
from the anomaly's beginning to the alert), with the false positives on shipments that
carry another anomaly counted apart; then the normal slow shipments flagged; then the
causes of false stalled and late alerts (an event that had happened but not reached
Veriseal, or a real silence) and a few false positives and misses of each kind with
their numbers.

By default the same world is run twice: first through a small threshold detector of this
file (no Veriseal at all: a check of the simulation itself and the baseline), then
through Veriseal, and the F1 of each kind is printed for both with their ratio.
``--detector naive`` or ``--detector veriseal`` runs one of them.

    .venv/bin/python benchmarks/sim_logistics.py [--shipments 2000] [--warmup 1500]
        [--seed 18] [--rules stall_factor=1.0 --rules late_grace_hours=12]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import datetime as dt
import itertools
import math
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from veriseal import SYSTEM_PRINCIPAL, Brand
from veriseal.catalog.keys import KeySource, create_key_file
from veriseal.config import Config
from veriseal.engine import Engine
from veriseal_logistics.models import EventIn
from veriseal_logistics.places import place_from_area
from veriseal_logistics.service import of
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

# -- the sim's own geography ------------------------------------------------------------
EARTH_KM = 6371.0088
HUB_KM = 80.0  # a hub serves a lane when within this of its great circle
HUB_DETOUR = 0.05  # ... or when passing through it lengthens the lane by at most this
DETOUR_KM = 400.0  # a checkpoint this far from the route is a detour (truth)
MISDELIVERY_KM = 100.0  # delivered this far away (or in another province) is misdelivered
MISDELIVERY_MAX_KM = 350.0  # ... but not so far that it is also a detour
ADDRESS_KM = 8.0  # addresses lie up to this far from their city's centre
CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class City:
    """A city of the sim: ``hub`` a carrier sorting hub; ``address_km`` how far from the
    centre its addresses lie (less than ADDRESS_KM where the sea or a border is near the
    centre: no parcel is delivered offshore)."""

    name: str
    province: str
    lat: float
    lon: float
    hub: bool = False
    address_km: float = 0.0  # 0: ADDRESS_KM

    @property
    def radius_km(self) -> float:
        return self.address_km or ADDRESS_KM


# fmt: off
CITIES: tuple[City, ...] = (
    City("北京", "北京", 39.90, 116.40, True), City("天津", "天津", 39.13, 117.20),
    City("石家庄", "河北", 38.04, 114.51), City("太原", "山西", 37.87, 112.55),
    City("呼和浩特", "内蒙古", 40.84, 111.75), City("沈阳", "辽宁", 41.80, 123.43, True),
    City("大连", "辽宁", 38.91, 121.61, address_km=3), City("长春", "吉林", 43.82, 125.32),
    City("哈尔滨", "黑龙江", 45.80, 126.53), City("上海", "上海", 31.23, 121.47, True),
    City("南京", "江苏", 32.06, 118.80, True), City("苏州", "江苏", 31.30, 120.58),
    City("徐州", "江苏", 34.26, 117.18), City("杭州", "浙江", 30.27, 120.15, True),
    City("宁波", "浙江", 29.87, 121.55), City("温州", "浙江", 28.00, 120.70),
    City("合肥", "安徽", 31.82, 117.23), City("福州", "福建", 26.07, 119.30),
    City("厦门", "福建", 24.48, 118.09, address_km=1), City("南昌", "江西", 28.68, 115.86),
    City("赣州", "江西", 25.83, 114.93), City("济南", "山东", 36.65, 117.12, True),
    City("青岛", "山东", 36.07, 120.38, address_km=1), City("郑州", "河南", 34.75, 113.63, True),
    City("洛阳", "河南", 34.62, 112.45), City("武汉", "湖北", 30.59, 114.31, True),
    City("宜昌", "湖北", 30.69, 111.29), City("长沙", "湖南", 28.23, 112.94, True),
    City("广州", "广东", 23.13, 113.26, True), City("深圳", "广东", 22.54, 114.06, address_km=3),
    City("东莞", "广东", 23.02, 113.75), City("南宁", "广西", 22.82, 108.37),
    City("海口", "海南", 20.04, 110.20, address_km=3), City("重庆", "重庆", 29.56, 106.55, True),
    City("成都", "四川", 30.57, 104.07, True), City("贵阳", "贵州", 26.65, 106.63),
    City("昆明", "云南", 25.04, 102.71), City("拉萨", "西藏", 29.65, 91.14),
    City("西安", "陕西", 34.34, 108.94, True), City("兰州", "甘肃", 36.06, 103.83, True),
    City("西宁", "青海", 36.62, 101.78), City("银川", "宁夏", 38.49, 106.23),
    City("乌鲁木齐", "新疆", 43.83, 87.62),
)
# fmt: on


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.atan2(y, x)


Point = tuple[float, float]


def arc_km(p: Point, a: Point, b: Point) -> tuple[float, float]:
    """Distance from ``p`` to the great-circle arc ``a``-``b`` and how far along it
    (0..1) the closest point lies: the cross-track distance when ``p`` projects inside
    the arc, else the distance to the nearer end."""
    d_ab = haversine_km(*a, *b)
    d_ap = haversine_km(*a, *p)
    if d_ab < 1e-6:
        return d_ap, 0.0
    delta = _bearing(*a, *p) - _bearing(*a, *b)
    xt = math.asin(max(-1.0, min(1.0, math.sin(d_ap / EARTH_KM) * math.sin(delta))))
    if math.cos(delta) <= 0:  # behind the start
        return d_ap, 0.0
    cos_xt = max(math.cos(xt), 1e-12)
    along = EARTH_KM * math.acos(max(-1.0, min(1.0, math.cos(d_ap / EARTH_KM) / cos_xt)))
    if along >= d_ab:
        return haversine_km(*b, *p), 1.0
    return abs(xt) * EARTH_KM, along / d_ab


def route_km(p: Point, polyline: Sequence[Point]) -> float:
    """Distance from ``p`` to the route: the nearer of the planned polyline and the direct
    great circle of its ends (a checkpoint near either is on the way)."""
    legs = [*list(itertools.pairwise(polyline)), (polyline[0], polyline[-1])]
    return min(arc_km(p, a, b)[0] for a, b in legs)


def plan_hubs(origin: City, destination: City) -> list[City]:
    """The hubs a lane may pass, ordered along it: hub cities between 10 % and 90 % of
    the way that lie within HUB_KM of its great circle or add at most HUB_DETOUR to
    its length."""
    a, b = (origin.lat, origin.lon), (destination.lat, destination.lon)
    direct = haversine_km(*a, *b)
    found = []
    for c in CITIES:
        if not c.hub or c in (origin, destination):
            continue
        km, along = arc_km((c.lat, c.lon), a, b)
        via = haversine_km(*a, c.lat, c.lon) + haversine_km(c.lat, c.lon, *b)
        if (km <= HUB_KM or via <= direct * (1 + HUB_DETOUR)) and 0.1 <= along <= 0.9:
            found.append((along, c))
    return [c for _, c in sorted(found, key=lambda x: x[0])]


# -- carriers -----------------------------------------------------------------------------
STATUSES = ("info_received", "picked_up", "in_transit", "at_destination_city",
            "out_for_delivery", "delivered")  # fmt: skip
DAY_SIGMA = 0.15


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier's pace: road speed (km/h, hub to hub), flights over ``air_km`` (then
    ``air_hours`` door to door of the linehaul), and per status (median hours, sigma) of
    the log-normal dwell before the next event."""

    name: str
    speed: float
    air_km: float | None
    air_hours: float
    dwell: dict[str, tuple[float, float]]
    travel_sigma: float = 0.15


# fmt: off
CARRIERS: tuple[Carrier, ...] = (
    Carrier("shunfeng", 70.0, 1200.0, 10.0, {
        "info_received": (3.0, 0.5), "picked_up": (2.5, 0.4), "in_transit": (2.5, 0.4),
        "at_destination_city": (5.0, 0.4), "out_for_delivery": (2.5, 0.4)}),
    Carrier("zhongtong", 55.0, None, 0.0, {
        "info_received": (6.0, 0.6), "picked_up": (4.0, 0.5), "in_transit": (4.0, 0.45),
        "at_destination_city": (8.0, 0.45), "out_for_delivery": (3.5, 0.5)}),
    Carrier("yuantong", 55.0, None, 0.0, {
        "info_received": (6.0, 0.6), "picked_up": (4.5, 0.5), "in_transit": (4.0, 0.5),
        "at_destination_city": (9.0, 0.45), "out_for_delivery": (3.5, 0.5)}),
    Carrier("ems", 45.0, 1800.0, 18.0, {
        "info_received": (10.0, 0.6), "picked_up": (6.0, 0.55), "in_transit": (6.0, 0.5),
        "at_destination_city": (12.0, 0.5), "out_for_delivery": (5.0, 0.55)}),
    Carrier("jd", 65.0, None, 0.0, {
        "info_received": (4.0, 0.5), "picked_up": (3.0, 0.4), "in_transit": (3.0, 0.4),
        "at_destination_city": (6.0, 0.4), "out_for_delivery": (3.0, 0.4)}),
)
# fmt: on
BY_NAME = {c.name: c for c in CARRIERS}


def _z(q: float) -> float:
    return statistics.NormalDist().inv_cdf(q)


# -- shipments ----------------------------------------------------------------------------
@dataclass(slots=True)
class Event:
    """An event the carrier reports: when it happened, what, where (a point and the
    city it is in), and when it reaches Veriseal."""

    at: float  # simulated hours since the clock's start
    status: str
    city: City
    lat: float
    lon: float
    text: str
    arrives: float = 0.0


@dataclass(slots=True)
class Shipment:
    n: int
    tracking: str
    carrier: Carrier
    origin: City
    destination: City
    hubs: list[City]
    start: float  # hours: info_received
    day_factor: float
    warmup: bool
    origin_at: Point = (0.0, 0.0)  # the sender's address
    dest_at: Point = (0.0, 0.0)  # the receiver's address
    promised: float = 0.0  # hours: the promised time (end of the promised day)
    injected: set[str] = field(default_factory=set)  # stall, detour, misdelivery, delay, slow
    events: list[Event] = field(default_factory=list)
    arrivals: list[Event] = field(default_factory=list)  # what is sent, duplicates included
    # truth, set by label(): kind -> when the anomaly began (hours)
    truth: dict[str, float] = field(default_factory=dict)
    note: dict[str, Any] = field(default_factory=dict)  # numbers for the miss listing

    @property
    def route(self) -> list[Point]:
        return [self.origin_at, *((h.lat, h.lon) for h in self.hubs), self.dest_at]

    @property
    def delivered(self) -> float | None:
        return next((e.at for e in self.events if e.status == "delivered"), None)


def jitter(rng: random.Random, city: City) -> Point:
    """An address in ``city``: uniform over the disc of its radius_km."""
    d, a = city.radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return (
        city.lat + d * math.cos(a) / 111.32,
        city.lon + d * math.sin(a) / (111.32 * math.cos(math.radians(city.lat))),
    )


class Model:
    """The sim's normal model: gaps between events, its own p95 per carrier and status,
    and each carrier-lane's p99 transit time (for the promise)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._p99: dict[tuple[str, str, str], float] = {}
        self.gap_p95: dict[tuple[str, str], float] = {}
        self._calibrate()

    def dwell(self, rng: random.Random, carrier: Carrier, status: str, day: float) -> float:
        median, sigma = carrier.dwell[status]
        return median * math.exp(sigma * rng.gauss(0, 1)) * day

    def travel(self, rng: random.Random, carrier: Carrier, km: float, day: float,
               total_km: float) -> float:  # fmt: skip
        """Hours of one linehaul leg of ``km`` on a lane of ``total_km``."""
        noise = math.exp(carrier.travel_sigma * rng.gauss(0, 1)) * day
        if carrier.air_km is not None and total_km >= carrier.air_km:
            return carrier.air_hours * km / total_km * noise
        return km / carrier.speed * noise

    def normal_times(self, rng: random.Random, carrier: Carrier, stops: list[Point],
                     day: float) -> list[tuple[str, float]]:  # fmt: skip
        """(status, hours since info_received) of a normal journey through ``stops``
        (origin hub, hubs, destination hub)."""
        total = sum(haversine_km(*a, *b) for a, b in itertools.pairwise(stops))
        t, out = 0.0, [("info_received", 0.0)]
        t += self.dwell(rng, carrier, "info_received", day)
        out.append(("picked_up", t))
        t += self.dwell(rng, carrier, "picked_up", day)
        out.append(("in_transit", t))
        for a, b in itertools.pairwise(stops):
            t += self.dwell(rng, carrier, "in_transit", day)
            t += self.travel(rng, carrier, haversine_km(*a, *b), day, total)
            out.append(("in_transit" if b is not stops[-1] else "at_destination_city", t))
        t += self.dwell(rng, carrier, "at_destination_city", day)
        out.append(("out_for_delivery", t))
        t += self.dwell(rng, carrier, "out_for_delivery", day)
        out.append(("delivered", t))
        return out

    def day(self, rng: random.Random, slow: bool) -> float:
        if slow:  # the day factor's upper tail: slow, but within the normal distribution
            return math.exp(DAY_SIGMA * _z(rng.uniform(0.90, 0.995)))
        return math.exp(DAY_SIGMA * rng.gauss(0, 1))

    def _calibrate(self) -> None:
        """The sim's p95 of the gap after each status, per carrier, over random lanes."""
        rng = random.Random(7)
        gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
        for _ in range(3000):
            o, d = rng.sample(CITIES, 2)
            carrier = rng.choice(CARRIERS)
            stops = [(o.lat, o.lon), *((h.lat, h.lon) for h in plan_hubs(o, d)), (d.lat, d.lon)]
            times = self.normal_times(rng, carrier, stops, self.day(rng, False))
            for (s, t), (_, t2) in itertools.pairwise(times):
                gaps[(carrier.name, s)].append(t2 - t)
        for key, values in gaps.items():
            self.gap_p95[key] = statistics.quantiles(values, n=20)[-1]

    def p99(self, carrier: Carrier, origin: City, destination: City, hubs: list[City]) -> float:
        key = (carrier.name, origin.name, destination.name)
        if key not in self._p99:
            stops = [(origin.lat, origin.lon), *((h.lat, h.lon) for h in hubs),
                     (destination.lat, destination.lon)]  # fmt: skip
            totals = sorted(
                self.normal_times(self.rng, carrier, stops, self.day(self.rng, False))[-1][1]
                for _ in range(200)
            )
            self._p99[key] = totals[197]
        return self._p99[key]


@dataclass(frozen=True, slots=True)
class Rates:
    stall: float = 0.04
    resume: float = 0.7
    detour: float = 0.03
    misdelivery: float = 0.03
    delay: float = 0.05
    slow: float = 0.12
    duplicate: float = 0.03


def promised_hours(start_hours: float, transit: float, clock0: dt.datetime) -> float:
    """The end of the Beijing-time day on which ``start + transit`` falls, in hours."""
    at = (clock0 + dt.timedelta(hours=start_hours + transit)).astimezone(CHINA)
    end = dt.datetime(at.year, at.month, at.day, 23, 59, 59, tzinfo=CHINA)
    return (end - clock0).total_seconds() / 3600


def generate(
    model: Model, rng: random.Random, n: int, start: float, warmup: bool, rates: Rates,
    clock0: dt.datetime,
) -> Shipment:  # fmt: skip
    """One shipment: its lane, carrier, normal journey, and injected anomalies."""
    origin, destination = rng.sample(CITIES, 2)
    carrier = rng.choice(CARRIERS)
    lane_hubs = plan_hubs(origin, destination)
    # each carrier routes a lane through its own subset of the lane's hubs (0-2)
    pick = random.Random(f"{carrier.name}{origin.name}{destination.name}")
    least = (
        1 if haversine_km(origin.lat, origin.lon, destination.lat, destination.lon) > 1200 else 0
    )
    count = min(len(lane_hubs), pick.randint(least, 2))
    hubs = sorted(pick.sample(lane_hubs, count), key=lane_hubs.index)
    s = Shipment(n, f"SIM{n:07d}", carrier, origin, destination, hubs, start, 1.0, warmup)
    s.origin_at, s.dest_at = jitter(rng, origin), jitter(rng, destination)
    if not warmup:
        for kind in ("stall", "detour", "misdelivery", "delay", "slow"):
            if rng.random() < getattr(rates, kind):
                s.injected.add(kind)
        if "slow" in s.injected and s.injected != {"slow"}:
            s.injected.discard("slow")  # normal slow means nothing else is wrong
    s.day_factor = model.day(rng, "slow" in s.injected)
    s.promised = promised_hours(start, model.p99(carrier, origin, destination, hubs), clock0)
    build_events(model, rng, s, rates)
    return s


@dataclass
class Journey:
    """The events of one shipment as they are built, and the clock of its journey."""

    model: Model
    rng: random.Random
    s: Shipment
    t: float
    events: list[Event] = field(default_factory=list)

    def emit(self, status: str, city: City, at: Point, text: str) -> None:
        self.events.append(Event(self.t, status, city, at[0], at[1], text))

    def wait(self, status: str, factor: float | None = None) -> None:
        c = self.s.carrier
        self.t += self.model.dwell(self.rng, c, status, self.s.day_factor if factor is None
                                   else factor)  # fmt: skip

    def hold(self, here: City, at: Point) -> None:
        """Held 24-96 h at ``here``, the carrier reporting at twice its usual interval."""
        held = self.rng.uniform(24, 96)
        self.s.note["delay_h"] = round(held, 1)
        end = self.t + held
        while True:
            step = self.model.dwell(self.rng, self.s.carrier, "in_transit", 1.0) * 2
            if self.t + step >= end:
                return
            self.t += step
            self.emit("in_transit", here, at, f"【{here.name}转运中心】 快件滞留，等待发车")

    def move(self, a: Point, b: Point, total_km: float) -> None:
        self.wait("in_transit")
        km = haversine_km(*a, *b)
        self.t += self.model.travel(self.rng, self.s.carrier, km, self.s.day_factor,
                                    max(total_km, km))  # fmt: skip

    def detour(self, a: Point, total_km: float) -> Point:
        """A leg to a city far off the route; where the shipment then is."""
        far = detour_city(self.rng, self.s)
        if far is None:
            return a
        self.move(a, (far.lat, far.lon), total_km)
        self.emit("in_transit", far, (far.lat, far.lon), f"快件到达 【{far.name}转运中心】")
        self.s.note["detour"] = far.name
        return (far.lat, far.lon)


def build_events(model: Model, rng: random.Random, s: Shipment, rates: Rates) -> None:
    """The shipment's events, with its injections applied, then their arrivals."""
    stops: list[tuple[City, Point]] = [(s.origin, (s.origin.lat, s.origin.lon))]
    stops += [(h, (h.lat, h.lon)) for h in s.hubs]
    stops.append((s.destination, (s.destination.lat, s.destination.lon)))
    total = sum(haversine_km(*a[1], *b[1]) for a, b in itertools.pairwise(stops))
    j = Journey(model, rng, s, s.start)
    j.emit("info_received", s.origin, s.origin_at, f"{s.origin.name} 商家已下单")
    j.wait("info_received")
    j.emit("picked_up", s.origin, s.origin_at, f"{s.origin.name} 快递员已揽件")
    j.wait("picked_up")
    j.emit("in_transit", s.origin, stops[0][1], f"快件到达 【{s.origin.name}转运中心】")
    detour_leg = rng.randrange(len(stops) - 1) if "detour" in s.injected else -1
    delay_leg = rng.randrange(len(stops) - 1) if "delay" in s.injected else -1
    for leg, ((here, a), (city_b, b)) in enumerate(itertools.pairwise(stops)):
        if leg == delay_leg:  # held at this hub, the carrier reporting all along
            j.hold(here, a)
        j.move(j.detour(a, total) if leg == detour_leg else a, b, total)
        if leg == len(stops) - 2:
            j.emit("at_destination_city", city_b, b, f"快件已到达 【{city_b.name}】")
        else:
            j.emit("in_transit", city_b, b, f"快件到达 【{city_b.name}转运中心】")
    end_city, end_at = s.destination, s.dest_at
    wrong = misdelivery_city(rng, s) if "misdelivery" in s.injected else None
    if wrong is not None:
        end_city, end_at = wrong, jitter(rng, wrong)
        s.note["misdelivered"] = wrong.name
    j.wait("at_destination_city")
    j.emit("out_for_delivery", end_city, end_at, f"【{end_city.name}】 快递员正在派件")
    j.wait("out_for_delivery")
    j.emit("delivered", end_city, end_at, f"【{end_city.name}】 已签收")
    events = j.events
    if "stall" in s.injected:
        events = inject_stall(model, rng, s, events, rates)
    s.events = events
    s.arrivals = arrivals(rng, events, rates)


def detour_city(rng: random.Random, s: Shipment) -> City | None:
    far = [c for c in CITIES if route_km((c.lat, c.lon), s.route) > DETOUR_KM + 20]
    return rng.choice(far) if far else None


def misdelivery_city(rng: random.Random, s: Shipment) -> City | None:
    d = s.destination
    near = [
        c for c in CITIES
        if c is not d
        and (c.province != d.province or haversine_km(c.lat, c.lon, d.lat, d.lon) > MISDELIVERY_KM)
        and haversine_km(c.lat, c.lon, d.lat, d.lon) <= MISDELIVERY_MAX_KM
    ]  # fmt: skip
    return rng.choice(near) if near else None


def inject_stall(
    model: Model, rng: random.Random, s: Shipment, events: list[Event], rates: Rates
) -> list[Event]:
    """A silence after one event: 3-8x the sim's p95 of the carrier's normal gap after
    that status; then the rest follows (shifted), or nothing more (lost)."""
    i = rng.randrange(len(events) - 1)  # not after delivered
    p95 = model.gap_p95[(s.carrier.name, events[i].status)]
    factor = rng.uniform(3, 8)
    silence = factor * p95
    gap = events[i + 1].at - events[i].at
    s.note.update(stall_at=events[i].at, stall_after=events[i].status,
                  stall_factor=round(factor, 1), stall_h=round(silence, 1),
                  p95_h=round(p95, 1))  # fmt: skip
    if rng.random() >= rates.resume:
        s.note["lost"] = True
        return events[: i + 1]
    shift = max(silence - gap, 0.0)
    for e in events[i + 1 :]:
        e.at += shift
    return events


def arrivals(rng: random.Random, events: list[Event], rates: Rates) -> list[Event]:
    """What the carrier sends and when it reaches Veriseal: each event after a lag,
    some twice."""
    out = []
    for e in events:
        r = rng.random()
        lag = (
            rng.uniform(0, 1) if r < 0.90 else rng.uniform(1, 4) if r < 0.98 else rng.uniform(4, 12)
        )
        e.arrives = e.at + lag
        out.append(e)
        if rng.random() < rates.duplicate:
            out.append(Event(e.at, e.status, e.city, e.lat, e.lon, e.text,
                             e.arrives + rng.uniform(1, 24)))  # fmt: skip
    return out


def label(s: Shipment, end: float) -> None:
    """The truth of an evaluated shipment, from the events it emitted (by construction,
    with this file's geometry only)."""
    if "stall_at" in s.note:
        s.truth["stall"] = s.note.pop("stall_at")
    far = [e for e in s.events if route_km((e.lat, e.lon), s.route) > DETOUR_KM]
    if far:
        s.truth["detour"] = far[0].at
        s.note["detour_km"] = round(route_km((far[0].lat, far[0].lon), s.route))
    done = next((e for e in s.events if e.status == "delivered"), None)
    if done is not None:
        d = s.destination
        km = haversine_km(done.lat, done.lon, d.lat, d.lon)
        if done.city.province != d.province or km > MISDELIVERY_KM:
            s.truth["misdelivery"] = done.at
            s.note["misdelivery_km"] = round(km)
    finished = done.at if done is not None else end
    if finished > s.promised:
        s.truth["late"] = s.promised
        s.note["late_h"] = round(finished - s.promised, 1)


# -- detectors ----------------------------------------------------------------------------
KINDS = {"stall": "stalled", "detour": "off_route", "misdelivery": "wrong_destination",
         "late": "late"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Opened:
    tracking: str
    kind: str  # an alert kind: stalled, late, off_route, wrong_destination
    at: float  # simulated hours
    evidence: dict[str, Any]


class Detector(Protocol):
    """What the loop drives: Veriseal's service, or this file's naive stand-in."""

    async def create(self, s: Shipment, now: float) -> None: ...

    async def ingest(self, s: Shipment, events: Sequence[Event], now: float) -> None: ...

    async def check(self, now: float) -> list[Opened]: ...


class Naive:
    """A small threshold detector of this file (no Veriseal): silence over 2x the p95 of
    the gaps it saw delivered, a checkpoint over 300 km from the origin-destination
    great circle, delivery over 50 km from the destination, past the promise. A check of
    the simulation, not a model of Veriseal."""

    def __init__(self) -> None:
        self.ships: dict[str, Shipment] = {}
        self.seen: dict[str, dict[tuple[float, str], Event]] = defaultdict(dict)
        self.gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.open: set[tuple[str, str]] = set()
        self.learned: set[str] = set()

    async def create(self, s: Shipment, now: float) -> None:
        self.ships[s.tracking] = s

    async def ingest(self, s: Shipment, events: Sequence[Event], now: float) -> None:
        for e in events:
            self.seen[s.tracking][(e.at, e.status)] = e

    async def check(self, now: float) -> list[Opened]:
        out = []
        for tracking, by_key in self.seen.items():
            s = self.ships[tracking]
            evs = sorted(by_key.values(), key=lambda e: e.at)
            done = evs[-1].status == "delivered"
            if done and tracking not in self.learned:
                self.learned.add(tracking)
                for e1, e2 in itertools.pairwise(evs):
                    self.gaps[(s.carrier.name, e1.status)].append(e2.at - e1.at)
            found: dict[str, dict[str, Any]] = {}
            g = self.gaps.get((s.carrier.name, evs[-1].status), [])
            limit = 2 * statistics.quantiles(g, n=20)[-1] if len(g) >= 20 else 48.0
            if not done and now - evs[-1].at > limit:
                found["stalled"] = {"silence_h": now - evs[-1].at, "limit_h": limit}
            a, b = (s.origin.lat, s.origin.lon), (s.destination.lat, s.destination.lon)
            if any(arc_km((e.lat, e.lon), a, b)[0] > 300 for e in evs):
                found["off_route"] = {}
            if done and haversine_km(evs[-1].lat, evs[-1].lon, *b) > 50:
                found["wrong_destination"] = {}
            if (evs[-1].at if done else now) > s.promised:
                found["late"] = {}
            for kind, ev in found.items():
                if (tracking, kind) not in self.open:
                    self.open.add((tracking, kind))
                    out.append(Opened(tracking, kind, now, ev))
        return out


# -- the run ------------------------------------------------------------------------------
def progress(text: str) -> None:
    print(f"  [sim {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Run:
    shipments: list[Shipment]
    opened: list[Opened]
    end: float
    wall_s: float = 0.0
    ingest_s: float = 0.0
    check_s: float = 0.0
    events_sent: int = 0
    checks: int = 0


def world(args: argparse.Namespace, clock0: dt.datetime) -> tuple[list[Shipment], float]:
    """Every shipment (warm-up first) and the end of the run in simulated hours."""
    rng = random.Random(args.seed)
    model = Model(args.seed)
    rates = Rates(**{k: v for k, v in vars(args).items() if k in Rates.__dataclass_fields__})
    warm_h, eval_h = args.warmup_days * 24.0, args.days * 24.0
    out = []
    for n in range(args.warmup):
        out.append(generate(model, rng, n, rng.uniform(0, warm_h), True, rates, clock0))
    for n in range(args.warmup, args.warmup + args.shipments):
        start = warm_h + rng.uniform(0, eval_h)
        out.append(generate(model, rng, n, start, False, rates, clock0))
    last = max(e.arrives for s in out for e in s.arrivals)
    # lost shipments must stay silent at least their stall before the run ends
    lost = [s.events[-1].at + s.note["stall_h"] for s in out if s.note.get("lost")]
    end = max([last, *lost]) + 24.0
    for s in out:
        if not s.warmup:
            label(s, end)
    return out, end


async def drive(detector: Detector, ships: list[Shipment], end: float,
                args: argparse.Namespace) -> Run:  # fmt: skip
    """The simulated clock: create, ingest what has arrived, check; until ``end``."""
    rng = random.Random(args.seed + 1)
    by_start = sorted(ships, key=lambda s: s.start)
    sends = sorted(((e.arrives, s.n, e) for s in ships for e in s.arrivals), key=lambda x: x[:2])
    times = [x[0] for x in sends]
    by_n = {s.n: s for s in ships}
    run = Run(ships, [], end)
    t0 = time.perf_counter()
    now, i_ship, i_send = 0.0, 0, 0
    next_report = 0.0
    while now < end:
        now = min(now + rng.uniform(args.check_hours / 2, args.check_hours * 1.5), end)
        while i_ship < len(by_start) and by_start[i_ship].start <= now:
            await detector.create(by_start[i_ship], now)
            i_ship += 1
        batch: dict[int, list[Event]] = defaultdict(list)
        j = bisect.bisect_right(times, now, lo=i_send)
        for _, n, e in sends[i_send:j]:
            batch[n].append(e)
        i_send = j
        t1 = time.perf_counter()
        for n, evs in batch.items():
            await detector.ingest(by_n[n], evs, now)
            run.events_sent += len(evs)
        t2 = time.perf_counter()
        run.opened += await detector.check(now)
        run.check_s += time.perf_counter() - t2
        run.ingest_s += t2 - t1
        run.checks += 1
        if time.perf_counter() >= next_report:
            next_report = time.perf_counter() + 10
            progress(
                f"day {now / 24:5.1f} of {end / 24:.1f}: {i_ship} waybills,"
                f" {run.events_sent} events sent, {len(run.opened)} alerts opened"
            )
    run.wall_s = time.perf_counter() - t0
    return run


# -- scoring ------------------------------------------------------------------------------
@dataclass
class Score:
    kind: str
    truth: int
    alerts: int
    tp: list[Shipment]
    fp: list[Shipment]
    fn: list[Shipment]
    delays: list[float]

    @property
    def precision(self) -> float | None:
        """None without alerts (undefined)."""
        return len(self.tp) / (len(self.tp) + len(self.fp)) if self.tp or self.fp else None

    @property
    def recall(self) -> float | None:
        """None without anomalies (undefined)."""
        return len(self.tp) / (len(self.tp) + len(self.fn)) if self.tp or self.fn else None


def score(run: Run) -> dict[str, Score]:
    """Per sim kind: the evaluated shipments flagged with the alert kind, against the truth."""
    evaluated = {s.tracking: s for s in run.shipments if not s.warmup}
    first: dict[tuple[str, str], Opened] = {}
    for o in run.opened:
        if o.tracking in evaluated:
            first.setdefault((o.tracking, o.kind), o)
    out = {}
    for kind, alert in KINDS.items():
        flagged = {t for t, k in first if k == alert}
        true = {t for t, s in evaluated.items() if kind in s.truth}
        tp = sorted(flagged & true)
        delays = [first[(t, alert)].at - evaluated[t].truth[kind] for t in tp]
        out[kind] = Score(
            kind, len(true), len(flagged), [evaluated[t] for t in tp],
            [evaluated[t] for t in sorted(flagged - true)],
            [evaluated[t] for t in sorted(true - flagged)], delays,
        )  # fmt: skip
    return out


def report(run: Run, args: argparse.Namespace, clock0: dt.datetime) -> dict[str, Any]:
    """Print the scale, the table, the normal slow shipments flagged and the misses; and
    return the figures (for the smoke test)."""
    scores = score(run)
    evaluated = [s for s in run.shipments if not s.warmup]
    events = sum(len(s.events) for s in run.shipments)
    injected = {k: sum(k in s.injected for s in evaluated)
                for k in ("stall", "detour", "misdelivery", "delay", "slow")}  # fmt: skip
    print(f"{len(run.shipments)} shipments ({args.warmup} warm-up over {args.warmup_days} days,"
          f" {len(evaluated)} evaluated over {args.days} days), {events} events"
          f" ({run.events_sent} sent with duplicates), {len(CITIES)} cities,"
          f" {len(CARRIERS)} carriers; {run.checks} checks over {run.end / 24:.1f} simulated"
          f" days; detector {args.detector}; seed {args.seed}")  # fmt: skip
    print(
        "injected: "
        + ", ".join(f"{k} {v}" for k, v in injected.items())
        + f" (lost after a stall: {sum(bool(s.note.get('lost')) for s in evaluated)})"
    )
    print(
        f"wall {run.wall_s:.1f} s: ingest {run.ingest_s:.1f} s"
        f" ({run.events_sent / max(run.ingest_s, 1e-9):.0f} events/s),"
        f" checks {run.check_s:.1f} s ({run.check_s / max(run.checks, 1) * 1e3:.0f} ms each)"
    )
    print(f"\n{'kind':<12} {'alert':<18} {'truth':>5} {'alerts':>6} {'TP':>5} {'FP':>4}"
          f" {'(other)':>7} {'FN':>4} {'precision':>9} {'recall':>6}"
          f" {'delay h (median)':>16}")  # fmt: skip
    for sc in scores.values():
        med = f"{statistics.median(sc.delays):.1f}" if sc.delays else "-"
        print(f"{sc.kind:<12} {KINDS[sc.kind]:<18} {sc.truth:>5} {sc.alerts:>6}"
              f" {len(sc.tp):>5} {len(sc.fp):>4} {sum(other(s) for s in sc.fp):>7}"
              f" {len(sc.fn):>4} {rate(sc.precision):>9} {rate(sc.recall):>6}"
              f" {med:>16}")  # fmt: skip
    print("(other: false positives on shipments carrying another anomaly)")
    flagged = {(o.tracking, o.kind) for o in run.opened}
    slow = [s for s in evaluated if s.injected == {"slow"}]
    slow_flagged = {k: sum((s.tracking, k) in flagged for s in slow) for k in KINDS.values()}
    clean = [s for s in evaluated if not s.injected and not s.truth]
    clean_flagged = sum(any((s.tracking, k) in flagged for k in KINDS.values()) for s in clean)
    print(
        f"\nnormal slow shipments: {len(slow)}, of which late in truth"
        f" {sum('late' in s.truth for s in slow)}; flagged: "
        + ", ".join(f"{k} {v}" for k, v in slow_flagged.items())
    )
    print(f"clean shipments (nothing injected, no truth): {len(clean)}, flagged {clean_flagged}")
    explain(run, scores, clock0, args.examples)
    return {
        "shipments": len(run.shipments), "evaluated": len(evaluated), "events": events,
        "sent": run.events_sent, "wall_s": run.wall_s,
        "kinds": {k: {"truth": sc.truth, "alerts": sc.alerts, "tp": len(sc.tp),
                      "fp": len(sc.fp), "fn": len(sc.fn), "precision": sc.precision,
                      "recall": sc.recall,
                      "delay_h": statistics.median(sc.delays) if sc.delays else None}
                  for k, sc in scores.items()},
        "slow": {"count": len(slow), "flagged": slow_flagged},
    }  # fmt: skip


def rate(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def other(s: Shipment) -> bool:
    """Whether the shipment carries some anomaly (in truth, or injected but for slow)."""
    return bool(s.truth) or bool(s.injected - {"slow"})


def describe(s: Shipment, clock0: dt.datetime) -> str:
    hubs = ">".join(h.name for h in s.hubs) or "-"
    length = sum(haversine_km(*a, *b) for a, b in zip(s.route, s.route[1:], strict=False))
    done = s.delivered
    took = f"{done - s.start:.0f} h" if done is not None else "not delivered"
    return (f"{s.tracking} {s.carrier.name} {s.origin.name}>{hubs}>{s.destination.name}"
            f" {length:.0f} km, took {took}, promise {s.promised - s.start:.0f} h;"
            f" injected {sorted(s.injected) or '-'} truth {sorted(s.truth) or '-'}"
            f" {s.note}")  # fmt: skip


def cause(s: Shipment, at: float) -> str:
    """Why a stalled or late alert at ``at`` (hours) was false: an event had happened
    but not yet reached Veriseal (the carrier's reporting lag), or the shipment was
    truly silent that long (a normal gap in the distribution's tail); the latter split
    by whether the shipment carries another anomaly."""
    known = max((e.at for e in s.arrivals if e.arrives <= at), default=s.start)
    if any(known < e.at <= at for e in s.events):
        return "reporting lag (an event had happened, not yet received)"
    if other(s):
        return "silent that long, on a shipment with another anomaly"
    return "silent that long, normal (the dwell distribution's tail)"


def explain(run: Run, scores: dict[str, Score], clock0: dt.datetime, n: int) -> None:
    """A few false positives and misses of each kind, with their numbers."""
    evidence: dict[tuple[str, str], dict[str, Any]] = {}
    for o in run.opened:
        evidence.setdefault((o.tracking, o.kind), {"at_h": round(o.at, 1), **o.evidence})
    for sc in scores.values():
        # false positives on otherwise normal shipments first: they are the ones that matter
        fps = sorted(sc.fp, key=other)
        for what, ships in (("false", fps), ("missed", sc.fn)):
            if ships:
                print(f"\n{what} {sc.kind} ({KINDS[sc.kind]}): {len(ships)}")
            if what == "false" and ships and sc.kind in ("stall", "late"):
                causes = Counter(
                    cause(s, evidence[(s.tracking, KINDS[sc.kind])]["at_h"]) for s in ships
                )
                print("  causes: " + ", ".join(f"{k} {v}" for k, v in causes.most_common()))
            for s in ships[:n]:
                print(f"  {describe(s, clock0)}")
                ev = evidence.get((s.tracking, KINDS[sc.kind]))
                if ev is not None:
                    print(f"    alert: {ev}")
                gaps = [(e.status, round(b.at - e.at, 1))
                        for e, b in zip(s.events, s.events[1:], strict=False)]  # fmt: skip
                print(f"    gaps h: {gaps}")


def parse_rules(pairs: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if not _:
            raise SystemExit(f"--rules wants key=value, not {pair!r}")
        v: Any = value
        if value.lower() in ("true", "false"):
            v = value.lower() == "true"
        else:
            try:
                v = int(value)
            except ValueError:
                with contextlib.suppress(ValueError):
                    v = float(value)
        out[key.strip()] = v
    return out


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--shipments", type=int, default=2000, help="evaluated shipments")
    ap.add_argument("--warmup", type=int, default=1500, help="normal shipments before them")
    ap.add_argument("--warmup-days", type=float, default=10.0)
    ap.add_argument("--days", type=float, default=14.0, help="the evaluated shipments' start")
    ap.add_argument("--check-hours", type=float, default=4.0,
                    help="mean interval of alerts.check (drawn in [x/2, 1.5x])")  # fmt: skip
    ap.add_argument("--days-ago", type=float, default=60.0, help="the clock starts then")
    for name in Rates.__dataclass_fields__:
        ap.add_argument(f"--{name}", type=float, default=getattr(Rates(), name),
                        help="rate (share of evaluated shipments)")  # fmt: skip
    ap.add_argument("--rules", action="append", default=[], metavar="KEY=VALUE",
                    help="override a Rules field, e.g. stall_factor=1.0 (repeatable)")  # fmt: skip
    ap.add_argument("--detector", choices=["both", "veriseal", "naive"], default="both",
                    help="both: the naive baseline first, on the same simulated world, then"
                    " Veriseal, and the F1 ratio per kind")  # fmt: skip
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg-url", default=None,
                    help="PostgreSQL admin URL for --backend postgres (a database is made"
                    " and dropped; default $VERISEAL_TEST_PG or postgres@127.0.0.1)")  # fmt: skip
    ap.add_argument("--examples", type=int, default=5, help="FP/FN listed per kind")
    ap.add_argument("--seed", type=int, default=18)
    return ap


async def main(args: argparse.Namespace) -> dict[str, Any]:
    if args.detector != "both":
        return await one(args)
    naive = await one(argparse.Namespace(**{**vars(args), "detector": "naive"}))
    ours = await one(argparse.Namespace(**{**vars(args), "detector": "veriseal"}))
    print("\nsame world, same run: Veriseal against the naive detector (F1 = harmonic mean of"
          " precision and recall)")  # fmt: skip
    print(f"{'kind':<18} {'veriseal F1':>11} {'naive F1':>9} {'ratio':>6}")
    for kind, v in ours["kinds"].items():
        a, b = _f1(v), _f1(naive["kinds"][kind])
        ratio = "-" if a is None or not b else f"{a / b:.2f}"
        print(f"{kind:<18} {rate(a):>11} {rate(b):>9} {ratio:>6}")
    return {**ours, "naive": naive}


def _f1(k: dict[str, Any]) -> float | None:
    p, r = k["precision"], k["recall"]
    if p is None or r is None:
        return None
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


async def one(args: argparse.Namespace) -> dict[str, Any]:
    """One detector's run on the simulated world (the seed makes it the same world)."""
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    clock0 = now - dt.timedelta(days=args.days_ago)
    progress("generating the world")
    ships, end = world(args, clock0)
    if args.detector == "naive":
        run = await drive(Naive(), ships, end, args)
        return report(run, args, clock0)
    with tempfile.TemporaryDirectory() as tmp:
        async with veriseal_detector(args, Path(tmp), clock0) as detector:
            run = await drive(detector, ships, end, args)
        return report(run, args, clock0)


# -- Veriseal ------------------------------------------------------------------------------
#: what 快递100 says of each status (its ``status`` text)
KUAIDI100_TEXT = {"info_received": "已下单", "picked_up": "揽收", "in_transit": "在途",
                  "at_destination_city": "在途", "out_for_delivery": "派件",
                  "delivered": "签收"}  # fmt: skip


class Veriseal:
    """The real logistics service: waybills created when their first event happens
    (origin and destination as "lat,lon", the promised date as a date), events ingested
    as a 快递100 push reads them (a place from ``areaCenter``), the rules run on the
    simulated clock. The history cache is dropped before each check: in service a check
    runs every 5 minutes and the cache lives 10, so it never lags by hours of shipments
    as it would on a clock that runs a month in minutes."""

    def __init__(self, engine: Engine, brand: Brand, clock0: dt.datetime) -> None:

        self.lg = of(engine.plugins.context("logistics"))
        self.brand = brand
        self.clock0 = clock0
        self.tracking_of: dict[int, str] = {}

    def when(self, hours: float) -> dt.datetime:
        return self.clock0 + dt.timedelta(hours=hours)

    async def create(self, s: Shipment, now: float) -> None:

        promised = self.when(s.promised).astimezone(CHINA).date()
        w = await self.lg.waybills.create(SYSTEM_PRINCIPAL, self.brand, NewWaybill(
            carrier=s.carrier.name, tracking_no=s.tracking, reference=f"SIM-{s.n}",
            origin=f"{s.origin_at[0]:.5f},{s.origin_at[1]:.5f}",
            destination=f"{s.dest_at[0]:.5f},{s.dest_at[1]:.5f}", promised=promised,
        ))  # fmt: skip
        self.tracking_of[w.id] = s.tracking

    async def ingest(self, s: Shipment, events: Sequence[Event], now: float) -> None:
        batch = [
            EventIn(self.when(e.at), Status(e.status), KUAIDI100_TEXT[e.status], e.text,
                    place_from_area("", e.city.name, f"{e.lon:.6f},{e.lat:.6f}"))
            for e in events
        ]  # fmt: skip
        await self.lg.waybills.ingest(self.brand.id, s.carrier.name, s.tracking, batch,
                                      source="kuaidi100")  # fmt: skip

    async def check(self, now: float) -> list[Opened]:
        self.lg.history.forget()
        checked = await self.lg.alerts.check(self.brand.id, now=self.when(now))
        return [Opened(self.tracking_of[a.waybill_id], a.kind, now, dict(a.evidence))
                for a in checked.opened]  # fmt: skip


@contextlib.asynccontextmanager
async def veriseal_detector(
    args: argparse.Namespace, tmp: Path, clock0: dt.datetime
) -> AsyncIterator[Detector]:
    """The real service on a fresh ledger with the logistics plugin, and a brand whose
    rules are the defaults with ``--rules`` applied."""

    dropped: str | None = None
    if args.backend == "postgres":
        import bench_ledgers  # noqa: PLC0415

        if args.pg_url:
            bench_ledgers.PG_ADMIN = args.pg_url
        # a name of its own: a concurrent run (the smoke test's) must not drop ours
        name = f"veriseal_sim_logistics_{secrets.token_hex(4)}"
        url, dropped = await bench_ledgers.fresh_url("postgres", tmp, name)
    else:
        url = f"sqlite:///{tmp / 'sim.sqlite3'}"
    key = tmp / "sim.key"
    create_key_file(key)
    engine = await Engine.open(Config(None, url, KeySource(key_file=key), plugins=("logistics",)))
    try:
        brand = await engine.brands.create("sim", "Sim Tea", "id.sim.example")
        detector = Veriseal(engine, brand, clock0)
        changes = parse_rules(args.rules)
        if changes:
            await detector.lg.settings.set_rules(SYSTEM_PRINCIPAL, brand, changes)
        rules = await detector.lg.settings.rules(brand.id)
        print(f"rules: {rules.to_dict()}")
        yield detector
    finally:
        await engine.close()
        if dropped:
            await bench_ledgers.drop(dropped)


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
