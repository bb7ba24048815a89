"""Building blocks of the logistics tests: carrier events at named places.

Coordinates are typed here from a map (not from Veriseal's data): the tests' places."""

from __future__ import annotations

import datetime as dt

from veriseal_logistics.models import EventIn, Place
from veriseal_logistics.statuses import Status

#: (lat, lon) of the city centres the tests use
CITY = {
    "shenzhen": (22.543, 114.058),
    "dongguan": (23.021, 113.752),
    "guangzhou": (23.129, 113.264),
    "foshan": (23.022, 113.122),
    "wuhan": (30.593, 114.305),
    "changsha": (28.228, 112.939),
    "zhengzhou": (34.747, 113.625),
    "beijing": (39.904, 116.407),
    "shanghai": (31.230, 121.474),
    "hangzhou": (30.274, 120.155),
    "chengdu": (30.573, 104.066),
    "urumqi": (43.825, 87.617),
    "nanning": (22.817, 108.366),
}

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def event(hours: float, status: Status, city: str, text: str = "", key: str = "") -> EventIn:
    lat, lon = CITY[city]
    return EventIn(at(hours), status, raw_status=status.value, description=text or city,
                   place=Place(city, lat, lon), key=key)  # fmt: skip


def journey(
    *,
    via: tuple[str, ...] = ("dongguan",),
    end: str = "guangzhou",
    start: str = "shenzhen",
    hours: float = 2.0,
) -> list[EventIn]:
    """An ordinary trip: picked up, through ``via``, to ``end``, delivered there."""
    out = [event(0, Status.PICKED_UP, start)]
    h = 0.0
    for city in via:
        h += hours
        out.append(event(h, Status.IN_TRANSIT, city))
    out.append(event(h + hours, Status.AT_DESTINATION_CITY, end))
    out.append(event(h + 2 * hours, Status.OUT_FOR_DELIVERY, end))
    out.append(event(h + 3 * hours, Status.DELIVERED, end))
    return out
