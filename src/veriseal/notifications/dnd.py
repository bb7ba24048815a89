"""Do-not-disturb windows: a daily span of local wall-clock time in a user's time zone.

A window ``start``..``end`` holds a message sent inside it until ``end`` (local time);
``22:00``..``08:00`` crosses midnight. ``start`` is inside, ``end`` is not. A window with
``start == end`` is refused (it would mean "always" or "never"). Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from veriseal.notifications.errors import NotifyInputInvalid

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> dt.time:
    """``"22:30"`` -> ``time(22, 30)``; ``NotifyInputInvalid`` otherwise."""
    m = _HHMM.match(text.strip())
    if not m:
        raise NotifyInputInvalid(f"not a time of day HH:MM: {text!r}")
    return dt.time(int(m.group(1)), int(m.group(2)))


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Asia/Shanghai``); ``NotifyInputInvalid`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise NotifyInputInvalid(f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class DndWindow:
    start: dt.time
    end: dt.time
    tz: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise NotifyInputInvalid("a do-not-disturb window must not start when it ends")
        zone(self.tz)

    @classmethod
    def parse(cls, start: str, end: str, tz: str) -> DndWindow:
        return cls(parse_hhmm(start), parse_hhmm(end), tz)

    def contains(self, local: dt.time) -> bool:
        """Is the local wall-clock time ``local`` inside the window?"""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, now: dt.datetime) -> dt.datetime | None:
        """When a message sent at ``now`` (aware) may go out: None if ``now`` is outside
        the window, else the next local ``end`` after ``now``, in UTC.

        A non-existent local ``end`` (a DST gap) resolves the way :mod:`zoneinfo` does
        (fold=0: the offset before the gap), which is within an hour of the wall time.
        """
        tz = zone(self.tz)
        local = now.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return None
        day = local.date()
        for _ in range(3):
            candidate = dt.datetime.combine(day, self.end, tzinfo=tz).astimezone(dt.UTC)
            if candidate > now:
                return candidate
            day += dt.timedelta(days=1)
        raise AssertionError("unreachable: an end time always comes within two days")
