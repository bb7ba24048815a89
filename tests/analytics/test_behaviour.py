"""Dealer and consumer behaviour on both backends.

Dealers: real orders are placed, paid and drained through the world; the tests cannot
wait months, so each order's booked lines are then moved to a chosen day and hour (the
dimensions a booking carries), and every expected figure is worked out here from
commerce's orders and those days. Consumers: scans are recorded in the core's ledger
(web scans from device cookies, some signed in, a handheld scan) next to consumer
accounts created between them."""

from __future__ import annotations

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import pytest

from tests.analytics.conftest import World
from tests.commerce.conftest import TEA, WINE
from veriseal import Forbidden, NewScan, Role
from veriseal.accounts.models import SYSTEM
from veriseal.models import ScanChannel
from veriseal_analytics.behaviour import behaviour_of
from veriseal_analytics.periods import Period
from veriseal_commerce.orders_store import Order

TZ = ZoneInfo("Asia/Shanghai")


def _today() -> dt.date:
    return dt.datetime.now(TZ).date()


async def _move(world: World, order: Order, day: dt.date, hour: int) -> None:
    """The order's sale lines booked on ``day`` at ``hour`` instead of now."""
    async with world.ctx.db.write() as tx:
        await tx.execute(
            "UPDATE analytics_lines SET day = ?, hour = ? WHERE order_id = ? AND kind = 'sale'",
            day.isoformat(), hour, order.id,
        )  # fmt: skip


async def test_dealer_habits_segments_and_dormancy(world: World) -> None:
    s = world.shop
    today = _today()
    gd = [await world.paid("gd", "440300", [(TEA, 12), (WINE, 2)]),
          await world.paid("gd", "440300", [(TEA, 5)]),
          await world.paid("gd", "440300", [(WINE, 1)])]  # fmt: skip
    zj = await world.paid("zj", "330100", [(TEA, 3)])
    shop = [await world.paid("shop", "440100", [(TEA, 2)]),
            await world.paid("shop", "440100", [(WINE, 4)])]  # fmt: skip
    await s.drain()
    await s.c.orders.reject(s.people["admin"], shop[1].order_no, "out of stock")  # reversed
    await s.drain()
    plan = [(gd[0], 100, 9), (gd[1], 70, 9), (gd[2], 40, 14), (zj, 80, 20), (shop[0], 2, 10)]
    for order, ago, hour in plan:
        await _move(world, order, today - dt.timedelta(days=ago), hour)
    await _move(world, shop[1], today - dt.timedelta(days=3), 11)
    period = Period(today - dt.timedelta(days=119), today)
    b, admin = behaviour_of(world.ctx), s.people["admin"]

    got = await b.dealers(admin, s.brand, period, "en")
    assert got["orders"] == 5  # the rejected order is no order
    rows = {d["org_id"]: d for d in got["dealers"]}
    assert set(rows) == {s.orgs["GD01"], s.orgs["ZJ01"], s.orgs["GZ-R1"]}
    g = rows[s.orgs["GD01"]]
    assert g["orders"] == 3 and g["orders_per_30d"] == pytest.approx(3 / 120 * 30)
    assert g["revenue"] == sum(o.total for o in gd)
    assert g["median_units"] == 5  # baskets of 14, 5 and 1 units
    assert g["median_value"] == statistics.median(o.total for o in gd)
    assert g["hours"][9] == 2 and g["hours"][14] == 1 and sum(g["hours"]) == 3
    weekdays = [0] * 7
    for ago in (100, 70, 40):
        weekdays[(today - dt.timedelta(days=ago)).weekday()] += 1
    assert g["weekdays"] == weekdays
    tea = (await world.ctx.product(s.brand, TEA)).category_id
    wine = (await world.ctx.product(s.brand, WINE)).category_id
    mix = {m["category_id"]: m for m in g["mix"]}
    assert mix[str(tea)]["units"] == 17 and mix[str(wine)]["units"] == 3
    assert sum(m["revenue"] for m in g["mix"]) == g["revenue"]
    assert sum(m["share"] for m in g["mix"]) == pytest.approx(1.0)
    assert mix[str(tea)]["label"] == "Green"
    # dormancy: gd's usual gap is 30 days (dormant after 90, last order 40 days ago);
    # zj ordered once, 80 days ago (> 60)
    assert (g["days_since"], g["usual_gap"], g["dormant"]) == (40, 30.0, False)
    z = rows[s.orgs["ZJ01"]]
    assert (z["days_since"], z["dormant_after"], z["dormant"]) == (80, 60.0, True)
    assert rows[s.orgs["GZ-R1"]]["orders"] == 1
    assert rows[s.orgs["GZ-R1"]]["revenue"] == shop[0].total
    # the heat grid: every kept order once, at its weekday and hour
    assert sum(map(sum, got["heat"])) == 5
    assert got["heat"][(today - dt.timedelta(days=80)).weekday()][20] >= 1

    seg = await b.segments(admin, s.brand, period, "zh")
    by_code = {x["code"]: x for x in seg["segments"]}
    members = {code: [d["org_id"] for d in x["dealers"]] for code, x in by_code.items()}
    # by hand: recency gd 40, zj 80, shop 2 -> R 3, 1, 5; frequency 3, 1, 1 -> F 5, 2, 2;
    # gd is loyal (R >= 3, F >= 4), zj dormant, the shop's first order is 2 days old: new
    assert members["loyal"] == [s.orgs["GD01"]]
    assert members["dormant"] == [s.orgs["ZJ01"]]
    assert members["new"] == [s.orgs["GZ-R1"]]
    assert sum(x["count"] for x in seg["segments"]) == 3
    assert by_code["loyal"]["name"] == "忠诚客户"
    assert [d["org_id"] for d in seg["dormant"]] == [s.orgs["ZJ01"]]
    loyal = by_code["loyal"]["dealers"][0]
    assert (loyal["r"], loyal["f"], loyal["m"]) == (3, 5, 5)

    # a short window: the history still says who is new and who is dormant
    month = Period(today - dt.timedelta(days=29), today)
    short = await b.segments(admin, s.brand, month, "en")
    scored = {d["org_id"]: (x["code"], d) for x in short["segments"] for d in x["dealers"]}
    code, g30 = scored[s.orgs["GD01"]]
    # by hand: gd has no order in the month (F, M 0 and 0 for zj: 2 each), recency 40
    # between 2 and 80 (R 3), first ordered 100 days ago: needs attention, not new
    assert (code, g30["frequency"], g30["monetary"], g30["r"]) == ("attention", 0, 0, 3)
    assert scored[s.orgs["ZJ01"]][0] == "dormant" and scored[s.orgs["GZ-R1"]][0] == "new"
    habits30 = await b.dealers(admin, s.brand, month)
    assert [d["org_id"] for d in habits30["dealers"]] == [s.orgs["GZ-R1"]]

    with pytest.raises(Forbidden):
        await b.dealers(s.people["gd"], s.brand, period)
    with pytest.raises(Forbidden):
        await b.segments(s.people["shop"], s.brand, period)


