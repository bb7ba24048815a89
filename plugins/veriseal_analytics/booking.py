"""How a sale, its reversal or a return becomes booked lines and rollup deltas (pure).

Contracts:

- a booked line carries the dimensions it was booked under (day and hour in the
  brand's calendar, product, category, dealer, province, city, channel); rollups are
  sums of lines, so the cubes can always be recomputed from ``analytics_lines``;
- :func:`deltas` adds, per cube row ``(cube, day, key)``: units and revenue of sale
  and reversal lines (a reversal's are negative), returned units and refunds of
  return lines, and **orders** +1 per sale (-1 per reversal) once per cube row the
  order touches: an order of three products counts once in ``all`` and once in each
  product's row;
- the cubes are :data:`CUBES`; ``city_dealer`` keys are ``<city>|<org id>`` (the
  drill-down from a city to its dealers);
- a batch of bookings is booked as if one by one (:func:`first_of_each`: a repeated
  ``(kind, ref)`` counts once, the first; :func:`merged`: the cube rows' deltas are
  the sums of each booking's :func:`deltas`), so a store can write one upsert per
  distinct cube row of the whole batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from veriseal.regions.boundaries import RegionNotFound, default_boundaries

SALE, REVERSAL, RETURN = "sale", "reversal", "return"
CUBES = ("all", "product", "category", "dealer", "province", "city", "city_dealer", "channel")


@dataclass(frozen=True, slots=True)
class Where:
    """Who bought and where: the dimensions an order gives all its lines."""

    org_id: int
    channel: str
    province: str
    city: str


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    ref: int
    order_id: int
    day: str
    hour: int
    gtin: str
    category_id: int | None
    where: Where
    units: int
    amount: int


@dataclass(frozen=True, slots=True)
class Booking:
    """One booking ``(kind, ref)`` (a sale, a reversal or a return) of a brand: the day
    and instant it is booked on and its lines (each of this kind and ref)."""

    brand_id: int
    kind: str
    ref: int
    day: str
    at: dt.datetime
    lines: tuple[Line, ...]

    @property
    def mark(self) -> tuple[str, int]:
        """What makes a booking once only (``analytics_booked``'s key)."""
        return self.kind, self.ref


#: A cube row of a brand: ``(brand_id, cube, day, key)``.
CubeRow = tuple[int, str, str, str]


@dataclass(slots=True)
class Measures:
    orders: int = 0
    units: int = 0
    revenue: int = 0
    returned_units: int = 0
    refunded: int = 0

    def add(self, other: Measures) -> None:
        self.orders += other.orders
        self.units += other.units
        self.revenue += other.revenue
        self.returned_units += other.returned_units
        self.refunded += other.refunded

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.orders, self.units, self.revenue, self.returned_units, self.refunded)


def local(at: dt.datetime, tz: str) -> tuple[str, int]:
    """``at``'s calendar day (``YYYY-MM-DD``) and hour in the zone ``tz``."""
    t = at.astimezone(ZoneInfo(tz))
    return t.date().isoformat(), t.hour


def place(region: str) -> tuple[str, str]:
    """A region's (province, city) codes: ``('CN-GD', '440300')`` for Shenzhen or a
    district of it, ``('CN-GD', '')`` for the province, ``('', '')`` when unknown."""
    try:
        chain = default_boundaries().ancestors(region.strip())
    except (RegionNotFound, ValueError, KeyError):
        return "", ""
    province = next((a.code for a in chain if a.level == 1), "")
    city = next((a.code for a in chain if a.level == 2), "")
    return province, city


def keys(line: Line) -> list[tuple[str, str]]:
    """The ``(cube, key)`` rows a line adds to."""
    w = line.where
    category = "" if line.category_id is None else str(line.category_id)
    return [("all", ""), ("product", line.gtin), ("category", category),
            ("dealer", str(w.org_id)), ("province", w.province), ("city", w.city),
            ("city_dealer", f"{w.city}|{w.org_id}"), ("channel", w.channel)]  # fmt: skip


def _add(out: dict[Any, Measures], lines: Iterable[Line], brand: tuple[int, ...] = ()) -> None:
    """Add ``lines`` to ``out``, keyed ``(*brand, cube, day, key)`` (see :func:`deltas`);
    one pass, no intermediate dicts: the consumer's hot loop."""
    counted: set[tuple[Any, ...]] = set()
    for line in lines:
        returned = line.kind == RETURN
        step = 1 if line.kind == SALE else -1
        for cube, key in keys(line):
            row = (*brand, cube, line.day, key)
            m = out.get(row)
            if m is None:
                m = out[row] = Measures()
            if returned:
                m.returned_units += line.units
                m.refunded += line.amount
                continue
            m.units += line.units
            m.revenue += line.amount
            once = (line.kind, line.ref, row)
            if once not in counted:
                counted.add(once)
                m.orders += step


def deltas(lines: Iterable[Line]) -> dict[tuple[str, str, str], Measures]:
    """What ``lines`` add to each cube row ``(cube, day, key)`` (see the module)."""
    out: dict[tuple[str, str, str], Measures] = {}
    _add(out, lines)
    return out


def first_of_each(bookings: Iterable[Booking]) -> list[Booking]:
    """``bookings`` in order without a repeated ``(kind, ref)``: the first one stays, as
    when they are booked one by one and the later ones find it booked."""
    seen: set[tuple[str, int]] = set()
    out: list[Booking] = []
    for b in bookings:
        if b.mark not in seen:
            seen.add(b.mark)
            out.append(b)
    return out


def merged(bookings: Sequence[Booking]) -> dict[CubeRow, Measures]:
    """What ``bookings`` (distinct ``(kind, ref)``: see :func:`first_of_each`) add to each
    brand's cube row: the sum of each one's :func:`deltas`. A row whose deltas cancel
    out stays (with zeros), as booking them one by one leaves it."""
    out: dict[CubeRow, Measures] = {}
    for b in bookings:
        _add(out, b.lines, (b.brand_id,))
    return out
