"""The stream consumers of scan analytics: ``analytics.scans`` (every recorded scan into
the scan cubes) and ``analytics.shipped`` (territories' shipments, for the first-scan
delay).

``prepare`` gathers outside the transaction what the batch needs (the scans' briefs
through ``ctx.event_briefs``, carried by the events themselves, read only for events
appended before they carried them; their city from the location; a shipment's ranges through
``territories.movement_ranges``); ``handle`` books it in the transaction that moves the
cursor. Each consumer also keeps the highest stream position it booked
(``analytics_marks``) in that transaction and skips events at or below it, so a
redelivered batch (a cursor moved back, a rerun) counts nothing twice; stream positions
grow in commit order (docs/events.md), which scan ids on PostgreSQL need not.

The first-scan delay is matched from either side, whichever is booked second: a unit's
first scan looks up the earliest shipment of the unit at or before it, and a shipment
booked later gives the units of its ranges first scanned after it their delay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from veriseal import ScanBrief
from veriseal.extend import Batch, Consumer, PluginContext, ServiceKey, StreamEvent, Tx, Unavailable
from veriseal.regions.boundaries import default_boundaries
from veriseal_analytics import scan_store
from veriseal_analytics.scan_rollup import ScanFact, delay_days, deltas, local

SCANS_NAME = "analytics.scans"
SHIPPED_NAME = "analytics.shipped"


class MovementRanges(Protocol):
    """``territories.movement_ranges`` (declared here: plugins never import each other)."""

    async def __call__(
        self, brand_id: int, movement_ids: Sequence[int]
    ) -> dict[int, dict[int, list[tuple[int, int]]]]: ...


MOVEMENT_RANGES: ServiceKey[MovementRanges] = ServiceKey("territories.movement_ranges")


def tz_of(ctx: PluginContext) -> str:
    return str(ctx.config.get("tz", "Asia/Shanghai"))


def _cities(scans: Sequence[ScanBrief]) -> dict[int, str]:
    """The GB/T 2260 city of each located scan, from its point (one vectorised lookup
    for the batch; the ledger keeps no city code)."""
    located = [(s.id, s.lat, s.lon) for s in scans if s.lat is not None and s.lon is not None]
    if not located:
        return {}
    b = default_boundaries()
    leaves = b.leaf_many([lat for _, lat, _ in located], [lon for _, _, lon in located])
    out: dict[int, str] = {}
    for (scan_id, _, _), leaf in zip(located, leaves.tolist(), strict=True):
        chain = b.chain_of_leaf(int(leaf))
        out[scan_id] = next((a.code for a in chain if a.level == 2), "")
    return out


def facts_of(scans: Sequence[ScanBrief]) -> list[ScanFact]:
    """The rollups' view of recorded scans."""
    cities = _cities(scans)
    out = []
    for s in scans:
        province, city = s.province or "", cities.get(s.id, "")
        out.append(ScanFact(s.id, s.brand_id, s.at, s.outcome, s.gtin or "", province, city,
                            s.batch_id, s.index, s.channel))  # fmt: skip
    return out


@dataclass
class ScanBatch:
    facts: list[tuple[int, ScanFact]] = field(default_factory=list)  # (stream position, fact)


async def _prepare_scans(ctx: PluginContext, events: Sequence[StreamEvent]) -> ScanBatch:
    by_brand: dict[int, list[StreamEvent]] = {}
    for e in events:
        if e.brand_id is not None:
            by_brand.setdefault(e.brand_id, []).append(e)
    out = ScanBatch()
    for brand_id, evs in sorted(by_brand.items()):
        position = {e.ref: e.position for e in evs}
        scans = await ctx.event_briefs(brand_id, evs)  # from the events: no read
        out.facts.extend((position[f.id], f) for f in facts_of(scans))
    out.facts.sort(key=lambda pf: pf[0])
    return out


async def _shipped(
    tx: Tx, brand_id: int, units: Sequence[tuple[int, int]]
) -> dict[int, list[tuple[int, int, int]]]:
    """The shipped ranges over the new units, per code batch (one query per batch)."""
    spans: dict[int, tuple[int, int]] = {}
    for b, i in units:
        lo, hi = spans.get(b, (i, i))
        spans[b] = (min(lo, i), max(hi, i))
    return {b: await scan_store.shipped_ranges(tx, brand_id, b, lo, hi)
            for b, (lo, hi) in sorted(spans.items())}  # fmt: skip


