"""Check the scan rollups against the scans, or repair them.

The check recounts, page by page through ``ctx.scans``, every scan of the brand up to
the highest one booked (``analytics_scan_brands.booked_id``: later ones are the
consumer's lag, not a difference) and compares each cube row's scans, verdict groups
and unit scans (``first_scans + repeats``) with the recount; the first scans per day
(cube ``all``) and per day and product (cube ``product``) are compared with the units
booked (``analytics_scanned_codes``). Memory is bounded by the cube rows, not the scans.

The repair rewrites the brand's cubes, units and delays from the scans in one write
transaction (the scans are paged through as the consumer books them, so the figures
are the consumer's own) and records the highest scan id recounted, which the consumer
then skips. It is a maintenance operation: on SQLite it holds the ledger's write lock
while it counts (scans wait), so run it off-peak."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from veriseal import Brand
from veriseal.extend import PluginContext
from veriseal_analytics import scan_store
from veriseal_analytics.cube_check import CubeCheck
from veriseal_analytics.scan_consumer import book_scans, facts_of, tz_of
from veriseal_analytics.scan_rollup import COLUMNS, GROUPS, ScanMeasures, deltas

Progress = Callable[[str, int], None]
_PAGE = 5000
#: the columns the recount gives exactly; the unit scans are first_scans + repeats
_EXACT = ("scans", *GROUPS)


@dataclass
class ScanReport(CubeCheck):
    scans: int = 0  # recounted

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "scans": self.scans}


def _compared(m: ScanMeasures) -> tuple[int, ...]:
    return (*(int(getattr(m, c)) for c in _EXACT), m.first_scans + m.repeats)


Rows = dict[tuple[str, str, str], ScanMeasures]


async def _recount(ctx: PluginContext, brand: Brand, through: int,
                   progress: Progress | None) -> tuple[Rows, int]:  # fmt: skip
    """The cube rows the brand's scans up to ``through`` add up to, every unit scan
    counted as a repeat (first or not is checked against the units separately)."""
    tz, after, n = tz_of(ctx), 0, 0
    out: Rows = {}
    while after < through and (
        page := await ctx.scan_briefs(brand.id, after_id=after, limit=_PAGE)
    ):
        after = page[-1].id
        facts = [f for f in facts_of(page) if f.id <= through]
        for key, m in deltas(((f, None if f.unit is None else False) for f in facts), tz).items():
            out.setdefault(key, ScanMeasures()).add(m)
        n += len(facts)
        if progress:
            progress("scans", n)
    return out, n


async def check(ctx: PluginContext, brand: Brand, report: ScanReport,
                progress: Progress | None = None) -> None:  # fmt: skip
    async with ctx.db.read() as tx:
        booked, _ = await scan_store.booked_through(tx, brand.id)
    expected, report.scans = await _recount(ctx, brand, booked, progress)
    async with ctx.db.read() as tx:
        stored = {(str(r["cube"]), str(r["day"]), str(r["key"])):
                  ScanMeasures(*(int(r[c]) for c in COLUMNS)) for r in await tx.fetch(
            f"SELECT cube, day, key, {', '.join(COLUMNS)} FROM analytics_scan_cube"
            " WHERE brand_id = ?", brand.id)}  # fmt: skip
        units = {("all", str(r["first_day"]), ""): int(r["n"]) for r in await tx.fetch(
            "SELECT first_day, COUNT(*) AS n FROM analytics_scanned_codes WHERE brand_id = ?"
            " GROUP BY first_day", brand.id)}  # fmt: skip
        units.update({("product", str(r["first_day"]), str(r["gtin"])): int(r["n"])
                      for r in await tx.fetch(
            "SELECT first_day, gtin, COUNT(*) AS n FROM analytics_scanned_codes"
            " WHERE brand_id = ? GROUP BY first_day, gtin", brand.id)})  # fmt: skip
    report.cube_rows = len(stored)
    zero = ScanMeasures()
    for key in sorted(set(stored) | set(expected) | set(units)):
        s, e = stored.get(key, zero), expected.get(key, zero)
        got, want = _compared(s), _compared(e)
        if key in units or key[0] in ("all", "product"):
            got, want = (*got, s.first_scans), (*want, units.get(key, 0))
        if got != want:
            report.difference_count += 1
            if len(report.differences) < 100:
                report.differences.append({"cube": key[0], "day": key[1], "key": key[2],
                                           "stored": list(got),
                                           "expected": list(want)})  # fmt: skip


async def repair(ctx: PluginContext, brand: Brand, progress: Progress | None = None) -> int:
    """Rewrite the brand's scan rollups from its scans (see the module); scans recounted."""
    tz, n = tz_of(ctx), 0
    async with ctx.db.write() as tx:
        await scan_store.forget(tx, brand.id)
        after = 0
        while page := await ctx.scan_briefs(brand.id, after_id=after, limit=_PAGE):
            after = page[-1].id
            n += await book_scans(tx, facts_of(page), tz)
            if progress:
                progress("scans", n)
        await scan_store.set_booked(tx, brand.id, after, after)
    return n


async def rebuild(ctx: PluginContext, brand: Brand, *, repair_it: bool = False,
                  progress: Progress | None = None) -> ScanReport:  # fmt: skip
    """Check (and with ``repair_it`` repair when it differs); the report of the check."""
    report = ScanReport(brand.slug)
    await check(ctx, brand, report, progress)
    if repair_it and not report.clean:
        await repair(ctx, brand, progress)
        report.repaired = True
    return report
