"""Booking in batches (the ``analytics.sales`` consumer books a delivery in one go):
a batch leaves exactly what booking its bookings one by one leaves (cube rows, booked
lines, marks), a booking repeated inside the batch counts once (the first), one booked
earlier or redelivered changes nothing, and the cubes stay the sum of the lines (the
rebuild check); and the market import's one upsert per line, with its counts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.analytics.conftest import PLUGINS, World
from tests.commerce.conftest import open_engine
from veriseal.extend import PluginContext
from veriseal_analytics import rollup_store
from veriseal_analytics.booking import (
    RETURN,
    REVERSAL,
    SALE,
    Booking,
    CubeRow,
    Line,
    Measures,
    Where,
    deltas,
    first_of_each,
    merged,
)
from veriseal_analytics.market import Market
from veriseal_analytics.rebuild import truth

AT = dt.datetime(2026, 11, 1, 3, tzinfo=dt.UTC)
WHERES = (Where(11, "distributor", "CN-GD", "440100"), Where(12, "retailer", "CN-GD", "440300"),
          Where(13, "retailer", "CN-ZJ", "330100"))  # fmt: skip


@st.composite
def bookings(draw: st.DrawFn) -> Booking:
    """A booking of two brands, a few refs (so a batch repeats some), two days."""
    kind = draw(st.sampled_from((SALE, REVERSAL, RETURN)))
    ref, brand = draw(st.integers(1, 5)), draw(st.sampled_from((1, 2)))
    day, where = draw(st.sampled_from(("2026-11-01", "2026-11-02"))), draw(st.sampled_from(WHERES))
    sign = -1 if kind == REVERSAL else 1
    lines = tuple(
        Line(
            kind,
            ref,
            ref,
            day,
            draw(st.integers(0, 23)),
            gtin,
            draw(st.sampled_from((None, 7, 8))),
            where,
            sign * draw(st.integers(0, 9)),
            sign * draw(st.integers(0, 999)),
        )
        for gtin in draw(st.lists(st.sampled_from("ABC"), min_size=1, max_size=3, unique=True))
    )
    return Booking(brand, kind, ref, day, AT, lines)


@given(st.lists(bookings(), max_size=15))
def test_merged_deltas_are_the_deltas_of_all_the_lines_per_brand(batch: list[Booking]) -> None:
    fresh = first_of_each(batch)
    assert [b.mark for b in fresh] == list(dict.fromkeys(b.mark for b in batch))
    assert all(b is next(x for x in batch if x.mark == b.mark) for b in fresh)  # the first
    expected: dict[CubeRow, Measures] = {}
    for brand in {b.brand_id for b in fresh}:
        lines = [x for b in fresh if b.brand_id == brand for x in b.lines]
        for (cube, day, key), m in deltas(lines).items():
            expected[(brand, cube, day, key)] = m
    assert merged(fresh) == expected


_TABLES = {
    "analytics_cube": "brand_id, cube, day, key, orders, units, revenue, returned_units, refunded",
    "analytics_lines": "brand_id, kind, ref, order_id, org_id, day, hour, gtin, category_id,"
    " province, city, channel, units, amount",
    "analytics_booked": "kind, ref, brand_id, day",
}


async def _state(ctx: PluginContext) -> dict[str, list[tuple[Any, ...]]]:
    async with ctx.db.read() as tx:
        return {t: sorted(tuple(r.values()) for r in await tx.fetch(f"SELECT {cols} FROM {t}"))
                for t, cols in _TABLES.items()}  # fmt: skip


async def _book(ctx: PluginContext, batch: Sequence[Booking]) -> list[Booking]:
    async with ctx.db.write() as tx:
        return await rollup_store.book(tx, batch)


async def _start(ctx: PluginContext, earlier: Sequence[Booking]) -> None:
    """Empty rollups, then ``earlier`` booked (what a redelivery finds booked)."""
    async with ctx.db.write() as tx:
        for t in _TABLES:
            await tx.execute(f"DELETE FROM {t}")
    await _book(ctx, earlier)


async def _check(ctx: PluginContext, batch: list[Booking], earlier: list[Booking]) -> None:
    await _start(ctx, earlier)
    for b in batch:
        await _book(ctx, [b])
    one_by_one = await _state(ctx)
    await _start(ctx, earlier)
    made = await _book(ctx, batch)
    assert await _state(ctx) == one_by_one
    booked = {b.mark for b in earlier}
    assert made == [b for b in first_of_each(batch) if b.mark not in booked]
    assert await _book(ctx, batch) == []  # redelivered: nothing changes
    assert await _state(ctx) == one_by_one
    async with ctx.db.read() as tx:  # the rebuild's check: cube rows == sum of the lines
        for brand in (1, 2):
            stored = {(str(r[1]), str(r[2]), str(r[3])): tuple(int(v) for v in r[4:])
                      for r in one_by_one["analytics_cube"] if r[0] == brand}  # fmt: skip
            assert stored == {k: m.as_tuple() for k, m in (await truth(tx, brand)).items()}


def test_a_batch_books_as_its_bookings_one_by_one(ledger_url: str, tmp_path: Path) -> None:
    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        engine = runner.run(stack.enter_async_context(open_engine(ledger_url, tmp_path, PLUGINS)))
        ctx = engine.plugins.context("analytics")
        try:

            @settings(max_examples=40)
            @given(st.lists(bookings(), max_size=12), st.lists(bookings(), max_size=3))
            def check(batch: list[Booking], earlier: list[Booking]) -> None:
                runner.run(_check(ctx, batch, earlier))

            check()
        finally:
            runner.run(stack.aclose())


MARKET = """date,metric,value,unit,region,competitor
2026-10,competitor_price,118.00,CNY,CN-GD,Rival Tea
2026-11,competitor_price,112.50,CNY,CN-GD,Rival Tea
2026-11,market_size,1250000000,CNY,CN-GD,
"""
AGAIN = """date,metric,value,unit,region,competitor
2026-11,competitor_price,109.90,CNY,CN-GD,Rival Tea
2026-11-01,market_size,41000000,CNY,CN-GD,
2026-12,competitor_price,105,CNY,CN-GD,Rival Tea
"""


async def test_a_market_reimport_updates_its_rows_in_place(world: World) -> None:
    market, admin, brand = Market(world.ctx), world.shop.people["admin"], world.shop.brand
    assert (await market.import_csv(admin, brand, MARKET.encode())).to_dict() == {
        "rows": 3, "new": 3, "replaced": 0}  # fmt: skip
    # a changed price, a month's figure replaced by its first day's (one key: the
    # date), a new month
    assert (await market.import_csv(admin, brand, AGAIN.encode())).to_dict() == {
        "rows": 3, "new": 1, "replaced": 2}  # fmt: skip
    prices = await market.series(admin, brand, "competitor_price")
    assert [(r["date"], r["value"]) for r in prices] == [
        ("2026-10-01", "118.00"), ("2026-11-01", "109.90"), ("2026-12-01", "105")]  # fmt: skip
    size = await market.series(admin, brand, "market_size")
    assert [(r["date"], r["period"], r["value"]) for r in size] == [
        ("2026-11-01", "day", "41000000")]  # fmt: skip
    assert (await market.import_csv(admin, brand, AGAIN.encode())).to_dict() == {
        "rows": 3, "new": 0, "replaced": 3}  # fmt: skip


async def test_orgs_and_products_read_only_those_asked_for(world: World) -> None:
    ctx, brand, orgs = world.ctx, world.shop.brand, world.shop.orgs
    found = await ctx.orgs([orgs["GD01"], orgs["ZJ01"], orgs["GD01"], 10**9])
    assert found == {i: await ctx.org(i) for i in (orgs["GD01"], orgs["ZJ01"])}
    assert await ctx.orgs([]) == {}
    every = await ctx.products(brand)
    some = await ctx.products(brand, [every[-1].gtin, "00000000000000"])
    assert some == [every[-1]]
    names = await world.an.sales.labels(brand, "product", [every[0].gtin, "x"], "zh")
    assert names == {every[0].gtin: every[0].name}
    dealers = await world.an.sales.labels(
        brand, "city_dealer", [f"440100|{orgs['GZ-R1']}", "440100|x", "440100|"], "zh"
    )
    assert dealers == {f"440100|{orgs['GZ-R1']}": (await ctx.org(orgs["GZ-R1"])).name}