async def book_scans(tx: Tx, facts: Sequence[ScanFact], tz: str) -> int:
    """Book ``facts`` (in booking order) into the cubes, the units and the delay
    histogram; the number booked. No idempotency here: the caller decides what to book."""
    by_brand: dict[int, list[ScanFact]] = {}
    for f in facts:
        by_brand.setdefault(f.brand_id, []).append(f)
    for brand_id, mine in by_brand.items():
        seen = await scan_store.units_seen(tx, brand_id, [u for f in mine if (u := f.unit)])
        shipped = await _shipped(tx, brand_id, [u for f in mine if (u := f.unit) and u not in seen])
        pairs: list[tuple[ScanFact, bool | None]] = []
        new: list[scan_store.Unit] = []
        delays: dict[tuple[str, str, int], int] = {}
        for f in mine:
            u = f.unit
            if u is None:
                pairs.append((f, None))
                continue
            first = u not in seen
            pairs.append((f, first))
            if first:
                seen.add(u)
                at = int(f.at.timestamp())
                day = local(f.at, tz)[0]
                out = scan_store.first_shipped(shipped.get(u[0], ()), u[1], at)
                days = None if out is None else delay_days(out, at)
                if days is not None:
                    delays[(day, f.gtin, days)] = delays.get((day, f.gtin, days), 0) + 1
                new.append(scan_store.Unit(brand_id, u[0], u[1], f.gtin, f.id, at, day, days))
        await scan_store.add_units(tx, new)
        await scan_store.add(tx, brand_id, deltas(pairs, tz).items())
        await scan_store.add_delays(tx, brand_id, delays)
        await scan_store.set_booked(tx, brand_id, max(f.id for f in mine))
    return len(facts)


async def _handle_scans(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    found = batch.prepared
    if not isinstance(found, ScanBatch) or not batch.events:
        return
    done = await scan_store.mark(tx, SCANS_NAME)
    fresh = [(p, f) for p, f in found.facts if p > done]
    floor = await scan_store.floors(tx, {f.brand_id for _, f in fresh})
    await book_scans(tx, [f for _, f in fresh if f.id > floor.get(f.brand_id, 0)], tz_of(ctx))
    await scan_store.set_mark(tx, SCANS_NAME, max(e.position for e in batch.events))


@dataclass(frozen=True, slots=True)
class Shipment:
    position: int
    brand_id: int
    movement_id: int
    at: dt.datetime
    to_org: int | None
    ranges: dict[int, list[tuple[int, int]]]


async def _prepare_shipped(ctx: PluginContext, events: Sequence[StreamEvent]) -> list[Shipment]:
    ranges = ctx.optional(MOVEMENT_RANGES)
    if isinstance(ranges, Unavailable):
        return []
    out: list[Shipment] = []
    for e in events:
        if e.brand_id is None:
            continue
        p: dict[str, Any] = e.payload or {}
        ids = [int(m) for m in p.get("movements") or [e.ref]]
        to = p.get("to_org")
        for m, by_batch in (await ranges(e.brand_id, ids)).items():
            out.append(Shipment(e.position, e.brand_id, m, e.at,
                                None if to is None else int(to), by_batch))  # fmt: skip
    return out


async def _handle_shipped(ctx: PluginContext, batch: Batch, tx: Tx) -> None:
    found = batch.prepared
    if not isinstance(found, list) or not batch.events:
        return
    done = await scan_store.mark(tx, SHIPPED_NAME)
    for s in found:
        if not isinstance(s, Shipment) or s.position <= done:
            continue
        at = int(s.at.timestamp())
        if await scan_store.add_shipment(tx, s.brand_id, s.movement_id, at, s.to_org, s.ranges):
            counts = await scan_store.match_shipment(tx, s.brand_id, at, s.ranges)
            await scan_store.add_delays(tx, s.brand_id, counts)
    await scan_store.set_mark(tx, SHIPPED_NAME, max(e.position for e in batch.events))


SCANS = Consumer(SCANS_NAME, frozenset({"scan"}), _handle_scans, batch_size=1000,
                 prepare=_prepare_scans)  # fmt: skip
SHIPPED = Consumer(SHIPPED_NAME, frozenset({"territories.shipped"}), _handle_shipped,
                   batch_size=100, prepare=_prepare_shipped)  # fmt: skip
