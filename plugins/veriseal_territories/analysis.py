"""Batch analysis over history: dealers whose goods cluster outside their territory.

``veriseal diversion scan --since T`` replays every movement (shipments, receipts and
take-backs, from the beginning, so the holder of each unit is known at every moment) and walks the
brand's scans since ``T`` in ledger order. Each genuine, located scan of a unit a dealer
held at that moment is judged against that dealer's territory at that moment, with the
same tolerances as the live check (:mod:`.diversion`). The result ranks dealers by the
number of distinct units seen outside their territory, with the regions they were seen
in and how often: a list to start investigations from, not alerts (it writes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from veriseal import (
    Action,
    IndexRange,
    Location,
    NewScan,
    Principal,
    RangeMap,
    Region,
    require_permission,
)
from veriseal.extend import PluginContext
from veriseal_territories.diversion import DiversionService
from veriseal_territories.evidence import Tolerances
from veriseal_territories.grants import row_time
from veriseal_territories.placement import Verdict

PAGE = 5000


@dataclass
class DealerFinding:
    org_id: int
    code: str = ""
    name: str = ""
    scans: int = 0  # judged scans of units it held
    outside_scans: int = 0
    outside_units: set[tuple[int, int]] = field(default_factory=set)
    regions: Counter[str] = field(default_factory=Counter)

    @property
    def share(self) -> float:
        return self.outside_scans / self.scans if self.scans else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "dealer": self.code,
            "name": self.name,
            "scans": self.scans,
            "outside_scans": self.outside_scans,
            "outside_units": len(self.outside_units),
            "outside_share": round(self.share, 3),
            "regions": [{"province": p, "scans": n} for p, n in self.regions.most_common()],
        }


async def _movements(
    ctx: PluginContext, brand_id: int
) -> list[tuple[dt.datetime, int, int | None, int, IndexRange]]:
    """(at, movement id, holder org, batch id, range) of every movement, in order. A
    take-back (``back``) leaves its units with nobody (None: the brand), never with the
    brand's root org as if it were a dealer: a return is not a sale to the brand."""
    async with ctx.db.read() as tx:
        found = await tx.fetch(
            "SELECT m.id, m.kind, m.at, m.to_org, r.batch_id, r.first_index, r.last_index"
            " FROM territories_movements m JOIN territories_movement_ranges r"
            " ON r.movement_id = m.id WHERE m.brand_id = ? ORDER BY m.id",
            brand_id,
        )
    out = []
    for r in found:
        out.append(
            (
                row_time(r["at"]),
                int(r["id"]),
                None if r["kind"] == "back" else int(r["to_org"]),
                int(r["batch_id"]),
                IndexRange(int(r["first_index"]), int(r["last_index"])),
            )
        )
    return out


@dataclass(frozen=True)
class _Sighting:
    """A scan the analysis can judge: genuine, of a known unit and product, located."""

    at: dt.datetime
    batch_id: int
    index: int
    gtin: str
    location: Location
    region: Region | None

    @classmethod
    def of(cls, s: NewScan) -> _Sighting | None:
        """The sighting in ``s``, or None for a scan that says nothing about a unit's place."""
        if (
            s.outcome != "genuine"
            or s.batch_id is None
            or s.index is None
            or s.location is None
            or s.gtin is None
        ):
            return None
        return cls(s.at, s.batch_id, s.index, s.gtin, s.location, s.region)


class _Holders:
    """Who held each unit, replayed from the movements up to the moment asked about.

    Moments must not go back: each :meth:`advance` applies the movements dated at or
    before ``at`` that earlier calls have not applied, in movement id order."""

    def __init__(self, moves: list[tuple[dt.datetime, int, int | None, int, IndexRange]]) -> None:
        self._moves = moves
        self._next = 0
        self._by_batch: dict[int, RangeMap[int | None]] = {}

    def advance(self, at: dt.datetime) -> None:
        while self._next < len(self._moves) and self._moves[self._next][0] <= at:
            _, _, to_org, batch_id, span = self._moves[self._next]
            self._by_batch.setdefault(batch_id, RangeMap()).assign(span, to_org)
            self._next += 1

    def holder(self, batch_id: int, index: int) -> int | None:
        """The org holding the unit as of the last :meth:`advance`; None: the brand."""
        held = self._by_batch.get(batch_id)
        return held.get(index) if held is not None else None


@dataclass
class _Judge:
    """Judges a brand's scans one by one against their holder's territory at the time,
    gathering a :class:`DealerFinding` per holder."""

    diversion: DiversionService
    brand_id: int
    tol: Tolerances
    holders: _Holders
    findings: dict[int, DealerFinding] = field(default_factory=dict)

    async def judge(self, s: NewScan) -> None:
        """Count ``s`` for the dealer holding its unit when it was scanned (scans must come
        in ledger order: the holders are replayed up to each)."""
        self.holders.advance(s.at)
        seen = _Sighting.of(s)
        if seen is None:
            return
        org = self.holders.holder(seen.batch_id, seen.index)
        if org is None:
            return
        weight, radius = self.tol.weigh(str(seen.location.source), seen.location.accuracy_m)
        if weight <= 0:
            return
        _, live = await self.diversion.territory(self.brand_id, org, seen.gtin, seen.at)
        f = self.findings.setdefault(org, DealerFinding(org))
        f.scans += 1
        where = (seen.location.lat, seen.location.lon, radius)
        standing = await self.diversion.standing(self.brand_id, live, where, seen.region)
        if standing.verdict is Verdict.OUTSIDE:
            f.outside_scans += 1
            f.outside_units.add((seen.batch_id, seen.index))
            f.regions[seen.region.province if seen.region else "?"] += 1


async def _ranked(
    diversion: DiversionService, brand_id: int, findings: Iterable[DealerFinding]
) -> list[DealerFinding]:
    """The findings with a unit outside, named after their dealer, worst first."""
    dealers = await diversion.dealers.all(brand_id)
    out = [f for f in findings if f.outside_units]
    for f in out:
        d = dealers.get(f.org_id)
        if d is not None:
            f.code, f.name = d.code, d.name
    out.sort(key=lambda f: (-len(f.outside_units), -f.share, f.code))
    return out


async def analyse(
    ctx: PluginContext,
    diversion: DiversionService,
    principal: Principal,
    brand_id: int,
    since: dt.datetime,
    until: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[DealerFinding]:
    """Dealers with at least one unit seen outside their territory, worst first."""
    require_permission(principal, Action.ALERTS_READ, brand_id=brand_id)
    holders = _Holders(await _movements(ctx, brand_id))
    judge = _Judge(diversion, brand_id, await diversion.tolerances(brand_id), holders)
    last_id = 0
    while True:
        # paged by id: ``at`` is not in id order (a handheld's offline scans carry their
        # device time), so a cursor on ``at`` would skip back-dated scans
        fresh = await ctx.scans(brand_id, since=since, until=until, after_id=last_id, limit=PAGE)
        if not fresh:
            break
        for scan in fresh:
            await judge.judge(scan.scan)
        if progress is not None:
            progress(len(fresh))
        last_id = fresh[-1].id
    return await _ranked(diversion, brand_id, judge.findings.values())
