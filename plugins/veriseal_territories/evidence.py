"""Weighing the evidence of a diversion: who scanned, how sure the place is, how many
units of one consignment turned up outside, and when.

A single sighting is not proof. One tourist's scan far away, a shopper from just across
a border, or a unit scanned years after it was sold looks, one scan at a time, exactly
like a unit of a diverted case. What tells them apart is the pattern: diverted goods
travel as cases and shipments and are sold to many buyers in the new market, so several
units of the SAME consignment (the movement that delivered them to the holder) are seen
outside, by several people. The detector therefore scores consignments, not scans:

- each scan that places a unit outside the holder's territory is an :class:`Observation`
  with a weight from its location source (GPS 1, declared and IP-derived less), halved
  when the unit was seen only a little beyond the border (``near_km``) or long after the
  holder received it (``stale_days``);
- diverted goods are sold in one market, tourists scatter: the consignment's score is
  that of its strongest market (the units seen in one first-level division), where a
  unit counts once, with its best observation (:func:`assess`);
- the alert level is ``suspected`` from ``suspect_score`` and ``strong`` from
  ``strong_score``, and either needs ``min_devices`` distinct scanning identities (one
  person scanning the case they bought is one witness).

Scans that are not sales are classified before they are weighed (:func:`classify`): brand
staff and inspectors (test purchases, scans at head office) and dealers handling goods of
their own line (an informal return to the distributor) are never evidence.

Everything here is pure: the thresholds are per-brand settings
(:class:`Tolerances`, ``veriseal diversion tolerance``), the defaults chosen for
precision (see docs/territories.md, "Accuracy", for what they trade).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum

from veriseal import InvalidInput, register_messages

register_messages(
    {"error.tolerance_invalid": ("Invalid diversion tolerance", "窜货容差设置无效")},
)

#: an IP-derived position without a stated accuracy is taken as city-level at best
IP_RADIUS_KM = 50.0


class ToleranceInvalid(InvalidInput):
    code = "tolerance_invalid"


class Level(StrEnum):
    """How strong a diversion alert's evidence is."""

    SUSPECTED = "suspected"  # enough to look into: several units, several witnesses
    STRONG = "strong"  # enough to act on: a consignment clearly sold elsewhere


class ScanClass(StrEnum):
    """What a scan of a held unit is, as far as diversion goes."""

    SALE = "sale"  # a consumer (or anyone unknown) with the goods in hand: evidence
    OTHER_DEALER = "other_dealer"  # a dealer outside the holder's line has the goods
    INSPECTION = "inspection"  # brand staff, inspectors: test purchases, audits
    OWN_LINE = "own_line"  # the holder's own line handling its goods (returns, checks)


#: (name, upper bound) of every numeric tolerance, for validation
_BOUNDS = {
    "buffer_km": 500.0,
    "max_gps_accuracy_m": 100_000.0,
    "ip_weight": 1.0,
    "declared_weight": 1.0,
    "near_km": 500.0,
    "stale_days": 36_500.0,
    "suspect_score": 1_000.0,
    "strong_score": 1_000.0,
    "min_devices": 1_000.0,
}


@dataclass(frozen=True)
class Tolerances:
    """A brand's diversion settings (newest wins; see the module docstring)."""

    #: doubt granted around every fix on top of its stated accuracy, for the error of
    #: the boundary data itself and fixes that drift
    buffer_km: float = 5.0
    #: GPS fixes less precise than this are not evidence
    max_gps_accuracy_m: float = 2000.0
    #: weight of an IP-derived position (0: ignored); its disc is the locator's radius
    ip_weight: float = 0.5
    #: weight of a typed-in position
    declared_weight: float = 0.5
    #: a unit seen less than this beyond the territory's edge (after the doubt) counts
    #: half: border shoppers and commuters
    near_km: float = 20.0
    #: a unit seen more than this many days after its holder received it counts half:
    #: goods carried home, gifts, a consumer who moved
    stale_days: float = 365.0
    #: consignment score (units, weighted) from which an alert is raised ...
    suspect_score: float = 2.0
    #: ... and from which it is strong
    strong_score: float = 4.0
    #: distinct scanning identities (devices, accounts) needed for any alert
    min_devices: float = 2.0

    def check(self) -> Tolerances:
        for f in fields(self):
            value, hi = getattr(self, f.name), _BOUNDS[f.name]
            if not (math.isfinite(value) and 0 <= value <= hi):
                raise ToleranceInvalid(f"{f.name} must be within 0..{hi:g}")
        if self.strong_score < self.suspect_score:
            raise ToleranceInvalid("strong_score must not be below suspect_score")
        return self

    @classmethod
    def load(cls, data: dict[str, float]) -> Tolerances:
        """From a stored setting, ignoring names this version no longer knows."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in known})

    def weigh(self, source: str, accuracy_m: float | None) -> tuple[float, float]:
        """(weight, radius of doubt in km) of a position of this source and accuracy:
        the disc a unit is only "outside" when it lies wholly outside."""
        if source == "ip":
            radius = accuracy_m / 1000.0 if accuracy_m else IP_RADIUS_KM
            return self.ip_weight, radius + self.buffer_km
        if source == "declared":
            # a chosen place is a town at best: doubt as wide as an IP fix
            return self.declared_weight, IP_RADIUS_KM / 2 + self.buffer_km
        if accuracy_m is not None and accuracy_m > self.max_gps_accuracy_m:
            return 0.0, 0.0
        return 1.0, (accuracy_m or 0.0) / 1000.0 + self.buffer_km


@dataclass(frozen=True, slots=True)
class Observation:
    """One scan placing one unit outside its holder's territory."""

    unit: tuple[int, int]  # (batch id, index)
    witness: str  # who scanned: the scan's actor (device cookie, user)
    weight: float  # from the location source (:meth:`Tolerances.weigh`)
    km_outside: float  # from the disc's edge to the territory, in km (>= 0)
    days_held: float  # from the holder's receipt of the unit to the scan
    place: str = ""  # where it was seen: the first-level division ("" unknown)

    def score(self, tol: Tolerances) -> float:
        """The observation's worth as evidence, in units."""
        s = self.weight
        if self.km_outside < tol.near_km:
            s *= 0.5
        if self.days_held > tol.stale_days:
            s *= 0.5
        return s


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a consignment's observations add up to."""

    level: Level | None
    score: float  # of the strongest market with enough witnesses (0: none has)
    units: int  # distinct units seen outside, in any market
    witnesses: int  # distinct scanning identities in the market seen by most
    max_km_outside: float


