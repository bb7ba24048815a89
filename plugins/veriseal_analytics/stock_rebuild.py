"""Check the stock rollups against inventory's posts, or repair them.

Two checks, both read-only unless ``repair``, over ``inventory.stock_facts``:

1. **sources**: every stock post inventory knows of is booked
   (``analytics_stock_posts``) and nothing is booked that inventory does not know; with
   ``repair`` the missing posts are booked as the consumer would have, and the unknown
   ones are listed for a person (never deleted silently);
2. **cube**: every row's units in and out equal the sum of the booked posts
   (:func:`veriseal_analytics.stock_booking.post_rows`, recounted page by page: memory
   is bounded by the cube rows, not the posts); with ``repair`` the brand's rows are
   rewritten from the posts in one transaction (categories as they are now).

Posts published after the check read the booked marks are the consumer's lag, not a
difference: the recount sums booked posts only. The repair is a maintenance operation
(run it off-peak)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veriseal import Brand
from veriseal.extend import PluginContext, Unavailable
from veriseal_analytics import stock_store
from veriseal_analytics.book import booker
from veriseal_analytics.cube_check import CubeCheck
from veriseal_analytics.stock_booking import Flow, StockKey, add_rows
from veriseal_analytics.stock_consumer import book_post, categories, rows_of
from veriseal_analytics.stock_facts import STOCK_FACTS, StockFacts

Progress = Callable[[str, int], None]
_PAGE = 1000


@dataclass
class StockReport(CubeCheck):
    posts: int = 0  # inventory's stock posts seen
    missing: list[int] = field(default_factory=list)  # post ids not booked
    unknown: list[int] = field(default_factory=list)  # booked, not in inventory

    @property
    def clean(self) -> bool:
        return super().clean and not (self.missing or self.unknown)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "posts": self.posts, "missing": self.missing[:100],
                "missing_count": len(self.missing), "unknown": self.unknown[:100]}  # fmt: skip


async def _recount(ctx: PluginContext, facts: StockFacts, brand: Brand, booked: set[int],
                   report: StockReport, progress: Progress | None
                   ) -> dict[StockKey, Flow]:  # fmt: skip
    """The rows the booked posts add up to; the posts not booked noted as missing."""
    tz = booker(ctx).tz
    out: dict[StockKey, Flow] = {}
    known: set[int] = set()
    after = 0
    while page := await facts.posts(brand.id, after, _PAGE):
        after = page[-1].id
        for fact in page:
            known.add(fact.id)
            if fact.id in booked:
                add_rows(out, rows_of(fact, tz)[1])
            else:
                report.missing.append(fact.id)
        report.posts += len(page)
        if progress:
            progress("posts", report.posts)
    report.unknown = sorted(booked - known)
    return out


def _compare(stored: dict[StockKey, Flow], expected: dict[StockKey, Flow],
             report: StockReport) -> None:  # fmt: skip
    zero = (0, 0)
    report.cube_rows = len(stored)
    for key in sorted(set(stored) | set(expected)):
        s = stored[key].as_tuple() if key in stored else zero
        e = expected[key].as_tuple() if key in expected else zero
        if s != e:
            report.difference_count += 1
            if len(report.differences) < 100:
                report.differences.append({"day": key[0], "warehouse": key[1], "gtin": key[2],
                                           "kind": key[3], "stored": list(s),
                                           "expected": list(e)})  # fmt: skip


async def _repair(ctx: PluginContext, facts: StockFacts, brand: Brand, missing: list[int],
                  differs: bool) -> None:  # fmt: skip
    """Book the missing posts; if any row differed, rewrite the cube from the posts."""
    b = booker(ctx)
    for at in range(0, len(missing), _PAGE):
        found = await facts.by_ids(brand.id, missing[at : at + _PAGE])
        async with ctx.db.write() as tx:
            for fact in found:
                await book_post(tx, b, fact)
    if not differs:
        return
    async with ctx.db.write() as tx:
        booked = await stock_store.booked(tx, brand.id)
        await stock_store.clear_cube(tx, brand.id)
        after = 0
        while page := await facts.posts(brand.id, after, _PAGE):
            after = page[-1].id
            for fact in page:
                if fact.id in booked:
                    rows = rows_of(fact, b.tz)[1]
                    cats = await categories(b, brand.id, rows)
                    await stock_store.apply(tx, brand.id, rows.items(), cats)


async def rebuild(ctx: PluginContext, brand: Brand, *, repair: bool = False,
                  progress: Progress | None = None) -> StockReport:  # fmt: skip
    """Run both checks (see the module); repair when asked."""
    report = StockReport(brand.slug)
    facts = ctx.optional(STOCK_FACTS)
    if isinstance(facts, Unavailable):
        return report
    async with ctx.db.read() as tx:
        booked = await stock_store.booked(tx, brand.id)
        stored = await stock_store.cube(tx, brand.id)
    expected = await _recount(ctx, facts, brand, booked, report, progress)
    _compare(stored, expected, report)
    if repair and not report.clean:
        await _repair(ctx, facts, brand, report.missing, report.difference_count > 0)
        report.repaired = True
    return report
