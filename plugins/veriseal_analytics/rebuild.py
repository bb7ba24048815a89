"""Check the rollups against their sources, or repair them.

Two checks, both read-only unless ``repair``:

1. **sources**: every paid order and completed return commerce knows of
   (``commerce.sales_facts``) is booked, and nothing is booked that commerce does not
   know; with ``repair`` the missing ones are booked (as the consumer would have; a
   page of 500 in one transaction) and those commerce does not know are listed for a
   person (never deleted silently);
2. **cubes**: every cube row equals the sum of the booked lines
   (:func:`veriseal_analytics.booking.deltas`); with ``repair`` the brand's cube rows
   are rewritten from the lines in one transaction.

``veriseal report rebuild --check`` runs both and changes nothing; ``--check`` fails
(exit 1) when anything differs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veriseal import Brand
from veriseal.extend import PluginContext, Tx, Unavailable
from veriseal_analytics import rollup_store
from veriseal_analytics.book import booker
from veriseal_analytics.booking import (
    RETURN,
    REVERSAL,
    SALE,
    Booking,
    Line,
    Measures,
    Where,
    deltas,
)
from veriseal_analytics.cube_check import CubeCheck
from veriseal_analytics.facts import SALES_FACTS, SalesFacts

Progress = Callable[[str, int], None]


@dataclass
class Report(CubeCheck):
    missing: list[tuple[str, int]] = field(default_factory=list)  # (kind, ref) not booked
    unknown: list[tuple[str, int]] = field(default_factory=list)  # booked, not in commerce

    @property
    def clean(self) -> bool:
        return super().clean and not (self.missing or self.unknown)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "missing": [list(m) for m in self.missing[:100]],
                "missing_count": len(self.missing),
                "unknown": [list(u) for u in self.unknown[:100]]}  # fmt: skip


async def _sources(ctx: PluginContext, brand: Brand, report: Report, repair: bool,
                   progress: Progress | None) -> None:  # fmt: skip
    facts = ctx.optional(SALES_FACTS)
    if isinstance(facts, Unavailable):
        return
    async with ctx.db.read() as tx:
        booked = {(str(r["kind"]), int(r["ref"])) for r in await tx.fetch(
            "SELECT kind, ref FROM analytics_booked WHERE brand_id = ?", brand.id)}  # fmt: skip
    known = await _orders(ctx, facts, brand, booked, report, repair, progress)
    known |= await _returns(ctx, facts, brand, booked, report, repair)
    report.unknown = sorted(booked - known)


async def _orders(ctx: PluginContext, facts: SalesFacts, brand: Brand,
                  booked: set[tuple[str, int]], report: Report, repair: bool,
                  progress: Progress | None) -> set[tuple[str, int]]:  # fmt: skip
    """Every paid order's bookings; the missing ones noted (and booked on repair)."""
    known: set[tuple[str, int]] = set()
    b = booker(ctx)
    after, seen = 0, 0
    while orders := await facts.paid_orders(brand.id, after, 500):
        after = orders[-1].id
        repairs: list[Booking] = []
        for o in orders:
            want = [(SALE, o.id)] + ([(REVERSAL, o.id)] if o.undone_at is not None else [])
            known.update(want)
            missing = [w for w in want if w not in booked]
            report.missing.extend(missing)
            if missing and repair:
                repairs += await b.order_bookings(o)
        if repairs:  # a page's repairs in one transaction (the booked ones are skipped)
            async with ctx.db.write() as tx:
                await b.book(tx, repairs)
        seen += len(orders)
        if progress:
            progress("orders", seen)
    return known


async def _returns(ctx: PluginContext, facts: SalesFacts, brand: Brand,
                   booked: set[tuple[str, int]], report: Report,
                   repair: bool) -> set[tuple[str, int]]:  # fmt: skip
    """Every completed return's booking; the missing ones noted (and booked on repair)."""
    known: set[tuple[str, int]] = set()
    b = booker(ctx)
    after = 0
    while returns := await facts.completed_returns(brand.id, after, 500):
        after = returns[-1].id
        repairs: list[Booking] = []
        for r in returns:
            known.add((RETURN, r.id))
            if (RETURN, r.id) not in booked:
                report.missing.append((RETURN, r.id))
                if repair and (bk := await b.return_booking(r, await facts.order(r.order_id))):
                    repairs.append(bk)
        if repairs:
            async with ctx.db.write() as tx:
                await b.book(tx, repairs)
    return known


def _line(r: Any) -> Line:
    where = Where(int(r["org_id"]), str(r["channel"]), str(r["province"]), str(r["city"]))
    cat = None if r["category_id"] is None else int(r["category_id"])
    return Line(str(r["kind"]), int(r["ref"]), int(r["order_id"]), str(r["day"]),
                int(r["hour"]), str(r["gtin"]), cat, where, int(r["units"]),
                int(r["amount"]))  # fmt: skip


async def truth(tx: Tx, brand_id: int) -> dict[tuple[str, str, str], Measures]:
    """The cube rows the booked lines add up to (read in id order, page by page)."""
    out: dict[tuple[str, str, str], Measures] = {}
    after = 0
    while rows := await tx.fetch(
        "SELECT id, kind, ref, order_id, org_id, day, hour, gtin, category_id, province,"
        " city, channel, units, amount FROM analytics_lines WHERE brand_id = ? AND id > ?"
        " ORDER BY id LIMIT 5000", brand_id, after):  # fmt: skip
        after = int(rows[-1]["id"])
        for key, m in deltas(_line(r) for r in rows).items():
            out.setdefault(key, Measures()).add(m)
    return out


async def _cubes(ctx: PluginContext, brand: Brand, report: Report, repair: bool) -> None:
    async with ctx.db.read() as tx:
        expected = await truth(tx, brand.id)
        stored = {(str(r["cube"]), str(r["day"]), str(r["key"])): Measures(
            int(r["orders"]), int(r["units"]), int(r["revenue"]), int(r["returned_units"]),
            int(r["refunded"])) for r in await tx.fetch(
            "SELECT cube, day, key, orders, units, revenue, returned_units, refunded"
            " FROM analytics_cube WHERE brand_id = ?", brand.id)}  # fmt: skip
    zero = (0, 0, 0, 0, 0)
    report.cube_rows = len(stored)
    for key in sorted(set(stored) | set(expected)):
        s = stored[key].as_tuple() if key in stored else zero
        e = expected[key].as_tuple() if key in expected else zero
        if s != e:
            report.difference_count += 1
            if len(report.differences) < 100:
                report.differences.append({"cube": key[0], "day": key[1], "key": key[2],
                                           "stored": list(s), "expected": list(e)})  # fmt: skip
    if repair and report.difference_count:
        async with ctx.db.write() as tx:
            await tx.execute("DELETE FROM analytics_cube WHERE brand_id = ?", brand.id)
            await rollup_store.apply(tx, brand.id, (await truth(tx, brand.id)).items())


async def rebuild(ctx: PluginContext, brand: Brand, *, repair: bool = False,
                  progress: Progress | None = None) -> Report:  # fmt: skip
    """Run both checks (see the module); repair when asked."""
    report = Report(brand.slug)
    await _sources(ctx, brand, report, repair, progress)
    await _cubes(ctx, brand, report, repair)
    report.repaired = repair and not report.clean
    return report