def _scan(world: World, at: dt.datetime, actor: str, user_id: int | None = None,
          channel: ScanChannel = ScanChannel.WEB) -> NewScan:  # fmt: skip
    return NewScan(at=at, code="X", outcome="genuine", reason="", channel=channel, actor=actor,
                   brand_id=world.shop.brand.id, gtin=TEA, user_id=user_id)  # fmt: skip


async def _consumer(world: World, n: int) -> int:
    user = await world.shop.engine.accounts.create_user(
        SYSTEM, contact=f"1385557{n:04d}", display_name=f"c{n}", role=Role.CONSUMER, org_id=None
    )
    return user.id


async def test_consumer_scans_repeat_scanners_and_conversion(world: World) -> None:
    s = world.shop
    now = dt.datetime.now(dt.UTC)
    # 'early' registers now: after the anonymous scans below (A, B), before F's first scan
    early = await _consumer(world, 1)
    later = now + dt.timedelta(minutes=1)
    scans = [
        _scan(world, now - dt.timedelta(days=2), "device:A"),  # A: anonymous, then signs up
        _scan(world, now - dt.timedelta(days=1), "device:B"),
        _scan(world, now - dt.timedelta(days=3, hours=2), "device:D"),  # D: two days, anonymous
        _scan(world, now - dt.timedelta(days=1), "device:D"),
        _scan(world, now - dt.timedelta(hours=1), "device:E"),  # E: a staff member signs in
        _scan(world, now - dt.timedelta(days=2), f"user:{s.people['gd'].user_id}",
              s.people["gd"].user_id, ScanChannel.HANDHELD),  # staff: not a consumer scan
        _scan(world, now - dt.timedelta(days=40), "device:OLD"),  # before the period
    ]  # fmt: skip
    await s.engine.ledger.append_scans(scans)
    joined = await _consumer(world, 2)  # A's owner
    admin_id = s.people["admin"].user_id
    signed_in = [
        _scan(world, later, "device:A", joined),
        _scan(world, later, "device:B", early),
        _scan(world, later, "device:E", admin_id),
        _scan(world, later, "console", early, ScanChannel.CONSOLE),
    ]
    # F: first scanned after 'early' registered, then signs in with it: no conversion
    f_first = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    signed_in += [_scan(world, f_first, "device:F"),
                  _scan(world, f_first + dt.timedelta(minutes=1), "device:F", early)]  # fmt: skip
    await s.engine.ledger.append_scans(signed_in)
    today = dt.datetime.now(TZ).date()
    period = Period(today - dt.timedelta(days=6), today + dt.timedelta(days=1))
    got = await behaviour_of(world.ctx).consumers(s.people["admin"], s.brand, period)

    consumer = [x for x in scans + signed_in if x.channel != ScanChannel.HANDHELD
                and x.at.astimezone(TZ).date() >= period.start]  # fmt: skip
    assert got["scans"] == len(consumer) == 11
    per_day: dict[str, int] = {}
    per_hour = [0] * 24
    for x in consumer:
        local = x.at.astimezone(TZ)
        per_day[local.date().isoformat()] = per_day.get(local.date().isoformat(), 0) + 1
        per_hour[local.hour] += 1
    assert {r["day"]: r["scans"] for r in got["per_day"] if r["scans"]} == per_day
    assert len(got["per_day"]) == 8 and got["per_hour"] == per_hour
    assert got["devices"] == 5  # A, B, D, E, F ("console" is no device)
    days_of: dict[str, set[dt.date]] = {}
    for x in consumer:
        if x.actor.startswith("device:"):
            days_of.setdefault(x.actor, set()).add(x.at.astimezone(TZ).date())
    assert got["repeat_devices"] == sum(len(v) > 1 for v in days_of.values())
    assert got["users"] == 3  # joined, early, the admin signed in on E
    # A and B: anonymous first, then an account created after that first scan; E's
    # account is staff; F's account existed before F's first scan
    assert got["anonymous_devices"] == 5
    assert got["converted_devices"] == 2
    assert got["conversion_rate"] == pytest.approx(2 / 5)
    assert not got["truncated"]
    with pytest.raises(Forbidden):
        await behaviour_of(world.ctx).consumers(s.people["gd"], s.brand, period)
