"""When a saved report is delivered next: a pure function of the cadence, the last due
time and the brand's calendar.

Deliveries go at :data:`HOUR` o'clock in the brand's time zone (before the working day:
the figures of the day before are complete): ``daily`` every day, ``weekly`` on Mondays,
``monthly`` on the 1st. :func:`next_run` is the first such instant strictly after
``after``, so a server that was down over several due times delivers once when it comes
back (the report covers its period up to then), never a burst of stale copies."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

Cadence = Literal["daily", "weekly", "monthly"]
CADENCES: tuple[Cadence, ...] = ("daily", "weekly", "monthly")
HOUR = 7


def _due(cadence: Cadence, day: dt.date) -> bool:
    if cadence == "weekly":
        return day.weekday() == 0
    if cadence == "monthly":
        return day.day == 1
    return True


def next_run(cadence: Cadence, after: dt.datetime, tz_name: str) -> dt.datetime:
    """The first due instant (UTC) strictly after ``after`` (aware) in zone ``tz_name``."""
    tz = ZoneInfo(tz_name)
    day = after.astimezone(tz).date()
    while True:  # at most 32 days ahead
        at = dt.datetime.combine(day, dt.time(HOUR), tzinfo=tz).astimezone(dt.UTC)
        if at > after and _due(cadence, day):
            return at
        day += dt.timedelta(days=1)