def assess(observations: Iterable[Observation], tol: Tolerances) -> Assessment:
    """The level a consignment's observations reach (None: no alert).

    Diverted goods are sold in one market; tourists scatter. So the score is that of
    the consignment's strongest *market*: the units seen in one first-level division
    (observations of unknown place form a market of their own). Within it each unit
    counts once, with its best observation, and the witnesses are counted.

    Contract: adding observations never lowers the score, the witness count or the
    level (tested as a property)."""
    return Tally(tol).add_all(observations).result()


class Tally:
    """:func:`assess` kept one observation at a time, for evidence that grows a scan
    at a time (weighing all of it again for each scan costs the square of its size).
    ``result()`` after any sequence of ``add`` equals ``assess`` of that sequence."""

    def __init__(self, tol: Tolerances) -> None:
        self.tol = tol
        # place -> (best score per unit, witnesses)
        self._markets: dict[str, tuple[dict[tuple[int, int], float], set[str]]] = {}
        self._units: set[tuple[int, int]] = set()
        self._far = 0.0

    def add(self, o: Observation) -> None:
        s = o.score(self.tol)
        if s <= 0:
            return
        best, witnesses = self._markets.setdefault(o.place, ({}, set()))
        best[o.unit] = max(best.get(o.unit, 0.0), s)
        witnesses.add(o.witness)
        self._units.add(o.unit)
        self._far = max(self._far, o.km_outside)

    def add_all(self, observations: Iterable[Observation]) -> Tally:
        for o in observations:
            self.add(o)
        return self

    def result(self) -> Assessment:
        """The assessment of what was added (each market summed afresh, in the order
        its units were first seen: the same floating-point sum as one pass)."""
        tol = self.tol
        level: Level | None = None
        score, seen_by = 0.0, 0
        for best, witnesses in self._markets.values():
            market = sum(best.values())
            if len(witnesses) >= tol.min_devices:
                score = max(score, market)
            seen_by = max(seen_by, len(witnesses))
        if score > 0:
            if score >= tol.strong_score - 1e-9:
                level = Level.STRONG
            elif score >= tol.suspect_score - 1e-9:
                level = Level.SUSPECTED
        return Assessment(level, score, len(self._units), seen_by, self._far)


def classify(role: str, channel: str, scanner_path: str | None, holder_path: str) -> ScanClass:
    """What a scan is, from the scanner's role and organisation.

    ``scanner_path`` / ``holder_path`` are organisation paths of the dealer tree
    (``"1/4/9"``); two organisations are of one line when one path is a prefix of the
    other (a shop and its distributor). A dealer's handheld scanning goods of its own line
    is handling, not a sale; a dealer elsewhere holding them is evidence."""
    if role in {"brand_admin", "platform_admin", "factory_operator", "inspector"}:
        return ScanClass.INSPECTION
    if role in {"distributor", "retailer"}:
        if scanner_path is not None and same_line(scanner_path, holder_path):
            return ScanClass.OWN_LINE
        return ScanClass.OTHER_DEALER
    if channel == "handheld":
        return ScanClass.OWN_LINE  # an unknown handheld is a dealer's or the brand's
    return ScanClass.SALE


def same_line(a: str, b: str) -> bool:
    """Whether two organisation paths (``/1/4/``, ending in ``/`` as the accounts tree
    writes them) are of one line: one contains the other (``Org.contains``)."""
    return a.startswith(b) or b.startswith(a)
