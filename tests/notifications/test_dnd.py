"""Do-not-disturb windows (pure): release times in the user's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from veriseal.notifications.dnd import DndWindow, parse_hhmm
from veriseal.notifications.errors import NotifyInputInvalid

SH = ZoneInfo("Asia/Shanghai")


def test_night_window_crossing_midnight() -> None:
    w = DndWindow.parse("22:00", "08:00", "Asia/Shanghai")
    at_23 = dt.datetime(2026, 11, 25, 23, 0, tzinfo=SH)
    assert w.release(at_23) == dt.datetime(2026, 11, 26, 8, 0, tzinfo=SH)
    at_7 = dt.datetime(2026, 11, 26, 7, 59, tzinfo=SH)
    assert w.release(at_7) == dt.datetime(2026, 11, 26, 8, 0, tzinfo=SH)
    assert w.release(dt.datetime(2026, 11, 26, 8, 0, tzinfo=SH)) is None  # end excluded
    assert w.release(dt.datetime(2026, 11, 26, 12, 0, tzinfo=SH)) is None


def test_bad_windows_are_refused() -> None:
    for args in (("10:00", "10:00", "UTC"), ("25:00", "08:00", "UTC"), ("22:00", "8", "UTC")):
        with pytest.raises(NotifyInputInvalid):
            DndWindow.parse(*args)
    with pytest.raises(NotifyInputInvalid):
        DndWindow.parse("22:00", "08:00", "Mars/Olympus")
    assert parse_hhmm(" 07:05 ") == dt.time(7, 5)


ZONES = st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"])
TIMES = st.times().map(lambda t: t.replace(second=0, microsecond=0))
MOMENTS = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=dt.UTC)
)


@given(TIMES, TIMES, ZONES, MOMENTS)
def test_release_is_the_end_of_the_window(
    start: dt.time, end: dt.time, tz: str, now: dt.datetime
) -> None:
    assume(start != end)
    w = DndWindow(start, end, tz)
    local = now.astimezone(ZoneInfo(tz))
    released = w.release(now)
    if not w.contains(local.time()):
        assert released is None
        return
    assert released is not None
    assert now < released <= now + dt.timedelta(days=1, hours=1)
    # the wall clock reads the window's end (DST gaps shift it by up to an hour)
    wall = released.astimezone(ZoneInfo(tz))
    delta = abs(
        dt.datetime.combine(wall.date(), wall.time()) - dt.datetime.combine(wall.date(), end)
    )
    assert delta <= dt.timedelta(hours=1) or delta >= dt.timedelta(hours=23)
    # just before release, the window still holds (outside DST transitions)
    before = (released - dt.timedelta(minutes=1)).astimezone(ZoneInfo(tz))
    if before.utcoffset() == local.utcoffset() == wall.utcoffset():
        assert w.contains(before.time())
