"""Pollers: the 快递100 query poller against a loopback stand-in speaking 快递100's
protocol, and the configuration that builds the pollers."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.logistics.conftest import World
from veriseal_logistics import pollers
from veriseal_logistics.intake_errors import PollFailed
from veriseal_logistics.statuses import Status
from veriseal_logistics.waybills import NewWaybill

from .kuaidi100_standin import CUSTOMER, KEY, serving

ROWS = [
    {"context": "[深圳市] 到达派件城市", "time": "2026-12-02 08:00:00",
     "ftime": "2026-12-02 08:00:00", "status": "在途", "statusCode": "1001",
     "areaCode": "CN440300000000", "areaName": "广东,深圳市", "areaCenter": "114.05,22.54"},
    {"context": "[上海市] 已揽收", "time": "2026-12-01 18:00:00",
     "ftime": "2026-12-01 18:00:00", "status": "揽收", "statusCode": "1"},
]  # fmt: skip


def test_the_kuaidi100_poller_speaks_the_query_protocol() -> None:
    async def scenario() -> None:
        async with serving() as standin:
            standin.tracks[("shunfeng", "SF1")] = ROWS
            poller = pollers.Kuaidi100Poller(CUSTOMER, KEY, standin.url)
            events = await poller.poll("shunfeng", "SF1")
            assert [e.status for e in events] == [Status.AT_DESTINATION_CITY, Status.PICKED_UP]
            assert events[0].at == dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)
            assert standin.queries == [{"com": "shunfeng", "num": "SF1", "resultv2": "4"}]
            # nothing known yet: no news, not a failure
            assert list(await poller.poll("shunfeng", "SF404")) == []
            with pytest.raises(PollFailed):  # a wrong key: 快递100 refuses the signature
                await pollers.Kuaidi100Poller(CUSTOMER, "wrong", standin.url).poll("sf", "1")
            standin.down = True
            with pytest.raises(PollFailed):
                await poller.poll("shunfeng", "SF1")
        with pytest.raises(PollFailed):  # nobody listening any more
            await poller.poll("shunfeng", "SF1")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "{",
        '{"status": "200", "data": "x"}',
        '{"result": false, "returnCode": "400", "message": "bad"}',
    ],
)
def test_unreadable_or_error_answers_are_poll_failures(text: str) -> None:
    with pytest.raises(PollFailed) as caught:
        pollers.answer_events(text)
    assert caught.value.code == "logistics_poll_failed"


def test_configuration_builds_the_pollers() -> None:
    assert not pollers.configured({})
    got = pollers.configured({"kuaidi100_customer": "c", "kuaidi100_key": "k",
                              "kuaidi100_url": "http://127.0.0.1:9"})  # fmt: skip
    poller = got.get("anything")
    assert isinstance(poller, pollers.Kuaidi100Poller)
    assert (poller.base_url, poller.min_minutes) == ("http://127.0.0.1:9", 30)
    assert pollers.interval_minutes({}) == 30
    assert pollers.interval_minutes({"poll_minutes": 45}) == 45
    assert pollers.interval_minutes({"poll_minutes": "x"}) == 30


async def test_the_periodic_poll_over_the_service(world: World) -> None:
    """Due waybills are asked once per interval (never below 快递100's 30 minutes), their
    events stored once (source ``poll``), a carrier that is down not hammered, on both
    backends."""
    admin = world.shop.people["admin"]
    brand = world.shop.brand
    known = await world.lg.waybills.create(admin, brand, NewWaybill("shunfeng", "SF2001", "深圳",
                                                                    "广州"))  # fmt: skip
    await world.lg.waybills.create(admin, brand, NewWaybill("shunfeng", "SF2002", "深圳", "上海"))
    async with serving() as standin:
        standin.tracks[("shunfeng", "SF2001")] = ROWS
        got = pollers.configured({"kuaidi100_customer": CUSTOMER, "kuaidi100_key": KEY,
                                  "kuaidi100_url": standin.url})  # fmt: skip
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

        async def poll(minutes_later: float, every: int = 5) -> pollers.Polled:
            at = now + dt.timedelta(minutes=minutes_later)
            return await pollers.poll_due(world.lg, got, at, minutes=every)

        assert await poll(0) == pollers.Polled(asked=2, added=2)
        timeline = await world.lg.waybills.timeline(admin, known.id)
        assert [(c.status, c.source) for c in timeline] == [
            (Status.PICKED_UP, "poll"), (Status.AT_DESTINATION_CITY, "poll")]  # fmt: skip
        assert await poll(29) == pollers.Polled()  # 5 minutes asked for, 30 kept
        assert await poll(31) == pollers.Polled(asked=2)  # nothing new
        standin.down = True
        assert await poll(62) == pollers.Polled(asked=2, failed=2)
        assert await poll(63) == pollers.Polled()  # not hammered
        assert len(standin.queries) == 4
    # no poller for a carrier: looked at again a day later
    only_ems = pollers.Pollers({"ems": pollers.Kuaidi100Poller("c", "k", "http://127.0.0.1:9")})
    at = now + dt.timedelta(minutes=100)
    assert await pollers.poll_due(world.lg, only_ems, at, minutes=30) == pollers.Polled(
        unserved=2)  # fmt: skip
    assert await world.lg.waybills.due_for_poll(at + dt.timedelta(hours=23)) == []
