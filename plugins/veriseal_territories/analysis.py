"""Batch analysis over history: dealers whose goods cluster outside their territory.

``veriseal diversion scan --since T`` replays every movement (shipments and receipts,
from the beginning, so the holder of each unit is known at every moment) and walks the
brand's scans since ``T`` in ledger order. Each genuine, located scan of a unit a dealer
held at that moment is judged against that dealer's territory at that moment, with the
same tolerances as the live check (:mod:`.diversion`). The result ranks dealers by the
number of distinct units seen outside their territory, with the regions they were seen
in and how often: a list to start investigations from, not alerts (it writes nothing).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veriseal import Action, IndexRange, Principal, RangeMap, require_permission
from veriseal.extend import PluginContext
from veriseal_territories.diversion import DiversionService
from veriseal_territories.grants import row_time

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
) -> list[tuple[dt.datetime, int, int, int, IndexRange]]:
    """(at, movement id, holder org, batch id, range) of every movement, in order."""
    async with ctx.db.read() as tx:
        found = await tx.fetch(
            "SELECT m.id, m.at, m.to_org, r.batch_id, r.first_index, r.last_index"
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
                int(r["to_org"]),
                int(r["batch_id"]),
                IndexRange(int(r["first_index"]), int(r["last_index"])),
            )
        )
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
    moves = await _movements(ctx, brand_id)
    holders: dict[int, RangeMap[int]] = {}
    m = 0
    tol = await diversion.tolerances(brand_id)
    findings: dict[int, DealerFinding] = {}
    last_id = 0
    while True:
        # paged by id: ``at`` is not in id order (a handheld's offline scans carry their
        # device time), so a cursor on ``at`` would skip back-dated scans
        fresh = await ctx.scans(brand_id, since=since, until=until, after_id=last_id, limit=PAGE)
        if not fresh:
            break
        for scan in fresh:
            s = scan.scan
            while m < len(moves) and moves[m][0] <= s.at:  # holders as of this scan
                _, _, to_org, batch_id, span = moves[m]
                holders.setdefault(batch_id, RangeMap()).assign(span, to_org)
                m += 1
            if (
                s.outcome != "genuine"
                or s.batch_id is None
                or s.index is None
                or s.location is None
                or s.gtin is None
            ):
                continue
            held = holders.get(s.batch_id)
            org = held.get(s.index) if held is not None else None
            if org is None:
                continue
            weight, uncertainty = tol.weigh(str(s.location.source), s.location.accuracy_m)
            if weight <= 0:
                continue
            _, live = await diversion.territory(brand_id, org, s.gtin, s.at)
            f = findings.setdefault(org, DealerFinding(org))
            f.scans += 1
            point = (s.location.lat, s.location.lon)
            if not await diversion.inside(
                brand_id, live, s.region, point, tol.buffer_km + uncertainty
            ):
                f.outside_scans += 1
                f.outside_units.add((s.batch_id, s.index))
                f.regions[s.region.province if s.region else "?"] += 1
        if progress is not None:
            progress(len(fresh))
        last_id = fresh[-1].id
    dealers = await diversion.dealers.all(brand_id)
    out = [f for f in findings.values() if f.outside_units]
    for f in out:
        d = dealers.get(f.org_id)
        if d is not None:
            f.code, f.name = d.code, d.name
    out.sort(key=lambda f: (-len(f.outside_units), -f.share, f.code))
    return out
