"""The anomaly rules over one waybill: stalled, late, off route, wrong destination.

:func:`evaluate` is pure and deterministic: it reads the waybill, its checkpoints, the
history, the planned route, the brand's :class:`Rules` and ``now`` (never the wall
clock), and the shipped boundary data. Each finding's evidence holds the numbers a
person can check (JSON-ready: times in ISO 8601, distances in km, hours).

Decisions (the thresholds are :class:`Rules`' fields):

- **stalled**: an undelivered waybill whose latest status is not final, silent (since
  its latest checkpoint, else since it was created) for longer than ``stall_factor``
  times the ``stall_quantile`` of that status's dwell for the carrier and lane (the
  history's fallback to all lanes applies), never less than ``STALL_FLOOR_HOURS``; with
  too little history, ``stall_default_hours``.
- **late**: with a promised time, judged against it alone (``promised_at`` plus
  ``late_grace_hours``): an undelivered waybill once ``now`` is past it, a delivered one
  if it was delivered after it (so the brand sees late deliveries too; the alert says
  ``delivered``). Without a promise, an undelivered waybill once ``now`` is past its
  ETA's p90 (computed afresh by :func:`~veriseal_logistics.eta.estimate`) plus the
  grace; a delivered waybill without a promise is never late. Returned or expired
  waybills are not late.
- **off_route** (a known route only): a located checkpoint farther from the route than
  ``Route.corridor_km``; a checkpoint without coordinates whose province is known and
  not one the corridor crosses (the origin's, the destination's and the waypoints'
  provinces always count as crossed). A located checkpoint is judged by its distance
  alone: a point within the corridor lies in a province the corridor crosses, so a
  second test could only disagree by rounding. Delivery checkpoints are left to the
  wrong-destination rule (one misdelivery, one alert).
- **wrong_destination**: a delivered waybill whose delivery place (``delivered_place``,
  else the delivery checkpoint's place) lies outside the expected areas (``regions``;
  by default the destination's city, else its province, else the city containing its
  coordinates): with coordinates, when the disc of ``destination_km`` around it touches
  none of them (``Relation.OUTSIDE``; the sea counts for neither side); without, when
  its finest known code (city, else province) neither lies in nor contains any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from veriseal import RegionNotFound, Relation, default_boundaries
from veriseal_logistics.eta import delivered_at, estimate, position
from veriseal_logistics.history import DWELL, History, ordered
from veriseal_logistics.models import AlertKind, Checkpoint, Finding, Place, Rules, Waybill
from veriseal_logistics.route import Route
from veriseal_logistics.statuses import FINAL, Status

#: no silence shorter than this is a stall, whatever a thin or regular history says
#: (a carrier's night between two scans)
STALL_FLOOR_HOURS = 6.0


def evaluate(
    waybill: Waybill,
    checkpoints: Sequence[Checkpoint],
    history: History,
    route: Route,
    rules: Rules,
    now: dt.datetime,
    regions: Sequence[str] | None = None,
) -> list[Finding]:
    """The findings on the waybill as of ``now``, in :attr:`AlertKind.ALL` order, each
    rule only when enabled in ``rules`` (module docstring for what each one means).
    ``regions``: the receiving dealer's territory codes for the wrong-destination rule
    (None: the destination's city or province)."""
    line = ordered(checkpoints)
    found: list[Finding | None] = [
        stalled(waybill, line, history, rules, now) if rules.stalled else None,
        late(waybill, line, history, route, rules, now) if rules.late else None,
        off_route(line, route, rules) if rules.off_route else None,
        wrong_destination(waybill, line, rules, regions) if rules.wrong_destination else None,
    ]
    return [f for f in found if f is not None]


def finished(waybill: Waybill, line: Sequence[Checkpoint]) -> bool:
    """Whether nothing more is expected: delivered (by status or by a checkpoint), or
    the waybill's or its latest checkpoint's status is final."""
    if waybill.status in FINAL or delivered_at(waybill, line) is not None:
        return True
    return bool(line) and line[-1].status in FINAL


def stalled(
    waybill: Waybill,
    line: Sequence[Checkpoint],
    history: History,
    rules: Rules,
    now: dt.datetime,
) -> Finding | None:
    if finished(waybill, line):
        return None
    status, since, _ = position(waybill, line)
    silent = _hours(since, now)
    dwell = history.quantile(DWELL, waybill.carrier, waybill.lane, status, rules.stall_quantile)
    if dwell is not None:
        threshold, basis, samples = (
            max(STALL_FLOOR_HOURS, rules.stall_factor * dwell[0]), "history", dwell[1],
        )  # fmt: skip
    else:
        threshold, basis, samples = rules.stall_default_hours, "default", 0
    if silent <= threshold:
        return None
    return Finding(AlertKind.STALLED, {
        "last_event_at": since.isoformat(), "status": status.value,
        "silent_hours": _round(silent), "threshold_hours": _round(threshold),
        "basis": basis, "samples": samples,
    })  # fmt: skip


def late(
    waybill: Waybill,
    line: Sequence[Checkpoint],
    history: History,
    route: Route,
    rules: Rules,
    now: dt.datetime,
) -> Finding | None:
    grace = dt.timedelta(hours=rules.late_grace_hours)
    promised = waybill.promised_at
    done = delivered_at(waybill, line)
    if done is not None:
        if promised is None or done <= promised + grace:
            return None
        return Finding(AlertKind.LATE, {
            "basis": "promised", "delivered": True, "promised_at": promised.isoformat(),
            "delivered_at": done.isoformat(), "grace_hours": rules.late_grace_hours,
            "hours_late": _round(_hours(promised, done)),
        })  # fmt: skip
    if finished(waybill, line):
        return None
    if promised is not None:
        if now <= promised + grace:
            return None
        return Finding(AlertKind.LATE, {
            "basis": "promised", "delivered": False, "promised_at": promised.isoformat(),
            "grace_hours": rules.late_grace_hours, "hours_late": _round(_hours(promised, now)),
        })  # fmt: skip
    eta = estimate(waybill, line, history, route, now)
    if now <= eta.p90 + grace:
        return None
    return Finding(AlertKind.LATE, {
        "basis": "eta", "delivered": False, "eta": eta.to_dict(),
        "grace_hours": rules.late_grace_hours, "hours_late": _round(_hours(eta.p90, now)),
    })  # fmt: skip


#: the statuses of the hand-over: judged by the wrong-destination rule, not this one (a
#: misdelivery's out-for-delivery scan in the wrong city would otherwise be both)
_LAST_MILE = frozenset({Status.OUT_FOR_DELIVERY, Status.FAILED_ATTEMPT, Status.DELIVERED})


def off_route(line: Sequence[Checkpoint], route: Route, rules: Rules) -> Finding | None:
    width = route.corridor_km(rules)
    if not route.known or width is None:
        return None
    allowed: frozenset[str] | None = None  # computed only if a checkpoint needs it
    strays: list[dict[str, Any]] = []
    for c in line:
        if c.status in _LAST_MILE:
            continue  # where goods are handed over is the wrong-destination rule's
        p = c.place
        if p.lat is not None and p.lon is not None:
            km = route.distance_km(p.lat, p.lon)
            if km is not None and km > width:
                strays.append(_stray(c, "distance", km))
        elif p.province:
            allowed = route.provinces_within(width) if allowed is None else allowed
            if p.province not in allowed:
                strays.append(_stray(c, "province", None))
    if not strays:
        return None
    return Finding(AlertKind.OFF_ROUTE, {
        "checkpoints": strays, "corridor_km": _round(width),
        "route_km": _round(route.length_km or 0.0),
        "provinces": None if allowed is None else sorted(allowed),
    })  # fmt: skip


def _stray(c: Checkpoint, reason: str, km: float | None) -> dict[str, Any]:
    return {"id": c.id, "at": c.at.isoformat(), "status": c.status.value,
            "place": c.place.name, "province": c.place.province, "reason": reason,
            "distance_km": None if km is None else _round(km)}  # fmt: skip


def wrong_destination(
    waybill: Waybill,
    line: Sequence[Checkpoint],
    rules: Rules,
    regions: Sequence[str] | None,
) -> Finding | None:
    done = delivered_at(waybill, line)
    place = _delivery_place(waybill, line)
    if done is None or place is None:
        return None
    expected = _valid(regions if regions is not None else _destination_areas(waybill))
    if not expected:
        return None
    km: float | None = None
    if place.lat is not None and place.lon is not None:
        boundaries = default_boundaries()
        relation = boundaries.relate(place.lat, place.lon, rules.destination_km, expected)
        if relation is not Relation.OUTSIDE:
            return None  # measured only when it matters
        km = boundaries.signed_km(place.lat, place.lon, expected)
        basis = "coordinates"
    elif not _outside_by_codes(place, expected):
        return None
    else:
        basis = "codes"
    return Finding(AlertKind.WRONG_DESTINATION, {
        "delivered_place": place.to_dict(), "delivered_at": done.isoformat(),
        "expected": list(expected), "basis": basis,
        "distance_km": None if km is None else _round(km),
        "tolerance_km": rules.destination_km,
    })  # fmt: skip


def _delivery_place(waybill: Waybill, line: Sequence[Checkpoint]) -> Place | None:
    """Where it was delivered: ``delivered_place`` if it says anything, else the latest
    delivery checkpoint's place; None when nothing says where."""
    candidates = [waybill.delivered_place] if waybill.delivered_place is not None else []
    candidates += [c.place for c in reversed(line) if c.status is Status.DELIVERED]
    for p in candidates:
        if p.located or p.city or p.province:
            return p
    return None


def _destination_areas(waybill: Waybill) -> list[str]:
    d = waybill.destination
    if d.city or d.province:
        return [d.city or d.province or ""]
    if d.lat is None or d.lon is None:
        return []
    chain = default_boundaries().locate(d.lat, d.lon).chain
    finest = [a.code for a in chain if a.level in (1, 2)]
    return finest[-1:]


def _valid(codes: Sequence[str]) -> tuple[str, ...]:
    """The codes the boundary data knows, in their canonical form, sorted, deduplicated."""
    b = default_boundaries()
    out: set[str] = set()
    for code in codes:
        try:
            out.add(b.area(code).code)
        except RegionNotFound:
            continue  # an area the data does not know cannot be judged
    return tuple(sorted(out))


def _outside_by_codes(place: Place, expected: Sequence[str]) -> bool:
    code = place.city or place.province
    if not code:
        return False
    b = default_boundaries()
    try:
        return not any(b.contains(r, code) or b.contains(code, r) for r in expected)
    except RegionNotFound:
        return False  # an unknown code: no judgement


def _hours(a: dt.datetime, b: dt.datetime) -> float:
    return (b - a).total_seconds() / 3600.0


def _round(x: float) -> float:
    return round(x, 1)
