"""How recorded scans become scan-cube deltas (pure: no database).

Contracts:

- a scan counts once in each cube :data:`SCAN_CUBES` on its local day (``[plugins.analytics]
  tz``): ``all`` (key ``''``), ``hour`` (``'00'..'23'`` local hour), ``province``
  (ISO 3166-2 as the core resolved it, ``''`` unknown), ``city`` (GB/T 2260 city code,
  ``''`` unknown or outside China), ``product`` (GTIN, ``''`` for a code of no product)
  and ``outcome`` (the verdict);
- every scan adds 1 to ``scans`` and 1 to exactly one verdict group of :data:`GROUPS`;
  a scan of an identified unit (batch and index known) adds 1 to ``first_scans`` when
  it is the unit's first booked scan, else 1 to ``repeats``; a scan of no unit (a fake,
  an unreadable code) and a staff scan (handheld, CLI: :data:`CONSUMER_CHANNELS` only
  count, as in the core's clone rules) add to neither, so an inspector's check neither
  makes the unit's first scan nor a repeat;
- the clone-suspect rate is ``clone / (genuine + clone)``: of the scans of live,
  authentic codes, the share the clone rules flagged."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SCAN_CUBES = ("all", "hour", "province", "city", "product", "outcome")
#: the verdict groups, in the cube's column order
GROUPS = ("genuine", "clone", "withdrawn", "invalid", "other")
_GROUP_OF = {
    "genuine": "genuine", "pin_required": "genuine", "suspected_clone": "clone",
    "recalled": "withdrawn", "expired": "withdrawn", "not_activated": "withdrawn",
    "decommissioned": "withdrawn", "key_revoked": "withdrawn", "invalid": "invalid",
    "pin_wrong": "invalid",
}  # fmt: skip
#: the channels of consumers' scans (the core's ``identities.CONSUMER_CHANNELS``)
CONSUMER_CHANNELS = frozenset({"web", "api", "console"})
#: the measures of a cube row, in column order
COLUMNS = ("scans", *GROUPS, "repeats", "first_scans")


def group(outcome: str) -> str:
    """The verdict group of an outcome (``other`` for any outcome not listed)."""
    return _GROUP_OF.get(outcome, "other")


@dataclass(frozen=True, slots=True)
class ScanFact:
    """What the rollups need of one scan (read in the consumer's ``prepare``)."""

    id: int
    brand_id: int
    at: dt.datetime
    outcome: str
    gtin: str
    province: str
    city: str
    batch_id: int | None = None
    index: int | None = None
    channel: str = "web"

    @property
    def unit(self) -> tuple[int, int] | None:
        """``(batch_id, index)`` of the unit a consumer scanned; None for a scan of no
        unit or a staff scan (see the module)."""
        if self.batch_id is None or self.index is None or self.channel not in CONSUMER_CHANNELS:
            return None
        return self.batch_id, self.index


@dataclass(slots=True)
class ScanMeasures:
    scans: int = 0
    genuine: int = 0
    clone: int = 0
    withdrawn: int = 0
    invalid: int = 0
    other: int = 0
    repeats: int = 0
    first_scans: int = 0

    def add(self, other: ScanMeasures) -> None:
        for c in COLUMNS:
            setattr(self, c, getattr(self, c) + getattr(other, c))

    def as_tuple(self) -> tuple[int, ...]:
        return tuple(int(getattr(self, c)) for c in COLUMNS)


def local(at: dt.datetime, tz: str) -> tuple[str, int]:
    """``at``'s calendar day (``YYYY-MM-DD``) and hour in the zone ``tz``."""
    t = at.astimezone(ZoneInfo(tz))
    return t.date().isoformat(), t.hour


def deltas(
    facts: Iterable[tuple[ScanFact, bool | None]], tz: str
) -> dict[tuple[str, str, str], ScanMeasures]:
    """What ``(scan, first)`` pairs add to each cube row ``(cube, day, key)``; ``first``
    is True for a unit's first scan, False for a repeat, None for a scan of no unit."""
    # The scans are counted per distinct (day, hour, place, product, verdict, first)
    # first, then each count goes to its six cube rows: a batch's scans share a handful
    # of those, and six row updates per scan were most of the consumer's time per event
    # (issue 20: it runs beside the verify server).
    alike: Counter[tuple[str, int, str, str, str, str, bool | None]] = Counter()
    for fact, first in facts:
        day, hour = local(fact.at, tz)
        alike[(day, hour, fact.province, fact.city, fact.gtin, fact.outcome, first)] += 1
    out: dict[tuple[str, str, str], ScanMeasures] = {}
    for (day, hour, province, city, gtin, outcome, first), n in alike.items():
        g = group(outcome)
        for cube, key in (("all", ""), ("hour", f"{hour:02d}"), ("province", province),
                          ("city", city), ("product", gtin), ("outcome", outcome)):  # fmt: skip
            m = out.setdefault((cube, day, key), ScanMeasures())
            m.scans += n
            setattr(m, g, getattr(m, g) + n)
            if first is True:
                m.first_scans += n
            elif first is False:
                m.repeats += n
    return out


def delay_days(shipped_at: int, scanned_at: int) -> int:
    """Whole days (floor) from a shipment to a first scan, both epoch seconds; never
    negative (a scan before its shipment is not matched to it)."""
    return max(0, (scanned_at - shipped_at) // 86400)


def quantile(histogram: dict[int, int], q: float) -> float | None:
    """The ``q`` quantile (0..1, the nearest-rank method) of values counted in
    ``histogram`` (value -> count); None when it counts nothing."""
    total = sum(n for n in histogram.values() if n > 0)
    if total == 0:
        return None
    rank = max(1, -(-int(q * total * 1_000_000) // 1_000_000))  # ceil without float drift
    seen = 0
    for value in sorted(histogram):
        seen += max(0, histogram[value])
        if seen >= rank:
            return float(value)
    return float(max(histogram))
