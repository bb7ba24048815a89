"""How the carriers perform, for the brand that watches its logistics: per carrier and
lane (origin province → destination province), the parcels delivered in a period, the
share on time (by the promise; parcels without one count as on time), and the median
and 90th percentile transit from pick-up to delivery; the parcels still in flight by
status; and the open alerts by kind. Scoped like the waybills (a dealer: its own)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from veriseal import Brand, Principal
from veriseal.extend import PluginContext
from veriseal_logistics.permissions import LOGISTICS_VIEW
from veriseal_logistics.waybills import WaybillService

#: delivered parcels read for one report (the newest first): bounded, whatever the period
MAX_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class LanePerformance:
    carrier: str
    lane: str
    delivered: int
    on_time: int
    on_time_rate: float
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True, slots=True)
class Performance:
    since: dt.datetime
    until: dt.datetime
    lanes: list[LanePerformance]
    in_flight: dict[str, int]
    open_alerts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(),
                "lanes": [asdict(x) for x in self.lanes], "in_flight": self.in_flight,
                "open_alerts": self.open_alerts}  # fmt: skip


def lanes_of(rows: list[tuple[str, str, dt.datetime | None, dt.datetime, dt.datetime | None]]
             ) -> list[LanePerformance]:  # fmt: skip
    """Per (carrier, lane) figures of delivered parcels given as (carrier, lane, picked
    up, delivered, promised), busiest first."""
    groups: dict[tuple[str, str], list[tuple[float | None, bool]]] = {}
    for carrier, lane, picked, delivered, promised in rows:
        hours = None if picked is None else (delivered - picked).total_seconds() / 3600
        on_time = promised is None or delivered <= promised
        groups.setdefault((carrier, lane), []).append((hours, on_time))
    out = []
    for (carrier, lane), found in groups.items():
        transit = np.array([h for h, _ in found if h is not None and h >= 0], dtype=float)
        punctual = sum(1 for _, ok in found if ok)
        out.append(LanePerformance(
            carrier, lane, len(found), punctual, round(punctual / len(found), 4),
            round(float(np.median(transit)), 1) if transit.size else None,
            round(float(np.percentile(transit, 90)), 1) if transit.size else None,
        ))  # fmt: skip
    return sorted(out, key=lambda x: (-x.delivered, x.carrier, x.lane))


class PerformanceService:
    def __init__(self, ctx: PluginContext, waybills: WaybillService) -> None:
        self.ctx = ctx
        self.waybills = waybills

    async def report(
        self, principal: Principal, brand: Brand, since: dt.datetime, until: dt.datetime
    ) -> Performance:
        """The figures of the module docstring for parcels delivered in [since, until)."""
        self.ctx.require(principal, LOGISTICS_VIEW, brand_id=brand.id)
        scope, args = await self.waybills.scope_sql(principal)
        where = f" AND ({scope})" if scope else ""
        scope_w, _ = await self.waybills.scope_sql(principal, "w")
        where_w = f" AND ({scope_w})" if scope_w else ""
        async with self.ctx.db.read() as tx:
            ts = tx.dialect.timestamp
            delivered = await tx.fetch(
                "SELECT carrier, lane, picked_up_at, delivered_at, promised_at"
                " FROM logistics_waybills WHERE brand_id = ? AND status = 'delivered'"
                f" AND delivered_at >= ? AND delivered_at < ?{where}"
                " ORDER BY delivered_at DESC LIMIT ?",
                brand.id, since, until, *args, MAX_ROWS,
            )  # fmt: skip
            flying = await tx.fetch(
                "SELECT status, COUNT(*) AS n FROM logistics_waybills WHERE brand_id = ?"
                f" AND status NOT IN ('delivered', 'returned', 'expired'){where}"
                " GROUP BY status", brand.id, *args)  # fmt: skip
            alerts = await tx.fetch(
                "SELECT a.kind, COUNT(*) AS n FROM logistics_alerts a"
                " JOIN logistics_waybills w ON w.id = a.waybill_id"
                f" WHERE a.brand_id = ? AND a.status = 'open'{where_w}"
                " GROUP BY a.kind", brand.id, *args)  # fmt: skip
            rows = [(str(r["carrier"]), str(r["lane"]),
                     None if r["picked_up_at"] is None else ts(r["picked_up_at"]),
                     ts(r["delivered_at"]),
                     None if r["promised_at"] is None else ts(r["promised_at"]))
                    for r in delivered]  # fmt: skip
        return Performance(
            since,
            until,
            lanes_of(rows),
            dict(Counter({str(r["status"]): int(r["n"]) for r in flying})),
            {str(r["kind"]): int(r["n"]) for r in alerts},
        )
