"""Expected arrival of a waybill: from its latest checkpoint, the remaining time that
history gives for that status (median and 90th percentile), else a distance default.

The default, for Chinese express parcels (documented constants; a brand's own history
replaces them once ``min_samples`` deliveries of the carrier exist): a transit takes
``HANDLING_HOURS`` of collection, hub sorting and last-mile delivery plus the route's
great-circle length at ``SPEED_KMH`` (the effective speed: road detours and line-haul
waits folded in). That gives about 1 day within a province (100-300 km), 2 days to a
neighbouring one (Shenzhen -> Wuhan, 900 km), 3 days for 2,000 km (Shenzhen -> Beijing)
and 4.5 days for the far west (Shenzhen -> Urumqi, 3,400 km). From a later status only
the rest is left: see ``_DEFAULT``. The p90 is ``P90_FACTOR`` times the median's
remaining time.

The estimate is honest, never moved forward to "now": an overdue waybill's p50 and p90
lie in the past, which is what the late rule reads. It rests on the checkpoints alone,
so it is stable between events and can be stored with the waybill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from veriseal_logistics.history import REMAINING, History, ordered
from veriseal_logistics.models import Checkpoint, Eta, Waybill
from veriseal_logistics.route import Route
from veriseal_logistics.statuses import FINAL, Status

HANDLING_HOURS = 24.0  # collection, sorting at both ends, last mile
SPEED_KMH = 40.0  # effective line-haul speed over the straight-line distance
UNKNOWN_KM = 1000.0  # a route without coordinates: a typical inter-province lane
P90_FACTOR = 1.5  # default p90 remaining time / p50 remaining time

#: status -> (fixed hours, whether the distance still to go counts) of the default
#: remaining time: before pick-up half a day's wait on top of the whole transit; in
#: transit the rest of the way from the checkpoint (back to the route, then along it; the
#: whole way when the checkpoint is not located)
#: and the destination's handling; in the destination city its sorting and delivery.
_DEFAULT: dict[Status, tuple[float, bool]] = {
    Status.INFO_RECEIVED: (HANDLING_HOURS + 12.0, True),
    Status.PICKED_UP: (HANDLING_HOURS, True),
    Status.IN_TRANSIT: (12.0, True),
    Status.EXCEPTION: (HANDLING_HOURS + 24.0, True),  # held: a day lost, then onwards
    Status.AT_DESTINATION_CITY: (12.0, False),
    Status.FAILED_ATTEMPT: (24.0, False),  # the next day's attempt
    Status.OUT_FOR_DELIVERY: (4.0, False),
}
_HISTORY_P = (0.5, 0.9)


def delivered_at(waybill: Waybill, checkpoints: Sequence[Checkpoint]) -> dt.datetime | None:
    """When the waybill was delivered: its first ``delivered`` checkpoint, else
    ``waybill.delivered_at``; None when it was not."""
    for c in ordered(checkpoints):
        if c.status is Status.DELIVERED:
            return c.at
    return waybill.delivered_at if waybill.status is Status.DELIVERED else None


def position(
    waybill: Waybill, checkpoints: Sequence[Checkpoint]
) -> tuple[Status, dt.datetime, Checkpoint | None]:
    """Where the waybill stands: the latest checkpoint's status and time (and the
    checkpoint); before any, the waybill's own status at its ``created_at``."""
    line = ordered(checkpoints)
    if not line:
        return waybill.status, waybill.created_at, None
    return line[-1].status, line[-1].at, line[-1]


def estimate(
    waybill: Waybill,
    checkpoints: Sequence[Checkpoint],
    history: History,
    route: Route,
    now: dt.datetime,
) -> Eta:
    """The waybill's ETA.

    Delivered: the delivery time itself (basis ``delivered``). Returned or expired: the
    last event's time (basis ``final``: nothing more will arrive). Otherwise from the
    latest checkpoint (status s at time t; before any checkpoint the waybill's status,
    ``info_received``, at its ``created_at``): t plus the history's median and p90 of
    the remaining time from s (basis ``history``, ``samples`` the count), else the
    default of the module docstring (basis ``default``). ``now`` is not read: the
    estimate depends on the events only (module docstring); it is in the signature for
    the callers' symmetry with the rules."""
    del now  # deliberately unused: an ETA does not slide with the clock
    done = delivered_at(waybill, checkpoints)
    if done is not None:
        return Eta(done, done, "delivered", 0)
    status, at, last = position(waybill, checkpoints)
    if status in FINAL:
        return Eta(at, at, "final", 0)
    p50 = history.quantile(REMAINING, waybill.carrier, waybill.lane, status, _HISTORY_P[0])
    p90 = history.quantile(REMAINING, waybill.carrier, waybill.lane, status, _HISTORY_P[1])
    if p50 is not None and p90 is not None:
        return Eta(_plus(at, p50[0]), _plus(at, max(p50[0], p90[0])), "history", p50[1])
    hours = default_remaining_hours(status, last, route)
    return Eta(_plus(at, hours), _plus(at, P90_FACTOR * hours), "default", 0)


def default_remaining_hours(status: Status, last: Checkpoint | None, route: Route) -> float:
    """The default remaining time from a checkpoint of ``status`` (module docstring)."""
    fixed, travels = _DEFAULT.get(status, (HANDLING_HOURS, True))
    if not travels:
        return fixed
    return fixed + _km_to_go(last, route) / SPEED_KMH


def _km_to_go(last: Checkpoint | None, route: Route) -> float:
    if not route.known or route.length_km is None:
        return UNKNOWN_KM
    place = last.place if last is not None else None
    if place is not None and place.lat is not None and place.lon is not None:
        off = route.distance_km(place.lat, place.lon)
        left = route.remaining_km(place.lat, place.lon)
        if off is not None and left is not None:
            return off + left  # back to the route (if it strayed), then along it
    return route.length_km


def _plus(at: dt.datetime, hours: float) -> dt.datetime:
    return at + dt.timedelta(hours=hours)
